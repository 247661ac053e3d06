// Fuzz target: image headers and decoders (JPEG, PNG, GIF, BMP, WebP, TIFF), as serve, predict and
// prepare call them: the header first, the limit, then the decoder. Invariants: only DataError
// escapes; a decoded image has the size its header declared and is within the limit.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/image_header.h"
#include "data/image_io.h"
#include "io/error.h"

namespace {
// Small, so that inputs decoding to millions of pixels do not slow the search down; the checks
// (header, limit, decoder) are the same at any limit.
const segmaker::data::ImageLimits kLimits{512 * 512, "fuzz"};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace segmaker::data;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  ImageHeader header;
  try {
    header = read_image_header(bytes);
  } catch (const segmaker::DataError&) {
    header = {};
  }
  try {
    const cv::Mat rgb = decode_image_rgb(bytes, kLimits);
    if (header.format == ImageFormat::Unknown || rgb.type() != CV_8UC3 ||
        static_cast<std::int64_t>(rgb.cols) * rgb.rows > kLimits.max_pixels)
      __builtin_trap();
    // The decoders agree with the header they were checked against (GIF: the logical screen).
    if (header.format != ImageFormat::Tiff && (rgb.cols != header.width || rgb.rows != header.height)) __builtin_trap();
  } catch (const segmaker::DataError&) {
  }
  try {
    const cv::Mat mask = decode_mask(bytes, kLimits);
    if (mask.type() != CV_8UC1 || static_cast<std::int64_t>(mask.cols) * mask.rows > kLimits.max_pixels) __builtin_trap();
  } catch (const segmaker::DataError&) {
  }
  return 0;
}
