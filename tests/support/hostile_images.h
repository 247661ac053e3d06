#pragma once
// Small files that declare huge images (decompression bombs) and damaged images, for the tests of
// the limits and of strict decoding. Made with the format libraries (libpng, OpenCV), or by patching
// the size fields of a real small image.
#include <png.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "data/image_io.h"

namespace segmaker::test {

// A real 16x16 baseline JPEG whose frame header (SOF0) is patched to say width x height: a few
// hundred bytes that a decoder sizes its buffers from.
inline std::string jpeg_declaring(int width, int height) {
  std::string jpeg = data::encode_jpeg(cv::Mat(16, 16, CV_8UC3, cv::Scalar(10, 120, 200)), 90);
  const auto sof = jpeg.find("\xFF\xC0");
  if (sof == std::string::npos) throw std::logic_error("no SOF0 marker");
  // FFC0, length (2), precision (1), height (2), width (2)
  jpeg[sof + 5] = static_cast<char>((height >> 8) & 0xFF);
  jpeg[sof + 6] = static_cast<char>(height & 0xFF);
  jpeg[sof + 7] = static_cast<char>((width >> 8) & 0xFF);
  jpeg[sof + 8] = static_cast<char>(width & 0xFF);
  return jpeg;
}

// A 35-byte GIF: a width x height logical screen (two-colour palette) and one 1x1 frame.
inline std::string gif_with_screen(int width, int height) {
  const unsigned char bytes[] = {'G', 'I', 'F', '8', '9', 'a',
                                 static_cast<unsigned char>(width & 0xFF), static_cast<unsigned char>(width >> 8),
                                 static_cast<unsigned char>(height & 0xFF), static_cast<unsigned char>(height >> 8),
                                 0x80, 0, 0,                       // global colour table of 2, background 0
                                 0, 0, 0, 255, 255, 255,           // the table
                                 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0,  // image descriptor: 1x1 at 0,0
                                 2, 2, 0x4C, 0x01, 0,              // LZW code size 2, one data block
                                 0x3B};
  return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

// A 1-bit grey PNG of width x height, all zero: deflate makes ~1/1000 of the raw size.
inline std::string png_1bit_zeros(int width, int height) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("libpng failed");
  }
  png_set_write_fn(
      png, &out, [](png_structp p, png_bytep data, png_size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(data), n);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 1, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 1);  // fast; zeros still shrink ~1000 times
  png_set_filter(png, 0, PNG_FILTER_NONE);
  png_write_info(png, info);
  std::vector<png_byte> row(static_cast<std::size_t>((width + 7) / 8), 0);
  for (int y = 0; y < height; ++y) png_write_row(png, row.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// The first half of a real JPEG's data with the end-of-image marker put back: libjpeg warns
// "premature end of data segment" (not "premature end of file") and fills the rest with grey.
inline std::string jpeg_cut_in_half_with_eoi(const std::string& jpeg) {
  return jpeg.substr(0, jpeg.size() / 2) + std::string("\xFF\xD9", 2);
}

}  // namespace segmaker::test
