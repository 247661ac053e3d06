#pragma once
// A small line chart drawn with OpenCV (training curves): one panel, several named series over a
// shared x axis, a legend and min/max labels on the y axis.
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
  std::string x_label;
  std::vector<double> x;
  std::vector<ChartSeries> series;
};

// Renders panels side by side, each `width` × `height` pixels, to an 8-bit BGR image.
cv::Mat draw_line_charts(const std::vector<ChartPanel>& panels, int width = 480, int height = 320);

// The same written as a PNG (atomically). Throws UserError when it cannot be written.
void write_line_charts(const std::filesystem::path& png, const std::vector<ChartPanel>& panels, int width = 480,
                       int height = 320);

}  // namespace segmaker::io
