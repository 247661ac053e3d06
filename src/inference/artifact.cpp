// The model artifact's reader and writer (format: docs/artifact.md).
#include "inference/artifact.h"

#include <map>

#include "io/archive.h"
#include "io/error.h"
#include "io/paths.h"

namespace segmaker::inference {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kManifest = "model.json";
constexpr const char* kWeights = "weights.pt";
constexpr const char* kHyperparameters = "hyperparameters.json";
constexpr const char* kMetrics = "metrics.json";
constexpr const char* kCalibration = "calibration.json";  // optional (segmaker quantize)

void check(const ModelArtifact& a) {
  models::validate(a.spec);
  if (static_cast<int>(a.classes.size()) != a.spec.num_classes)
    throw UserError("model artifact: " + std::to_string(a.classes.size()) + " class names for " +
                    std::to_string(a.spec.num_classes) + " classes");
  if (a.weights.empty()) throw UserError("model artifact: no weights");
}

std::vector<io::ArchiveEntry> entries_of(const ModelArtifact& a) {
  check(a);
  json spec = models::to_json(a.spec);
  spec["input_size"] = a.spec.input_size;  // always explicit in an artifact (0 = each image at its own size)
  json manifest = {{"format", "segmaker-model"},
                   {"format_version", a.format_version},
                   {"model_spec", spec},
                   {"classes", a.classes}};
  std::vector<io::ArchiveEntry> entries{{kManifest, manifest.dump(2) + "\n"},
                                        {kHyperparameters, a.hyperparameters.dump(2) + "\n"},
                                        {kMetrics, a.metrics.dump(2) + "\n"},
                                        {kWeights, a.weights}};
  if (!a.calibration.is_null()) entries.push_back({kCalibration, a.calibration.dump(2) + "\n"});
  return entries;
}

// Artifacts written before model_spec.input_size existed: the network's short side is the job's
// crop_size hyperparameter (a number or SageMaker's string form); 0 (each image at its own size) when
// the job did not record one.
int input_size_from_hyperparameters(const json& hyperparameters, const std::string& what) {
  if (!hyperparameters.is_object() || !hyperparameters.contains("crop_size")) return 0;
  const json& v = hyperparameters["crop_size"];
  try {
    if (v.is_number_integer()) return v.get<int>();
    if (v.is_number()) return static_cast<int>(v.get<double>());
    if (v.is_string()) return std::stoi(v.get<std::string>());
  } catch (const std::exception&) {
  }
  throw DataError(what + ": hyperparameter crop_size is not a number: " + v.dump());
}

json parse(const std::map<std::string, std::string>& files, const char* name, const std::string& what) {
  try {
    return json::parse(files.at(name));
  } catch (const json::exception& e) {
    throw DataError(what + ": " + name + " is not valid JSON: " + e.what());
  }
}

ModelArtifact from_files(std::map<std::string, std::string> files, const std::string& what) {
  for (const char* name : {kManifest, kWeights, kHyperparameters, kMetrics})
    if (!files.count(name))
      throw DataError(what + " lacks " + name + "; it is not a segmaker model (expected model.json, weights.pt, "
                      "hyperparameters.json, metrics.json)");
  json manifest = parse(files, kManifest, what);
  ModelArtifact a;
  if (!manifest.is_object() || manifest.value("format", "") != "segmaker-model")
    throw DataError(what + ": model.json does not describe a segmaker model");
  try {
    a.format_version = manifest.at("format_version").get<int>();
    if (a.format_version < 1 || a.format_version > kArtifactFormatVersion)
      throw DataError(what + " has format version " + std::to_string(a.format_version) + "; this segmaker reads versions 1.." +
                      std::to_string(kArtifactFormatVersion) + " (upgrade segmaker)");
    a.classes = manifest.at("classes").get<std::vector<std::string>>();
    a.spec = models::model_spec_from_json(manifest.at("model_spec"));
  } catch (const json::exception& e) {
    throw DataError(what + ": malformed model.json: " + e.what());
  } catch (const UserError& e) {
    throw DataError(what + ": malformed model.json: " + e.what());
  }
  a.hyperparameters = parse(files, kHyperparameters, what);
  a.metrics = parse(files, kMetrics, what);
  if (!manifest.at("model_spec").contains("input_size"))
    a.spec.input_size = input_size_from_hyperparameters(a.hyperparameters, what);
  a.weights = std::move(files[kWeights]);
  if (files.count(kCalibration)) a.calibration = parse(files, kCalibration, what);
  try {
    check(a);
  } catch (const UserError& e) {
    throw DataError(what + ": " + e.what());
  }
  return a;
}

}  // namespace

void write_artifact(const fs::path& tar_gz, const ModelArtifact& artifact) {
  io::write_tar_gz(tar_gz, entries_of(artifact));
}

void write_artifact_dir(const fs::path& dir, const ModelArtifact& artifact) {
  for (const auto& e : entries_of(artifact)) io::write_file_atomic(dir / e.name, e.data);
}

ModelArtifact read_artifact(const fs::path& path) {
  if (fs::is_directory(path)) {
    std::map<std::string, std::string> files;
    for (const char* name : {kManifest, kWeights, kHyperparameters, kMetrics, kCalibration}) {
      fs::path p = path / name;
      if (fs::is_symlink(p)) throw DataError("model folder '" + path.string() + "': " + name + " is a link; refusing it");
      if (fs::is_regular_file(p)) files[name] = io::read_file(p);
    }
    return from_files(std::move(files), "model folder '" + path.string() + "'");
  }
  if (!fs::exists(path)) throw UserError("model '" + path.string() + "' does not exist");
  std::map<std::string, std::string> files;
  for (auto& e : io::read_archive(path)) files[e.name] = std::move(e.data);
  return from_files(std::move(files), "model archive '" + path.string() + "'");
}

}  // namespace segmaker::inference
