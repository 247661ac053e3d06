// The tuning runner against simulated trials: its hooks create and stop "training jobs" that are
// only store records, and the test writes their per-epoch objective into the metric store, so the
// median rule, Hyperband's rungs, the completion criteria and the record-before-job order are
// checked exactly, with no training process.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "api/log_sources.h"
#include "api/metric_store.h"
#include "api/names.h"
#include "api/store.h"
#include "api/tuning_job.h"
#include "api/tuning_runner.h"
#include "api/tuning_trials.h"
#include "support/process.h"
#include "support/test_util.h"

namespace segmaker::api {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json request(const std::string& strategy, int max_jobs, int parallel, const std::string& early_stopping = "Off") {
  json channels = json::array();
  for (const char* c : {"train", "train_annotation", "validation", "validation_annotation"})
    channels.push_back({{"ChannelName", c}, {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", std::string("s3://b/") + c}}}}}});
  return {{"HyperParameterTuningJobName", "sim"},
          {"HyperParameterTuningJobConfig",
           {{"Strategy", strategy},
            {"HyperParameterTuningJobObjective", {{"Type", "Maximize"}, {"MetricName", "validation:mIOU"}}},
            {"ResourceLimits", {{"MaxNumberOfTrainingJobs", max_jobs}, {"MaxParallelTrainingJobs", parallel}}},
            {"ParameterRanges", {{"ContinuousParameterRanges", {{{"Name", "learning_rate"}, {"MinValue", "0.001"}, {"MaxValue", "0.1"}}}}}},
            {"TrainingJobEarlyStoppingType", early_stopping},
            {"StrategyConfig", {{"HyperbandStrategyConfig", {{"MinResource", 1}, {"MaxResource", 9}}}}}}},
          {"TrainingJobDefinition",
           {{"StaticHyperParameters", {{"num_classes", "2"}}},
            {"AlgorithmSpecification", {{"TrainingImage", "semantic-segmentation"}, {"TrainingInputMode", "File"}}},
            {"RoleArn", "arn:aws:iam::000000000000:role/r"},
            {"InputDataConfig", channels},
            {"OutputDataConfig", {{"S3OutputPath", "s3://b/out"}}},
            {"ResourceConfig", {{"InstanceType", "ml.c5.xlarge"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 1}}},
            {"StoppingCondition", {{"MaxRuntimeInSeconds", 3600}}}}}};
}

class SimulatedTuning : public ::testing::Test {
 protected:
  void start(const json& r) {
    Resource t;
    t.kind = kTuningJobKind;
    t.name = "sim";
    t.arn = make_arn("us-east-1", "000000000000", "hyper-parameter-tuning-job", "sim");
    t.status = "InProgress";
    t.creation_time = t.last_modified_time = now_seconds();
    t.document = new_tuning_job_document(r, t.arn, t.creation_time, 10);
    ASSERT_TRUE(store_.insert(t));
    run();
  }
  void run() {
    TuningRunnerHooks hooks;
    hooks.create_training_job = [this](const json& req, const json& extra) {
      Resource j;
      j.kind = "TrainingJob";
      j.name = req.at("TrainingJobName");
      j.status = "InProgress";
      j.creation_time = j.last_modified_time = now_seconds();
      j.document = {{"HyperParameters", req["HyperParameters"]}, {"TuningJobArn", extra["TuningJobArn"]}};
      std::lock_guard lock(mutex_);
      ++created_;
      EXPECT_TRUE(store_.insert(j)) << "a trial's training job is created once: " << j.name;
    };
    hooks.stop_training_job = [this](const std::string& name) {
      std::lock_guard lock(mutex_);
      stopped_.insert(name);
      set_status(name, "Stopped");
    };
    runner_ = std::make_unique<TuningRunner>(store_, metrics_, hooks, std::chrono::milliseconds(10));
    runner_->start();
  }
  std::vector<std::string> trial_names() {
    std::vector<std::string> names;
    const json records = store_.get(kTuningJobKind, "sim")->document["_Trials"];
    for (const auto& t : records) names.push_back(t["name"]);
    return names;
  }
  std::string trial(std::size_t i) {
    EXPECT_TRUE(test::wait_until([&] { return trial_names().size() > i && store_.get("TrainingJob", trial_names()[i]); },
                                 std::chrono::seconds(10)));
    return trial_names().at(i);
  }
  void epoch(const std::string& name, double miou) {
    static std::int64_t clock = 1000;
    metrics_.put(MetricId{kTrainingMetricsNamespace, "validation:mIOU", {{"TrainingJobName", name}}}, clock++, miou);
    runner_->wake();
  }
  void set_status(const std::string& name, const std::string& status) {
    store_.update("TrainingJob", name, [&](Resource& r) { r.status = status; });
    if (runner_) runner_->wake();
  }
  bool stopped(const std::string& name) {
    std::lock_guard lock(mutex_);
    return stopped_.count(name) > 0;
  }
  // Waits a few polls for the runner to act (or not).
  void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(150)); }
  json document() { return store_.get(kTuningJobKind, "sim")->document; }

  test::TempDir dir_;
  Store store_{dir_.path() / "api.db"};
  MetricStore metrics_{dir_.path() / "metrics.db"};
  std::unique_ptr<TuningRunner> runner_;
  std::mutex mutex_;
  std::set<std::string> stopped_;
  int created_ = 0;
};

TEST_F(SimulatedTuning, TheMedianRuleStopsATrialWorseThanTheEarlierOnes) {
  start(request("Random", 3, 2, "Auto"));
  const std::string first = trial(0), second = trial(1);
  settle();
  EXPECT_EQ(trial_names().size(), 2u) << "MaxParallelTrainingJobs";
  for (double v : {0.5, 0.6, 0.7}) epoch(first, v);
  set_status(first, "Completed");
  const std::string third = trial(2);
  epoch(second, 0.2);  // below the first trial's running average after one epoch (0.5)
  ASSERT_TRUE(test::wait_until([&] { return stopped(second); }, std::chrono::seconds(5)));
  epoch(third, 0.55);  // above it
  epoch(third, 0.56);  // above the median at epoch 2 (0.55)
  settle();
  EXPECT_FALSE(stopped(third));
  epoch(third, 0.5);  // at epoch 3 below the first trial's average (0.6)
  ASSERT_TRUE(test::wait_until([&] { return stopped(third); }, std::chrono::seconds(5)));
  ASSERT_TRUE(test::wait_until([&] { return document()["HyperParameterTuningJobStatus"] == "Completed"; }, std::chrono::seconds(5)))
      << document().dump(2);
  const json d = document();
  EXPECT_EQ(d["TrainingJobStatusCounters"]["Completed"], 1);
  EXPECT_EQ(d["TrainingJobStatusCounters"]["Stopped"], 2);
  EXPECT_EQ(d["ObjectiveStatusCounters"]["Succeeded"], 3) << "a trial stopped early keeps its last objective";
  EXPECT_EQ(d["BestTrainingJob"]["TrainingJobName"], first);
  EXPECT_DOUBLE_EQ(d["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"].get<double>(), 0.7);
  EXPECT_EQ(created_, 3);
}

TEST_F(SimulatedTuning, HyperbandKeepsTheBestThirdAtEachRung) {
  start(request("Hyperband", 3, 3));
  const std::string a = trial(0), b = trial(1), c = trial(2);
  EXPECT_EQ(store_.get("TrainingJob", a)->document["HyperParameters"]["epochs"], "9") << "every trial asks for MaxResource";
  epoch(a, 0.5);  // bracket 2 (rungs at epochs 1 and 3): the first at the rung goes on
  settle();
  EXPECT_FALSE(stopped(a));
  epoch(b, 0.3);  // 2nd of 2 at epoch 1: only the best ceil(2/3) = 1 goes on
  ASSERT_TRUE(test::wait_until([&] { return stopped(b); }, std::chrono::seconds(5)));
  epoch(c, 0.6);  // best of 3
  epoch(c, 0.6);
  settle();
  EXPECT_FALSE(stopped(c));
  epoch(a, 0.55);  // epoch 2 is no rung
  settle();
  EXPECT_FALSE(stopped(a)) << "a trial that passed a rung is not judged there again";
}

TEST_F(SimulatedTuning, TargetObjectiveEndsTheSearchAndStopsTheRest) {
  json r = request("Random", 10, 2);
  r["HyperParameterTuningJobConfig"]["TuningJobCompletionCriteria"] = {{"TargetObjectiveMetricValue", 0.8}};
  start(r);
  const std::string a = trial(0), b = trial(1);
  epoch(a, 0.85);
  set_status(a, "Completed");
  ASSERT_TRUE(test::wait_until([&] { return document()["HyperParameterTuningJobStatus"] == "Completed"; }, std::chrono::seconds(5)))
      << document().dump(2);
  EXPECT_TRUE(stopped(b));
  EXPECT_EQ(trial_names().size(), 2u) << "no trial starts once the target is reached";
}

TEST_F(SimulatedTuning, ATrialRecordedButNotCreatedIsCreatedOnRestart) {
  start(request("Random", 2, 1));
  const std::string a = trial(0);
  runner_->shutdown();
  // What a crash between the two writes leaves: the record of trial 2, no training job.
  store_.update(kTuningJobKind, "sim", [&](Resource& t) {
    t.document["_Trials"].push_back({{"name", trial_name("sim", t.arn, 1)}, {"tuned", {{"learning_rate", "0.01"}}}});
  });
  set_status(a, "Completed");
  run();
  const std::string b = trial(1);
  EXPECT_EQ(b, trial_name("sim", store_.get(kTuningJobKind, "sim")->arn, 1));
  EXPECT_EQ(store_.get("TrainingJob", b)->document["HyperParameters"]["learning_rate"], "0.01");
  set_status(b, "Completed");
  ASSERT_TRUE(test::wait_until([&] { return document()["HyperParameterTuningJobStatus"] != "InProgress"; }, std::chrono::seconds(5)));
  EXPECT_EQ(document()["HyperParameterTuningJobStatus"], "Failed") << "no trial emitted the objective";
  EXPECT_NE(document().value("FailureReason", "").find("validation:mIOU"), std::string::npos);
  EXPECT_EQ(created_, 2);
}

}  // namespace
}  // namespace segmaker::api
