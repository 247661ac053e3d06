// Line charts with OpenCV (io/chart.h).
#include "io/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::io {

namespace {

const cv::Scalar kColours[] = {{200, 90, 30}, {40, 40, 220}, {40, 160, 40}, {160, 40, 160}, {0, 140, 220}, {90, 90, 90}};
const cv::Scalar kInk{0, 0, 0}, kGrey{60, 60, 60}, kGrid{225, 225, 225};
constexpr auto kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kTitleScale = 0.5, kLabelScale = 0.4, kTickScale = 0.35;
constexpr int kRight = 14, kBottom = 42, kLegendSample = 20;

cv::Size text_size(const std::string& text, double scale) {
  int baseline = 0;
  return cv::getTextSize(text, kFont, scale, 1, &baseline);
}

const cv::Scalar& colour_of(std::size_t series) { return kColours[series % (sizeof(kColours) / sizeof(kColours[0]))]; }

// The data's range, padded so that no point sits on the box; returns the x range before padding
// (where the x ticks go: epochs 1..100 get ticks 10..100, not 0).
std::pair<double, double> value_ranges(const ChartPanel& panel, ChartLayout& l) {
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
  const double ypad = 0.06 * (ymax - ymin), xpad = 0.04 * (xmax - xmin);
  l.xmin = xmin - xpad, l.xmax = xmax + xpad, l.ymin = ymin - ypad, l.ymax = ymax + ypad;
  return {xmin, xmax};
}

// Legend entries left to right under the title, wrapping into more rows; returns the bottom edge.
int place_legend(const ChartPanel& panel, int left, int width, ChartLayout& l) {
  const int row_height = 16, gap = 14;
  int x = left, y = 26;
  for (const auto& s : panel.series) {
    const int w = kLegendSample + 4 + text_size(s.name, kLabelScale).width;
    if (x > left && x + w > width - kRight) x = left, y += row_height;
    l.legend.emplace_back(x, y, w, row_height - 2);
    x += w + gap;
  }
  return panel.series.empty() ? y : y + row_height;
}

void draw_vertical_text(cv::Mat& canvas, const std::string& text, cv::Point centre_left, double scale) {
  const cv::Size size = text_size(text, scale);
  cv::Mat strip(size.height + 6, size.width + 2, CV_8UC3, cv::Scalar(255, 255, 255));
  cv::putText(strip, text, {1, size.height + 1}, kFont, scale, kInk, 1, cv::LINE_AA);
  cv::Mat turned;
  cv::rotate(strip, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
  const int top = std::max(0, centre_left.y - turned.rows / 2);
  const cv::Rect where(centre_left.x, top, std::min(turned.cols, canvas.cols - centre_left.x),
                       std::min(turned.rows, canvas.rows - top));
  turned(cv::Rect(0, 0, where.width, where.height)).copyTo(canvas(where));
}

}  // namespace

std::vector<ChartTick> chart_ticks(double lo, double hi, int max_count, bool integers) {
  std::vector<ChartTick> ticks;
  if (!(hi > lo) || max_count < 1) return ticks;
  const double raw = (hi - lo) / std::max(1, max_count - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  if (integers) step = std::max(1.0, std::round(step));
  const int decimals = integers ? 0 : std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * (hi - lo); v += step) {
    const double value = std::fabs(v) < step * 1e-9 ? 0.0 : v;
    char label[32];
    if (std::fabs(value) >= 1e5 || (decimals > 4 && value != 0))
      std::snprintf(label, sizeof label, "%.2g", value);
    else
      std::snprintf(label, sizeof label, "%.*f", decimals, value);
    ticks.push_back({value, label});
  }
  return ticks;
}

ChartLayout layout_chart_panel(const ChartPanel& panel, int width, int height) {
  ChartLayout l;
  const auto [xmin, xmax] = value_ranges(panel, l);
  l.y_ticks = chart_ticks(l.ymin, l.ymax, 6, false);
  l.x_ticks = chart_ticks(xmin, xmax, 12, panel.integer_x);
  int label_width = 0;
  for (const auto& t : l.y_ticks) label_width = std::max(label_width, text_size(t.label, kTickScale).width);
  const int left = 6 + text_size("Ag", kLabelScale).height + 8 + label_width + 6;  // y title, tick labels
  const int legend_bottom = place_legend(panel, left, width, l);
  l.plot = cv::Rect(cv::Point(left, legend_bottom + 6), cv::Point(width - kRight, height - kBottom));
  return l;
}

namespace {

void draw_panel(cv::Mat& canvas, const ChartPanel& panel) {
  const ChartLayout l = layout_chart_panel(panel, canvas.cols, canvas.rows);
  const cv::Rect& box = l.plot;
  auto px = [&](double x, double y) {
    return cv::Point(static_cast<int>(std::lround(box.x + (x - l.xmin) / (l.xmax - l.xmin) * box.width)),
                     static_cast<int>(std::lround(box.br().y - (y - l.ymin) / (l.ymax - l.ymin) * box.height)));
  };
  cv::putText(canvas, panel.title, {box.x, 16}, kFont, kTitleScale, kInk, 1, cv::LINE_AA);
  for (const auto& t : l.y_ticks) {
    const int y = px(l.xmin, t.value).y;
    cv::line(canvas, {box.x, y}, {box.br().x, y}, kGrid, 1);
    const cv::Size s = text_size(t.label, kTickScale);
    cv::putText(canvas, t.label, {box.x - 5 - s.width, y + s.height / 2}, kFont, kTickScale, kGrey, 1, cv::LINE_AA);
  }
  for (const auto& t : l.x_ticks) {
    const int x = px(t.value, l.ymin).x;
    cv::line(canvas, {x, box.y}, {x, box.br().y}, kGrid, 1);
    cv::line(canvas, {x, box.br().y}, {x, box.br().y + 4}, kInk, 1);
    const cv::Size s = text_size(t.label, kTickScale);
    cv::putText(canvas, t.label, {x - s.width / 2, box.br().y + 8 + s.height}, kFont, kTickScale, kGrey, 1, cv::LINE_AA);
  }
  cv::rectangle(canvas, box, kInk, 1);
  const cv::Size xs = text_size(panel.x_label, kLabelScale);
  cv::putText(canvas, panel.x_label, {box.x + (box.width - xs.width) / 2, canvas.rows - 7}, kFont, kLabelScale, kInk, 1,
              cv::LINE_AA);
  if (!panel.y_label.empty()) draw_vertical_text(canvas, panel.y_label, {4, box.y + box.height / 2}, kLabelScale);

  cv::Mat plot = canvas(box);  // series are clipped to the box
  for (std::size_t s = 0; s < panel.series.size(); ++s) {
    const auto& series = panel.series[s];
    const std::size_t n = std::min(series.y.size(), panel.x.size());
    const cv::Point origin(box.x, box.y);
    for (std::size_t i = 0; i < n; ++i) {
      if (!std::isfinite(series.y[i])) continue;
      const cv::Point p = px(panel.x[i], series.y[i]) - origin;
      cv::circle(plot, p, 2, colour_of(s), cv::FILLED, cv::LINE_AA);
      if (i > 0 && std::isfinite(series.y[i - 1]))
        cv::line(plot, px(panel.x[i - 1], series.y[i - 1]) - origin, p, colour_of(s), 2, cv::LINE_AA);
    }
    const cv::Rect& entry = l.legend[s];
    const int mid = entry.y + entry.height / 2;
    cv::line(canvas, {entry.x, mid}, {entry.x + kLegendSample, mid}, colour_of(s), 2);
    cv::putText(canvas, series.name, {entry.x + kLegendSample + 4, mid + 4}, kFont, kLabelScale, colour_of(s), 1, cv::LINE_AA);
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
