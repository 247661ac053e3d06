#pragma once
// Image dimensions read from the header alone, before any pixel is decoded or allocated, and the
// pixel limit checked against them: a 694-byte JPEG whose frame header says 20000×20000 is refused
// in microseconds instead of allocating 1.2 GB. The headers are read with the format libraries
// (libjpeg up to the SOF marker, libpng's IHDR, giflib's screen and first frame descriptor, libwebp,
// libtiff's first directory); BMP's two fields are read directly. Torch-free.
#include <cstdint>
#include <string>

#include "data/image_io.h"
#include "io/error.h"

namespace segmaker::data {

// 4096 × 4096: the default of `serve --max-pixels`, `predict --max-pixels`, `prepare --max-pixels`.
inline constexpr std::int64_t kDefaultMaxPixels = 4096LL * 4096LL;
// OpenCV's own ceiling (CV_IO_MAX_IMAGE_PIXELS): what "no limit" means for the decoders.
inline constexpr std::int64_t kDecoderMaxPixels = 1LL << 30;

struct ImageHeader {
  ImageFormat format = ImageFormat::Unknown;
  int width = 0;   // what decoding will produce (GIF: the logical screen)
  int height = 0;
  // The largest buffer the decoder allocates, in pixels (GIF: the screen or the first frame).
  std::int64_t decode_pixels = 0;
  std::int64_t pixels() const { return static_cast<std::int64_t>(width) * height; }
};

struct ImageLimits {
  std::int64_t max_pixels = kDefaultMaxPixels;  // width × height (and any decoder buffer)
  // The flag or setting that raises the limit, named in the error ("--max-pixels").
  std::string setting = "--max-pixels";
  static ImageLimits decoder_default() { return {kDecoderMaxPixels, "the decoder's limit"}; }
};

// An image (or a network input or an answer made from it) over a configured size limit: the
// endpoint answers 413, batch transform and prepare skip the image with this reason.
class ImageTooLarge : public DataError {
 public:
  using DataError::DataError;
};

// The dimensions declared by the header of an image in any supported format. Throws DataError
// when the bytes are not an image or its header is unreadable or declares an empty image.
ImageHeader read_image_header(const std::string& bytes);

// Throws ImageTooLarge (naming the size, the limit and limits.setting) when the header is over.
void check_image_limits(const ImageHeader& header, const ImageLimits& limits);

}  // namespace segmaker::data
