#pragma once
// A tiny synthetic Oxford-Pet folder for the data tests: images/<Breed>_<n>.jpg with a
// pet-shaped ellipse, annotations/trimaps/<Breed>_<n>.png (1 pet, 2 background, 3 boundary).
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "data/image_io.h"
#include "io/paths.h"

namespace segmaker::test {

struct PetImage {
  cv::Mat rgb;
  cv::Mat trimap;
};

inline PetImage make_pet(int w, int h, int seed) {
  PetImage p;
  p.rgb = cv::Mat(h, w, CV_8UC3, cv::Scalar(30 + seed % 50, 120, 200));
  p.trimap = cv::Mat(h, w, CV_8UC1, cv::Scalar(2));
  const cv::Point c(w / 2, h / 2);
  const cv::Size axes(w / 4 + 1, h / 4 + 1);
  cv::ellipse(p.trimap, c, axes, 0, 0, 360, cv::Scalar(3), 3);
  cv::ellipse(p.trimap, c, axes, 0, 0, 360, cv::Scalar(1), cv::FILLED);
  cv::ellipse(p.rgb, c, axes, 0, 0, 360, cv::Scalar(220, 160, 40), cv::FILLED);
  return p;
}

// Writes `stem` (e.g. "Bengal_3") into a Pet layout at `root`.
inline void write_pet(const std::filesystem::path& root, const std::string& stem, int w = 40, int h = 30, int seed = 0) {
  namespace fs = std::filesystem;
  fs::create_directories(root / "images");
  fs::create_directories(root / "annotations" / "trimaps");
  PetImage p = make_pet(w, h, seed);
  io::write_file_atomic(root / "images" / (stem + ".jpg"), data::encode_jpeg(p.rgb, 95));
  io::write_file_atomic(root / "annotations" / "trimaps" / (stem + ".png"), data::encode_png(p.trimap));
}

// A balanced little data set: `per_breed` images of each breed in `breeds`.
inline void write_pet_folder(const std::filesystem::path& root, const std::vector<std::string>& breeds, int per_breed) {
  int seed = 0;
  for (const auto& b : breeds)
    for (int i = 1; i <= per_breed; ++i) write_pet(root, b + "_" + std::to_string(i), 40 + i, 30 + i % 3, seed++);
}

}  // namespace segmaker::test
