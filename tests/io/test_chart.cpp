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

}  // namespace
}  // namespace segmaker::io
