// An AugmentedManifestFile channel staged as the channel layout (see augmented_manifest_channel.h).
#include "sagemaker/augmented_manifest_channel.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::sagemaker {

namespace fs = std::filesystem;

namespace {

constexpr int kParallelDownloads = 4;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The file names of the pairs: the image's base name, its extension kept when the loader lists it.
struct PairFiles {
  fs::path image, annotation;
};

std::vector<PairFiles> name_pairs(const std::vector<AugmentedManifestRecord>& records, const fs::path& images,
                                  const fs::path& annotations) {
  std::vector<PairFiles> out;
  std::set<std::string> used;
  for (const auto& r : records) {
    const fs::path key = fs::path(r.image_uri).filename();
    std::string stem = key.stem().string();
    std::string ext = lower(key.extension().string());
    if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") ext = ".jpg";  // decoded by content, listed by name
    if (stem.empty() || stem == "." || stem == "..") stem = "line-" + std::to_string(r.line);
    if (!used.insert(stem).second) {
      stem += "-line" + std::to_string(r.line);
      used.insert(stem);
    }
    out.push_back({images / (stem + ext), annotations / (stem + ".png")});
  }
  return out;
}

AugmentedManifest read_manifest(const std::string& manifest_uri, const std::vector<std::string>& attribute_names,
                                const std::string& channel, const storage::StorageConfig& config) {
  try {
    const storage::Location location = storage::parse_location(manifest_uri);
    return parse_augmented_manifest(storage::open_storage(location, config)->read(location), attribute_names);
  } catch (const UserError& e) {
    throw UserError("channel '" + channel + "': AugmentedManifestFile " + manifest_uri + ": " + e.what());
  }
}

fs::path label_map_file(const fs::path& data_dir, const std::string& channel) {
  return data_dir / "label_map" / (channel + "_label_map.json");
}

void check_no_label_map(const AugmentedManifest& manifest, const fs::path& data_dir, const std::string& channel) {
  if (!manifest.colors.empty() && fs::exists(label_map_file(data_dir, channel)))
    throw UserError("channel '" + channel + "': both a label_map channel (" + label_map_file(data_dir, channel).string() +
                    ") and the manifest's internal-color-map say how to read its masks: give one");
}

// {"colors": {"<class id>": "#rrggbb"}} (data/label_map.h); false without a colour map.
bool write_color_map(const AugmentedManifest& manifest, const fs::path& data_dir, const std::string& channel) {
  if (manifest.colors.empty()) return false;
  nlohmann::json colors = nlohmann::json::object();
  for (const auto& [id, hex] : manifest.colors) colors[std::to_string(id)] = hex;
  fs::create_directories(label_map_file(data_dir, channel).parent_path());
  io::write_file_atomic(label_map_file(data_dir, channel), nlohmann::json{{"colors", colors}}.dump(2));
  return true;
}

std::string describe(const std::string& channel, const char* verb, std::size_t done, std::size_t lines, bool color_map,
                     const std::vector<SkippedLine>& skipped) {
  std::string s = "channel '" + channel + "': " + std::to_string(done) + " of " + std::to_string(lines) +
                  " augmented manifest lines " + verb;
  if (color_map) s += " (masks read through the manifest's internal-color-map)";
  if (!skipped.empty()) {
    s += "; " + std::to_string(skipped.size()) + " skipped:";
    const std::size_t shown = std::min<std::size_t>(skipped.size(), 10);
    for (std::size_t i = 0; i < shown; ++i) s += (i ? "; line " : " line ") + std::to_string(skipped[i].line) + " " + skipped[i].reason;
    if (shown < skipped.size()) s += "; …";
  }
  return s;
}

}  // namespace

std::string StreamedManifestChannel::summary(const std::string& channel) const {
  return describe(channel, "streamed", object_uris.size() / 2, lines, color_map, skipped);
}

StreamedManifestChannel stream_augmented_manifest(const std::string& manifest_uri, const std::vector<std::string>& attribute_names,
                                                  const fs::path& data_dir, const std::string& channel,
                                                  const storage::StorageConfig& config) {
  const AugmentedManifest manifest = read_manifest(manifest_uri, attribute_names, channel, config);
  check_no_label_map(manifest, data_dir, channel);
  StreamedManifestChannel streamed;
  for (const auto& r : manifest.records) {
    streamed.object_uris.push_back(r.image_uri);
    streamed.object_uris.push_back(r.annotation_uri);
  }
  streamed.lines = manifest.lines;
  streamed.skipped = manifest.skipped;
  streamed.color_map = write_color_map(manifest, data_dir, channel);
  return streamed;
}

std::string StagedManifestChannel::summary(const std::string& channel) const {
  return describe(channel, "staged", examples, lines, color_map, skipped);
}

StagedManifestChannel stage_augmented_manifest(const std::string& manifest_uri, const std::vector<std::string>& attribute_names,
                                               const fs::path& data_dir, const std::string& channel,
                                               const storage::StorageConfig& config, std::size_t share_index,
                                               std::size_t share_count) {
  AugmentedManifest manifest = read_manifest(manifest_uri, attribute_names, channel, config);
  if (share_count > 1) {
    std::vector<AugmentedManifestRecord> mine;
    for (std::size_t i = share_index; i < manifest.records.size(); i += share_count) mine.push_back(manifest.records[i]);
    manifest.lines = mine.size() + manifest.skipped.size();
    manifest.records = std::move(mine);
  }
  const fs::path images = data_dir / channel, annotations = data_dir / (channel + "_annotation");
  check_no_label_map(manifest, data_dir, channel);
  fs::remove_all(annotations);
  fs::create_directories(images);
  fs::create_directories(annotations);

  const std::vector<PairFiles> files = name_pairs(manifest.records, images, annotations);
  std::vector<std::string> failure(files.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < files.size();) {
      const auto& r = manifest.records[i];
      for (const auto& [uri, file] : {std::pair{r.image_uri, files[i].image}, std::pair{r.annotation_uri, files[i].annotation}}) {
        try {
          const storage::Location object = storage::parse_location(uri);
          storage::open_storage(object, config)->read_to_file(object, file);
        } catch (const std::exception& e) {
          failure[i] = "references " + uri + ", which cannot be read: " + e.what();
          break;
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < kParallelDownloads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  StagedManifestChannel staged;
  staged.lines = manifest.lines;
  staged.skipped = manifest.skipped;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (failure[i].empty()) {
      ++staged.examples;
      continue;
    }
    fs::remove(files[i].image);
    fs::remove(files[i].annotation);
    staged.skipped.push_back({manifest.records[i].line, failure[i]});
  }
  std::sort(staged.skipped.begin(), staged.skipped.end(), [](const auto& a, const auto& b) { return a.line < b.line; });
  if (staged.examples == 0) throw UserError("AugmentedManifestFile " + manifest_uri + ": " + staged.summary(channel));
  staged.color_map = write_color_map(manifest, data_dir, channel);
  return staged;
}

}  // namespace segmaker::sagemaker
