#include "models/weights.h"

#include <torch/torch.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "io/archive.h"
#include "io/durable_file.h"
#include "io/error.h"
#include "io/paths.h"

namespace segmaker::models {

namespace {

constexpr const char* kFormat = "segmaker-weights";
constexpr int64_t kVersion = 1;
// LibTorch's pickle_save writes PyTorch's zip container: a zip local file header comes first. Any
// other start is refused before the bytes are copied or parsed (a gigabyte of zeros costs nothing).
const std::string kZipMagic("PK\x03\x04", 4);
constexpr std::uintmax_t kMaxWeightFileBytes = std::uintmax_t(2) << 30;

std::string shape_string(at::IntArrayRef sizes) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < sizes.size(); ++i) s << (i ? "," : "") << sizes[i];
  s << ']';
  return s.str();
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

nlohmann::json metadata_to_json(const WeightMetadata& m) {
  return {{"source", m.source},
          {"architecture", m.architecture},
          {"stride_in_1x1", m.stride_in_1x1},
          {"preprocessing", data::to_json(m.preprocessing)},
          {"class_names", m.class_names}};
}

WeightMetadata metadata_from_json(const nlohmann::json& j) {
  WeightMetadata m;
  m.source = j.value("source", "");
  m.architecture = j.value("architecture", "");
  m.stride_in_1x1 = j.value("stride_in_1x1", false);
  m.class_names = j.value("class_names", std::vector<std::string>{});
  if (j.contains("preprocessing")) m.preprocessing = data::preprocessing_from_json(j.at("preprocessing"));
  return m;
}

// PyTorch stores the records of its zip uncompressed, and LibTorch allocates a record's declared
// size before reading it: a record that declares more bytes than the whole file is a lie (a 1.8 KB
// file declaring 22 GB was found by fuzz_weights_file), refused before LibTorch sees it.
void check_zip_sizes(const std::string& bytes, const std::string& what, const std::string& expected) {
  std::vector<io::ZipEntryInfo> entries;
  try {
    entries = io::list_zip_bytes(bytes, what);
  } catch (const DataError& e) {
    throw UserError(std::string(e.what()) + expected);
  }
  for (const auto& e : entries)
    if (e.size < 0 || static_cast<std::uint64_t>(e.size) > bytes.size())
      throw UserError(what + " is corrupt: its record '" + e.name + "' declares " + std::to_string(e.size) +
                      " bytes, more than the file holds" + expected);
}

// The module's entries in state_dict order (each module: its parameters, then its buffers).
std::vector<std::pair<std::string, at::Tensor>> module_entries(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& item : module.named_modules("", /*include_self=*/true)) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) out.emplace_back(prefix + p.key(), p.value());
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false)) out.emplace_back(prefix + b.key(), b.value());
  }
  return out;
}

}  // namespace

bool WeightMetadata::operator==(const WeightMetadata& o) const {
  return source == o.source && architecture == o.architecture && stride_in_1x1 == o.stride_in_1x1 &&
         preprocessing == o.preprocessing && class_names == o.class_names;
}

at::Tensor WeightFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  return {};
}

int64_t WeightFile::numel() const {
  int64_t n = 0;
  for (const auto& entry : tensors) n += entry.second.numel();
  return n;
}

std::string weights_to_bytes(const WeightFile& weights) {
  c10::List<std::string> names;
  c10::List<at::Tensor> tensors;
  for (const auto& [name, tensor] : weights.tensors) {
    TORCH_CHECK(tensor.defined(), "weights_to_bytes: tensor '", name, "' is undefined");
    names.push_back(name);
    tensors.push_back(tensor.detach().to(torch::kCPU).contiguous());
  }
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string(kFormat));
  root.insert("version", kVersion);
  root.insert("metadata", metadata_to_json(weights.metadata).dump());
  root.insert("names", names);
  root.insert("tensors", tensors);
  std::vector<char> bytes = torch::pickle_save(c10::IValue(root));
  return std::string(bytes.begin(), bytes.end());
}

WeightFile weights_from_bytes(const std::string& bytes, const std::string& what) {
  const std::string expected = " (expected a segmaker weight file, as written by `segmaker weights import`)";
  if (bytes.compare(0, kZipMagic.size(), kZipMagic) != 0)
    throw UserError(what + " cannot be read: it does not start like a PyTorch zip file" + expected);
  check_zip_sizes(bytes, what, expected);
  c10::IValue root;
  try {
    root = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    std::string reason = e.what();
    reason = reason.substr(0, reason.find('\n'));
    throw UserError(what + " cannot be read: " + reason + expected);
  }
  try {
    if (!root.isGenericDict()) throw UserError(what + " is not a segmaker weight file" + expected);
    auto dict = root.toGenericDict();
    if (!dict.contains("format") || !dict.at("format").isString() || dict.at("format").toStringRef() != kFormat)
      throw UserError(what + " is not a segmaker weight file" + expected);
    if (!dict.contains("version") || !dict.at("version").isInt() || dict.at("version").toInt() > kVersion)
      throw UserError(what + " has an unsupported format version (this segmaker reads version " +
                      std::to_string(kVersion) + ")");
    WeightFile out;
    out.metadata = metadata_from_json(nlohmann::json::parse(dict.at("metadata").toStringRef()));
    auto names = dict.at("names").toList();
    auto tensors = dict.at("tensors").toList();
    if (names.size() != tensors.size())
      throw UserError(what + " is corrupt: " + std::to_string(names.size()) + " names but " +
                      std::to_string(tensors.size()) + " tensors");
    std::set<std::string> seen;
    for (size_t i = 0; i < names.size(); ++i) {
      std::string name = names.get(i).toStringRef();
      if (!seen.insert(name).second) throw UserError(what + " is corrupt: tensor '" + name + "' appears twice");
      out.tensors.emplace_back(std::move(name), tensors.get(i).toTensor());
    }
    return out;
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    std::string reason = e.what();
    throw UserError(what + " is malformed: " + reason.substr(0, reason.find('\n')) + expected);
  }
}

void save_weight_file(const std::filesystem::path& path, const WeightFile& weights) {
  io::write_file_durable(path, weights_to_bytes(weights));
}

WeightFile load_weight_file(const std::filesystem::path& path) {
  const std::string what = "weight file '" + path.string() + "'";
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxWeightFileBytes)
    throw UserError(what + " is " + std::to_string(size) + " bytes, over the limit of " +
                    std::to_string(kMaxWeightFileBytes) + "; refused before reading it");
  {
    std::ifstream in(path, std::ios::binary);
    std::string head(kZipMagic.size(), '\0');
    if (in && in.read(&head[0], static_cast<std::streamsize>(head.size())) && head != kZipMagic)
      throw UserError(what + " cannot be read: it does not start like a PyTorch zip file; refused before reading it");
  }
  return weights_from_bytes(io::read_file(path), what);
}

WeightFile weights_of(const torch::nn::Module& module, WeightMetadata metadata) {
  WeightFile out;
  out.metadata = std::move(metadata);
  for (auto& [name, tensor] : module_entries(module))
    out.tensors.emplace_back(name, tensor.detach().to(torch::kCPU).clone());
  return out;
}

std::string weights_to_bytes(const torch::nn::Module& module, const WeightMetadata& metadata) {
  return weights_to_bytes(weights_of(module, metadata));
}

LoadReport load_weights(torch::nn::Module& module, const WeightFile& weights, const LoadOptions& options) {
  std::map<std::string, at::Tensor> targets;
  std::vector<std::string> target_order;
  for (auto& [name, tensor] : module_entries(module)) {
    if (!starts_with(name, options.module_prefix)) continue;
    targets.emplace(name, tensor);
    target_order.push_back(name);
  }

  LoadReport report;
  std::vector<std::string> problems;
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;  // (destination, source)
  std::set<std::string> matched;
  for (const auto& [file_name, source] : weights.tensors) {
    bool skipped = false;
    for (const auto& p : options.skip_file_prefixes) skipped = skipped || starts_with(file_name, p);
    if (skipped) continue;
    const std::string name = options.module_prefix + file_name;
    auto it = targets.find(name);
    if (it == targets.end()) {
      report.unexpected.push_back(file_name);
      if (!options.allow_unexpected) problems.push_back("  not in the model: " + file_name + " " + shape_string(source.sizes()));
      continue;
    }
    matched.insert(name);
    if (!source.defined() || source.sizes() != it->second.sizes()) {
      problems.push_back("  shape mismatch: " + name + ": file " +
                         (source.defined() ? shape_string(source.sizes()) : std::string("undefined")) + ", model " +
                         shape_string(it->second.sizes()));
      continue;
    }
    copies.emplace_back(it->second, source);
    report.loaded.push_back(name);
  }
  for (const auto& name : target_order) {
    if (matched.count(name)) continue;
    report.missing.push_back(name);
    if (!options.allow_missing && !ends_with(name, "num_batches_tracked"))
      problems.push_back("  missing from the file: " + name + " " + shape_string(targets.at(name).sizes()));
  }
  if (!problems.empty()) {
    std::ostringstream msg;
    msg << options.what << " does not fit the model (" << problems.size() << " problem"
        << (problems.size() == 1 ? "" : "s") << "; file: " << weights.tensors.size() << " tensors"
        << (weights.metadata.architecture.empty() ? "" : ", architecture " + weights.metadata.architecture)
        << (options.module_prefix.empty() ? "" : "; loading under '" + options.module_prefix + "'") << "):";
    for (const auto& p : problems) msg << '\n' << p;
    throw UserError(msg.str());
  }
  torch::NoGradGuard no_grad;
  for (auto& [dst, src] : copies) dst.copy_(src.to(dst.device(), dst.scalar_type()));
  return report;
}

LoadReport load_weights_from_bytes(torch::nn::Module& module, const std::string& bytes, const LoadOptions& options) {
  return load_weights(module, weights_from_bytes(bytes, options.what), options);
}

std::string describe_weights(const WeightFile& weights, bool list_tensors) {
  std::ostringstream s;
  const auto& m = weights.metadata;
  s << "source:        " << (m.source.empty() ? "(unknown)" : m.source) << '\n'
    << "architecture:  " << (m.architecture.empty() ? "(unknown)" : m.architecture) << '\n'
    << "stride_in_1x1: " << (m.stride_in_1x1 ? "true" : "false") << '\n'
    << "preprocessing: " << data::to_json(m.preprocessing).dump() << '\n'
    << "class_names:   " << m.class_names.size() << '\n'
    << "tensors:       " << weights.tensors.size() << '\n'
    << "values:        " << weights.numel() << '\n';
  if (list_tensors)
    for (const auto& [name, tensor] : weights.tensors)
      s << "  " << name << ' ' << shape_string(tensor.sizes()) << ' ' << tensor.scalar_type() << '\n';
  return s.str();
}

}  // namespace segmaker::models
