// Hyperparameter tuning jobs over HTTP, in-process on tiny synthetic data: SageMaker's validation
// errors, a search whose trials are ordinary training jobs, early stopping, StopHyperParameterTuningJob,
// and a service restarted mid-tuning that finishes with exactly the asked number of trials.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "api/service.h"
#include "support/synthetic_data.h"
#include "api_fixture.h"

namespace segmaker::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

json tuning_request(const std::string& name, const fs::path& data, const fs::path& out, const std::string& strategy = "Random",
                    int max_jobs = 3, int parallel = 1, int epochs = 1) {
  json training = training_job_request("x", data, out, epochs);
  json def = {{"StaticHyperParameters", training["HyperParameters"]},
              {"AlgorithmSpecification", training["AlgorithmSpecification"]},
              {"RoleArn", training["RoleArn"]},
              {"InputDataConfig", training["InputDataConfig"]},
              {"OutputDataConfig", training["OutputDataConfig"]},
              {"HyperParameterTuningResourceConfig", training["ResourceConfig"]},
              {"StoppingCondition", training["StoppingCondition"]}};
  def["StaticHyperParameters"].erase("mini_batch_size");
  return {{"HyperParameterTuningJobName", name},
          {"HyperParameterTuningJobConfig",
           {{"Strategy", strategy},
            {"HyperParameterTuningJobObjective", {{"Type", "Maximize"}, {"MetricName", "validation:mIOU"}}},
            {"ResourceLimits", {{"MaxNumberOfTrainingJobs", max_jobs}, {"MaxParallelTrainingJobs", parallel}}},
            {"ParameterRanges",
             {{"ContinuousParameterRanges",
               {{{"Name", "learning_rate"}, {"MinValue", "0.0001"}, {"MaxValue", "0.1"}, {"ScalingType", "Logarithmic"}}}},
              {"IntegerParameterRanges", {{{"Name", "mini_batch_size"}, {"MinValue", "2"}, {"MaxValue", "4"}}}},
              {"CategoricalParameterRanges", {{{"Name", "optimizer"}, {"Values", {"sgd", "adam"}}}}}}},
            {"TrainingJobEarlyStoppingType", "Off"}}},
          {"TrainingJobDefinition", def}};
}

// The message of a CreateHyperParameterTuningJob that `change` breaks (its type must be ValidationException).
std::string refusal(const ApiServer& api, const std::function<void(json&)>& change) {
  json r = tuning_request("bad", api.temp() / "data", api.temp() / "out");
  change(r);
  const ApiReply reply = api.call("CreateHyperParameterTuningJob", r);
  EXPECT_EQ(reply.status, 400) << reply.body;
  EXPECT_EQ(reply.type(), "ValidationException") << reply.body;
  return reply.message();
}

json& config(json& r) { return r["HyperParameterTuningJobConfig"]; }
json& continuous(json& r) { return config(r)["ParameterRanges"]["ContinuousParameterRanges"][0]; }

TEST(Tuning, RequestsSageMakerWouldRefuseAreValidationErrorsThatSayWhy) {
  ApiServer api;
  write_synthetic_data(api.temp() / "data");
  auto has = [](const std::string& message, const std::string& part) {
    return message.find(part) != std::string::npos ? ::testing::AssertionSuccess()
                                                  : ::testing::AssertionFailure() << "'" << part << "' not in: " << message;
  };
  EXPECT_TRUE(has(refusal(api, [](json& r) { continuous(r)["MinValue"] = "0.5"; }), "less than or equal to MaxValue"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { continuous(r)["MinValue"] = "0"; }), "Logarithmic scaling requires MinValue > 0"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { continuous(r)["Name"] = "learning_rat"; }), "'learning_rat' is not a hyperparameter"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { r["TrainingJobDefinition"]["StaticHyperParameters"]["learning_rate"] = "0.01"; }),
                  "both tuned and static"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { r["TrainingJobDefinition"]["StaticHyperParameters"]["dropout"] = "0.1"; }),
                  "'dropout' is not a hyperparameter"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { config(r)["HyperParameterTuningJobObjective"]["MetricName"] = "validation:dice"; }),
                  "must be one the algorithm emits"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { config(r)["Strategy"] = "Grid"; }), "Grid strategy searches categorical ranges only"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { config(r)["ResourceLimits"]["MaxParallelTrainingJobs"] = 5; }),
                  "less than or equal to MaxNumberOfTrainingJobs"));
  EXPECT_TRUE(has(refusal(api, [](json& r) {
                    config(r)["Strategy"] = "Hyperband";
                    config(r)["TrainingJobEarlyStoppingType"] = "Auto";
                  }),
                  "TrainingJobEarlyStoppingType must be Off"));
  EXPECT_TRUE(has(refusal(api, [](json& r) {
                    config(r)["ParameterRanges"]["ContinuousParameterRanges"].push_back(
                        {{"Name", "mini_batch_size"}, {"MinValue", "2"}, {"MaxValue", "8"}});
                    config(r)["ParameterRanges"].erase("IntegerParameterRanges");
                  }),
                  "tune it with an IntegerParameterRange"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { continuous(r)["MaxValue"] = "1.5"; }), "goes outside what it allows"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { config(r)["ParameterRanges"]["CategoricalParameterRanges"][0]["Values"][1] = "sgdd"; }),
                  "'sgdd' of categorical range optimizer is not allowed"));
  EXPECT_TRUE(has(refusal(api, [](json& r) {
                    auto& channels = r["TrainingJobDefinition"]["InputDataConfig"];
                    channels.erase(channels.begin() + 2, channels.end());
                  }),
                  "give the trials a 'validation' channel"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { r["HyperParameterTuningJobName"] = "a-name-longer-than-thirty-two-characters"; }),
                  "hyperParameterTuningJobName"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { r["TrainingJobDefinition"]["OutputDataConfig"]["S3OutputPath"] = "file:///etc"; }),
                  "the trials would be refused"));
  EXPECT_TRUE(has(refusal(api, [](json& r) {
                    r["WarmStartConfig"] = {{"WarmStartType", "TransferLearning"},
                                            {"ParentHyperParameterTuningJobs", {{{"HyperParameterTuningJobName", "nope"}}}}};
                  }),
                  "parent tuning job does not exist"));
  EXPECT_TRUE(has(refusal(api, [](json& r) {
                    config(r)["ParameterRanges"]["IntegerParameterRanges"].push_back({{"Name", "seed"}, {"MinValue", "0"}, {"MaxValue", "3000000000"}});
                  }),
                  "goes outside what it allows"));
  // the trials' hyperparameters go through the algorithm's own parser (segmaker hyperparameters --check)
  const std::string warmup = refusal(api, [](json& r) { r["TrainingJobDefinition"]["StaticHyperParameters"]["warmup_epochs"] = "5"; });
  EXPECT_TRUE(has(warmup, "would be refused by the algorithm"));
  EXPECT_TRUE(has(warmup, "warmup_epochs = 5 must be smaller than epochs = 1"));
  EXPECT_TRUE(has(refusal(api, [](json& r) { r["TrainingJobDefinition"]["StaticHyperParameters"]["epochs"] = "many"; }),
                  "hyperparameter epochs = \"many\" is invalid"));
  const ApiReply missing = api.call("DescribeHyperParameterTuningJob", {{"HyperParameterTuningJobName", "nope"}});
  EXPECT_EQ(missing.type(), "ResourceNotFound") << missing.body;
  EXPECT_EQ(api.call("ListHyperParameterTuningJobs").body["HyperParameterTuningJobSummaries"].size(), 0u) << "nothing was created";
}

// Polls DescribeHyperParameterTuningJob until it ends.
json wait_tuning(const ApiServer& api, const std::string& name, std::chrono::seconds timeout = std::chrono::seconds(600)) {
  return api.wait_while("DescribeHyperParameterTuningJob", {{"HyperParameterTuningJobName", name}},
                        "HyperParameterTuningJobStatus", {"InProgress", "Stopping"}, timeout);
}

json trials(const ApiServer& api, const std::string& name, json request = json::object()) {
  request["HyperParameterTuningJobName"] = name;
  request["MaxResults"] = 100;
  return api.call("ListTrainingJobsForHyperParameterTuningJob", request).body["TrainingJobSummaries"];
}

TEST(Tuning, TrialsAreTrainingJobsAndTheBestIsKept) {
  ApiServer api;
  write_synthetic_data(api.temp() / "data");
  json request = tuning_request("tiny-tune", api.temp() / "data", api.temp() / "out", "Bayesian", 3, 2, 2);
  config(request)["TrainingJobEarlyStoppingType"] = "Auto";
  const ApiReply created = api.call("CreateHyperParameterTuningJob", request);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.body["HyperParameterTuningJobArn"], "arn:aws:sagemaker:us-east-1:000000000000:hyper-parameter-tuning-job/tiny-tune");
  EXPECT_EQ(api.call("CreateHyperParameterTuningJob", request).type(), "ResourceInUse");
  const json done = wait_tuning(api, "tiny-tune");
  ASSERT_EQ(done["HyperParameterTuningJobStatus"], "Completed") << done.dump(2);
  const json counters = done["TrainingJobStatusCounters"];
  EXPECT_EQ(counters["Completed"].get<int>() + counters["Stopped"].get<int>(), 3) << done.dump(2);
  EXPECT_EQ(done["ObjectiveStatusCounters"]["Succeeded"], 3) << done.dump(2);
  const json list = trials(api, "tiny-tune", {{"SortBy", "FinalObjectiveMetricValue"}, {"SortOrder", "Descending"}});
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(done["BestTrainingJob"]["TrainingJobName"], list[0]["TrainingJobName"]);
  EXPECT_GE(list[0]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"].get<double>(),
            list[2]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"].get<double>());
  std::set<std::string> names;
  for (const auto& t : list) {
    const std::string name = t["TrainingJobName"];
    names.insert(name);
    EXPECT_TRUE(std::regex_match(name, std::regex("tiny-tune-00[1-3]-[0-9a-f]{8}"))) << name;
    const double lr = std::stod(t["TunedHyperParameters"]["learning_rate"].get<std::string>());
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 0.1);
    const json job = api.call("DescribeTrainingJob", {{"TrainingJobName", name}}).body;
    EXPECT_EQ(job["TuningJobArn"], created.body["HyperParameterTuningJobArn"]);
    EXPECT_EQ(job["HyperParameters"]["_tuning_objective_metric"], "validation:mIOU");
    EXPECT_EQ(job["HyperParameters"]["learning_rate"], t["TunedHyperParameters"]["learning_rate"]);
  }
  EXPECT_EQ(names.size(), 3u);
  const json summaries = api.call("ListHyperParameterTuningJobs").body["HyperParameterTuningJobSummaries"];
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(summaries[0]["Strategy"], "Bayesian");
  EXPECT_EQ(api.call("StopHyperParameterTuningJob", {{"HyperParameterTuningJobName", "tiny-tune"}}).type(), "ValidationException");
}

TEST(Tuning, StopEndsEveryRunningTrial) {
  ApiServer api;
  write_synthetic_data(api.temp() / "data");
  ASSERT_EQ(api.call("CreateHyperParameterTuningJob",
                     tuning_request("stop-me", api.temp() / "data", api.temp() / "out", "Random", 4, 2, 50)).status, 200);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < end && trials(api, "stop-me").size() < 2)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(trials(api, "stop-me").size(), 2u);
  ASSERT_EQ(api.call("StopHyperParameterTuningJob", {{"HyperParameterTuningJobName", "stop-me"}}).status, 200);
  const json done = wait_tuning(api, "stop-me", std::chrono::seconds(180));
  EXPECT_EQ(done["HyperParameterTuningJobStatus"], "Stopped") << done.dump(2);
  EXPECT_EQ(done["TrainingJobStatusCounters"]["Stopped"], 2) << done.dump(2);
  for (const auto& t : trials(api, "stop-me")) EXPECT_EQ(t["TrainingJobStatus"], "Stopped") << t;
  EXPECT_EQ(trials(api, "stop-me").size(), 2u) << "no trial starts after the stop";
}

TEST(Tuning, ARestartMidTuningLosesNoTrialAndRunsNoneTwice) {
  TempDir dir;
  write_synthetic_data(dir.path() / "data");
  api::ServiceOptions options;
  options.allowed_local_paths = {dir.path()};
  const fs::path root = dir.path() / "root";
  {
    ApiServer api(options, root);
    ASSERT_EQ(api.call("CreateHyperParameterTuningJob", tuning_request("again", dir.path() / "data", dir.path() / "out", "Random", 3, 1, 2))
                  .status, 200);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    while (std::chrono::steady_clock::now() < end &&
           api.call("DescribeTrainingJob", {{"TrainingJobName", trials(api, "again").empty() ? "none" : trials(api, "again")[0]["TrainingJobName"]}})
                   .body.value("SecondaryStatus", "") != "Training")
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }  // the service stops while the first trial trains
  ApiServer api(options, root);
  const json done = wait_tuning(api, "again");
  ASSERT_EQ(done["HyperParameterTuningJobStatus"], "Completed") << done.dump(2);
  const json list = trials(api, "again");
  ASSERT_EQ(list.size(), 3u);
  std::set<std::string> names;
  for (const auto& t : list) names.insert(t["TrainingJobName"].get<std::string>());
  EXPECT_EQ(names.size(), 3u);
  json jobs = api.call("ListTrainingJobs", {{"NameContains", "again"}, {"MaxResults", 100}}).body["TrainingJobSummaries"];
  EXPECT_EQ(jobs.size(), 3u) << "exactly the asked number of training jobs: " << jobs;
  EXPECT_EQ(done["TrainingJobStatusCounters"]["Completed"], 3) << done.dump(2);
}

}  // namespace
}  // namespace segmaker::test
