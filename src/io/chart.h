#pragma once
// A small line chart drawn with OpenCV (training curves): panels side by side, each with several
// named series over a shared x axis. Ticks fall on round values (whole numbers only on an integer
// axis such as epochs), both axes carry a title (with its unit), and the legend sits above the plot
// area, so it never covers the data.
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace segmaker::io {

struct ChartSeries {
  std::string name;
  std::vector<double> y;  // one value per x; NaN leaves a gap
};

struct ChartPanel {
  std::string title;
  std::string x_label;  // axis title, with the unit: "epoch"
  std::vector<double> x;
  std::vector<ChartSeries> series;
  std::string y_label;     // axis title, with the unit: "cross-entropy per pixel"
  bool integer_x = false;  // x ticks only at whole numbers (epochs)
};

struct ChartTick {
  double value = 0;
  std::string label;
};

// Where draw_line_charts puts things in one panel of `width` × `height` pixels.
struct ChartLayout {
  cv::Rect plot;                 // the axes box: only grid lines and the data are drawn inside it
  std::vector<cv::Rect> legend;  // one box per series (sample line + name), all outside `plot`
  std::vector<ChartTick> x_ticks, y_ticks;
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;  // the value range the box spans
};
ChartLayout layout_chart_panel(const ChartPanel& panel, int width, int height);

// Round tick values in [lo, hi], at most about `max_count` of them; whole numbers only when
// `integers`. Labels carry as many decimals as the step needs.
std::vector<ChartTick> chart_ticks(double lo, double hi, int max_count, bool integers);

// Renders panels side by side, each `width` × `height` pixels, to an 8-bit BGR image.
cv::Mat draw_line_charts(const std::vector<ChartPanel>& panels, int width = 480, int height = 320);

// The same written as a PNG (atomically). Throws UserError when it cannot be written.
void write_line_charts(const std::filesystem::path& png, const std::vector<ChartPanel>& panels, int width = 480,
                       int height = 320);

}  // namespace segmaker::io
