#include "inference/metrics.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "data/classes.h"
#include "io/error.h"

namespace segmaker::inference {

ConfusionMatrix::ConfusionMatrix(int num_classes, int ignore_label)
    : num_classes_(num_classes), ignore_label_(ignore_label) {
  if (num_classes < 1) throw UserError("a confusion matrix needs at least 1 class, got " + std::to_string(num_classes));
  counts_.assign(static_cast<std::size_t>(num_classes) * num_classes, 0);
}

void ConfusionMatrix::update(const std::int64_t* prediction, const std::int64_t* target, std::size_t n) {
  const std::int64_t c = num_classes_;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t t = target[i];
    if (t == ignore_label_) continue;
    const std::int64_t p = prediction[i];
    if (t < 0 || t >= c)
      throw DataError("mask holds class id " + std::to_string(t) + " but the model has " + std::to_string(c) +
                      " classes (valid ids 0.." + std::to_string(c - 1) + ", " + std::to_string(ignore_label_) +
                      " = ignore)");
    if (p < 0 || p >= c) throw DataError("prediction holds class id " + std::to_string(p) + " outside 0.." + std::to_string(c - 1));
    ++counts_[static_cast<std::size_t>(t * c + p)];
  }
}

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  if (other.num_classes_ != num_classes_)
    throw UserError("cannot merge confusion matrices of " + std::to_string(num_classes_) + " and " +
                    std::to_string(other.num_classes_) + " classes");
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

void ConfusionMatrix::reset() { std::fill(counts_.begin(), counts_.end(), 0); }

std::int64_t ConfusionMatrix::total() const {
  std::int64_t sum = 0;
  for (auto v : counts_) sum += v;
  return sum;
}

SegmentationMetrics compute_metrics(const ConfusionMatrix& cm) {
  const int c = cm.num_classes();
  SegmentationMetrics m;
  m.num_classes = c;
  m.confusion = cm.counts();
  m.class_iou.assign(c, std::numeric_limits<double>::quiet_NaN());
  std::int64_t correct = 0;
  double iou_sum = 0;
  int iou_count = 0;
  for (int k = 0; k < c; ++k) {
    std::int64_t tp = cm.at(k, k), row = 0, col = 0;
    for (int j = 0; j < c; ++j) {
      row += cm.at(k, j);
      col += cm.at(j, k);
    }
    correct += tp;
    const std::int64_t uni = row + col - tp;
    if (uni > 0) {
      m.class_iou[k] = static_cast<double>(tp) / static_cast<double>(uni);
      iou_sum += m.class_iou[k];
      ++iou_count;
    }
  }
  const std::int64_t total = cm.total();
  m.pixel_accuracy = total > 0 ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
  m.miou = iou_count > 0 ? iou_sum / iou_count : 0.0;
  return m;
}

nlohmann::json to_json(const SegmentationMetrics& m, const std::vector<std::string>& class_names) {
  nlohmann::json j;
  j["mIOU"] = m.miou;
  j["pixel_accuracy"] = m.pixel_accuracy;
  nlohmann::json names = nlohmann::json::array();
  nlohmann::json per_class = nlohmann::json::object();
  nlohmann::json matrix = nlohmann::json::array();
  for (int k = 0; k < m.num_classes; ++k) {
    std::string name = data::class_name(class_names, k);
    names.push_back(name);
    per_class[name] = std::isnan(m.class_iou[k]) ? nlohmann::json(nullptr) : nlohmann::json(m.class_iou[k]);
    nlohmann::json row = nlohmann::json::array();
    for (int j2 = 0; j2 < m.num_classes; ++j2) row.push_back(m.confusion[static_cast<std::size_t>(k * m.num_classes + j2)]);
    matrix.push_back(row);
  }
  j["classes"] = names;
  j["per_class_iou"] = per_class;
  j["confusion_matrix"] = matrix;
  return j;
}

}  // namespace segmaker::inference
