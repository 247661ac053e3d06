#pragma once
// Segmentation metrics as SageMaker / GluonCV report them, torch-free:
// a confusion matrix accumulated over the whole set (not averaged per image), ignore pixels excluded.
//
//   IoU(c)          = TP(c) / (TP(c) + FP(c) + FN(c))
//   mIOU            = mean of IoU(c) over the classes c = 0..C-1 (background included) whose union
//                     TP+FP+FN is > 0. A class absent from both the ground truth and the predictions has no
//                     defined IoU: it is reported as null and left out of the mean (GluonCV would count it
//                     as 0, which punishes a validation set that merely lacks a class). On a set where every
//                     class occurs the two conventions agree.
//   pixel_accuracy  = sum TP / number of non-ignored pixels.
// With no non-ignored pixel at all, mIOU and pixel_accuracy are 0.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace segmaker::inference {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes, int ignore_label = 255);

  // Adds n pixels. Targets equal to ignore_label are skipped; any other target or prediction
  // outside 0..num_classes-1 throws DataError.
  void update(const std::int64_t* prediction, const std::int64_t* target, std::size_t n);
  void merge(const ConfusionMatrix& other);
  void reset();

  int num_classes() const { return num_classes_; }
  int ignore_label() const { return ignore_label_; }
  // Pixels with ground truth `truth` predicted as `predicted`.
  std::int64_t at(int truth, int predicted) const { return counts_[truth * num_classes_ + predicted]; }
  // Row-major [truth][predicted]; mutable for all-reduce across processes.
  std::vector<std::int64_t>& counts() { return counts_; }
  const std::vector<std::int64_t>& counts() const { return counts_; }
  std::int64_t total() const;

 private:
  int num_classes_;
  int ignore_label_;
  std::vector<std::int64_t> counts_;
};

struct SegmentationMetrics {
  double miou = 0;
  double pixel_accuracy = 0;
  std::vector<double> class_iou;   // NaN where the class is absent from truth and prediction
  std::vector<std::int64_t> confusion;  // row-major [truth][predicted]
  int num_classes = 0;
};

SegmentationMetrics compute_metrics(const ConfusionMatrix& cm);

// {"mIOU":…, "pixel_accuracy":…, "per_class_iou": {"<name>": iou|null, …}, "confusion_matrix": [[…]…],
//  "classes": [names]}. A class without a name is data::default_class_name(id).
nlohmann::json to_json(const SegmentationMetrics& m, const std::vector<std::string>& class_names = {});

}  // namespace segmaker::inference
