#include "io/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::io {

namespace {

const cv::Scalar kColours[] = {{200, 90, 30}, {40, 40, 220}, {40, 160, 40}, {160, 40, 160}, {0, 140, 220}, {90, 90, 90}};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), std::fabs(v) >= 100 || (std::fabs(v) < 0.01 && v != 0) ? "%.2e" : "%.3f", v);
  return buf;
}

void draw_panel(cv::Mat& canvas, const ChartPanel& panel) {
  const int w = canvas.cols, h = canvas.rows;
  const int left = 64, right = 12, top = 28, bottom = 40;
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(canvas, panel.title, {left, 18}, font, 0.5, {0, 0, 0}, 1, cv::LINE_AA);
  cv::rectangle(canvas, {left, top}, {w - right, h - bottom}, {0, 0, 0}, 1);
  double xmin = 0, xmax = 1, ymin = INFINITY, ymax = -INFINITY;
  if (!panel.x.empty()) {
    xmin = *std::min_element(panel.x.begin(), panel.x.end());
    xmax = *std::max_element(panel.x.begin(), panel.x.end());
  }
  for (const auto& s : panel.series)
    for (double v : s.y)
      if (std::isfinite(v)) ymin = std::min(ymin, v), ymax = std::max(ymax, v);
  if (!std::isfinite(ymin)) ymin = 0, ymax = 1;
  if (ymax - ymin < 1e-12) ymin -= 0.5, ymax += 0.5;
  if (xmax - xmin < 1e-12) xmin -= 0.5, xmax += 0.5;
  const double pad = 0.05 * (ymax - ymin);
  ymin -= pad, ymax += pad;
  auto px = [&](double x, double y) {
    return cv::Point(static_cast<int>(std::lround(left + (x - xmin) / (xmax - xmin) * (w - left - right))),
                     static_cast<int>(std::lround(h - bottom - (y - ymin) / (ymax - ymin) * (h - top - bottom))));
  };
  for (int i = 0; i <= 4; ++i) {  // y grid and labels
    double y = ymin + (ymax - ymin) * i / 4;
    cv::Point p = px(xmin, y);
    cv::line(canvas, p, {w - right, p.y}, {225, 225, 225}, 1);
    cv::putText(canvas, number(y), {4, p.y + 4}, font, 0.35, {60, 60, 60}, 1, cv::LINE_AA);
  }
  cv::putText(canvas, number(xmin), {left, h - bottom + 14}, font, 0.35, {60, 60, 60}, 1, cv::LINE_AA);
  cv::putText(canvas, number(xmax), {w - right - 40, h - bottom + 14}, font, 0.35, {60, 60, 60}, 1, cv::LINE_AA);
  cv::putText(canvas, panel.x_label, {w / 2 - 20, h - 8}, font, 0.4, {0, 0, 0}, 1, cv::LINE_AA);
  for (std::size_t s = 0; s < panel.series.size(); ++s) {
    const auto& series = panel.series[s];
    const cv::Scalar colour = kColours[s % (sizeof(kColours) / sizeof(kColours[0]))];
    const std::size_t n = std::min(series.y.size(), panel.x.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(series.y[i])) continue;
      cv::Point p = px(panel.x[i], series.y[i]);
      cv::circle(canvas, p, 2, colour, cv::FILLED, cv::LINE_AA);
      if (i > 0 && std::isfinite(series.y[i - 1])) cv::line(canvas, px(panel.x[i - 1], series.y[i - 1]), p, colour, 2, cv::LINE_AA);
    }
    const int ly = top + 14 + 16 * static_cast<int>(s);
    cv::line(canvas, {left + 8, ly - 4}, {left + 28, ly - 4}, colour, 2);
    cv::putText(canvas, series.name, {left + 32, ly}, font, 0.4, colour, 1, cv::LINE_AA);
  }
}

}  // namespace

cv::Mat draw_line_charts(const std::vector<ChartPanel>& panels, int width, int height) {
  const int n = std::max<int>(1, static_cast<int>(panels.size()));
  cv::Mat canvas(height, width * n, CV_8UC3, cv::Scalar(255, 255, 255));
  for (int i = 0; i < static_cast<int>(panels.size()); ++i) {
    cv::Mat roi = canvas(cv::Rect(i * width, 0, width, height));
    draw_panel(roi, panels[i]);
  }
  return canvas;
}

void write_line_charts(const std::filesystem::path& png, const std::vector<ChartPanel>& panels, int width, int height) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", draw_line_charts(panels, width, height), bytes))
    throw UserError("cannot encode the chart '" + png.string() + "'");
  write_file_atomic(png, std::string(bytes.begin(), bytes.end()));
}

}  // namespace segmaker::io
