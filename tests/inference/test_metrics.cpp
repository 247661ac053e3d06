#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/error.h"
#include "support/test_util.h"
#include "inference/metrics.h"

namespace segmaker::inference {
namespace {

TEST(Metrics, HandComputedConfusionMatrix) {
  // truth:      0 0 0 1 1 2 2 255
  // prediction: 0 0 1 1 2 2 0 1
  std::vector<std::int64_t> t{0, 0, 0, 1, 1, 2, 2, 255}, p{0, 0, 1, 1, 2, 2, 0, 1};
  ConfusionMatrix cm(3);
  cm.update(p.data(), t.data(), t.size());
  EXPECT_EQ(cm.total(), 7);  // the ignore pixel is excluded
  EXPECT_EQ(cm.at(0, 0), 2);
  EXPECT_EQ(cm.at(0, 1), 1);
  EXPECT_EQ(cm.at(1, 2), 1);
  EXPECT_EQ(cm.at(2, 0), 1);
  SegmentationMetrics m = compute_metrics(cm);
  // IoU0 = 2 / (3 + 3 - 2) = 0.5; IoU1 = 1 / (2 + 2 - 1) = 1/3; IoU2 = 1 / (2 + 2 - 1) = 1/3
  EXPECT_DOUBLE_EQ(m.class_iou[0], 0.5);
  EXPECT_DOUBLE_EQ(m.class_iou[1], 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.class_iou[2], 1.0 / 3);
  EXPECT_DOUBLE_EQ(m.miou, (0.5 + 2.0 / 3) / 3);
  EXPECT_DOUBLE_EQ(m.pixel_accuracy, 4.0 / 7);
}

TEST(Metrics, AccumulatesOverTheWholeSetNotPerImage) {
  // Image A: 1 pixel of class 1 predicted right; image B: 99 pixels of class 1 all predicted 0.
  ConfusionMatrix cm(2);
  std::vector<std::int64_t> ta{1}, pa{1}, tb(99, 1), pb(99, 0);
  cm.update(pa.data(), ta.data(), 1);
  cm.update(pb.data(), tb.data(), tb.size());
  SegmentationMetrics m = compute_metrics(cm);
  EXPECT_DOUBLE_EQ(m.class_iou[1], 1.0 / 100);
  EXPECT_DOUBLE_EQ(m.class_iou[0], 0.0);
  EXPECT_DOUBLE_EQ(m.pixel_accuracy, 1.0 / 100);
}

TEST(Metrics, ClassAbsentFromTruthAndPredictionIsLeftOutOfTheMean) {
  std::vector<std::int64_t> t{0, 0, 1, 1}, p{0, 1, 1, 1};
  ConfusionMatrix cm(3);
  cm.update(p.data(), t.data(), t.size());
  SegmentationMetrics m = compute_metrics(cm);
  EXPECT_TRUE(std::isnan(m.class_iou[2]));
  EXPECT_DOUBLE_EQ(m.miou, (0.5 + 2.0 / 3) / 2);
  nlohmann::json j = to_json(m, {"background", "pet", "boundary"});
  EXPECT_TRUE(j["per_class_iou"]["boundary"].is_null());
  EXPECT_DOUBLE_EQ(j["per_class_iou"]["background"].get<double>(), 0.5);
  EXPECT_EQ(j["confusion_matrix"][0][1], 1);
  EXPECT_EQ(j["classes"][2], "boundary");
}

TEST(Metrics, PerfectPredictionAndEmptySet) {
  std::vector<std::int64_t> t{0, 1, 2, 255}, p{0, 1, 2, 7};
  ConfusionMatrix cm(3);
  cm.update(p.data(), t.data(), t.size());  // the prediction at an ignore pixel is not checked
  EXPECT_DOUBLE_EQ(compute_metrics(cm).miou, 1.0);
  EXPECT_DOUBLE_EQ(compute_metrics(ConfusionMatrix(3)).miou, 0.0);
  EXPECT_DOUBLE_EQ(compute_metrics(ConfusionMatrix(3)).pixel_accuracy, 0.0);
}

TEST(Metrics, OutOfRangeIdsAreClearErrorsAndMergeAdds) {
  std::vector<std::int64_t> t{5}, p{0};
  ConfusionMatrix cm(3);
  try {
    cm.update(p.data(), t.data(), 1);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("class id 5"), std::string::npos);
  }
  std::vector<std::int64_t> ok{1};
  cm.update(ok.data(), ok.data(), 1);
  ConfusionMatrix other(3);
  other.update(ok.data(), ok.data(), 1);
  cm.merge(other);
  EXPECT_EQ(cm.at(1, 1), 2);
  EXPECT_THROW(cm.merge(ConfusionMatrix(2)), UserError);
}

}  // namespace
}  // namespace segmaker::inference
