#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <png.h>

#include <cstdio>

#include "data/image_io.h"
#include "io/error.h"
#include "io/paths.h"
#include "support/test_util.h"

using namespace segmaker;
using namespace segmaker::data;

TEST(ImageIo, SniffsFormatsByContent) {
  EXPECT_EQ(sniff_format(std::string("\xFF\xD8\xFF\xE0xx", 6)), ImageFormat::Jpeg);
  EXPECT_EQ(sniff_format("\x89PNG\r\n\x1A\nrest"), ImageFormat::Png);
  EXPECT_EQ(sniff_format("GIF89a..."), ImageFormat::Gif);
  EXPECT_EQ(sniff_format("RIFF1234WEBPVP8 "), ImageFormat::Webp);
  EXPECT_EQ(sniff_format("hello"), ImageFormat::Unknown);
  EXPECT_EQ(sniff_format(""), ImageFormat::Unknown);
}

TEST(ImageIo, JpegRoundTripIsRgb) {
  cv::Mat rgb(20, 30, CV_8UC3, cv::Scalar(250, 10, 10));  // pure red in RGB order
  cv::Mat back = decode_image_rgb(encode_jpeg(rgb, 100));
  ASSERT_EQ(back.type(), CV_8UC3);
  EXPECT_EQ(back.size(), rgb.size());
  cv::Vec3b px = back.at<cv::Vec3b>(10, 15);
  EXPECT_GT(px[0], 230);  // R stays first
  EXPECT_LT(px[2], 30);
}

TEST(ImageIo, TruncatedJpegIsRejected) {
  cv::Mat rgb(64, 64, CV_8UC3);
  cv::randu(rgb, 0, 255);
  std::string bytes = encode_jpeg(rgb, 90);
  std::string cut = bytes.substr(0, bytes.size() / 2);
  try {
    decode_image_rgb(cut);
    FAIL() << "a truncated JPEG decoded without error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(ImageIo, GarbageAndEmptyAreRejectedWithReasons) {
  EXPECT_THROW(decode_image_rgb(""), DataError);
  EXPECT_THROW(decode_image_rgb("definitely not an image"), DataError);
  EXPECT_THROW(decode_image_rgb(std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF garbage", 20)), DataError);
  EXPECT_THROW(decode_image_rgb(std::string("\x89PNG\r\n\x1A\n\x00\x00", 10)), DataError);
}

TEST(ImageIo, ReleaseQuirksDecodeByContent) {
  const auto dir = test::quirks_dir() / "images";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "quirk files not found at " << dir;
  const std::string gif = io::read_file(dir / "Abyssinian_34.jpg");
  EXPECT_EQ(sniff_format(gif), ImageFormat::Gif);
  cv::Mat a = decode_image_rgb(gif);
  EXPECT_EQ(a.cols, 250);
  EXPECT_EQ(a.rows, 202);
  EXPECT_GT(cv::mean(a)[0], 5.0);  // a real picture, not an empty canvas
  const std::string png = io::read_file(dir / "Abyssinian_5.jpg");
  EXPECT_EQ(sniff_format(png), ImageFormat::Png);
  cv::Mat b = decode_image_rgb(png);
  EXPECT_EQ(b.type(), CV_8UC3);
  EXPECT_EQ(b.cols, 200);
  EXPECT_EQ(b.rows, 150);
}

TEST(ImageIo, MaskDecodingKeepsRawValues) {
  cv::Mat m(5, 7, CV_8UC1);
  for (int i = 0; i < 35; ++i) m.data[i] = static_cast<uchar>(i % 4 == 3 ? 255 : i % 4);
  cv::Mat back = decode_mask(encode_png(m));
  ASSERT_EQ(back.type(), CV_8UC1);
  EXPECT_EQ(cv::countNonZero(back != m), 0);
}

TEST(ImageIo, MaskRejectsJpegColourAndTruncation) {
  cv::Mat colour(8, 8, CV_8UC3, cv::Scalar(1, 2, 3));
  EXPECT_THROW(decode_mask(encode_png(colour)), DataError);
  cv::Mat grey3(8, 8, CV_8UC3, cv::Scalar(2, 2, 2));
  EXPECT_EQ(decode_mask(encode_png(grey3)).at<uchar>(3, 3), 2);  // grey in disguise is fine
  EXPECT_THROW(decode_mask(encode_jpeg(grey3)), DataError);
  std::string png = encode_png(cv::Mat(50, 50, CV_8UC1, cv::Scalar(1)));
  EXPECT_THROW(decode_mask(png.substr(0, png.size() - 20)), DataError);
}

namespace {
// An indexed ("P" mode) PNG, as SageMaker recommends for annotations, written with libpng.
std::string write_palette_png(const cv::Mat& indices, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(indices.cols), static_cast<png_uint_32>(indices.rows), 8,
               PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_color palette[256];
  for (int i = 0; i < 256; ++i) palette[i] = {static_cast<png_byte>(255 - i), static_cast<png_byte>(i * 7), 9};
  png_set_PLTE(png, info, palette, 256);
  png_write_info(png, info);
  for (int y = 0; y < indices.rows; ++y) png_write_row(png, const_cast<png_bytep>(indices.ptr<png_byte>(y)));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
  return io::read_file(path);
}
}  // namespace

TEST(ImageIo, IndexedPngMaskGivesPaletteIndicesNotColours) {
  test::TempDir tmp;
  cv::Mat idx(6, 9, CV_8UC1);
  for (int i = 0; i < 54; ++i) idx.data[i] = static_cast<uchar>(i % 5 == 4 ? 255 : i % 5);
  cv::Mat back = decode_mask(write_palette_png(idx, (tmp / "p.png").string()));
  ASSERT_EQ(back.type(), CV_8UC1);
  EXPECT_EQ(cv::countNonZero(back != idx), 0);
}
