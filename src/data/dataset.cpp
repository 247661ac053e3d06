#include "data/dataset.h"

#include <set>
#include <sstream>

#include "data/image_header.h"
#include "data/image_io.h"
#include "io/error.h"
#include "io/paths.h"

namespace fs = std::filesystem;

namespace segmaker::data {

namespace {

std::string read_file_bytes(const fs::path& path) {
  try {
    return io::read_file(path);
  } catch (const std::exception& e) {
    throw DataError(path.string() + ": " + e.what());
  }
}

}  // namespace

SegmentationDataset::SegmentationDataset(const fs::path& root, const std::string& channel, int num_classes)
    : num_classes_(num_classes) {
  const fs::path image_dir = root / channel;
  const fs::path annotation_dir = root / (channel + "_annotation");
  if (!fs::is_directory(image_dir))
    throw UserError("channel '" + channel + "' not found: expected the folder " + image_dir.string() +
                    " (run `segmaker prepare` to create the channel layout)");
  if (!fs::is_directory(annotation_dir))
    throw UserError("channel '" + channel + "_annotation' not found: expected the folder " + annotation_dir.string());
  const fs::path label_map = root / "label_map" / (channel + "_label_map.json");
  if (fs::exists(label_map)) label_map_ = LabelMap::from_file(label_map);
  index(image_dir, annotation_dir);
}

SegmentationDataset::SegmentationDataset(const fs::path& image_dir, const fs::path& annotation_dir,
                                         const std::optional<fs::path>& label_map_file, int num_classes)
    : num_classes_(num_classes) {
  if (label_map_file) label_map_ = LabelMap::from_file(*label_map_file);
  index(image_dir, annotation_dir);
}

void SegmentationDataset::index(const fs::path& image_dir, const fs::path& annotation_dir) {
  auto images = io::list_files(image_dir, {".jpg", ".jpeg", ".png"});
  std::set<std::string> seen;
  std::vector<std::string> missing;
  for (const auto& img : images) {
    const std::string stem = img.stem().string();
    if (!seen.insert(stem).second)
      throw UserError("two images named '" + stem + "' in " + image_dir.string() + ": base names must be unique");
    fs::path ann = annotation_dir / (stem + ".png");
    if (!fs::exists(ann)) {
      missing.push_back(stem);
      continue;
    }
    pairs_.push_back({stem, img, ann});
  }
  if (!missing.empty()) {
    std::ostringstream msg;
    msg << missing.size() << " image(s) in " << image_dir.string() << " have no annotation PNG in "
        << annotation_dir.string() << " (first: " << missing.front() << ".png)";
    throw UserError(msg.str());
  }
  if (pairs_.empty()) throw UserError("no images (.jpg, .jpeg, .png) in " + image_dir.string());
}

cv::Mat decode_mask_through(const LabelMap& label_map, const std::string& bytes, const std::string& where) {
  try {
    if (label_map.has_colors()) return label_map.classes_of_colors(decode_image_rgb(bytes), where);
    cv::Mat mask = decode_mask(bytes);
    label_map.apply(mask);
    return mask;
  } catch (const DataError& e) {
    const std::string what = e.what();
    throw DataError(what.rfind(where, 0) == 0 ? what : where + ": " + what);
  }
}

Sample decode_sample(const std::string& image_bytes, const std::string& mask_bytes, const std::string& name,
                     const std::string& image_where, const std::string& where, const LabelMap& label_map, int num_classes) {
  Sample s;
  s.name = name;
  try {
    s.image = decode_image_rgb(image_bytes);
  } catch (const DataError& e) {
    throw DataError(image_where + ": " + e.what());
  }
  s.mask = decode_mask_through(label_map, mask_bytes, where);
  if (s.image.size() != s.mask.size()) {
    std::ostringstream msg;
    msg << where << ": mask is " << s.mask.cols << "x" << s.mask.rows << " but its image is " << s.image.cols << "x"
        << s.image.rows;
    throw DataError(msg.str());
  }
  if (num_classes > 0) {
    double max_value = 0;
    cv::Mat valid = s.mask != kIgnoreLabel;
    cv::minMaxLoc(s.mask, nullptr, &max_value, nullptr, nullptr, valid);
    if (cv::countNonZero(valid) > 0 && max_value >= num_classes) {
      std::ostringstream msg;
      msg << where << ": class id " << max_value << " is out of range for num_classes=" << num_classes
          << " (ids must be 0.." << num_classes - 1 << ", or 255 to ignore a pixel)";
      throw DataError(msg.str());
    }
  }
  return s;
}

cv::Mat SegmentationDataset::load_mask(std::size_t i) const {
  const SamplePair& p = pairs_.at(i);
  return decode_mask_through(label_map_, read_file_bytes(p.annotation), p.annotation.string());
}

std::vector<std::string> SegmentationDataset::drop_mismatched_pairs() {
  std::vector<std::string> reasons;
  std::vector<SamplePair> kept;
  for (const auto& p : pairs_) {
    try {
      const ImageHeader image = read_image_header(io::read_file(p.image));
      const ImageHeader mask = read_image_header(io::read_file(p.annotation));
      if (image.width == mask.width && image.height == mask.height) {
        kept.push_back(p);
        continue;
      }
      reasons.push_back(p.name + ": mask " + std::to_string(mask.width) + "x" + std::to_string(mask.height) + " but image " +
                        std::to_string(image.width) + "x" + std::to_string(image.height));
    } catch (const DataError& e) {
      reasons.push_back(p.name + ": " + e.what());
    }
  }
  pairs_ = std::move(kept);
  return reasons;
}

Sample SegmentationDataset::load(std::size_t i) const {
  const SamplePair& p = pairs_.at(i);
  return decode_sample(read_file_bytes(p.image), read_file_bytes(p.annotation), p.name, p.image.string(), p.annotation.string(),
                       label_map_, num_classes_);
}

}  // namespace segmaker::data
