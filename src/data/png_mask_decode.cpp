#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

#include <png.h>

#include "data/decoders.h"
#include "io/error.h"

namespace segmaker::data::detail {
namespace {

struct Reader {
  const std::string* bytes;
  std::size_t offset = 0;
  std::string error;
};

void read_data(png_structp png, png_bytep dst, png_size_t n) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (r->offset + n > r->bytes->size()) png_error(png, "truncated PNG: the file ends early");
  std::memcpy(dst, r->bytes->data() + r->offset, n);
  r->offset += n;
}

void on_error(png_structp png, png_const_charp message) {
  auto* r = static_cast<Reader*>(png_get_error_ptr(png));
  r->error = message;
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

}  // namespace

ImageHeader read_png_header(const std::string& bytes) {
  Reader reader{&bytes, 0, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_error, on_warning);
  if (!png) throw DataError("cannot initialise libpng");
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw DataError("corrupt PNG header: " + reader.error);
  }
  png_set_read_fn(png, &reader, read_data);
  png_read_info(png, info);  // the signature and IHDR (and any chunk before the first IDAT)
  ImageHeader h;
  h.format = ImageFormat::Png;
  h.width = static_cast<int>(png_get_image_width(png, info));
  h.height = static_cast<int>(png_get_image_height(png, info));
  h.decode_pixels = h.pixels();
  png_destroy_read_struct(&png, &info, nullptr);
  return h;
}

cv::Mat decode_png_mask(const std::string& bytes) {
  Reader reader{&bytes, 0, {}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_error, on_warning);
  if (!png) throw DataError("cannot initialise libpng");
  png_infop info = png_create_info_struct(png);
  cv::Mat raw;
  std::vector<png_bytep> rows;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw DataError("corrupt PNG: " + reader.error);
  }
  png_set_read_fn(png, &reader, read_data);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  const int depth = png_get_bit_depth(png, info);
  const int color = png_get_color_type(png, info);
  if (depth == 16) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw DataError("16-bit PNG mask: annotations must be 8-bit class ids (0..254, 255 = ignore)");
  }
  if (depth < 8) png_set_packing(png);  // one byte per pixel, values unscaled
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  raw.create(static_cast<int>(height), static_cast<int>(width), CV_8UC(channels));
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = raw.ptr<png_byte>(static_cast<int>(y));
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);

  if (channels == 1) return raw;  // grey values or palette indices
  if (color == PNG_COLOR_TYPE_GRAY_ALPHA) {
    cv::Mat grey;
    cv::extractChannel(raw, grey, 0);
    return grey;
  }
  // RGB / RGBA: accept only when it is grey in disguise.
  cv::Mat out(raw.rows, raw.cols, CV_8UC1);
  for (int y = 0; y < raw.rows; ++y) {
    const unsigned char* s = raw.ptr<unsigned char>(y);
    unsigned char* d = out.ptr<unsigned char>(y);
    for (int x = 0; x < raw.cols; ++x, s += channels) {
      if (s[0] != s[1] || s[1] != s[2])
        throw DataError("colour PNG mask: annotations must be single-channel class ids (8-bit grey or indexed PNG)");
      d[x] = s[0];
    }
  }
  return out;
}

}  // namespace segmaker::data::detail
