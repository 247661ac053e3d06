// Image dimensions from the header of every supported format, and the pixel limit check.
#include "data/image_header.h"

#include <tiffio.h>
#include <webp/decode.h>

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "data/decoders.h"

namespace segmaker::data {
namespace {

std::uint32_t le32(const std::string& b, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
  return v;
}

// BMP: BITMAPCOREHEADER (12 bytes: 16-bit sizes) or BITMAPINFOHEADER and later (32-bit, signed
// height: negative = top-down), as OpenCV's decoder reads them.
ImageHeader read_bmp_header(const std::string& bytes) {
  if (bytes.size() < 26) throw DataError("corrupt BMP header: the file is too short");
  const std::uint32_t info_size = le32(bytes, 14);
  ImageHeader h;
  h.format = ImageFormat::Bmp;
  if (info_size == 12) {
    h.width = static_cast<int>(le32(bytes, 18) & 0xFFFF);
    h.height = static_cast<int>(le32(bytes, 20) & 0xFFFF);
  } else if (info_size >= 40 && bytes.size() >= 26) {
    const auto width = static_cast<std::int32_t>(le32(bytes, 18));
    const auto height = static_cast<std::int32_t>(le32(bytes, 22));
    if (width <= 0 || height == INT32_MIN) throw DataError("corrupt BMP header: bad image size");
    h.width = width;
    h.height = height < 0 ? -height : height;
  } else {
    throw DataError("corrupt BMP header: unknown header size " + std::to_string(info_size));
  }
  h.decode_pixels = h.pixels();
  return h;
}

ImageHeader read_webp_header(const std::string& bytes) {
  int width = 0, height = 0;
  if (!WebPGetInfo(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), &width, &height))
    throw DataError("corrupt WebP header");
  ImageHeader h;
  h.format = ImageFormat::Webp;
  h.width = width;
  h.height = height;
  h.decode_pixels = h.pixels();
  return h;
}

// libtiff over memory: the first directory (the page OpenCV decodes).
struct TiffMemory {
  const std::string* bytes;
  toff_t offset = 0;
};

tmsize_t tiff_read(thandle_t handle, void* buffer, tmsize_t size) {
  auto* m = static_cast<TiffMemory*>(handle);
  if (size <= 0 || m->offset >= m->bytes->size()) return 0;
  const auto n = std::min<std::uint64_t>(static_cast<std::uint64_t>(size), m->bytes->size() - m->offset);
  std::memcpy(buffer, m->bytes->data() + m->offset, static_cast<std::size_t>(n));
  m->offset += n;
  return static_cast<tmsize_t>(n);
}
tmsize_t tiff_write(thandle_t, void*, tmsize_t) { return -1; }
toff_t tiff_seek(thandle_t handle, toff_t offset, int whence) {
  auto* m = static_cast<TiffMemory*>(handle);
  const std::uint64_t base = whence == SEEK_CUR ? m->offset : whence == SEEK_END ? m->bytes->size() : 0;
  m->offset = base + offset;
  return m->offset;
}
int tiff_close(thandle_t) { return 0; }
toff_t tiff_size(thandle_t handle) { return static_cast<TiffMemory*>(handle)->bytes->size(); }
int tiff_quiet(TIFF*, void* user, const char*, const char* format, va_list args) {
  if (user) std::vsnprintf(static_cast<char*>(user), 256, format, args);
  return 1;  // handled: nothing printed
}

ImageHeader read_tiff_header(const std::string& bytes) {
  TiffMemory memory{&bytes};
  char error[256] = {0};
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(options, tiff_quiet, error);
  TIFFOpenOptionsSetWarningHandlerExtR(options, tiff_quiet, nullptr);
  TIFF* tiff = TIFFClientOpenExt("memory", "rm", &memory, tiff_read, tiff_write, tiff_seek, tiff_close, tiff_size,
                                 nullptr, nullptr, options);
  TIFFOpenOptionsFree(options);
  if (!tiff) throw DataError(std::string("corrupt TIFF header") + (error[0] ? std::string(": ") + error : ""));
  std::uint32_t width = 0, height = 0;
  const bool ok = TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width) == 1 && TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height) == 1;
  TIFFClose(tiff);
  if (!ok || width == 0 || height == 0 || width > INT32_MAX || height > INT32_MAX)
    throw DataError("corrupt TIFF header: no image size");
  ImageHeader h;
  h.format = ImageFormat::Tiff;
  h.width = static_cast<int>(width);
  h.height = static_cast<int>(height);
  h.decode_pixels = h.pixels();
  return h;
}

}  // namespace

ImageHeader read_image_header(const std::string& bytes) {
  if (bytes.empty()) throw DataError("empty file");
  ImageHeader h;
  switch (sniff_format(bytes)) {
    case ImageFormat::Jpeg: h = detail::read_jpeg_header(bytes); break;
    case ImageFormat::Png: h = detail::read_png_header(bytes); break;
    case ImageFormat::Gif: h = detail::read_gif_header(bytes); break;
    case ImageFormat::Bmp: h = read_bmp_header(bytes); break;
    case ImageFormat::Webp: h = read_webp_header(bytes); break;
    case ImageFormat::Tiff: h = read_tiff_header(bytes); break;
    case ImageFormat::Unknown:
      throw DataError("not an image (unrecognised content; JPEG, PNG, GIF, BMP, WebP or TIFF expected)");
  }
  if (h.width <= 0 || h.height <= 0)
    throw DataError(std::string("corrupt ") + format_name(h.format) + " header: empty image (" +
                    std::to_string(h.width) + "x" + std::to_string(h.height) + ")");
  return h;
}

void check_image_limits(const ImageHeader& h, const ImageLimits& limits) {
  const std::int64_t pixels = std::max(h.pixels(), h.decode_pixels);
  if (pixels <= limits.max_pixels) return;
  std::string size = std::to_string(h.width) + "x" + std::to_string(h.height);
  if (h.decode_pixels > h.pixels()) size += " (a frame of " + std::to_string(h.decode_pixels) + " pixels)";
  throw ImageTooLarge(std::string(format_name(h.format)) + " image of " + size + " = " + std::to_string(pixels) +
                      " pixels exceeds the limit of " + std::to_string(limits.max_pixels) + " pixels (" +
                      limits.setting + "); it was refused from its header, before decoding");
}

}  // namespace segmaker::data
