#pragma once
// A segmentation data set over SageMaker's channel layout, torch-free:
//   <root>/<channel>/<name>.jpg  +  <root>/<channel>_annotation/<name>.png
//   optional <root>/label_map/<channel>_label_map.json  ({"scale": "1"} or {"map": {...}})
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "data/label_map.h"

namespace segmaker::data {


constexpr int kIgnoreLabel = 255;

struct SamplePair {
  std::string name;  // base name, no extension
  std::filesystem::path image;
  std::filesystem::path annotation;
};

// One decoded example: RGB image (CV_8UC3) and mask of class ids (CV_8UC1, 255 = ignore).
struct Sample {
  cv::Mat image;
  cv::Mat mask;
  std::string name;
};

// A mask's bytes as class ids through `label_map` (a colour map decodes them as RGB). DataError names `where`.
cv::Mat decode_mask_through(const LabelMap& label_map, const std::string& bytes, const std::string& where);

// One example from its encoded image and mask: decoded, the label map applied, sizes and (num_classes
// > 0) class ids checked. DataError names `image_where` or `mask_where` (the files, or the stream
// positions) and the reason.
Sample decode_sample(const std::string& image_bytes, const std::string& mask_bytes, const std::string& name,
                     const std::string& image_where, const std::string& mask_where, const LabelMap& label_map, int num_classes);

class SegmentationDataset {
 public:
  // Channel `channel` ("train", "validation", …) of a prepared folder. `num_classes` > 0 makes
  // load() check every mask value (< num_classes or 255); 0 skips the check.
  SegmentationDataset(const std::filesystem::path& root, const std::string& channel, int num_classes);
  // Explicit folders (SageMaker container mode: /opt/ml/input/data/<channel>).
  SegmentationDataset(const std::filesystem::path& image_dir, const std::filesystem::path& annotation_dir,
                      const std::optional<std::filesystem::path>& label_map_file, int num_classes);

  std::size_t size() const { return pairs_.size(); }
  const SamplePair& pair(std::size_t i) const { return pairs_.at(i); }
  const std::vector<SamplePair>& pairs() const { return pairs_; }
  const LabelMap& label_map() const { return label_map_; }
  int num_classes() const { return num_classes_; }

  // Pair i's mask as class ids: decoded and passed through the label map (a colour map decodes the
  // mask as RGB and maps each colour). Throws DataError naming the file.
  cv::Mat load_mask(std::size_t i) const;

  // Drops the pairs whose image and mask headers give different sizes (or cannot be read) and returns
  // why each was dropped ("<name>: mask 100x80 but image 120x80"), as `prepare` reports bad pairs.
  // Reads the headers only.
  std::vector<std::string> drop_mismatched_pairs();

  // Decodes pair i and applies the label map. Throws DataError naming the file when the
  // image cannot be decoded, sizes differ, or a class id is out of range.
  Sample load(std::size_t i) const;

 private:
  void index(const std::filesystem::path& image_dir, const std::filesystem::path& annotation_dir);

  std::vector<SamplePair> pairs_;
  LabelMap label_map_;
  int num_classes_ = 0;
};

}  // namespace segmaker::data
