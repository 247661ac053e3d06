#pragma once
// `segmaker visualize`: look at a prepared data set (or a model's predicted masks):
//   OUT/overlays/<name>.png   mask overlays with a legend (palette: data/palette.h)
//   OUT/contact_sheet.png     N samples in a grid, captioned with breed and split
//   OUT/class_stats.json/.png pixel share per class, image sizes (also printed as a table)
#include <cstdint>
#include <filesystem>
#include <string>

#include "data/dataset_stats.h"

namespace segmaker::data {


struct VisualizeOptions {
  std::filesystem::path data;             // prepared folder (train/, validation/, …)
  std::filesystem::path output;
  int count = 16;            // samples in the contact sheet / overlays
  std::uint64_t seed = 0;
  std::filesystem::path masks;            // optional: overlay <masks>/<name>.png (predictions) instead of the annotations
  int threads = 0;
};

struct VisualizeSummary {
  std::size_t overlays = 0;
  ClassStats stats;
  std::string table;
};

VisualizeSummary visualize_dataset(const VisualizeOptions& options);

}  // namespace segmaker::data
