#include "data/visualize.h"

#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "data/classes.h"
#include "data/image_io.h"
#include "data/overlay.h"
#include "data/palette.h"
#include "data/random.h"
#include "io/error.h"
#include "io/parallel.h"
#include "io/paths.h"
#include "io/threads.h"

namespace fs = std::filesystem;

namespace segmaker::data {
namespace {

struct Pick {
  const SegmentationDataset* dataset;
  std::size_t index;
  std::string split;
};

// name → breed from manifest.tsv (written by prepare); empty when absent.
std::map<std::string, std::string> read_breeds(const fs::path& root) {
  std::map<std::string, std::string> breeds;
  std::ifstream in(root / "manifest.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string name, split, breed;
    if (std::getline(ss, name, '\t') && std::getline(ss, split, '\t') && std::getline(ss, breed, '\t'))
      breeds[name] = breed;
  }
  return breeds;
}

cv::Mat fit_tile(const cv::Mat& img, int w, int h) {
  const double s = std::min(static_cast<double>(w) / img.cols, static_cast<double>(h) / img.rows);
  cv::Mat resized;
  cv::resize(img, resized, cv::Size(std::max(1, static_cast<int>(img.cols * s)), std::max(1, static_cast<int>(img.rows * s))),
             0, 0, cv::INTER_AREA);
  cv::Mat tile(h, w, CV_8UC3, cv::Scalar(40, 40, 40));
  resized.copyTo(tile(cv::Rect((w - resized.cols) / 2, (h - resized.rows) / 2, resized.cols, resized.rows)));
  return tile;
}

}  // namespace

VisualizeSummary visualize_dataset(const VisualizeOptions& o) {
  if (o.count < 1) throw UserError("--count must be at least 1");
  std::vector<std::unique_ptr<SegmentationDataset>> datasets;
  std::vector<std::string> splits;
  for (const char* channel : {"train", "validation"}) {
    if (!fs::is_directory(o.data / channel)) continue;
    datasets.push_back(std::make_unique<SegmentationDataset>(o.data, channel, 0));
    splits.push_back(channel);
  }
  if (datasets.empty())
    throw UserError("'" + o.data.string() + "' has no train/ or validation/ channel: run `segmaker prepare` first");
  if (!o.masks.empty() && !fs::is_directory(o.masks)) throw UserError("--masks folder '" + o.masks.string() + "' not found");

  std::vector<const SegmentationDataset*> raw;
  for (auto& d : datasets) raw.push_back(d.get());
  const int threads = io::resolve_threads(o.threads);
  // Without classes.json, name as many classes as the largest id seen needs.
  ClassList classes = classes_of_data(o.data, 0);
  if (classes.names.empty()) {
    ClassStats probe = compute_class_stats(raw, std::vector<std::string>(254, ""), threads);
    int max_id = 0;
    for (std::size_t i = 0; i < probe.pixels.size(); ++i)
      if (probe.pixels[i]) max_id = static_cast<int>(i);
    classes.names = with_default_names({}, max_id + 1);
  }

  VisualizeSummary summary;
  summary.stats = compute_class_stats(raw, classes.names, threads);
  summary.table = format_table(summary.stats);
  fs::create_directories(o.output / "overlays");
  io::write_file_atomic(o.output / "class_stats.json", to_json(summary.stats).dump(2) + "\n");
  write_png((o.output / "class_stats.png").string(), render_share_chart(summary.stats));

  // Pick `count` samples across the channels, reproducibly.
  std::vector<Pick> all;
  for (std::size_t d = 0; d < datasets.size(); ++d)
    for (std::size_t i = 0; i < datasets[d]->size(); ++i) all.push_back({datasets[d].get(), i, splits[d]});
  std::mt19937_64 rng(o.seed);
  shuffle(all, rng);
  all.resize(std::min<std::size_t>(all.size(), static_cast<std::size_t>(o.count)));

  const auto breeds = read_breeds(o.data);
  constexpr int tile_w = 240, tile_h = 200, caption_h = 22;
  std::vector<cv::Mat> tiles(all.size());
  io::parallel_for(all.size(), threads, [&](std::size_t k) {
    const Pick& p = all[k];
    Sample s = p.dataset->load(p.index);
    if (!o.masks.empty()) {
      s.mask = read_mask((o.masks / (s.name + ".png")).string());
      if (s.mask.size() != s.image.size())
        throw DataError("predicted mask for " + s.name + " differs in size from its image");
    }
    auto breed = breeds.find(s.name);
    const std::string caption = (breed != breeds.end() ? breed->second : s.name) + " (" + p.split + ")";
    write_png((o.output / "overlays" / (s.name + ".png")).string(),
              overlay_with_legend(s.image, s.mask, classes.names, 0.5, s.name + " - " + caption));
    cv::Mat tile(tile_h + caption_h, tile_w, CV_8UC3, cv::Scalar(255, 255, 255));
    fit_tile(blend_mask(s.image, s.mask, 0.5), tile_w, tile_h).copyTo(tile(cv::Rect(0, 0, tile_w, tile_h)));
    cv::putText(tile, caption, cv::Point(4, tile_h + 16), cv::FONT_HERSHEY_SIMPLEX, 0.42, cv::Scalar(0, 0, 0), 1,
                cv::LINE_AA);
    tiles[k] = tile;
  });
  summary.overlays = tiles.size();

  const int cols = std::max(1, static_cast<int>(std::ceil(std::sqrt(static_cast<double>(tiles.size())))));
  const int rows = (static_cast<int>(tiles.size()) + cols - 1) / cols;
  const int pad = 6, legend_h = 28;
  cv::Mat sheet(legend_h + rows * (tile_h + caption_h + pad) + pad, cols * (tile_w + pad) + pad, CV_8UC3,
                cv::Scalar(255, 255, 255));
  int x = pad;
  for (std::size_t id = 0; id < classes.names.size() && x < sheet.cols - 60; ++id) {
    const cv::Vec3b c = class_color(static_cast<int>(id));
    cv::rectangle(sheet, cv::Rect(x, 8, 14, 14), cv::Scalar(c[0], c[1], c[2]), cv::FILLED);
    cv::rectangle(sheet, cv::Rect(x, 8, 14, 14), cv::Scalar(90, 90, 90), 1);
    cv::putText(sheet, classes.names[id], cv::Point(x + 18, 20), cv::FONT_HERSHEY_SIMPLEX, 0.42, cv::Scalar(0, 0, 0), 1,
                cv::LINE_AA);
    x += 30 + static_cast<int>(classes.names[id].size()) * 8;
  }
  for (std::size_t k = 0; k < tiles.size(); ++k) {
    const int r = static_cast<int>(k) / cols, c = static_cast<int>(k) % cols;
    tiles[k].copyTo(sheet(cv::Rect(pad + c * (tile_w + pad), legend_h + pad + r * (tile_h + caption_h + pad), tile_w,
                                   tile_h + caption_h)));
  }
  write_png((o.output / "contact_sheet.png").string(), sheet);
  return summary;
}

}  // namespace segmaker::data
