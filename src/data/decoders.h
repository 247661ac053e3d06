#pragma once
// Format-specific decoders behind data/image_io.h. Each throws DataError with the reason.
#include <string>

#include <opencv2/core.hpp>

#include "data/image_header.h"

namespace segmaker::data::detail {

// libjpeg(-turbo), strict: a truncated stream is an error (libjpeg itself would pad it with grey).
// Grey, RGB/YCbCr and CMYK/YCCK JPEGs all come back as RGB.
cv::Mat decode_jpeg_rgb(const std::string& bytes);

// giflib: the first frame composed on the logical screen, transparent pixels white.
cv::Mat decode_gif_rgb(const std::string& bytes);

// libpng: 8-bit grey or palette PNG → the raw 8-bit values (palette indices, not colours), as
// SageMaker's indexed annotations need. RGB(A) PNGs whose colour channels are equal come back as grey.
cv::Mat decode_png_mask(const std::string& bytes);

// Header readers (data/image_header.h): the dimensions, without allocating or decoding pixels.
ImageHeader read_jpeg_header(const std::string& bytes);
ImageHeader read_png_header(const std::string& bytes);
ImageHeader read_gif_header(const std::string& bytes);

}  // namespace segmaker::data::detail
