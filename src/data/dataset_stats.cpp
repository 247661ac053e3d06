#include "data/dataset_stats.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "data/image_io.h"
#include "data/overlay.h"
#include "data/palette.h"
#include "io/parallel.h"

namespace segmaker::data {

std::uint64_t ClassStats::total_pixels() const {
  return std::accumulate(pixels.begin(), pixels.end(), std::uint64_t{0}) + ignore_pixels + out_of_range_pixels;
}

double ClassStats::share(std::size_t id) const {
  const auto total = total_pixels();
  return total ? static_cast<double>(pixels.at(id)) / static_cast<double>(total) : 0.0;
}

void accumulate(ClassStats& s, const cv::Mat& mask) {
  std::uint64_t hist[256] = {0};
  for (int y = 0; y < mask.rows; ++y) {
    const auto* row = mask.ptr<uchar>(y);
    for (int x = 0; x < mask.cols; ++x) ++hist[row[x]];
  }
  for (int id = 0; id < 256; ++id) {
    if (!hist[id]) continue;
    if (id == kIgnoreLabel) {
      s.ignore_pixels += hist[id];
    } else if (static_cast<std::size_t>(id) < s.pixels.size()) {
      s.pixels[static_cast<std::size_t>(id)] += hist[id];
      s.images_with[static_cast<std::size_t>(id)]++;
    } else {
      s.out_of_range_pixels += hist[id];
    }
  }
  s.widths.push_back(mask.cols);
  s.heights.push_back(mask.rows);
  s.images++;
}

void merge(ClassStats& into, const ClassStats& from) {
  for (std::size_t i = 0; i < into.pixels.size(); ++i) {
    into.pixels[i] += from.pixels[i];
    into.images_with[i] += from.images_with[i];
  }
  into.ignore_pixels += from.ignore_pixels;
  into.out_of_range_pixels += from.out_of_range_pixels;
  into.widths.insert(into.widths.end(), from.widths.begin(), from.widths.end());
  into.heights.insert(into.heights.end(), from.heights.begin(), from.heights.end());
  into.images += from.images;
}

ClassStats compute_class_stats(const std::vector<const SegmentationDataset*>& datasets,
                               const std::vector<std::string>& names, int threads) {
  auto empty = [&] {
    ClassStats s;
    s.names = names;
    s.pixels.assign(names.size(), 0);
    s.images_with.assign(names.size(), 0);
    return s;
  };
  ClassStats total = empty();
  std::mutex mutex;
  for (const auto* ds : datasets) {
    const std::size_t n = ds->size();
    const std::size_t chunks = std::max<std::size_t>(1, std::min<std::size_t>(n, 64));
    io::parallel_for(chunks, threads, [&](std::size_t chunk) {
      ClassStats local = empty();
      for (std::size_t i = chunk; i < n; i += chunks) {
        cv::Mat mask = ds->load_mask(i);
        accumulate(local, mask);
      }
      std::lock_guard<std::mutex> lock(mutex);
      merge(total, local);
    });
  }
  return total;
}

namespace {

nlohmann::json distribution(std::vector<int> v) {
  if (v.empty()) return nullptr;
  std::sort(v.begin(), v.end());
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return {{"min", v.front()}, {"median", v[v.size() / 2]}, {"mean", mean}, {"max", v.back()}};
}

}  // namespace

std::string format_table(const ClassStats& s) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "%4s  %-28s %14s %8s %8s\n", "id", "class", "pixels", "share", "images");
  out << line;
  for (std::size_t i = 0; i < s.names.size(); ++i) {
    std::snprintf(line, sizeof line, "%4zu  %-28s %14llu %7.2f%% %8llu\n", i, s.names[i].c_str(),
                  static_cast<unsigned long long>(s.pixels[i]), 100.0 * s.share(i),
                  static_cast<unsigned long long>(s.images_with[i]));
    out << line;
  }
  const double total = static_cast<double>(std::max<std::uint64_t>(1, s.total_pixels()));
  std::snprintf(line, sizeof line, "%4d  %-28s %14llu %7.2f%%\n", 255, "ignore",
                static_cast<unsigned long long>(s.ignore_pixels), 100.0 * static_cast<double>(s.ignore_pixels) / total);
  out << line;
  if (s.out_of_range_pixels) {
    std::snprintf(line, sizeof line, "%4s  %-28s %14llu %7.2f%%\n", "?", "out of range ids",
                  static_cast<unsigned long long>(s.out_of_range_pixels),
                  100.0 * static_cast<double>(s.out_of_range_pixels) / total);
    out << line;
  }
  const auto w = distribution(s.widths), h = distribution(s.heights);
  if (!w.is_null()) {
    std::snprintf(line, sizeof line, "%zu images; width min/median/max %d/%d/%d, height %d/%d/%d\n", s.images,
                  w["min"].get<int>(), w["median"].get<int>(), w["max"].get<int>(), h["min"].get<int>(),
                  h["median"].get<int>(), h["max"].get<int>());
    out << line;
  }
  return out.str();
}

nlohmann::json to_json(const ClassStats& s) {
  nlohmann::json j;
  j["images"] = s.images;
  j["total_pixels"] = s.total_pixels();
  j["classes"] = nlohmann::json::array();
  for (std::size_t i = 0; i < s.names.size(); ++i)
    j["classes"].push_back({{"id", i}, {"name", s.names[i]}, {"pixels", s.pixels[i]}, {"share", s.share(i)},
                            {"images", s.images_with[i]}});
  j["ignore"] = {{"pixels", s.ignore_pixels},
                 {"share", s.total_pixels() ? static_cast<double>(s.ignore_pixels) / static_cast<double>(s.total_pixels()) : 0.0}};
  j["out_of_range_pixels"] = s.out_of_range_pixels;
  j["width"] = distribution(s.widths);
  j["height"] = distribution(s.heights);
  nlohmann::json hist = nlohmann::json::object();
  for (std::size_t i = 0; i < s.widths.size(); ++i) {
    const int long_side = std::max(s.widths[i], s.heights[i]);
    const int lo = long_side / 100 * 100;
    hist[std::to_string(lo) + "-" + std::to_string(lo + 99)] =
        hist.value(std::to_string(lo) + "-" + std::to_string(lo + 99), 0) + 1;
  }
  j["long_side_histogram"] = hist;
  return j;
}

cv::Mat render_share_chart(const ClassStats& s) {
  struct Bar {
    std::string label;
    double share;
    cv::Vec3b color;
  };
  std::vector<Bar> bars;
  const double total = static_cast<double>(std::max<std::uint64_t>(1, s.total_pixels()));
  for (std::size_t i = 0; i < s.names.size(); ++i)
    bars.push_back({std::to_string(i) + " " + s.names[i], s.share(i), class_color(static_cast<int>(i))});
  bars.push_back({"255 ignore", static_cast<double>(s.ignore_pixels) / total, class_color(kIgnoreLabel)});
  const double max_share = std::max(1e-9, std::max_element(bars.begin(), bars.end(), [](auto& a, auto& b) {
                                             return a.share < b.share;
                                           })->share);
  const int row_h = 24, label_w = 260, bar_w = 420, top = 40;
  cv::Mat img(top + row_h * static_cast<int>(bars.size()) + 16, label_w + bar_w + 90, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(img, "Pixel share per class (" + std::to_string(s.images) + " masks)", cv::Point(10, 26),
              cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const int y = top + row_h * static_cast<int>(i);
    cv::putText(img, bars[i].label, cv::Point(10, y + 16), cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 1,
                cv::LINE_AA);
    const int w = static_cast<int>(bar_w * bars[i].share / max_share);
    const auto& c = bars[i].color;
    if (w > 0) cv::rectangle(img, cv::Rect(label_w, y + 3, w, row_h - 6), cv::Scalar(c[0], c[1], c[2]), cv::FILLED);
    cv::rectangle(img, cv::Rect(label_w, y + 3, std::max(w, 1), row_h - 6), cv::Scalar(90, 90, 90), 1);
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.2f%%", 100.0 * bars[i].share);
    cv::putText(img, pct, cv::Point(label_w + w + 6, y + 16), cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 1,
                cv::LINE_AA);
  }
  return img;
}

}  // namespace segmaker::data
