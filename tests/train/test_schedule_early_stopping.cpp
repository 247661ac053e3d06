#include <cmath>

#include <nlohmann/json.hpp>

#include "io/error.h"
#include "support/test_util.h"
#include "train/early_stopping.h"
#include "train/schedule.h"

namespace segmaker::train {
namespace {

TEST(Schedule, PolyPerIteration) {
  LrSchedule s({"poly", 0.1, 2, 5});
  EXPECT_EQ(s.total_iterations(), 10);
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.1);
  EXPECT_DOUBLE_EQ(s.lr_at(3), 0.1 * std::pow(1 - 3.0 / 10, 0.9));
  EXPECT_DOUBLE_EQ(s.lr_at(9), 0.1 * std::pow(1 - 9.0 / 10, 0.9));
  EXPECT_DOUBLE_EQ(s.lr_at(100), s.lr_at(9));  // clamped
  for (int i = 1; i < 10; ++i) EXPECT_LT(s.lr_at(i), s.lr_at(i - 1));
}

TEST(Schedule, Cosine) {
  LrSchedule s({"cosine", 0.2, 1, 4});
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.2);
  EXPECT_NEAR(s.lr_at(2), 0.1, 1e-12);
  EXPECT_NEAR(s.lr_at(1), 0.2 * (1 + std::cos(M_PI / 4)) / 2, 1e-12);
}

TEST(Schedule, StepAtEpochBoundaries) {
  ScheduleOptions o{"step", 1.0, 6, 3};
  o.factor = 0.5;
  o.steps = {2, 4};
  LrSchedule s(o);
  EXPECT_DOUBLE_EQ(s.lr_at(5), 1.0);   // epoch 1 (0-based), last iteration
  EXPECT_DOUBLE_EQ(s.lr_at(6), 0.5);   // epoch 2 starts
  EXPECT_DOUBLE_EQ(s.lr_at(11), 0.5);
  EXPECT_DOUBLE_EQ(s.lr_at(12), 0.25);
}

TEST(Schedule, LinearWarmupThenPoly) {
  ScheduleOptions o{"poly", 0.4, 3, 4};
  o.warmup_epochs = 1;
  LrSchedule s(o);
  EXPECT_DOUBLE_EQ(s.lr_at(0), 0.0);
  EXPECT_DOUBLE_EQ(s.lr_at(2), 0.2);
  EXPECT_DOUBLE_EQ(s.lr_at(4), 0.4);  // warm-up over: poly starts at base
  EXPECT_DOUBLE_EQ(s.lr_at(6), 0.4 * std::pow(1 - 2.0 / 8, 0.9));
  EXPECT_THROW(LrSchedule({"linear", 0.1, 1, 1}), UserError);
}

TEST(EarlyStopping, StopsAfterPatienceButNotBeforeMinEpochs) {
  EarlyStopping es(true, /*min_epochs=*/4, /*patience=*/2, /*tolerance=*/0.0);
  EXPECT_FALSE(es.update(1, 0.50));
  EXPECT_FALSE(es.update(2, 0.40));
  EXPECT_FALSE(es.update(3, 0.45));  // 2 bad epochs, but min_epochs = 4
  EXPECT_TRUE(es.update(4, 0.49));
  EXPECT_DOUBLE_EQ(es.best(), 0.50);
}

TEST(EarlyStopping, RelativeToleranceAndReset) {
  EarlyStopping es(true, 0, 2, 0.1);
  EXPECT_FALSE(es.update(1, 0.50));
  EXPECT_FALSE(es.update(2, 0.54));  // +8 % < 10 %: not an improvement
  EXPECT_EQ(es.epochs_without_improvement(), 1);
  EXPECT_FALSE(es.update(3, 0.56));  // +12 %: improvement, counter resets
  EXPECT_EQ(es.epochs_without_improvement(), 0);
  EXPECT_FALSE(es.update(4, 0.57));
  EXPECT_TRUE(es.update(5, 0.58));
}

TEST(EarlyStopping, DisabledNeverStopsAndStateRoundTrips) {
  EarlyStopping off(false, 0, 1, 0.0);
  off.update(1, 0.5);
  EXPECT_FALSE(off.update(2, 0.1));
  EarlyStopping a(true, 0, 3, 0.0);
  a.update(1, 0.3);
  a.update(2, 0.2);
  EarlyStopping b(true, 0, 3, 0.0);
  b.load_state(a.state());
  EXPECT_EQ(b.epochs_without_improvement(), 1);
  EXPECT_FALSE(b.update(3, 0.1));
  EXPECT_TRUE(b.update(4, 0.1));
}

}  // namespace
}  // namespace segmaker::train
