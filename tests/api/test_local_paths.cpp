// What an API client can make the service read and write on the host: s3:// always, local paths
// (file:// URIs and absolute paths) only under the operator's --allow-local-path folders -- for
// channels, ModelDataUrl, transform input and output, checkpoints and the output path; '..' and
// symlinks leading out are refused when the request arrives, and again when the job stages its files.
#include <gtest/gtest.h>

#include "api/api_error.h"
#include "api/names.h"
#include "api/validation.h"
#include "api/api_fixture.h"
#include "io/paths.h"
#include "support/test_util.h"
#include "support/synthetic_data.h"

namespace segmaker::api {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test::ApiServer;

struct Host {
  test::TempDir dir;
  fs::path allowed = dir / "allowed", outside = dir / "outside";
  Host() {
    fs::create_directories(allowed);
    fs::create_directories(outside);
  }
  ServiceOptions options() const {
    ServiceOptions o;
    o.allowed_local_paths = {allowed};
    return o;
  }
};

void expect_refused(const test::ApiReply& r, const std::string& field) {
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.type(), "ValidationException") << r.body;
  EXPECT_NE(r.message().find(field), std::string::npos) << field << " not named: " << r.message();
  EXPECT_NE(r.message().find("--allow-local-path"), std::string::npos) << "the flag is named: " << r.message();
}

json model_request(const std::string& name, const std::string& url) {
  return {{"ModelName", name},
          {"ExecutionRoleArn", "arn:aws:iam::000000000000:role/x"},
          {"PrimaryContainer", {{"Image", "semantic-segmentation"}, {"ModelDataUrl", url}}}};
}

json transform_request(const std::string& input, const std::string& output) {
  return {{"TransformJobName", "tj"}, {"ModelName", "m"},
          {"TransformInput", {{"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", input}}}}}}},
          {"TransformOutput", {{"S3OutputPath", output}}},
          {"TransformResources", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}}}};
}

TEST(LocalPaths, WithoutTheFlagOnlyS3IsAccepted) {
  Validator v;
  const auto none = storage::LocalAccess::only_under({}, "give --allow-local-path DIR");
  EXPECT_TRUE(check_uri(v, "s3://bucket/data/train", "s3Uri", none));
  EXPECT_FALSE(check_uri(v, "file:///srv/data/train", "s3Uri", none));
  EXPECT_FALSE(check_uri(v, "/srv/data/train", "s3Uri", none));
  EXPECT_FALSE(check_uri(v, "file:///srv/%zz", "s3Uri", none)) << "a malformed file URI is a violation, not a crash";
}

TEST(LocalPaths, EveryFieldRefusesAPathOutsideTheAllowedFolders) {
  Host host;
  ApiServer api(host.options());
  const fs::path data = host.allowed / "data";
  test::write_synthetic_data(data);
  const std::string out = "file://" + host.outside.string();

  json channel_outside = test::training_job_request("a", data, host.allowed / "out");
  channel_outside["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = out + "/train";
  expect_refused(api.call("CreateTrainingJob", channel_outside), "inputDataConfig.1.member.dataSource.s3DataSource.s3Uri");
  expect_refused(api.call("CreateTrainingJob", test::training_job_request("b", data, host.outside)), "outputDataConfig.s3OutputPath");
  json checkpoint = test::training_job_request("c", data, host.allowed / "out");
  checkpoint["CheckpointConfig"] = {{"S3Uri", (host.outside / "ckpt").string()}};
  expect_refused(api.call("CreateTrainingJob", checkpoint), "checkpointConfig.s3Uri");
  json dotdot = test::training_job_request("d", data, host.allowed / "out");
  dotdot["InputDataConfig"][1]["DataSource"]["S3DataSource"]["S3Uri"] = "file://" + (host.allowed / ".." / "outside").string();
  expect_refused(api.call("CreateTrainingJob", dotdot), "inputDataConfig.2.member");

  expect_refused(api.call("CreateModel", model_request("m-out", out + "/model.tar.gz")), "primaryContainer.modelDataUrl");
  ASSERT_EQ(api.call("CreateModel", model_request("m", "file://" + (host.allowed / "model.tar.gz").string())).status, 200);
  const std::string in = "file://" + (data / "validation").string();
  expect_refused(api.call("CreateTransformJob", transform_request(out, "file://" + (host.allowed / "answers").string())),
                 "transformInput.dataSource.s3DataSource.s3Uri");
  expect_refused(api.call("CreateTransformJob", transform_request(in, out + "/answers")), "transformOutput.s3OutputPath");

  // A symlink inside the allowed folder that points out of it.
  fs::create_directory_symlink(host.outside, host.allowed / "escape");
  expect_refused(api.call("CreateTrainingJob", test::training_job_request("e", data, host.allowed / "escape")),
                 "outputDataConfig.s3OutputPath");
  EXPECT_EQ(api.call("ListTrainingJobs").body["TrainingJobSummaries"].size(), 0u) << "nothing refused was created";
  EXPECT_EQ(api.call("ListTransformJobs").body["TransformJobSummaries"].size(), 0u);
  EXPECT_EQ(api.call("ListModels").body["Models"].size(), 1u);
  EXPECT_TRUE(fs::is_empty(host.outside)) << "nothing was written outside";
}

TEST(LocalPaths, AJobFailsWhenAChannelHidesALinkToAFileOutside) {
  Host host;
  ApiServer api(host.options());
  const fs::path data = host.allowed / "data";
  test::write_synthetic_data(data);
  io::write_file_atomic(host.outside / "secret.jpg", "not for jobs");
  fs::create_symlink(host.outside / "secret.jpg", data / "train" / "zz-secret.jpg");
  ASSERT_EQ(api.call("CreateTrainingJob", test::training_job_request("linked", data, host.allowed / "out")).status, 200)
      << "the channel's folder itself is allowed";
  const json job = api.wait_while("DescribeTrainingJob", {{"TrainingJobName", "linked"}}, "TrainingJobStatus", {"InProgress"});
  EXPECT_EQ(job["TrainingJobStatus"], "Failed") << job.dump(2);
  const std::string reason = job.value("FailureReason", "");
  EXPECT_NE(reason.find("secret.jpg"), std::string::npos) << reason;
  EXPECT_NE(reason.find("--allow-local-path"), std::string::npos) << reason;
  EXPECT_FALSE(fs::exists(api.root() / "training-jobs" / "linked" / "input" / "data" / "train" / "zz-secret.jpg"))
      << "the file outside was not staged";
}

TEST(LocalPaths, AllowedLocalPathsWorkAsBefore) {
  Host host;
  ApiServer api(host.options());
  const fs::path data = host.allowed / "data";
  test::write_synthetic_data(data);
  // Reached through a symlink to a folder inside the allowed one: still inside.
  fs::create_directory_symlink(data, host.allowed / "same-data");
  ASSERT_EQ(api.call("CreateTrainingJob", test::training_job_request("ok", host.allowed / "same-data", host.allowed / "out")).status, 200);
  const json job = api.wait_while("DescribeTrainingJob", {{"TrainingJobName", "ok"}}, "TrainingJobStatus", {"InProgress"});
  EXPECT_EQ(job["TrainingJobStatus"], "Completed") << job.dump(2) << read_log(api.root(), "training-jobs", "ok");
  EXPECT_TRUE(fs::exists(host.allowed / "out" / "ok" / "output" / "model.tar.gz"));
}

}  // namespace
}  // namespace segmaker::api
