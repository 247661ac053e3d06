#include "sagemaker/container_layout.h"

#include <algorithm>
#include <fstream>

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::sagemaker {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

json read_json(const fs::path& path) {
  try {
    return json::parse(io::read_file(path));
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 4e2000000000
    throw UserError("'" + path.string() + "' is not valid JSON: " + e.what());
  }
}

}  // namespace

SageMakerJob read_sagemaker_job(const SageMakerLayout& layout) {
  SageMakerJob job;
  const fs::path hp = layout.config_dir() / "hyperparameters.json";
  if (!fs::exists(hp)) throw UserError("SageMaker mode: '" + hp.string() + "' is missing");
  job.hyperparameters = read_json(hp);
  if (!job.hyperparameters.is_object()) throw UserError("'" + hp.string() + "' must hold a JSON object");

  const fs::path idc = layout.config_dir() / "inputdataconfig.json";
  if (fs::exists(idc)) {
    json config = read_json(idc);
    if (!config.is_object()) throw UserError("'" + idc.string() + "' must hold a JSON object of channels");
    for (const auto& [name, channel] : config.items()) {
      job.channels.push_back(name);
      const std::string mode = channel.is_object() ? channel.value("TrainingInputMode", "File") : "File";
      const std::string type = channel.is_object() ? channel.value("S3DataType", "S3Prefix") : "S3Prefix";
      if (mode != "File" && mode != "Pipe")
        throw UserError("channel '" + name + "' uses TrainingInputMode " + mode + "; the algorithm reads File and Pipe mode");
      if (mode == "Pipe") job.pipes[name] = type;
      if (channel.is_object() && channel.value("S3DistributionType", "") == "ShardedByS3Key") job.sharded.insert(name);
      // An augmented manifest's lines give the annotations: staged as <name>_annotation, or in its pipe.
      if (type == "AugmentedManifestFile") job.channels.push_back(name + "_annotation");
    }
  } else {
    for (const auto& entry : fs::directory_iterator(layout.data_dir()))
      if (entry.is_directory()) job.channels.push_back(entry.path().filename().string());
  }
  for (const char* required : {"train", "validation", "train_annotation", "validation_annotation"}) {
    if (std::find(job.channels.begin(), job.channels.end(), required) == job.channels.end())
      throw UserError(std::string("SageMaker mode: channel '") + required +
                      "' is required (train, validation, train_annotation, validation_annotation)");
    const std::string image_channel = std::string(required).substr(0, std::string(required).find("_annotation"));
    if (job.pipes.count(image_channel)) {
      const bool own_pipe = job.pipes.at(image_channel) == "AugmentedManifestFile" || job.pipes.count(required);
      if (!own_pipe)
        throw UserError("SageMaker mode: channel '" + image_channel + "' is in Pipe mode, so '" + std::string(required) +
                        "' must be too (their pipes are read side by side)");
      continue;
    }
    if (job.pipes.count(required))
      throw UserError("SageMaker mode: channel '" + std::string(required) + "' is in Pipe mode but '" + image_channel + "' is not");
    if (!fs::is_directory(layout.data_dir() / required))
      throw UserError("SageMaker mode: channel folder '" + (layout.data_dir() / required).string() + "' is missing");
  }

  const fs::path rc = layout.config_dir() / "resourceconfig.json";
  if (fs::exists(rc)) {
    json config = read_json(rc);
    job.current_host = config.value("current_host", job.current_host);
    if (config.contains("hosts")) job.hosts = config.at("hosts").get<std::vector<std::string>>();
  }

  if (job.hosts.size() < 2) job.sharded.clear();  // one host's share is everything
  const fs::path model_channel = layout.data_dir() / "model";
  if (fs::is_directory(model_channel)) {
    for (const auto& f : io::list_files(model_channel)) {
      if (f.filename().string().size() > 7 && f.string().substr(f.string().size() - 7) == ".tar.gz") {
        if (!job.previous_model.empty())
          throw UserError("SageMaker mode: the model channel holds more than one .tar.gz; give exactly one");
        job.previous_model = f;
      }
    }
    if (job.previous_model.empty())
      throw UserError("SageMaker mode: the model channel '" + model_channel.string() + "' holds no .tar.gz");
  }
  return job;
}

void write_failure(const SageMakerLayout& layout, const std::string& reason) {
  try {
    fs::create_directories(layout.failure_file().parent_path());
    std::ofstream out(layout.failure_file(), std::ios::binary | std::ios::trunc);
    out << reason.substr(0, 1024);
  } catch (...) {
  }
}

}  // namespace segmaker::sagemaker
