#pragma once
// Tiny synthetic segmentation data in SageMaker's channel layout: bright squares (class 1) on a dark
// noisy background (class 0), a 255 border. OpenCV only, so that torch-free test programs (test_api)
// can write it too.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace segmaker::test {

inline void write_synthetic_channel(const std::filesystem::path& root, const std::string& channel, int count, int size,
                                    unsigned seed) {
  std::filesystem::create_directories(root / channel);
  std::filesystem::create_directories(root / (channel + "_annotation"));
  std::mt19937 rng(seed);
  for (int i = 0; i < count; ++i) {
    cv::Mat image(size, size, CV_8UC3), mask(size, size, CV_8UC1, cv::Scalar(0));
    cv::randu(image, cv::Scalar(0, 0, 0), cv::Scalar(60, 60, 60));
    const int s = size / 3 + static_cast<int>(rng() % (size / 4));
    const int x = static_cast<int>(rng() % (size - s)), y = static_cast<int>(rng() % (size - s));
    cv::rectangle(image, cv::Rect(x, y, s, s), cv::Scalar(200, 180, 160), cv::FILLED);
    cv::rectangle(mask, cv::Rect(x, y, s, s), cv::Scalar(1), cv::FILLED);
    cv::rectangle(mask, cv::Rect(0, 0, size, size), cv::Scalar(255), 1);  // ignore border
    const std::string name = channel + "_" + std::to_string(i);
    cv::imwrite((root / channel / (name + ".jpg")).string(), image);  // BGR, as imwrite expects
    cv::imwrite((root / (channel + "_annotation") / (name + ".png")).string(), mask);
  }
}

// train: 8 images, validation: 4 images, 40×40, 2 classes, classes.json.
inline void write_synthetic_data(const std::filesystem::path& root, int train = 8, int validation = 4, int size = 40) {
  write_synthetic_channel(root, "train", train, size, 1);
  write_synthetic_channel(root, "validation", validation, size, 2);
  nlohmann::json classes = {{"label_mode", "binary"}, {"num_classes", 2}, {"ignore_label", 255},
                            {"classes", {{"0", "background"}, {"1", "square"}}}};
  std::ofstream((root / "classes.json").string()) << classes.dump();
}

}  // namespace segmaker::test
