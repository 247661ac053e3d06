#pragma once
// An AugmentedManifestFile channel staged as the algorithm's channel layout (File mode): the image each
// usable line references goes to <data>/<channel>/<name>.<ext>, its annotation to
// <data>/<channel>_annotation/<name>.png, and a Ground Truth colour map to
// <data>/label_map/<channel>_label_map.json ({"colors": {"<class id>": "#rrggbb"}}), so that `train`
// reads it like the four folder channels. <name> is the image's base name (made unique with the line
// number when two lines share one). Lines that miss an attribute, or reference an object that cannot be
// read, are skipped and reported, as `prepare` reports bad pairs. Torch-free.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "sagemaker/augmented_manifest.h"
#include "storage/storage.h"

namespace segmaker::sagemaker {

struct StagedManifestChannel {
  std::size_t lines = 0;               // non-empty lines of the manifest
  std::size_t examples = 0;            // pairs written
  std::vector<SkippedLine> skipped;    // every line not written, with its reason
  bool color_map = false;              // a label map was written from internal-color-map
  // "channel 'train': 40 of 42 manifest lines staged; 2 skipped: line 7 has no attribute …; …"
  std::string summary(const std::string& channel) const;
};

// Reads the manifest at `manifest_uri` and stages channel `channel` under `data_dir` (empty
// `attribute_names`: Ground Truth's, see parse_augmented_manifest). With `share_count` > 1 only the usable
// lines share_index, share_index + share_count, … are staged (ShardedByS3Key). Throws UserError
// (naming the manifest, the line or the attribute) for a manifest parse_augmented_manifest refuses, when
// no line could be staged, or when a label map for the channel exists already (a label_map channel and
// an internal-color-map both given).
StagedManifestChannel stage_augmented_manifest(const std::string& manifest_uri, const std::vector<std::string>& attribute_names,
                                               const std::filesystem::path& data_dir, const std::string& channel,
                                               const storage::StorageConfig& config, std::size_t share_index = 0,
                                               std::size_t share_count = 1);

// Pipe mode: what the channel's pipe carries, in order -- each usable line's image, then its annotation
// (two RecordIO records per line, as SageMaker streams an augmented manifest with RecordWrapperType
// RecordIO) -- the colour map written as stage_augmented_manifest writes it, and the lines skipped.
struct StreamedManifestChannel {
  std::vector<std::string> object_uris;
  std::size_t lines = 0;
  std::vector<SkippedLine> skipped;
  bool color_map = false;
  std::string summary(const std::string& channel) const;
};
StreamedManifestChannel stream_augmented_manifest(const std::string& manifest_uri, const std::vector<std::string>& attribute_names,
                                                  const std::filesystem::path& data_dir, const std::string& channel,
                                                  const storage::StorageConfig& config);

}  // namespace segmaker::sagemaker
