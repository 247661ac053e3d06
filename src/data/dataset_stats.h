#pragma once
// Class statistics of a prepared data set: pixel share per class, images containing each
// class, image size distribution. Printed as a table, saved as JSON and as a PNG bar chart.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <opencv2/core.hpp>

#include "data/dataset.h"

namespace segmaker::data {

struct ClassStats {
  std::vector<std::string> names;          // index = class id
  std::vector<std::uint64_t> pixels;       // per class id
  std::vector<std::uint64_t> images_with;  // images containing the class
  std::uint64_t ignore_pixels = 0;
  std::uint64_t out_of_range_pixels = 0;   // ids ≥ number of names (other than 255)
  std::vector<int> widths, heights;        // per image
  std::size_t images = 0;

  std::uint64_t total_pixels() const;
  double share(std::size_t class_id) const;  // of all pixels, ignore included
};

// Adds one mask to the statistics (thread-compatible: merge per-thread stats with merge()).
void accumulate(ClassStats& stats, const cv::Mat& mask);
void merge(ClassStats& into, const ClassStats& from);

// Over every annotation of the given data sets (masks only: images are not decoded).
ClassStats compute_class_stats(const std::vector<const SegmentationDataset*>& datasets,
                               const std::vector<std::string>& names, int threads);

std::string format_table(const ClassStats& stats);
nlohmann::json to_json(const ClassStats& stats);
// Horizontal bars of the pixel share per class (and ignore), in palette colours. RGB.
cv::Mat render_share_chart(const ClassStats& stats);

}  // namespace segmaker::data
