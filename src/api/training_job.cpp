// CreateTrainingJob: validation and the job folder (see training_job.h).
#include "api/training_job.h"

#include <regex>
#include <set>

#include "api/api_error.h"
#include "api/instance_types.h"
#include "api/log_sources.h"
#include "api/names.h"
#include "api/validation.h"
#include "io/paths.h"
#include "sagemaker/container_layout.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// An AugmentedManifestFile channel names the image's and the annotation's attributes, both S3 references.
void validate_attribute_names(Validator& v, const json& s3, const std::string& s3_path) {
  const std::string path = s3_path + ".attributeNames";
  const json* names = v.array(s3, "AttributeNames", path, false, 1, 16);
  auto is_ref = [](const json& n) {
    return n.is_string() && n.get<std::string>().size() > 4 && n.get<std::string>().compare(n.get<std::string>().size() - 4, 4, "-ref") == 0;
  };
  if (!names && !s3.contains("AttributeNames"))
    v.fail("null", path, "an AugmentedManifestFile channel of the Semantic Segmentation algorithm needs AttributeNames: the "
                         "image's and the annotation's attribute, e.g. [\"source-ref\", \"my-labels-ref\"]");
  else if (names && names->size() != 2 || !is_ref((*names)[0]) || !is_ref((*names)[1]))
    v.fail(names->dump().substr(0, 200), path,
           "the Semantic Segmentation algorithm reads two attributes, the image's then the annotation's, both S3 references "
           "(names ending in -ref), e.g. [\"source-ref\", \"my-labels-ref\"]");
}

void validate_channel(Validator& v, const json& channel, const std::string& path, std::set<std::string>& names,
                      const storage::LocalAccess& local) {
  static const StringRule data_types = StringRule::one_of({"ManifestFile", "S3Prefix", "AugmentedManifestFile"});
  static const StringRule distributions = StringRule::one_of({"FullyReplicated", "ShardedByS3Key"});
  static const StringRule compressions = StringRule::one_of({"None", "Gzip"});
  static const StringRule wrappers = StringRule::one_of({"None", "RecordIO"});
  static const StringRule modes = StringRule::one_of({"Pipe", "File", "FastFile"});
  static const StringRule content_type = StringRule::length(0, 256);
  if (!channel.is_object()) {
    v.fail(channel.dump().substr(0, 100), path, "Member must be a structure");
    return;
  }
  if (auto name = v.string(channel, "ChannelName", path + ".channelName", rules::kChannelName, true)) {
    if (!names.insert(*name).second) v.fail(quote_value(*name), path + ".channelName", "Channel names must be unique");
    if (*name == "." || *name == "..")  // the download writes input/data/<ChannelName>
      v.fail(quote_value(*name), path + ".channelName", "segmaker api downloads each channel into a folder of its name: not '.' or '..'");
  }
  v.string(channel, "ContentType", path + ".contentType", content_type, false);
  if (auto c = v.string(channel, "CompressionType", path + ".compressionType", compressions, false); c && *c == "Gzip")
    v.fail(quote_value(*c), path + ".compressionType", "segmaker api reads uncompressed channels only: use None");
  v.string(channel, "RecordWrapperType", path + ".recordWrapperType", wrappers, false);
  v.string(channel, "InputMode", path + ".inputMode", modes, false);
  const json* source = v.object(channel, "DataSource", path + ".dataSource", true);
  if (!source) return;
  if (source->contains("FileSystemDataSource"))
    v.fail("'FileSystemDataSource'", path + ".dataSource",
           "segmaker api reads channels from S3 (S3DataSource) or local folders only");
  const json* s3 = v.object(*source, "S3DataSource", path + ".dataSource.s3DataSource", true);
  if (!s3) return;
  const std::string s3_path = path + ".dataSource.s3DataSource";
  if (auto t = v.string(*s3, "S3DataType", s3_path + ".s3DataType", data_types, true); t && *t == "AugmentedManifestFile")
    validate_attribute_names(v, *s3, s3_path);
  if (auto uri = v.string(*s3, "S3Uri", s3_path + ".s3Uri", StringRule::length(1, 1024), true)) check_uri(v, *uri, s3_path + ".s3Uri", local);
  v.string(*s3, "S3DataDistributionType", s3_path + ".s3DataDistributionType", distributions, false);
}

}  // namespace

bool is_supported_training_image(const std::string& image) {
  static const std::regex builtin(R"(^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/semantic-segmentation(:[A-Za-z0-9._-]+)?$)");
  static const std::regex own(R"(^([A-Za-z0-9.-]+(:\d+)?/)*segmaker(:[A-Za-z0-9._-]+)?$)");
  if (image.size() > 255) return false;
  return image == "semantic-segmentation" || std::regex_match(image, builtin) || std::regex_match(image, own);
}

void validate_create_training_job(const json& r, const storage::LocalAccess& local) {
  static const StringRule modes = StringRule::one_of({"Pipe", "File", "FastFile"});
  static const StringRule image_rule = StringRule::length(0, 255);
  static const StringRule instance_types = StringRule::one_of(training_instance_types());
  static const StringRule hp_key = StringRule::length(0, 256);
  static const StringRule hp_value = StringRule::length(0, 2500);
  Validator v;
  v.string(r, "TrainingJobName", "trainingJobName", rules::kResourceName, true);
  v.string(r, "RoleArn", "roleArn", rules::kRoleArn, true);
  if (const json* a = v.object(r, "AlgorithmSpecification", "algorithmSpecification", true)) {
    v.string(*a, "TrainingInputMode", "algorithmSpecification.trainingInputMode", modes, true);
    auto image = v.string(*a, "TrainingImage", "algorithmSpecification.trainingImage", image_rule, false);
    if (a->contains("AlgorithmName") && !a->contains("TrainingImage"))
      v.fail(a->at("AlgorithmName").is_string() ? quote_value(a->at("AlgorithmName").get<std::string>())
                                                 : a->at("AlgorithmName").dump().substr(0, 200),
             "algorithmSpecification.algorithmName",
             "segmaker api runs the built-in Semantic Segmentation algorithm: give its TrainingImage instead");
    else if (!a->contains("TrainingImage"))
      v.fail("null", "algorithmSpecification.trainingImage", "Member must not be null");
    else if (image && !is_supported_training_image(*image))
      v.fail(quote_value(*image), "algorithmSpecification.trainingImage",
             "segmaker api runs the built-in Semantic Segmentation algorithm: use its image "
             "(e.g. 811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1, any region's), "
             "'semantic-segmentation' or 'segmaker'");
  }
  if (const json* o = v.object(r, "OutputDataConfig", "outputDataConfig", true))
    if (auto uri = v.string(*o, "S3OutputPath", "outputDataConfig.s3OutputPath", StringRule::length(0, 1024), true))
      check_uri(v, *uri, "outputDataConfig.s3OutputPath", local);
  if (const json* rc = v.object(r, "ResourceConfig", "resourceConfig", true)) {
    v.string(*rc, "InstanceType", "resourceConfig.instanceType", instance_types, true);
    v.integer(*rc, "InstanceCount", "resourceConfig.instanceCount", IntRule{1, 16}, true);
    v.integer(*rc, "VolumeSizeInGB", "resourceConfig.volumeSizeInGB", IntRule{1, {}}, true);
  }
  if (const json* s = v.object(r, "StoppingCondition", "stoppingCondition", true)) {
    v.integer(*s, "MaxRuntimeInSeconds", "stoppingCondition.maxRuntimeInSeconds", IntRule{1, {}}, false);
    v.integer(*s, "MaxWaitTimeInSeconds", "stoppingCondition.maxWaitTimeInSeconds", IntRule{1, {}}, false);
  }
  if (const json* hp = v.object(r, "HyperParameters", "hyperParameters", false)) {
    if (hp->size() > 100) v.fail("'{…}'", "hyperParameters", "Member must have length less than or equal to 100");
    for (const auto& [key, value] : hp->items()) {
      v.check(key, "hyperParameters.key", hp_key);
      if (!value.is_string()) v.fail(value.dump().substr(0, 100), "hyperParameters." + key, "Member must be a string");
      else v.check(value.get<std::string>(), "hyperParameters." + key, hp_value);
    }
  }
  if (const json* channels = v.array(r, "InputDataConfig", "inputDataConfig", false, 1, 20)) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < channels->size(); ++i)
      validate_channel(v, (*channels)[i], member_path("inputDataConfig", i), names, local);
  }
  if (const json* c = v.object(r, "CheckpointConfig", "checkpointConfig", false))
    if (auto uri = v.string(*c, "S3Uri", "checkpointConfig.s3Uri", StringRule::length(0, 1024), true))
      check_uri(v, *uri, "checkpointConfig.s3Uri", local);
  v.throw_if_invalid();
  if (!r.contains("InputDataConfig"))
    throw validation_error(
        "InputDataConfig is required by the Semantic Segmentation algorithm: give the channels train, validation, "
        "train_annotation and validation_annotation");
}

json new_training_job_document(const json& r, const std::string& arn, double now) {
  json doc = json::object();
  for (const char* key : {"TrainingJobName", "HyperParameters", "AlgorithmSpecification", "RoleArn", "InputDataConfig",
                          "OutputDataConfig", "ResourceConfig", "StoppingCondition", "CheckpointConfig", "VpcConfig",
                          "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining",
                          "Environment", "RetryStrategy", "ExperimentConfig"})
    if (r.contains(key)) doc[key] = r[key];
  if (!doc.contains("HyperParameters")) doc["HyperParameters"] = json::object();
  if (!doc["StoppingCondition"].contains("MaxRuntimeInSeconds")) doc["StoppingCondition"]["MaxRuntimeInSeconds"] = 86400;
  // What DescribeTrainingJob lists and what turns the job's log into CloudWatch metrics.
  doc["AlgorithmSpecification"]["MetricDefinitions"] =
      training_metric_definitions(doc["AlgorithmSpecification"].value("MetricDefinitions", json()));
  doc["TrainingJobArn"] = arn;
  doc["TrainingJobStatus"] = "InProgress";
  doc["SecondaryStatus"] = "Starting";
  doc["CreationTime"] = now;
  doc["LastModifiedTime"] = now;
  doc["SecondaryStatusTransitions"] = json::array(
      {{{"Status", "Starting"}, {"StartTime", now}, {"StatusMessage", "Preparing the instances for training"}}});
  return doc;
}

std::set<std::string> piped_channels(const json& r) {
  std::set<std::string> piped;
  if (r.at("ResourceConfig").at("InstanceCount").get<int>() != 1) return piped;
  const std::string mode = r.at("AlgorithmSpecification").value("TrainingInputMode", "File");
  for (const auto& c : r.at("InputDataConfig"))
    if (c.value("InputMode", mode) == "Pipe") piped.insert(c.at("ChannelName").get<std::string>());
  return piped;
}

void write_container_config(const fs::path& job_dir, const json& r, bool one_machine) {
  const sagemaker::SageMakerLayout layout{job_dir};
  fs::create_directories(layout.config_dir());
  fs::create_directories(layout.data_dir());
  fs::create_directories(layout.model_dir());
  fs::create_directories(layout.output_data_dir());
  fs::create_directories(layout.checkpoint_dir());
  io::write_file_atomic(layout.config_dir() / "hyperparameters.json", r.value("HyperParameters", json::object()).dump(2));
  json channels = json::object();
  const std::set<std::string> piped = one_machine ? piped_channels(r) : std::set<std::string>{};
  for (const auto& c : r.at("InputDataConfig")) {
    const json& source = c["DataSource"]["S3DataSource"];
    json entry = {{"TrainingInputMode", piped.count(c.at("ChannelName").get<std::string>()) ? "Pipe" : "File"},
                  {"S3DistributionType", one_machine ? "FullyReplicated" : source.value("S3DataDistributionType", "FullyReplicated")},
                  {"RecordWrapperType", c.value("RecordWrapperType", "None")},
                  {"S3DataType", source.value("S3DataType", "S3Prefix")}};
    if (c.contains("ContentType")) entry["ContentType"] = c["ContentType"];
    channels[c.at("ChannelName").get<std::string>()] = entry;
  }
  io::write_file_atomic(layout.config_dir() / "inputdataconfig.json", channels.dump(2));
  const int count = r.at("ResourceConfig").at("InstanceCount").get<int>();
  json hosts = json::array();
  for (int i = 1; i <= count; ++i) hosts.push_back("algo-" + std::to_string(i));
  io::write_file_atomic(layout.config_dir() / "resourceconfig.json",
                        json{{"current_host", "algo-1"}, {"hosts", hosts}, {"network_interface_name", "lo"}}.dump(2));
}

}  // namespace segmaker::api
