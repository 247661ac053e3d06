#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

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
