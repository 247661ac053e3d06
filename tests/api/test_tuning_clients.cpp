// Tuning jobs from the real clients on the notebook's Pet sample: the AWS CLI creates one (4 trials,
// 2 in parallel, early stopping Auto), boto3 describes it and pages through its trials sorted by the
// objective, and the SageMaker Python SDK's HyperparameterTuner fits, names the best training job and
// reads the analytics (scripts/tune.py, with the SDK in ../shared/tools/sagemaker-sdk-v2).
#include <set>

#include "clients_fixture.h"

namespace segmaker::test {
namespace {

fs::path sdk_dir() { return fs::path(SEGMAKER_TEST_DATA_DIR).parent_path() / "tools" / "sagemaker-sdk-v2"; }

class TuningClients : public Clients {
 protected:
  void SetUp() override {
    max_jobs_ = 2;  // the trials run two at a time
    Clients::SetUp();
  }
  // The tuning request of the CLI: the notebook's training request as the TrainingJobDefinition.
  fs::path tuning_request(const std::string& name) const {
    json training = json::parse(io::read_file(training_request("unused", 2)));
    json statics = training["HyperParameters"];
    for (const char* tuned : {"learning_rate", "mini_batch_size", "optimizer"}) statics.erase(tuned);
    const json request = {
        {"HyperParameterTuningJobName", name},
        {"HyperParameterTuningJobConfig",
         {{"Strategy", "Bayesian"},
          {"HyperParameterTuningJobObjective", {{"Type", "Maximize"}, {"MetricName", "validation:mIOU"}}},
          {"ResourceLimits", {{"MaxNumberOfTrainingJobs", 4}, {"MaxParallelTrainingJobs", 2}}},
          {"ParameterRanges",
           {{"ContinuousParameterRanges",
             {{{"Name", "learning_rate"}, {"MinValue", "0.0001"}, {"MaxValue", "0.1"}, {"ScalingType", "Logarithmic"}}}},
            {"IntegerParameterRanges", {{{"Name", "mini_batch_size"}, {"MinValue", "2"}, {"MaxValue", "4"}}}},
            {"CategoricalParameterRanges", {{{"Name", "optimizer"}, {"Values", {"sgd", "adam", "rmsprop"}}}}}}},
          {"TrainingJobEarlyStoppingType", "Auto"}}},
        {"TrainingJobDefinition",
         {{"StaticHyperParameters", statics},
          {"AlgorithmSpecification", training["AlgorithmSpecification"]},
          {"RoleArn", training["RoleArn"]},
          {"InputDataConfig", training["InputDataConfig"]},
          {"OutputDataConfig", training["OutputDataConfig"]},
          {"HyperParameterTuningResourceConfig", training["ResourceConfig"]},
          {"StoppingCondition", training["StoppingCondition"]}}}};
    const fs::path file = dir_ / (name + ".json");
    io::write_file_atomic(file, request.dump(2));
    return file;
  }
  json describe_tuning(const std::string& name) const {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Post("/", {{"X-Amz-Target", "SageMaker.DescribeHyperParameterTuningJob"}},
                    json{{"HyperParameterTuningJobName", name}}.dump(), "application/x-amz-json-1.1");
    return r ? json::parse(r->body, nullptr, false) : json();
  }
};

TEST_F(TuningClients, ATuningJobWithTheAwsCliAndBoto3) {
  prepare_sample();
  const json created = aws_json("sagemaker create-hyper-parameter-tuning-job --cli-input-json file://" + tuning_request("pets-tune").string());
  EXPECT_EQ(created["HyperParameterTuningJobArn"], "arn:aws:sagemaker:us-east-1:000000000000:hyper-parameter-tuning-job/pets-tune");
  json doc;
  ASSERT_TRUE(wait_until([&] {
    doc = describe_tuning("pets-tune");
    return doc.value("HyperParameterTuningJobStatus", "") != "InProgress";
  }, std::chrono::seconds(900))) << doc.dump(2) << log();
  ASSERT_EQ(doc["HyperParameterTuningJobStatus"], "Completed") << doc.dump(2) << log();
  const json& counters = doc["TrainingJobStatusCounters"];
  EXPECT_EQ(counters["Completed"].get<int>() + counters["Stopped"].get<int>(), 4) << doc.dump(2);
  EXPECT_EQ(doc["ObjectiveStatusCounters"]["Succeeded"], 4) << doc.dump(2);

  // The CLI pages through every trial itself; sorted by the objective, the best comes first.
  const json listed = aws_json("sagemaker list-training-jobs-for-hyper-parameter-tuning-job --hyper-parameter-tuning-job-name pets-tune "
                               "--sort-by FinalObjectiveMetricValue --sort-order Descending");
  ASSERT_EQ(listed["TrainingJobSummaries"].size(), 4u) << listed;
  EXPECT_EQ(listed["TrainingJobSummaries"][0]["TrainingJobName"], doc["BestTrainingJob"]["TrainingJobName"]);
  const std::string trial = listed["TrainingJobSummaries"][1]["TrainingJobName"];
  EXPECT_EQ(describe(trial)["TuningJobArn"], created["HyperParameterTuningJobArn"]) << "a trial is an ordinary training job";
  const json all_jobs = aws_json("sagemaker list-training-jobs --name-contains pets-tune");
  EXPECT_EQ(all_jobs["TrainingJobSummaries"].size(), 4u) << all_jobs;
  const json tuning_jobs = aws_json("sagemaker list-hyper-parameter-tuning-jobs --status-equals Completed");
  ASSERT_EQ(tuning_jobs["HyperParameterTuningJobSummaries"].size(), 1u) << tuning_jobs;
  std::string refused;
  EXPECT_EQ(aws("sagemaker stop-hyper-parameter-tuning-job --hyper-parameter-tuning-job-name pets-tune", &refused), 254);
  EXPECT_NE(refused.find("ValidationException"), std::string::npos) << refused;

  // boto3: describe, and the trials one page at a time (NextToken), best first.
  const fs::path out = dir_ / "boto3.json";
  ASSERT_EQ(std::system((bucket_->env_prefix() + "/usr/bin/python3 '" + std::string(SEGMAKER_SOURCE_DIR) + "/tests/api/boto3_tuning.py' " + url_ +
                         " pets-tune > '" + out.string() + "' 2>&1").c_str()), 0) << io::read_file(out);
  const json b = json::parse(io::read_file(out));
  EXPECT_EQ(b["describe"]["BestTrainingJob"]["TrainingJobName"], doc["BestTrainingJob"]["TrainingJobName"]);
  ASSERT_EQ(b["trials"].size(), 4u);
  EXPECT_EQ(b["pages"], 4);
  double previous = 2;
  for (const auto& t : b["trials"]) {
    const double value = t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"];
    EXPECT_LE(value, previous) << b["trials"];
    previous = value;
    const std::string optimizer = t["TunedHyperParameters"]["optimizer"];
    EXPECT_TRUE(optimizer == "sgd" || optimizer == "adam" || optimizer == "rmsprop") << optimizer;
  }
}

TEST_F(TuningClients, TheSdksHyperparameterTuner) {
  if (!bucket_->is_s3()) GTEST_SKIP() << "s3rver is not available here: the SDK's Session needs an S3 server";
  if (!fs::exists(sdk_dir() / "site" / "sagemaker")) GTEST_SKIP() << "no SageMaker Python SDK at " << sdk_dir();
  if (std::system("/usr/bin/python3 -c 'import importlib_metadata, pandas, yaml, omegaconf, schema' > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "the SDK's Debian packages are missing (scripts/install-deps installs them)";
  const fs::path data = prepare_sample();
  ASSERT_EQ(std::system((std::string(SEGMAKER_BINARY) + " api sdk-config --bucket pets --file '" + (dir_ / "sdk-config.yaml").string() +
                         "' > /dev/null 2>&1").c_str()), 0);
  std::string env = bucket_->env_prefix();
  env += "AWS_ENDPOINT_URL='" + url_ + "' AWS_ENDPOINT_URL_S3='" + bucket_->endpoint() + "' ";
  env += "SAGEMAKER_USER_CONFIG_OVERRIDE='" + (dir_ / "sdk-config.yaml").string() + "' ";
  env += "PYTHONPATH='" + (sdk_dir() / "site").string() + "' SAGEMAKER_SUPPRESS_V2_WARNING=1 PYTHONUNBUFFERED=1 ";
  io::write_file_atomic(dir_ / "hyperparameters.json",
                        R"({"backbone": "resnet-18", "algorithm": "fcn", "use_pretrained_model": "False", "crop_size": 64,
                            "base_size": 80, "num_classes": 3, "epochs": 2, "validation_mini_batch_size": 3,
                            "output_stride": 16, "data_workers": 1})");
  const fs::path out = dir_ / "tune.out";
  const int rc = std::system((env + "timeout 1200 /usr/bin/python3 '" + std::string(SEGMAKER_SOURCE_DIR) + "/scripts/tune.py' '" +
                              data.string() + "' --hyperparameters '" + (dir_ / "hyperparameters.json").string() +
                              "' --max-jobs 3 --max-parallel-jobs 2 > '" + out.string() + "' 2>&1").c_str());
  const std::string output = io::read_file(out);
  ASSERT_EQ(WEXITSTATUS(rc), 0) << output << log();
  EXPECT_NE(output.find("TUNING OK"), std::string::npos) << output;
  EXPECT_EQ(output.find("NON-LOOPBACK"), std::string::npos) << output;
  EXPECT_NE(output.find("BEST semantic-segmentatio"), std::string::npos) << output;
}

}  // namespace
}  // namespace segmaker::test
