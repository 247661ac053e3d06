#include "models/model_spec.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "io/error.h"

namespace segmaker::models {

namespace {

template <typename T>
std::string join(const std::vector<T>& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ", ";
    if constexpr (std::is_same_v<T, std::string>)
      out += v;
    else
      out += std::to_string(v);
  }
  return out;
}

template <typename T>
bool contains(const std::vector<T>& values, const T& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

}  // namespace

bool ModelSpec::operator==(const ModelSpec& o) const {
  return algorithm == o.algorithm && backbone == o.backbone && num_classes == o.num_classes &&
         output_stride == o.output_stride && aux == o.aux && stride_in_1x1 == o.stride_in_1x1 &&
         preprocessing == o.preprocessing && input_size == o.input_size;
}

const std::vector<std::string>& supported_algorithms() {
  static const std::vector<std::string> v{"fcn", "psp", "deeplab"};
  return v;
}

const std::vector<std::string>& supported_backbones() {
  static const std::vector<std::string> v{"resnet-18", "resnet-34", "resnet-50", "resnet-101"};
  return v;
}

const std::vector<int>& supported_output_strides() {
  static const std::vector<int> v{8, 16, 32};
  return v;
}

void validate(const ModelSpec& s) {
  if (!contains(supported_algorithms(), s.algorithm))
    throw UserError("algorithm must be one of " + join(supported_algorithms()) + ", got \"" + s.algorithm + "\"");
  if (!contains(supported_backbones(), s.backbone))
    throw UserError("backbone must be one of " + join(supported_backbones()) + ", got \"" + s.backbone + "\"");
  if (s.num_classes < 1)
    throw UserError("num_classes must be at least 1, got " + std::to_string(s.num_classes));
  if (!contains(supported_output_strides(), s.output_stride))
    throw UserError("output_stride must be one of " + join(supported_output_strides()) + ", got " +
                    std::to_string(s.output_stride));
  if (s.input_size < 0) throw UserError("input_size must be 0 (each image at its own size) or positive, got " +
                                        std::to_string(s.input_size));
}

nlohmann::json to_json(const ModelSpec& s) {
  nlohmann::json j = {{"algorithm", s.algorithm},
                      {"backbone", s.backbone},
                      {"num_classes", s.num_classes},
                      {"output_stride", s.output_stride},
                      {"aux", s.aux},
                      {"stride_in_1x1", s.stride_in_1x1},
                      {"preprocessing", data::to_json(s.preprocessing)}};
  if (s.input_size > 0) j["input_size"] = s.input_size;
  return j;
}

ModelSpec model_spec_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw UserError("model spec must be a JSON object, got: " + j.dump());
  ModelSpec s;
  try {
    s.algorithm = j.at("algorithm").get<std::string>();
    s.backbone = j.at("backbone").get<std::string>();
    s.num_classes = j.at("num_classes").get<int>();
    s.output_stride = j.value("output_stride", s.output_stride);
    s.aux = j.value("aux", s.aux);
    s.stride_in_1x1 = j.value("stride_in_1x1", s.stride_in_1x1);
    s.input_size = j.value("input_size", s.input_size);
  } catch (const nlohmann::json::exception& e) {
    throw UserError(std::string("malformed model spec (") + e.what() + "): " + j.dump());
  }
  if (j.contains("preprocessing")) s.preprocessing = data::preprocessing_from_json(j.at("preprocessing"));
  validate(s);
  return s;
}

std::string describe(const ModelSpec& s) {
  return s.algorithm + "-" + s.backbone + "-os" + std::to_string(s.output_stride);
}

}  // namespace segmaker::models
