// A training job's inputs and outputs (see training_outputs.h).
#include "api/training_outputs.h"

#include <algorithm>
#include <fstream>
#include <set>

#include "api/names.h"
#include "io/archive.h"
#include "io/error.h"
#include "io/paths.h"
#include "storage/transfer.h"
#include "sagemaker/container_layout.h"
#include "sagemaker/augmented_manifest_channel.h"
#include "sagemaker/manifest.h"
#include "storage/storage.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Channel `name`'s ManifestFile at `uri`, read and parsed (UserError naming both).
sagemaker::ManifestFile read_manifest_file(const std::string& name, const std::string& uri, const storage::StorageConfig& config) {
  try {
    const storage::Location location = storage::parse_location(uri);
    return sagemaker::parse_manifest_file(storage::open_storage(location, config)->read(location));
  } catch (const UserError& e) {
    throw UserError("channel '" + name + "': ManifestFile " + uri + ": " + e.what());
  }
}

// A ManifestFile channel: exactly the objects the manifest lists, each under its key's name.
void download_manifest_channel(const std::string& name, const std::string& uri, const fs::path& target,
                               const storage::StorageConfig& config, const InstanceShare& share) {
  const sagemaker::ManifestFile manifest = read_manifest_file(name, uri, config);
  for (std::size_t i = 0; i < manifest.keys.size(); ++i) {
    if (!share.takes(i)) continue;
    const storage::Location object = storage::parse_location(manifest.uri(i));
    try {
      storage::open_storage(object, config)->read_to_file(object, target / manifest.keys[i]);
    } catch (const UserError& e) {
      throw UserError("channel '" + name + "': " + uri + " lists " + manifest.uri(i) + ", which cannot be read: " + e.what());
    }
  }
}

// An S3Prefix channel's share: its objects in key order, every count-th from the instance's index.
storage::TransferSummary download_share(const std::string& prefix, const fs::path& target, const storage::StorageConfig& config,
                                        const InstanceShare& share, std::size_t& listed) {
  if (share.count <= 1) {  // everything: one listing
    const auto summary = storage::download_prefix(prefix, target, config);
    listed = summary.objects;
    return summary;
  }
  std::vector<std::string> keys;
  storage::download_prefix(prefix, target, config, [&](const std::string& relative) {
    keys.push_back(relative);
    return false;  // this pass only lists
  });
  std::sort(keys.begin(), keys.end());
  listed = keys.size();
  std::set<std::string> mine;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (share.takes(i)) mine.insert(keys[i]);
  return storage::download_prefix(prefix, target, config, [&](const std::string& relative) { return mine.count(relative) > 0; });
}

std::string share_note(const std::string& channel, std::size_t taken, std::size_t listed, const InstanceShare& share) {
  return "channel '" + channel + "': ShardedByS3Key: " + std::to_string(taken) + " of " + std::to_string(listed) +
         " objects for instance " + std::to_string(share.index + 1) + " of " + std::to_string(share.count);
}

}  // namespace

bool is_sharded(const json& channel) {
  return channel.at("DataSource").at("S3DataSource").value("S3DataDistributionType", "FullyReplicated") == "ShardedByS3Key";
}

std::vector<std::string> download_channels(const json& doc, const fs::path& job_dir, const storage::StorageConfig& config,
                                           const std::set<std::string>& streamed, const InstanceShare& instance) {
  const sagemaker::SageMakerLayout layout{job_dir};
  std::vector<const json*> augmented;  // staged last: they may write label_map/<channel>_label_map.json
  std::vector<std::string> notes;
  std::set<std::string> names;
  for (const auto& channel : doc.at("InputDataConfig")) names.insert(channel.at("ChannelName").get<std::string>());
  for (const auto& channel : doc.at("InputDataConfig")) {
    const std::string name = channel.at("ChannelName");
    const json& source = channel.at("DataSource").at("S3DataSource");
    const std::string uri = source.at("S3Uri");
    const std::string type = source.value("S3DataType", "S3Prefix");
    if (streamed.count(name)) continue;
    if (type == "AugmentedManifestFile") {
      if (names.count(name + "_annotation"))
        throw UserError("channel '" + name + "' is an AugmentedManifestFile, whose lines give the annotations: drop the channel '" +
                        name + "_annotation'");
      augmented.push_back(&channel);
      continue;
    }
    const InstanceShare share = is_sharded(channel) ? instance : InstanceShare{};
    const fs::path target = layout.data_dir() / name;
    fs::remove_all(target);  // a download cut short by a restart starts again
    fs::create_directories(target);
    if (type == "ManifestFile") {
      download_manifest_channel(name, uri, target, config, share);
      continue;
    }
    std::size_t listed = 0;
    const auto summary = download_share(as_folder_uri(uri), target, config, share, listed);
    if (share.count > 1) notes.push_back(share_note(name, summary.objects, listed, share));
    if (listed == 0)
      throw UserError("No S3 objects found under S3 URL \"" + uri + "\" given in input data source (channel '" + name +
                      "'). Please ensure that the bucket exists in the selected region, that objects exist under "
                      "that S3 prefix, and that the role has \"s3:ListBucket\" permissions on the bucket.");
  }
  for (const json* channel : augmented) {
    const std::string name = channel->at("ChannelName");
    const json& source = channel->at("DataSource").at("S3DataSource");
    fs::remove_all(layout.data_dir() / name);
    const InstanceShare share = is_sharded(*channel) ? instance : InstanceShare{};
    const auto staged = sagemaker::stage_augmented_manifest(source.at("S3Uri"), source.at("AttributeNames").get<std::vector<std::string>>(),
                                                            layout.data_dir(), name, config, share.index, share.count);
    notes.push_back(staged.summary(name));
  }
  return notes;
}

std::vector<std::string> pipe_objects(const json& channel, const fs::path& job_dir, const storage::StorageConfig& config,
                                      std::vector<std::string>& notes) {
  const std::string name = channel.at("ChannelName");
  const json& source = channel.at("DataSource").at("S3DataSource");
  const std::string uri = source.at("S3Uri");
  const std::string type = source.value("S3DataType", "S3Prefix");
  const fs::path data_dir = sagemaker::SageMakerLayout{job_dir}.data_dir();
  if (type == "AugmentedManifestFile") {
    auto streamed = sagemaker::stream_augmented_manifest(uri, source.at("AttributeNames").get<std::vector<std::string>>(), data_dir,
                                                         name, config);
    notes.push_back(streamed.summary(name));
    return std::move(streamed.object_uris);
  }
  std::vector<std::string> uris;
  if (type == "ManifestFile") {
    const sagemaker::ManifestFile manifest = read_manifest_file(name, uri, config);
    for (std::size_t i = 0; i < manifest.keys.size(); ++i) uris.push_back(manifest.uri(i));
  } else {
    const storage::Location prefix = storage::parse_location(as_folder_uri(uri));
    for (const auto& object : storage::open_storage(prefix, config)->list(prefix))
      uris.push_back(prefix.is_s3() ? "s3://" + prefix.bucket + "/" + object.key : prefix.child(object.key).uri());
    std::sort(uris.begin(), uris.end());
    if (uris.empty())
      throw UserError("No S3 objects found under S3 URL \"" + uri + "\" given in input data source (channel '" + name + "').");
  }
  notes.push_back("channel '" + name + "': " + std::to_string(uris.size()) + " objects streamed in Pipe mode, in key order");
  return uris;
}

std::string model_artifact_uri(const json& doc) {
  return join_uri(doc.at("OutputDataConfig").at("S3OutputPath").get<std::string>(),
                  doc.at("TrainingJobName").get<std::string>() + "/output/model.tar.gz");
}

bool has_trained_model(const fs::path& job_dir) {
  return fs::exists(sagemaker::SageMakerLayout{job_dir}.model_dir() / "model.json");
}

void pack_folder(const fs::path& dir, const fs::path& tar_gz) {
  std::vector<io::ArchiveEntry> entries;
  if (fs::is_directory(dir)) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      entries.push_back({fs::relative(e.path(), dir).generic_string(), io::read_file(e.path())});
    }
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  io::write_tar_gz(tar_gz, entries);
}

std::string upload_training_outputs(const json& doc, const fs::path& job_dir, const storage::StorageConfig& config) {
  const sagemaker::SageMakerLayout layout{job_dir};
  const fs::path packed = job_dir / "output";
  pack_folder(layout.model_dir(), packed / "model.tar.gz");
  pack_folder(layout.output_data_dir(), packed / "output.tar.gz");
  const std::string model_uri = model_artifact_uri(doc);
  const std::string prefix = join_uri(doc.at("OutputDataConfig").at("S3OutputPath").get<std::string>(),
                                      doc.at("TrainingJobName").get<std::string>() + "/output/");
  storage::upload_file(packed / "model.tar.gz", model_uri, config);
  storage::upload_file(packed / "output.tar.gz", prefix + "output.tar.gz", config);
  return model_uri;
}

json final_metric_data(const fs::path& job_dir, double timestamp) {
  std::ifstream in(sagemaker::SageMakerLayout{job_dir}.output_data_dir() / "metrics.jsonl");
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  json metrics = json::array();
  const json record = json::parse(last, nullptr, false);
  if (last.empty() || !record.is_object()) return metrics;
  const std::pair<const char*, const char*> names[] = {{"train:loss", "train_loss"},
                                                       {"validation:loss", "validation_loss"},
                                                       {"validation:mIOU", "mIOU"},
                                                       {"validation:pixel_accuracy", "pixel_accuracy"}};
  for (const auto& [metric, field] : names)
    if (record.contains(field) && record[field].is_number())
      metrics.push_back({{"MetricName", metric}, {"Value", record[field].get<double>()}, {"Timestamp", timestamp}});
  return metrics;
}

}  // namespace segmaker::api
