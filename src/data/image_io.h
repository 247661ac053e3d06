#pragma once
// Decoding and encoding images by content (never by file name), torch-free.
// Images are returned as 8-bit RGB (CV_8UC3, R first), masks as 8-bit single channel (CV_8UC1).
#include <string>

#include <opencv2/core.hpp>

namespace segmaker::data {

enum class ImageFormat { Jpeg, Png, Gif, Bmp, Webp, Tiff, Unknown };

struct ImageLimits;  // data/image_header.h

// What the bytes really are, from their magic numbers.
ImageFormat sniff_format(const std::string& bytes);
const char* format_name(ImageFormat format);

// Decodes any supported format to RGB. JPEG is decoded strictly: a truncated or corrupt
// stream (which libjpeg would silently fill with grey) is an error. GIF: first frame.
// Throws DataError with the reason. The header is read first: an image over `limits` throws
// ImageTooLarge (data/image_header.h) before anything is decoded; without `limits`, the decoders'
// own ceiling (2^30 pixels) applies.
cv::Mat decode_image_rgb(const std::string& bytes);
cv::Mat decode_image_rgb(const std::string& bytes, const ImageLimits& limits);

// Decodes an 8-bit single-channel mask (PNG or any lossless format). A 3/4-channel image whose
// colour channels are equal is accepted as grey; anything else throws DataError.
cv::Mat decode_mask(const std::string& bytes);
cv::Mat decode_mask(const std::string& bytes, const ImageLimits& limits);

// Encoders (OpenCV): RGB → JPEG bytes; 1- or 3-channel 8-bit (RGB) → PNG bytes.
std::string encode_jpeg(const cv::Mat& rgb, int quality = 95);
std::string encode_png(const cv::Mat& image);

// Reads and decodes a file (DataError names the file on failure). With `limits`, a file larger than
// any image within them could be is refused before it is read.
cv::Mat read_image_rgb(const std::string& path);
cv::Mat read_image_rgb(const std::string& path, const ImageLimits& limits);
cv::Mat read_mask(const std::string& path);
cv::Mat read_mask(const std::string& path, const ImageLimits& limits);
void write_png(const std::string& path, const cv::Mat& image);

}  // namespace segmaker::data
