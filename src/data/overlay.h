#pragma once
// Mask overlays people look at: the image with class colours blended in and a legend
// (palette swatch, class name, pixel share) on the right. RGB in, RGB out.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace segmaker::data {

// Blends the palette colour of every pixel's class into `rgb` (alpha = colour weight).
cv::Mat blend_mask(const cv::Mat& rgb, const cv::Mat& mask, double alpha = 0.5);

// blend_mask plus a legend panel listing the classes present (and 255 = ignore, if present).
cv::Mat overlay_with_legend(const cv::Mat& rgb, const cv::Mat& mask, const std::vector<std::string>& class_names,
                            double alpha = 0.5, const std::string& title = "");

// Draws a line of text with a dark outline so it reads on any background.
void draw_label(cv::Mat& image, const std::string& text, cv::Point origin, double scale = 0.5,
                cv::Scalar color = cv::Scalar(255, 255, 255));

}  // namespace segmaker::data
