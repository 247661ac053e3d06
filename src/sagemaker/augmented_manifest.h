#pragma once
// SageMaker's AugmentedManifestFile data source (S3DataType "AugmentedManifestFile"), as SageMaker Ground
// Truth writes it: JSON Lines, one object per image, e.g.
//   {"source-ref": "s3://b/img/1.jpg", "pets-ref": "s3://b/masks/1.png",
//    "pets-ref-metadata": {"internal-color-map": {"0": {"class-name": "BACKGROUND", "hex-color": "#ffffff"}, ...}}}
// The channel's AttributeNames name the image attribute and the annotation attribute, both S3 references
// (names ending in "-ref"). The annotation attribute's "<name>-metadata" may carry Ground Truth's
// "internal-color-map" (class id → "hex-color"): the masks are then colour pictures and each colour is
// that class (a mask saved with a palette is read by its colours too). Torch-free.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace segmaker::sagemaker {

struct AugmentedManifestRecord {
  std::size_t line = 0;  // 1-based line of the manifest
  std::string image_uri;
  std::string annotation_uri;
};

struct SkippedLine {
  std::size_t line = 0;
  std::string reason;
};

struct AugmentedManifest {
  std::vector<AugmentedManifestRecord> records;
  std::vector<SkippedLine> skipped;    // lines that miss an attribute or disagree on the colour map
  std::map<int, std::string> colors;   // class id → "#rrggbb" (lower case); empty without a colour map
  std::size_t lines = 0;               // non-empty lines read
};

// Parses a manifest for the two attributes (empty `attribute_names`: "source-ref" and the one other
// "-ref" attribute of the first line, as Ground Truth writes them). Throws UserError naming what is wrong: AttributeNames that
// are not two "-ref" names, a line that is not a JSON object (naming its number), a malformed
// internal-color-map (naming the line), an attribute that no line has, no usable line at all.
// A line that lacks an attribute, whose reference is not an s3:// (or file://) URI, or whose colour
// map differs from the first line's is skipped with its reason.
AugmentedManifest parse_augmented_manifest(const std::string& text, std::vector<std::string> attribute_names);

// One line (no newline) in Ground Truth's shape: {"source-ref": image, "<label_attribute>": annotation,
// "<label_attribute>-metadata": metadata}. `label_attribute` ends in "-ref".
std::string augmented_manifest_line(const std::string& image_uri, const std::string& annotation_uri,
                                    const std::string& label_attribute, const nlohmann::json& metadata);

}  // namespace segmaker::sagemaker
