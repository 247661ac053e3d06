#include "data/overlay.h"

#include <algorithm>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "data/classes.h"
#include "data/dataset.h"
#include "data/palette.h"
#include "io/error.h"

namespace segmaker::data {

cv::Mat blend_mask(const cv::Mat& rgb, const cv::Mat& mask, double alpha) {
  if (rgb.type() != CV_8UC3 || mask.type() != CV_8UC1 || rgb.size() != mask.size())
    throw DataError("overlay needs an RGB image and a mask of the same size");
  cv::Mat out;
  cv::addWeighted(rgb, 1.0 - alpha, colorize_mask(mask), alpha, 0.0, out);
  return out;
}

void draw_label(cv::Mat& image, const std::string& text, cv::Point origin, double scale, cv::Scalar color) {
  cv::putText(image, text, origin, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
  cv::putText(image, text, origin, cv::FONT_HERSHEY_SIMPLEX, scale, color, 1, cv::LINE_AA);
}

cv::Mat overlay_with_legend(const cv::Mat& rgb, const cv::Mat& mask, const std::vector<std::string>& names,
                            double alpha, const std::string& title) {
  cv::Mat blended = blend_mask(rgb, mask, alpha);
  int hist[256] = {0};
  for (int y = 0; y < mask.rows; ++y) {
    const auto* row = mask.ptr<uchar>(y);
    for (int x = 0; x < mask.cols; ++x) ++hist[row[x]];
  }
  const double total = static_cast<double>(mask.total());
  std::vector<int> present;
  for (int id = 0; id < 256; ++id)
    if (hist[id] > 0) present.push_back(id);

  const int row_h = 22, panel_w = 230;
  const int title_h = title.empty() ? 0 : 26;
  const int height = std::max(blended.rows + title_h, 12 + row_h * static_cast<int>(present.size() + 1));
  cv::Mat canvas(height, blended.cols + panel_w, CV_8UC3, cv::Scalar(40, 40, 40));
  blended.copyTo(canvas(cv::Rect(0, title_h, blended.cols, blended.rows)));
  if (!title.empty()) draw_label(canvas, title, cv::Point(6, 18), 0.55);
  int y = 8;
  draw_label(canvas, "class (pixel share)", cv::Point(blended.cols + 10, y + 14), 0.45);
  y += row_h;
  for (int id : present) {
    const cv::Vec3b c = class_color(id);
    cv::rectangle(canvas, cv::Rect(blended.cols + 10, y + 2, 16, 16), cv::Scalar(c[0], c[1], c[2]), cv::FILLED);
    cv::rectangle(canvas, cv::Rect(blended.cols + 10, y + 2, 16, 16), cv::Scalar(200, 200, 200), 1);
    const std::string name = id == kIgnoreLabel ? "ignore (255)" : class_name(names, id);
    char share[32];
    std::snprintf(share, sizeof share, " %.1f%%", 100.0 * hist[id] / total);
    draw_label(canvas, std::to_string(id) + " " + name + share, cv::Point(blended.cols + 32, y + 15), 0.42);
    y += row_h;
  }
  return canvas;
}

}  // namespace segmaker::data
