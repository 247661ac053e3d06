#include "serve/codecs.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "aialgs_data.pb.h"
#include "data/classes.h"
#include "data/image_io.h"
#include "io/error.h"
#include "sagemaker/recordio.h"

namespace segmaker::serve {

std::string encode_mask_png(const cv::Mat& mask) {
  if (mask.empty() || mask.type() != CV_8UC1)
    throw DataError("a class-id mask must be a non-empty 8-bit single-channel image");
  return data::encode_png(mask);
}

namespace {

void check_probability_shape(const std::vector<float>& probabilities, int num_classes, int height, int width) {
  const std::size_t expected =
      static_cast<std::size_t>(num_classes) * static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  if (num_classes <= 0 || height <= 0 || width <= 0 || probabilities.size() != expected)
    throw DataError("probabilities: " + std::to_string(probabilities.size()) + " values for shape [1, " +
                    std::to_string(num_classes) + ", " + std::to_string(height) + ", " + std::to_string(width) +
                    "] (expected " + std::to_string(expected) + "); was the prediction made without probabilities?");
}

// The record with everything but the values, which the caller adds.
aialgs::data::Record probability_record(int num_classes, int height, int width) {
  const std::vector<int> shape{1, num_classes, height, width};
  aialgs::data::Record record;
  auto& features = *record.mutable_features();
  auto* target = features["target"].mutable_float32_tensor();
  for (int d : shape) target->add_shape(static_cast<std::uint64_t>(d));
  auto* shape_tensor = features["shape"].mutable_int32_tensor();
  for (int d : shape) shape_tensor->add_values(d);
  shape_tensor->add_shape(static_cast<std::uint64_t>(shape.size()));
  return record;
}

// Serialises `record` straight into one framed RecordIO record.
std::string frame_record(const aialgs::data::Record& record) {
  const std::size_t size = record.ByteSizeLong();
  std::string out;
  sagemaker::reserve_recordio(out, size);
  const std::size_t at = out.size();
  out.resize(at + size);
  if (!record.SerializeToArray(&out[at], static_cast<int>(size)))
    throw DataError("could not serialise the RecordIO-protobuf answer");
  sagemaker::finish_recordio(out, at, size);
  return out;
}

}  // namespace

std::string encode_probabilities_recordio(const std::vector<float>& probabilities, int num_classes, int height,
                                          int width) {
  check_probability_shape(probabilities, num_classes, height, width);
  auto record = probability_record(num_classes, height, width);
  auto* values = (*record.mutable_features())["target"].mutable_float32_tensor()->mutable_values();
  values->Add(probabilities.begin(), probabilities.end());
  return frame_record(record);
}

std::string encode_probabilities_recordio(std::vector<float>&& probabilities, int num_classes, int height, int width) {
  check_probability_shape(probabilities, num_classes, height, width);
  auto record = probability_record(num_classes, height, width);
  auto* values = (*record.mutable_features())["target"].mutable_float32_tensor()->mutable_values();
  values->Add(probabilities.begin(), probabilities.end());
  std::vector<float>().swap(probabilities);  // freed before the answer is allocated
  return frame_record(record);
}

std::vector<std::int64_t> class_pixel_counts(const cv::Mat& mask, int num_classes) {
  if (mask.type() != CV_8UC1) throw DataError("a class-id mask must be 8-bit single-channel");
  std::vector<std::int64_t> histogram(256, 0);
  for (int y = 0; y < mask.rows; ++y) {
    const auto* row = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < mask.cols; ++x) ++histogram[row[x]];
  }
  std::vector<std::int64_t> counts(static_cast<std::size_t>(std::max(num_classes, 0)), 0);
  for (int id = 0; id < 256; ++id) {
    if (histogram[id] == 0) continue;
    if (id < num_classes) {
      counts[id] += histogram[id];
    } else {
      if (counts.size() == static_cast<std::size_t>(num_classes)) counts.push_back(0);
      counts.back() += histogram[id];
    }
  }
  return counts;
}

nlohmann::json encode_json_answer(const inference::Prediction& prediction, const std::vector<std::string>& classes) {
  const int c = prediction.num_classes;
  const auto counts = class_pixel_counts(prediction.mask, c);
  const double total = static_cast<double>(prediction.mask.total());
  nlohmann::json names = nlohmann::json::array();
  nlohmann::json pixels = nlohmann::json::array();
  for (int id = 0; id < c; ++id) {
    const std::string name = data::class_name(classes, id);
    names.push_back(name);
    pixels.push_back({{"id", id},
                      {"name", name},
                      {"count", counts[id]},
                      {"share", total > 0 ? static_cast<double>(counts[id]) / total : 0.0}});
  }
  return {{"classes", names},
          {"shape", {1, c, prediction.height(), prediction.width()}},
          {"height", prediction.height()},
          {"width", prediction.width()},
          {"pixels", pixels},
          {"mask",
           {{"content_type", "image/png"}, {"encoding", "base64"}, {"data", base64_encode(encode_mask_png(prediction.mask))}}}};
}

std::string encode_answer(sagemaker::AnswerFormat format, const inference::Prediction& prediction,
                          const std::vector<std::string>& classes) {
  switch (format) {
    case sagemaker::AnswerFormat::Png:
      return encode_mask_png(prediction.mask);
    case sagemaker::AnswerFormat::RecordIOProtobuf:
      return encode_probabilities_recordio(prediction.probabilities, prediction.num_classes, prediction.height(),
                                           prediction.width());
    case sagemaker::AnswerFormat::Json:
      return safe_dump(encode_json_answer(prediction, classes));
  }
  throw DataError("unknown answer format");
}

std::string encode_answer(sagemaker::AnswerFormat format, inference::Prediction&& prediction, const std::vector<std::string>& classes) {
  if (format != sagemaker::AnswerFormat::RecordIOProtobuf) return encode_answer(format, static_cast<const inference::Prediction&>(prediction), classes);
  return encode_probabilities_recordio(std::move(prediction.probabilities), prediction.num_classes, prediction.height(),
                                       prediction.width());
}

std::string base64_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  if (bytes.empty()) return out;
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string safe_dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string error_body(int status, const std::string& message) {
  return safe_dump(nlohmann::json{{"error", {{"code", status}, {"message", message}}}});
}

std::string quote_client_value(const std::string& value, std::size_t max_bytes) {
  std::string out = value.substr(0, max_bytes);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  if (value.size() > max_bytes) out += "…";
  return out;
}

}  // namespace segmaker::serve
