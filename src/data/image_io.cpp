#include "data/image_io.h"

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "data/decoders.h"
#include "data/image_header.h"
#include "io/error.h"
#include "io/paths.h"

namespace segmaker::data {
namespace {

bool starts_with(const std::string& s, const char* magic, std::size_t n, std::size_t at = 0) {
  return s.size() >= at + n && s.compare(at, n, magic, n) == 0;
}

std::vector<unsigned char> as_buffer(const std::string& bytes) { return {bytes.begin(), bytes.end()}; }

// cv::imdecode with both of its failure modes (an exception, an empty result) as DataError.
cv::Mat imdecode_or_throw(const std::string& bytes, ImageFormat format, int flags) {
  cv::Mat m;
  try {
    m = cv::imdecode(as_buffer(bytes), flags);
  } catch (const cv::Exception& e) {
    throw DataError(std::string("corrupt ") + format_name(format) + ": " + e.what());
  }
  if (m.empty()) throw DataError(std::string("corrupt ") + format_name(format) + ": cannot be decoded");
  return m;
}

}  // namespace

ImageFormat sniff_format(const std::string& b) {
  if (starts_with(b, "\xFF\xD8\xFF", 3)) return ImageFormat::Jpeg;
  if (starts_with(b, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::Png;
  if (starts_with(b, "GIF87a", 6) || starts_with(b, "GIF89a", 6)) return ImageFormat::Gif;
  if (starts_with(b, "BM", 2)) return ImageFormat::Bmp;
  if (starts_with(b, "RIFF", 4) && starts_with(b, "WEBP", 4, 8)) return ImageFormat::Webp;
  if (starts_with(b, "II*\0", 4) || starts_with(b, "MM\0*", 4)) return ImageFormat::Tiff;
  return ImageFormat::Unknown;
}

const char* format_name(ImageFormat f) {
  switch (f) {
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Gif: return "GIF";
    case ImageFormat::Bmp: return "BMP";
    case ImageFormat::Webp: return "WebP";
    case ImageFormat::Tiff: return "TIFF";
    case ImageFormat::Unknown: break;
  }
  return "unknown";
}

cv::Mat decode_image_rgb(const std::string& bytes) { return decode_image_rgb(bytes, ImageLimits::decoder_default()); }

cv::Mat decode_image_rgb(const std::string& bytes, const ImageLimits& limits) {
  if (bytes.empty()) throw DataError("empty file");
  check_image_limits(read_image_header(bytes), limits);
  const ImageFormat format = sniff_format(bytes);
  switch (format) {
    case ImageFormat::Jpeg: return detail::decode_jpeg_rgb(bytes);
    case ImageFormat::Gif: return detail::decode_gif_rgb(bytes);
    case ImageFormat::Unknown: throw DataError("not an image (unrecognised content; JPEG, PNG, GIF, BMP, WebP or TIFF expected)");
    default: break;
  }
  const cv::Mat bgr = imdecode_or_throw(bytes, format, cv::IMREAD_COLOR);
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

cv::Mat decode_mask(const std::string& bytes) { return decode_mask(bytes, ImageLimits::decoder_default()); }

cv::Mat decode_mask(const std::string& bytes, const ImageLimits& limits) {
  if (bytes.empty()) throw DataError("empty file");
  const ImageFormat format = sniff_format(bytes);
  if (format != ImageFormat::Jpeg && format != ImageFormat::Unknown) check_image_limits(read_image_header(bytes), limits);
  if (format == ImageFormat::Png) return detail::decode_png_mask(bytes);
  if (format == ImageFormat::Jpeg)
    throw DataError("JPEG mask: lossy compression changes class ids; save annotations as PNG");
  if (format == ImageFormat::Unknown) throw DataError("not an image (unrecognised content; PNG expected)");
  // OpenCV has no GIF decoder: cv::imdecode would hand a GIF to whichever decoder claims its bytes
  // (GDCM's DICOM reader, for "DICM" at offset 128, aborts the process on some). giflib reads it.
  const cv::Mat m = format == ImageFormat::Gif ? detail::decode_gif_rgb(bytes)
                                               : imdecode_or_throw(bytes, format, cv::IMREAD_UNCHANGED);
  if (m.depth() != CV_8U) throw DataError("mask must be 8-bit");
  if (m.channels() == 1) return m;
  std::vector<cv::Mat> ch;
  cv::split(m, ch);
  if (cv::countNonZero(ch[0] != ch[1]) || cv::countNonZero(ch[1] != ch[2]))
    throw DataError("colour mask: annotations must be single-channel class ids");
  return ch[0];
}

std::string encode_jpeg(const cv::Mat& rgb, int quality) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<unsigned char> buf;
  if (!cv::imencode(".jpg", bgr, buf, {cv::IMWRITE_JPEG_QUALITY, quality})) throw DataError("JPEG encoding failed");
  return {buf.begin(), buf.end()};
}

std::string encode_png(const cv::Mat& image) {
  cv::Mat out = image;
  if (image.channels() == 3) cv::cvtColor(image, out, cv::COLOR_RGB2BGR);
  std::vector<unsigned char> buf;
  if (!cv::imencode(".png", out, buf, {cv::IMWRITE_PNG_COMPRESSION, 3})) throw DataError("PNG encoding failed");
  return {buf.begin(), buf.end()};
}

namespace {

// Reads `path` and decodes it with `decode`, refusing a file larger than any image within
// `limits` could be (4 bytes per pixel uncompressed, plus room for metadata) before reading it.
template <typename Decode>
cv::Mat read_and_decode(const std::string& path, const ImageLimits& limits, Decode decode) {
  try {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    const std::uint64_t max_bytes = 4 * static_cast<std::uint64_t>(limits.max_pixels) + (16u << 20);
    if (!ec && size > max_bytes)
      throw ImageTooLarge("file of " + std::to_string(size) + " bytes is larger than any image within the limit of " +
                          std::to_string(limits.max_pixels) + " pixels (" + limits.setting + ")");
    return decode(io::read_file(path), limits);
  } catch (const ImageTooLarge& e) {
    throw ImageTooLarge(path + ": " + e.what());
  } catch (const DataError& e) {
    throw DataError(path + ": " + e.what());
  }
}

}  // namespace

cv::Mat read_image_rgb(const std::string& path) { return read_image_rgb(path, ImageLimits::decoder_default()); }

cv::Mat read_image_rgb(const std::string& path, const ImageLimits& limits) {
  return read_and_decode(path, limits, [](const std::string& b, const ImageLimits& l) { return decode_image_rgb(b, l); });
}

cv::Mat read_mask(const std::string& path) { return read_mask(path, ImageLimits::decoder_default()); }

cv::Mat read_mask(const std::string& path, const ImageLimits& limits) {
  return read_and_decode(path, limits, [](const std::string& b, const ImageLimits& l) { return decode_mask(b, l); });
}

void write_png(const std::string& path, const cv::Mat& image) { io::write_file_atomic(path, encode_png(image)); }

}  // namespace segmaker::data
