// Image sizes from headers before decoding, the pixel limit, strict JPEG decoding, and the label
// map's stricter checks (issue 14's rows on data).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "data/image_header.h"
#include "data/image_io.h"
#include "data/label_map.h"
#include "io/error.h"
#include "io/paths.h"
#include "support/hostile_images.h"
#include "support/test_util.h"

namespace segmaker::data {
namespace {

namespace fs = std::filesystem;

std::string encoded(const cv::Mat& rgb, const char* ext) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<unsigned char> buf;
  EXPECT_TRUE(cv::imencode(ext, bgr, buf)) << ext;
  return {buf.begin(), buf.end()};
}

TEST(ImageHeader, EveryFormatsSizeComesFromItsHeader) {
  const cv::Mat image(37, 53, CV_8UC3, cv::Scalar(10, 20, 30));
  for (const char* ext : {".jpg", ".png", ".bmp", ".webp", ".tiff"}) {
    const auto h = read_image_header(encoded(image, ext));
    EXPECT_EQ(h.width, 53) << ext;
    EXPECT_EQ(h.height, 37) << ext;
  }
  const auto gif = read_image_header(test::gif_with_screen(300, 200));
  EXPECT_EQ(gif.format, ImageFormat::Gif);
  EXPECT_EQ(gif.width, 300);
  EXPECT_EQ(gif.height, 200);
  EXPECT_THROW(read_image_header("not an image at all"), DataError);
  EXPECT_THROW(read_image_header(std::string("\x89PNG\r\n\x1a\n", 8)), DataError);  // no IHDR
}

TEST(ImageHeader, DecompressionBombsAreRefusedBeforeDecoding) {
  const ImageLimits limits;  // 4096 x 4096
  const std::string bombs[] = {test::jpeg_declaring(20000, 20000), test::gif_with_screen(20000, 20000),
                               test::png_1bit_zeros(30000, 30000)};
  for (const auto& bomb : bombs) {
    EXPECT_LT(bomb.size(), 1024u * 1024) << "a bomb is small (the PNG: 0.5 MB that decode to 2.7 GB of RGB)";
    const std::string message = test::message_of<ImageTooLarge>([&] { decode_image_rgb(bomb, limits); });
    EXPECT_NE(message.find("exceeds the limit of 16777216 pixels (--max-pixels)"), std::string::npos) << message;
    EXPECT_NE(message.find("before decoding"), std::string::npos) << message;
    EXPECT_THROW(decode_mask(bomb, limits), DataError);  // the JPEG: refused as a mask anyway
  }
  // The limit is the caller's: a small image passes a small limit, a larger one does not.
  const std::string png = encode_png(cv::Mat(30, 40, CV_8UC3, cv::Scalar::all(7)));
  EXPECT_EQ(decode_image_rgb(png, ImageLimits{1200, "test"}).size(), cv::Size(40, 30));
  EXPECT_THROW(decode_image_rgb(png, ImageLimits{1199, "test"}), ImageTooLarge);
}

TEST(ImageHeader, AGifFrameLargerThanItsScreenCounts) {
  // Screen 10x10, first frame declared 5000x5000 (giflib would allocate the frame's raster).
  std::string gif = test::gif_with_screen(10, 10);
  gif[24] = static_cast<char>(5000 & 0xFF);  // image descriptor: width, height at bytes 24..27
  gif[25] = static_cast<char>(5000 >> 8);
  gif[26] = static_cast<char>(5000 & 0xFF);
  gif[27] = static_cast<char>(5000 >> 8);
  const auto h = read_image_header(gif);
  EXPECT_EQ(h.decode_pixels, 5000LL * 5000LL);
  EXPECT_THROW(decode_image_rgb(gif, ImageLimits{1000 * 1000, "test"}), ImageTooLarge);
}

TEST(ImageHeader, AFileLargerThanAnyImageWithinTheLimitIsNotRead) {
  test::TempDir tmp;
  const auto path = tmp / "huge.jpg";
  { std::ofstream(path) << "x"; }
  fs::resize_file(path, 64u << 20);  // sparse: 64 MB that take no disk
  const std::string message =
      test::message_of<ImageTooLarge>([&] { read_image_rgb(path.string(), ImageLimits{1000 * 1000, "--max-pixels"}); });
  EXPECT_NE(message.find("larger than any image"), std::string::npos) << message;
}

// Row: a JPEG whose data ends halfway was answered with half a mask of grey filler (only the
// "premature end of file" warning counted; with its end marker kept, libjpeg warns differently).
TEST(StrictJpeg, AnyCorruptDataWarningRejectsTheImage) {
  cv::Mat image(200, 200, CV_8UC3);
  cv::randu(image, 0, 255);
  const std::string jpeg = encode_jpeg(image, 90);
  const std::string damaged[] = {jpeg.substr(0, jpeg.size() / 2), test::jpeg_cut_in_half_with_eoi(jpeg)};
  for (const auto& bytes : damaged) {
    const std::string message = test::message_of<DataError>([&] { decode_image_rgb(bytes); });
    EXPECT_NE(message.find("corrupt JPEG"), std::string::npos) << message;
  }
  // Bytes flipped inside the entropy-coded data.
  std::string flipped = jpeg;
  for (std::size_t i = jpeg.size() / 3; i < jpeg.size() / 3 + 40; ++i) flipped[i] = static_cast<char>(flipped[i] ^ 0x5A);
  EXPECT_THROW(decode_image_rgb(flipped), DataError);
  EXPECT_EQ(decode_image_rgb(jpeg).size(), cv::Size(200, 200));
}

// The strict decoder must not refuse real photographs: every JPEG of the shared Pet sample decodes.
TEST(StrictJpeg, EveryRealPetJpegStillDecodes) {
  SEGMAKER_REQUIRE_PET_DATA();
  int decoded = 0;
  for (const auto& f : io::list_files(test::pet_dir() / "images", {".jpg"})) {
    const std::string bytes = io::read_file(f);
    if (sniff_format(bytes) != ImageFormat::Jpeg) continue;
    const auto h = read_image_header(bytes);
    const cv::Mat m = decode_image_rgb(bytes, ImageLimits{});
    ASSERT_EQ(m.size(), cv::Size(h.width, h.height)) << f;
    ++decoded;
  }
  EXPECT_GT(decoded, 500);
}

// Rows: {"map": {"0":1,"1":1,"2":1}} and {"map": {"0x1": 1}} were accepted (mIOU 0.0000 later).
TEST(LabelMapChecks, DuplicatePixelValuesAndNonDecimalIdsAreRefused) {
  const std::string dup = test::message_of<UserError>([] { LabelMap::from_json_text(R"({"map": {"0":1,"1":1,"2":1}})"); });
  EXPECT_NE(dup.find("both map to pixel value 1"), std::string::npos) << dup;
  for (const char* text : {R"({"map": {"0x1": 1}})", R"({"map": {"1e0": 1}})", R"({"map": {" 1": 1}})",
                           R"({"map": {"-1": 1}})", R"({"map": {"1": "0x2"}})", R"({"map": {"1": "2.0e0"}})"}) {
    const std::string e = test::message_of<UserError>([&] { LabelMap::from_json_text(text); });
    EXPECT_NE(e.find("decimal integer"), std::string::npos) << text << ": " << e;
  }
  // Found by fuzz_label_map: a number JSON cannot hold threw nlohmann's out_of_range, not UserError.
  for (const char* text : {"4e2000000000", R"({"scale": 1e999})", R"({"map": {"1": 4e2000000000}})"})
    EXPECT_THROW(LabelMap::from_json_text(text), UserError) << text;
  const auto ok = LabelMap::from_json_text(R"({"map": {"0": 5, "1": "0", "2": 2}})");
  EXPECT_EQ(ok.apply(5), 0);
  EXPECT_EQ(ok.apply(0), 1);
  EXPECT_EQ(ok.apply(2), 2);
  EXPECT_EQ(ok.apply(7), 255);
}

}  // namespace
}  // namespace segmaker::data
