#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aialgs_data.pb.h"
#include "data/image_io.h"
#include "io/error.h"
#include "serve/codecs.h"
#include "sagemaker/recordio.h"
#include "serve/recordio_checker.h"
#include "support/test_util.h"

namespace segmaker::serve {
namespace {

// A 3-class prediction of size 5x7 whose probabilities peak at the mask's class.
inference::Prediction sample_prediction(bool with_probabilities) {
  inference::Prediction p;
  p.num_classes = 3;
  p.mask = cv::Mat(5, 7, CV_8UC1);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 7; ++x) p.mask.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>((x + 2 * y) % 3);
  if (with_probabilities) {
    p.probabilities.assign(3 * 5 * 7, 0.1f);
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 7; ++x) p.probabilities[(p.mask.at<std::uint8_t>(y, x) * 5 + y) * 7 + x] = 0.8f;
  }
  return p;
}

void write(const test::fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(Codecs, MaskPngKeepsSizeAndIds) {
  const auto p = sample_prediction(false);
  const std::string png = encode_mask_png(p.mask);
  EXPECT_EQ(data::sniff_format(png), data::ImageFormat::Png);
  const cv::Mat back = data::decode_mask(png);
  ASSERT_EQ(back.type(), CV_8UC1);
  EXPECT_EQ(cv::countNonZero(back != p.mask), 0);
  EXPECT_THROW(encode_mask_png(cv::Mat(2, 2, CV_8UC3, cv::Scalar(0))), DataError);
}

TEST(Codecs, RecordIOProtobufHoldsTargetAndShape) {
  const auto p = sample_prediction(true);
  const std::string bytes = encode_answer(sagemaker::AnswerFormat::RecordIOProtobuf, p, {});
  const auto records = sagemaker::read_recordio(bytes);
  ASSERT_EQ(records.size(), 1u);
  aialgs::data::Record record;
  ASSERT_TRUE(record.ParseFromString(records[0]));
  const auto& shape = record.features().at("shape").int32_tensor();
  ASSERT_EQ(shape.values_size(), 4);
  EXPECT_EQ(std::vector<int>(shape.values().begin(), shape.values().end()), (std::vector<int>{1, 3, 5, 7}));
  const auto& target = record.features().at("target").float32_tensor();
  EXPECT_EQ(std::vector<std::uint64_t>(target.shape().begin(), target.shape().end()),
            (std::vector<std::uint64_t>{1, 3, 5, 7}));
  ASSERT_EQ(target.values_size(), 3 * 5 * 7);
  for (int i = 0; i < target.values_size(); ++i) EXPECT_EQ(target.values(i), p.probabilities[i]);
}

TEST(Codecs, RecordIONeedsMatchingProbabilities) {
  const auto p = sample_prediction(false);
  EXPECT_THROW(encode_answer(sagemaker::AnswerFormat::RecordIOProtobuf, p, {}), DataError);
  EXPECT_THROW(encode_probabilities_recordio(std::vector<float>(10), 3, 5, 7), DataError);
}

TEST(Codecs, JsonAnswerCountsAndMask) {
  const auto p = sample_prediction(false);
  const auto j = encode_json_answer(p, {"background", "cat"});
  EXPECT_EQ(j["classes"], (nlohmann::json{"background", "cat", "class_2"}));
  EXPECT_EQ(j["shape"], (nlohmann::json{1, 3, 5, 7}));
  EXPECT_EQ(j["height"], 5);
  EXPECT_EQ(j["width"], 7);
  std::int64_t total = 0;
  double share_total = 0;
  for (int id = 0; id < 3; ++id) {
    const auto& entry = j["pixels"][id];
    EXPECT_EQ(entry["id"], id);
    EXPECT_EQ(entry["count"].get<std::int64_t>(), cv::countNonZero(p.mask == id));
    total += entry["count"].get<std::int64_t>();
    share_total += entry["share"].get<double>();
  }
  EXPECT_EQ(total, 35);
  EXPECT_NEAR(share_total, 1.0, 1e-9);
  EXPECT_EQ(j["mask"]["encoding"], "base64");
  EXPECT_EQ(j["mask"]["data"], base64_encode(encode_mask_png(p.mask)));
}

TEST(Codecs, PixelCountsPutUnknownIdsInAnExtraSlot) {
  cv::Mat mask(2, 2, CV_8UC1, cv::Scalar(1));
  mask.at<std::uint8_t>(0, 0) = 9;
  EXPECT_EQ(class_pixel_counts(mask, 2), (std::vector<std::int64_t>{0, 3, 1}));
  EXPECT_EQ(class_pixel_counts(cv::Mat(2, 2, CV_8UC1, cv::Scalar(0)), 2), (std::vector<std::int64_t>{4, 0}));
}

TEST(Codecs, Base64KnownVectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\x00\x10", 3)), "/wAQ");
}

TEST(Codecs, ErrorBody) {
  const auto j = nlohmann::json::parse(error_body(415, "unsupported \"type\""));
  EXPECT_EQ(j["error"]["code"], 415);
  EXPECT_EQ(j["error"]["message"], "unsupported \"type\"");
}

// Python's protobuf (Debian's python3-protobuf) reads the answer independently of our C++ code.
TEST(Codecs, PythonReaderAgrees) {
  if (std::system("/usr/bin/python3 -c 'import google.protobuf, numpy, PIL' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with protobuf, numpy and PIL not available (apt-get install python3-protobuf)";
  test::TempDir tmp;
  const auto p = sample_prediction(true);
  write(tmp / "answer.out", encode_answer(sagemaker::AnswerFormat::RecordIOProtobuf, p, {}));
  write(tmp / "mask.png", encode_answer(sagemaker::AnswerFormat::Png, p, {}));
  const auto [rc, output] = test::check_recordio_answer(tmp / "answer.out", tmp / "mask.png", tmp / "log.txt");
  EXPECT_EQ(rc, 0) << output;
  EXPECT_NE(output.find("\"shape\": [1, 3, 5, 7]"), std::string::npos) << output;
}

}  // namespace
}  // namespace segmaker::serve
