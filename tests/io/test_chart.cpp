#include <cmath>

#include <opencv2/imgcodecs.hpp>

#include "io/chart.h"
#include "support/test_util.h"

namespace segmaker::io {
namespace {

TEST(Chart, DrawsSeriesInTheirColoursAndWritesPng) {
  ChartPanel loss{"loss", "epoch", {1, 2, 3}, {{"train", {1.0, 0.5, 0.25}}, {"validation", {1.2, NAN, 0.4}}}};
  ChartPanel miou{"validation", "epoch", {1, 2, 3}, {{"mIOU", {0.2, 0.4, 0.6}}}};
  cv::Mat img = draw_line_charts({loss, miou}, 300, 200);
  ASSERT_EQ(img.cols, 600);
  ASSERT_EQ(img.rows, 200);
  // Some pixels carry the first series' colour (BGR 200, 90, 30) in the first panel.
  int coloured = 0;
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < 300; ++x)
      if (img.at<cv::Vec3b>(y, x) == cv::Vec3b(200, 90, 30)) ++coloured;
  EXPECT_GT(coloured, 20);
  test::TempDir dir;
  write_line_charts(dir / "curves.png", {loss, miou}, 300, 200);
  cv::Mat back = cv::imread((dir / "curves.png").string());
  EXPECT_EQ(back.cols, 600);
  EXPECT_NO_THROW(draw_line_charts({ChartPanel{"empty", "x", {}, {}}}));
}

// curves.png for 2, 11 and 100 epochs (issue 13, defect 5: epochs were labelled "1.000" and
// "11.000" with nothing between, and a legend sat on its own line): ticks at whole epochs only, the
// legend outside the plot box, both axes titled.
TEST(Chart, EpochTicksAreWholeNumbersAndTheLegendStaysOffTheData) {
  for (int epochs : {2, 11, 100}) {
    ChartPanel p{"validation", "epoch", {}, {{"mIOU", {}}, {"pixel_accuracy", {}}}, "score (0 to 1)", true};
    for (int e = 1; e <= epochs; ++e) {
      p.x.push_back(e);
      p.series[0].y.push_back(0.3 + 0.004 * e);
      p.series[1].y.push_back(0.9);
    }
    const ChartLayout l = layout_chart_panel(p, 480, 320);
    ASSERT_GE(l.x_ticks.size(), 2u) << epochs;
    EXPECT_LE(l.x_ticks.size(), 12u) << epochs;
    for (const auto& t : l.x_ticks) {
      EXPECT_EQ(t.label, std::to_string(static_cast<int>(t.value))) << epochs;
      EXPECT_EQ(t.value, std::round(t.value)) << epochs;
      EXPECT_GE(t.value, 1) << epochs;
      EXPECT_LE(t.value, epochs) << epochs;
    }
    if (epochs <= 12) {
      EXPECT_EQ(l.x_ticks.size(), static_cast<std::size_t>(epochs)) << "every epoch gets its tick";
    }
    ASSERT_EQ(l.legend.size(), 2u);
    EXPECT_TRUE((l.legend[0] & l.legend[1]).empty());
    for (const auto& entry : l.legend) {
      EXPECT_TRUE((entry & l.plot).empty()) << epochs << ": a legend entry inside the plot box";
      EXPECT_EQ(entry & cv::Rect(0, 0, 480, 320), entry) << "inside the panel";
    }
  }
  // Pixels: with no data to draw, no series colour appears inside the box (the legend is outside it).
  ChartPanel empty{"loss", "epoch", {1, 2, 3}, {{"train", {NAN, NAN, NAN}}, {"validation", {NAN, NAN, NAN}}}, "cross-entropy", true};
  const cv::Mat img = draw_line_charts({empty}, 480, 320);
  const ChartLayout l = layout_chart_panel(empty, 480, 320);
  int inside = 0, outside = 0;
  for (int y = 0; y < img.rows; ++y)
    for (int x = 0; x < img.cols; ++x) {
      const cv::Vec3b px = img.at<cv::Vec3b>(y, x);
      if (px != cv::Vec3b(200, 90, 30) && px != cv::Vec3b(40, 40, 220)) continue;
      (l.plot.contains({x, y}) ? inside : outside)++;
    }
  EXPECT_EQ(inside, 0);
  EXPECT_GT(outside, 20);  // the legend's sample lines
}

TEST(Chart, TicksAreRoundValues) {
  std::vector<std::string> labels;
  for (const auto& t : chart_ticks(0.21, 0.83, 6, false)) labels.push_back(t.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"0.4", "0.6", "0.8"}));
  labels.clear();
  for (const auto& t : chart_ticks(0.5, 1.5, 12, true)) labels.push_back(t.label);
  EXPECT_EQ(labels, (std::vector<std::string>{"1"}));  // a single epoch
}

}  // namespace
}  // namespace segmaker::io
