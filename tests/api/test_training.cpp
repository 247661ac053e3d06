// What happens behind the calls, in-process over HTTP on tiny synthetic data: a training job walks
// Starting → Downloading → Training → Uploading → Completed and leaves its artifact, metrics and log;
// the model serves from an endpoint (instances restarted when they die, updated without a failed
// request, deleted); a transform job writes <input>.out; failures carry the algorithm's reason; the
// queue, StopTrainingJob on a waiting job, and restarts of the service that a job and an endpoint survive.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "api/api_fixture.h"
#include "io/paths.h"
#include "support/process.h"
#include "io/archive.h"
#include "support/synthetic_data.h"

namespace segmaker::api {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test::ApiServer;

json describe_job(const ApiServer& api, const std::string& name) {
  return api.call("DescribeTrainingJob", {{"TrainingJobName", name}}).body;
}

std::vector<std::string> statuses(const json& doc) {
  std::vector<std::string> out;
  for (const auto& t : doc["SecondaryStatusTransitions"]) out.push_back(t["Status"]);
  return out;
}

// pids of processes whose command line contains `needle` (the serving instances of an endpoint).
std::vector<pid_t> processes_with(const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(needle) != std::string::npos && cmd.find("serve") != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

httplib::Result invoke(const ApiServer& api, const std::string& endpoint, const std::string& body,
                       const httplib::Headers& headers, const std::string& content_type) {
  auto c = api.client();
  return c.Post("/endpoints/" + endpoint + "/invocations", headers, body, content_type);
}

// The same with no Content-Type and no Accept header at all, as the AWS CLI sends it (httplib's
// client always adds a Content-Type, so this goes through curl). Returns the status; the headers
// and body land in `headers` and `body`.
int invoke_bare(const ApiServer& api, const std::string& endpoint, const fs::path& image, std::string& headers, std::string& body) {
  const fs::path h = api.temp() / "bare.headers", b = api.temp() / "bare.body";
  const std::string cmd = "curl -s -o '" + b.string() + "' -D '" + h.string() + "' -H 'Content-Type:' -H 'Accept:' --data-binary @'" +
                          image.string() + "' http://127.0.0.1:" + std::to_string(api.port()) + "/endpoints/" + endpoint + "/invocations";
  if (std::system(cmd.c_str()) != 0) return -1;
  headers = io::read_file(h);
  body = io::read_file(b);
  return std::stoi(headers.substr(headers.find(' ') + 1, 3));
}

// The names directly in a folder, sorted.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) names.push_back(it->path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Training, JobToEndpointToTransform) {
  ApiServer api;
  const fs::path data = api.temp() / "data", out = api.temp() / "out";
  test::write_synthetic_data(data);
  ASSERT_EQ(api.call("CreateTrainingJob", test::training_job_request("tiny", data, out, 1)).status, 200);
  const json job = api.wait_training_job("tiny");
  ASSERT_EQ(job["TrainingJobStatus"], "Completed") << job.dump(2) << "\n" << api::read_log(api.root(), "training-jobs", "tiny");
  EXPECT_EQ(statuses(job), (std::vector<std::string>{"Starting", "Downloading", "Training", "Uploading", "Completed"}));
  EXPECT_LE(job["TrainingStartTime"].get<double>(), job["TrainingEndTime"].get<double>());
  std::set<std::string> metrics;
  for (const auto& m : job["FinalMetricDataList"]) metrics.insert(m["MetricName"]);
  for (const char* m : {"validation:mIOU", "validation:pixel_accuracy", "train:loss"}) EXPECT_TRUE(metrics.count(m)) << m;
  const std::string artifact_uri = job["ModelArtifacts"]["S3ModelArtifacts"];
  EXPECT_EQ(artifact_uri, "file://" + (out / "tiny" / "output" / "model.tar.gz").string());
  const fs::path artifact = out / "tiny" / "output" / "model.tar.gz";
  const auto manifest = io::read_archive_members(artifact, {{"model.json", 1 << 20}});  // no model code here
  ASSERT_EQ(manifest.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(manifest[0].data)["model_spec"]["backbone"], "resnet-18");
  EXPECT_TRUE(fs::exists(out / "tiny" / "output" / "output.tar.gz"));
  const std::string log = api::read_log(api.root(), "training-jobs", "tiny");
  EXPECT_NE(log.find("#quality_metric: host=algo-1, epoch=1, validation mIOU <score>="), std::string::npos) << log;
  // A finished job leaves what SageMaker keeps: its log (and the store's document); the channels,
  // checkpoint and weights go.
  EXPECT_TRUE(test::wait_until([&] { return entries(api.root() / "training-jobs" / "tiny") == std::vector<std::string>{"log.txt"}; },
                               std::chrono::seconds(30)))
      << ::testing::PrintToString(entries(api.root() / "training-jobs" / "tiny"));
  EXPECT_NE(api::read_log(api.root(), "training-jobs", "tiny").find("working copy is discarded"), std::string::npos);

  // Deploy: 2 instances.
  ASSERT_EQ(api.call("CreateModel", {{"ModelName", "tiny"}, {"ExecutionRoleArn", "arn:aws:iam::000000000000:role/dummy"},
                                     {"PrimaryContainer", {{"Image", "semantic-segmentation"}, {"ModelDataUrl", artifact_uri}}}}).status, 200);
  auto config = [](const std::string& name, const std::string& variant, int count) {
    return json{{"EndpointConfigName", name},
                {"ProductionVariants", {{{"VariantName", variant}, {"ModelName", "tiny"}, {"InitialInstanceCount", count},
                                         {"InstanceType", "ml.m5.large"}}}}};
  };
  ASSERT_EQ(api.call("CreateEndpointConfig", config("cfg-1", "AllTraffic", 2)).status, 200);
  ASSERT_EQ(api.call("CreateEndpoint", {{"EndpointName", "ep"}, {"EndpointConfigName", "cfg-1"}}).status, 200);
  const std::string image = io::read_file(io::list_files(data / "validation", {".jpg"}).front());
  auto early = invoke(api, "ep", image, {}, "image/jpeg");
  ASSERT_TRUE(early);
  if (early->status != 200) {
    EXPECT_EQ(early->status, 429) << "before InService: ModelNotReadyException";
    EXPECT_EQ(early->get_header_value("x-amzn-ErrorType"), "ModelNotReadyException");
  }
  json ep = api.wait_while("DescribeEndpoint", {{"EndpointName", "ep"}}, "EndpointStatus", {"Creating"});
  ASSERT_EQ(ep["EndpointStatus"], "InService") << ep << api::read_log(api.root(), "endpoints", "ep");
  EXPECT_EQ(ep["ProductionVariants"][0]["CurrentInstanceCount"], 2);

  // The runtime: defaults (no Content-Type / Accept, as the AWS CLI sends) → a PNG mask of the input size.
  std::string headers, body;
  ASSERT_EQ(invoke_bare(api, "ep", io::list_files(data / "validation", {".jpg"}).front(), headers, body), 200) << headers << body;
  EXPECT_NE(headers.find("Content-Type: image/png"), std::string::npos) << headers;
  EXPECT_NE(headers.find("X-Amzn-Invoked-Production-Variant: AllTraffic"), std::string::npos) << headers;
  const cv::Mat mask = cv::imdecode(std::vector<uchar>(body.begin(), body.end()), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(mask.cols, 40);
  EXPECT_EQ(mask.rows, 40);
  EXPECT_EQ(mask.channels(), 1);
  auto model_error = invoke(api, "ep", "a,b,c", {}, "text/csv");
  EXPECT_EQ(model_error->status, 424);
  EXPECT_EQ(model_error->get_header_value("x-amzn-ErrorType").rfind("ModelError", 0), 0u);
  EXPECT_EQ(json::parse(model_error->body)["OriginalStatusCode"], 415) << model_error->body;
  EXPECT_EQ(invoke(api, "ep", image, {{"X-Amzn-SageMaker-Target-Variant", "nope"}}, "image/jpeg")->status, 429);
  auto unknown = invoke(api, "ghost", image, {}, "image/jpeg");
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(unknown->get_header_value("x-amzn-ErrorType"), "ValidationError");

  // The endpoint's CloudWatch metrics (AWS/SageMaker, EndpointName + VariantName): the requests that
  // reached the variant (the 429s and the unknown endpoint did not), the model's 415 a 4XX error.
  auto metric = [&](const std::string& name, const std::string& statistic) {
    const double now = static_cast<double>(std::time(nullptr));
    const auto r = api.call_target("GraniteServiceVersion20100801.GetMetricStatistics",
                                   {{"Namespace", "AWS/SageMaker"}, {"MetricName", name},
                                    {"Dimensions", {{{"Name", "EndpointName"}, {"Value", "ep"}}, {{"Name", "VariantName"}, {"Value", "AllTraffic"}}}},
                                    {"StartTime", now - 600}, {"EndTime", now + 600}, {"Period", 3600}, {"Statistics", {statistic}}});
    return r.body["Datapoints"].empty() ? -1.0 : r.body["Datapoints"][0][statistic].get<double>();
  };
  EXPECT_TRUE(test::wait_until([&] { return metric("Invocation4XXErrors", "Sum") == 1; }, std::chrono::seconds(10)));
  const double invocations = metric("Invocations", "Sum");
  EXPECT_TRUE(invocations == 2 || invocations == 3) << invocations << " (the early request counts when it was served)";
  EXPECT_EQ(metric("Invocation5XXErrors", "Sum"), 0);
  EXPECT_DOUBLE_EQ(metric("InvocationsPerInstance", "Sum"), invocations / 2) << "two instances";
  EXPECT_GT(metric("ModelLatency", "Average"), 100) << "microseconds";
  EXPECT_GT(metric("OverheadLatency", "Maximum"), 0);

  // An instance that dies is restarted; the other answers meanwhile.
  const std::string staged = (api.root() / "endpoints" / "ep" / "models").string();
  auto pids = processes_with(staged);
  ASSERT_EQ(pids.size(), 2u);
  kill(pids[0], SIGKILL);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(invoke(api, "ep", image, {}, "image/jpeg")->status, 200) << "request " << i;
  EXPECT_TRUE(test::wait_until([&] { return processes_with(staged).size() == 2; }, std::chrono::seconds(60)));

  // UpdateEndpoint while requests keep coming: not one fails.
  std::atomic<bool> updating{true};
  std::atomic<int> ok{0}, failed{0};
  std::thread load([&] {
    while (updating) (invoke(api, "ep", image, {}, "image/jpeg")->status == 200 ? ok : failed)++;
  });
  ASSERT_EQ(api.call("CreateEndpointConfig", config("cfg-2", "Blue", 1)).status, 200);
  ASSERT_EQ(api.call("UpdateEndpoint", {{"EndpointName", "ep"}, {"EndpointConfigName", "cfg-2"}}).status, 200);
  EXPECT_EQ(api.call("DescribeEndpoint", {{"EndpointName", "ep"}}).body["EndpointStatus"], "Updating");
  ep = api.wait_while("DescribeEndpoint", {{"EndpointName", "ep"}}, "EndpointStatus", {"Updating"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  updating = false;
  load.join();
  EXPECT_EQ(ep["EndpointStatus"], "InService") << ep;
  EXPECT_EQ(ep["EndpointConfigName"], "cfg-2");
  EXPECT_EQ(failed.load(), 0) << ok.load() << " requests answered";
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(invoke(api, "ep", image, {}, "image/jpeg")->get_header_value("X-Amzn-Invoked-Production-Variant"), "Blue");
  EXPECT_TRUE(test::wait_until([&] { return processes_with(staged).size() == 1; }, std::chrono::seconds(30)));

  // Batch transform: one <input name>.out per image.
  const json transform = {
      {"TransformJobName", "tj"}, {"ModelName", "tiny"},
      {"TransformInput", {{"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", (data / "validation").string()}}}}},
                          {"ContentType", "image/jpeg"}}},
      {"TransformOutput", {{"S3OutputPath", "file://" + (api.temp() / "answers").string()}, {"Accept", "application/x-protobuf"}}},
      {"TransformResources", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}}}};
  ASSERT_EQ(api.call("CreateTransformJob", transform).status, 200);
  const json tj = api.wait_while("DescribeTransformJob", {{"TransformJobName", "tj"}}, "TransformJobStatus", {"InProgress"});
  ASSERT_EQ(tj["TransformJobStatus"], "Completed") << tj << api::read_log(api.root(), "transform-jobs", "tj");
  for (const auto& f : io::list_files(data / "validation", {".jpg"}))
    EXPECT_TRUE(fs::exists(api.temp() / "answers" / (f.filename().string() + ".out"))) << f;
  EXPECT_EQ(api.call("ListTransformJobs", {{"StatusEquals", "Completed"}}).body["TransformJobSummaries"].size(), 1u);
  EXPECT_TRUE(test::wait_until([&] { return entries(api.root() / "transform-jobs" / "tj") == std::vector<std::string>{"log.txt"}; },
                               std::chrono::seconds(30)))
      << ::testing::PrintToString(entries(api.root() / "transform-jobs" / "tj"));

  // DeleteEndpoint answers once the instances are gone: a Describe right after is ValidationException.
  ASSERT_EQ(api.call("DeleteEndpoint", {{"EndpointName", "ep"}}).status, 200);
  EXPECT_EQ(api.call("DescribeEndpoint", {{"EndpointName", "ep"}}).type(), "ValidationException");
  EXPECT_TRUE(processes_with(staged).empty());
  EXPECT_FALSE(fs::exists(staged)) << "a deleted endpoint's staged models go";
  EXPECT_NE(api::read_log(api.root(), "endpoints", "ep").find("==> AllTraffic/instance-1 <=="), std::string::npos)
      << "its log stays";
}

TEST(Training, AFailedJobCarriesTheAlgorithmsReason) {
  ApiServer api;
  const fs::path data = api.temp() / "data";
  test::write_synthetic_data(data);
  json request = test::training_job_request("bad-hp", data, api.temp() / "out");
  request["HyperParameters"]["num_classes"] = "1";
  ASSERT_EQ(api.call("CreateTrainingJob", request).status, 200);
  const json job = api.wait_training_job("bad-hp");
  EXPECT_EQ(job["TrainingJobStatus"], "Failed");
  const std::string reason = job["FailureReason"];
  EXPECT_EQ(reason.rfind("AlgorithmError: ", 0), 0u) << reason;
  EXPECT_NE(reason.find("num_classes"), std::string::npos) << reason;
}

TEST(Training, InstanceCountTwoRunsTwoRanksWithManagedCheckpoints) {
  ServiceOptions o;
  o.keep_job_files = true;  // --keep-job-files: the job's /opt/ml folder stays for a look
  ApiServer api(o);
  const fs::path data = api.temp() / "data";
  test::write_synthetic_data(data);
  json request = test::training_job_request("two", data, api.temp() / "out", 1);
  request["ResourceConfig"]["InstanceCount"] = 2;
  request["CheckpointConfig"] = {{"S3Uri", "file://" + (api.temp() / "checkpoints").string()}};
  ASSERT_EQ(api.call("CreateTrainingJob", request).status, 200);
  const json job = api.wait_training_job("two");
  const std::string log = api::read_log(api.root(), "training-jobs", "two");
  ASSERT_EQ(job["TrainingJobStatus"], "Completed") << job << log;
  EXPECT_NE(log.find("launch --nproc 2"), std::string::npos) << log;
  EXPECT_NE(log.find("rank 1 of 2 joined"), std::string::npos) << log;
  const json rc = json::parse(io::read_file(api.root() / "training-jobs" / "two" / "input" / "config" / "resourceconfig.json"));
  EXPECT_EQ(rc["hosts"], json({"algo-1", "algo-2"}));
  EXPECT_TRUE(fs::exists(api.temp() / "checkpoints" / "checkpoint.pt")) << "CheckpointConfig: checkpoints synced up";
}

TEST(Training, QueueAndARestartThatResumes) {
  test::TempDir dir;
  const fs::path data = dir / "data";
  test::write_synthetic_data(data);
  ServiceOptions o;
  o.max_jobs = 1;
  o.limits.max_waiting_jobs = 2;
  o.allowed_local_paths = {dir.path()};
  const fs::path metrics = dir / "root" / "training-jobs" / "first" / "output" / "data" / "metrics.jsonl";
  {
    ApiServer api(o, dir / "root");
    ASSERT_EQ(api.call("CreateTrainingJob", test::training_job_request("first", data, dir / "out", 6)).status, 200);
    ASSERT_EQ(api.call("CreateTrainingJob", test::training_job_request("queued", data, dir / "out", 1)).status, 200);
    const auto limit = api.call("CreateTrainingJob", test::training_job_request("third", data, dir / "out", 1));
    EXPECT_EQ(limit.type(), "ResourceLimitExceeded") << limit.body;
    EXPECT_TRUE(test::wait_until([&] { return describe_job(api, "first")["SecondaryStatus"] == "Training"; }, std::chrono::seconds(60)));
    EXPECT_EQ(describe_job(api, "queued")["SecondaryStatus"], "Starting") << "waits for the one slot";
    ASSERT_EQ(api.call("StopTrainingJob", {{"TrainingJobName", "queued"}}).status, 200);
    const json queued = describe_job(api, "queued");
    EXPECT_EQ(queued["TrainingJobStatus"], "Stopped");
    EXPECT_EQ(statuses(queued), (std::vector<std::string>{"Starting", "Stopped"}));

    // The service stops (SIGTERM path) while the job runs: the job checkpoints and stays InProgress.
    EXPECT_TRUE(test::wait_until([&] { return test::count_lines(metrics) >= 1; }, std::chrono::seconds(120)));
    api.stop();
    EXPECT_EQ(api.call("ListModels").status, 0) << "the service is down";
  }
  {
    ApiServer again(o, dir / "root");
    const json resumed = again.wait_training_job("first");
    EXPECT_EQ(resumed["TrainingJobStatus"], "Completed") << resumed;
    const auto s = statuses(resumed);
    EXPECT_NE(std::find(s.begin(), s.end(), "Interrupted"), s.end()) << resumed;
    const std::string log = api::read_log(dir / "root", "training-jobs", "first");
    EXPECT_NE(log.find("resuming from"), std::string::npos) << log;
    // Every epoch once in the log: the first run's, then the resumed run's.
    std::size_t epochs = 0;
    for (std::size_t at = log.find("validation mIOU <score>="); at != std::string::npos; at = log.find("validation mIOU <score>=", at + 1)) ++epochs;
    EXPECT_EQ(epochs, 6u) << log;

    // An endpoint in service when the service stops comes back when it starts again.
    ASSERT_EQ(again.call("CreateModel", {{"ModelName", "first"}, {"ExecutionRoleArn", "arn:aws:iam::000000000000:role/dummy"},
                                         {"PrimaryContainer", {{"ModelDataUrl", resumed["ModelArtifacts"]["S3ModelArtifacts"]}}}})
                  .status, 200);
    ASSERT_EQ(again.call("CreateEndpointConfig", {{"EndpointConfigName", "first"},
                                                  {"ProductionVariants", {{{"VariantName", "v"}, {"ModelName", "first"},
                                                                           {"InitialInstanceCount", 1}, {"InstanceType", "ml.m5.large"}}}}})
                  .status, 200);
    ASSERT_EQ(again.call("CreateEndpoint", {{"EndpointName", "kept"}, {"EndpointConfigName", "first"}}).status, 200);
    EXPECT_EQ(again.wait_while("DescribeEndpoint", {{"EndpointName", "kept"}}, "EndpointStatus", {"Creating"})["EndpointStatus"], "InService");
  }
  ApiServer third(o, dir / "root");
  const json ep = third.wait_while("DescribeEndpoint", {{"EndpointName", "kept"}}, "EndpointStatus", {"SystemUpdating", "Creating"});
  EXPECT_EQ(ep["EndpointStatus"], "InService") << ep;
  const std::string image = io::read_file(io::list_files(data / "validation", {".jpg"}).front());
  EXPECT_EQ(invoke(third, "kept", image, {}, "image/jpeg")->status, 200);
}

}  // namespace
}  // namespace segmaker::api
