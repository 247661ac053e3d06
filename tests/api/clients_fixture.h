#pragma once
// The real clients' fixture: `segmaker api` as its own process on a free loopback port, a bucket on
// s3rver (a local folder with file:// URIs where s3rver is missing), /usr/bin/aws and boto3's waiters
// pointed at them, and the notebook's data (a few Oxford-Pet pairs through `segmaker prepare`).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "io/free_port.h"
#include "io/paths.h"
#include "support/process.h"
#include "support/test_util.h"
#if __has_include("support/s3rver.h")
#include "support/s3rver.h"
#define SEGMAKER_API_TEST_S3 1
#endif

namespace segmaker::test {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Where the notebook's data and outputs live: a bucket on s3rver, or a local folder.
class Bucket {
 public:
  explicit Bucket(const fs::path& local) : local_(local) {
#ifdef SEGMAKER_API_TEST_S3
    if (S3rver::unavailable_reason().empty()) s3_ = std::make_unique<S3rver>(std::vector<std::string>{"pets"});
#endif
  }
  bool is_s3() const { return s3_ != nullptr; }
  std::string uri(const std::string& key) const {
    return is_s3() ? "s3://pets/" + key : "file://" + (local_ / key).string();
  }
  // Environment for segmaker and the aws CLI.
  std::vector<std::pair<std::string, std::string>> env() const {
    std::vector<std::pair<std::string, std::string>> e{{"AWS_ACCESS_KEY_ID", "S3RVER"}, {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
                                                       {"AWS_DEFAULT_REGION", "us-east-1"}, {"AWS_PAGER", ""}};
#ifdef SEGMAKER_API_TEST_S3
    if (s3_) e = s3_->env();
#endif
    return e;
  }
  std::string env_prefix() const {
    std::string out;
    for (const auto& [k, v] : env()) out += k + "='" + v + "' ";
    return out;
  }
  // The S3 server's URL ("" for a local bucket).
  std::string endpoint() const {
#ifdef SEGMAKER_API_TEST_S3
    if (s3_) return s3_->endpoint();
#endif
    return "";
  }
  std::string s3_endpoint_flag() const {
#ifdef SEGMAKER_API_TEST_S3
    if (s3_) return " --endpoint-url " + s3_->endpoint();
#endif
    return "";
  }
  // `aws s3 sync` of a local folder to the bucket (a copy for a local bucket).
  int sync_up(const fs::path& dir, const std::string& key, const fs::path& log) const {
    if (!is_s3()) {
      fs::create_directories(local_ / key);
      fs::copy(dir, local_ / key, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
      return 0;
    }
    return std::system((env_prefix() + "/usr/bin/aws s3 sync '" + dir.string() + "' " + uri(key) + s3_endpoint_flag() +
                        " > '" + log.string() + "' 2>&1").c_str());
  }
  // Downloads one object (aws s3 cp) into `file`; false when it does not exist.
  bool get(const std::string& key, const fs::path& file) const {
    if (!is_s3()) return fs::exists(local_ / key) && fs::copy_file(local_ / key, file, fs::copy_options::overwrite_existing);
    return std::system((env_prefix() + "/usr/bin/aws s3 cp " + uri(key) + " '" + file.string() + "'" + s3_endpoint_flag() +
                        " > /dev/null 2>&1").c_str()) == 0;
  }

 private:
  fs::path local_;
#ifdef SEGMAKER_API_TEST_S3
  std::unique_ptr<S3rver> s3_;
#else
  std::unique_ptr<int> s3_;
#endif
};

class Clients : public ::testing::Test {
 protected:
  void SetUp() override {
    SEGMAKER_REQUIRE_PET_DATA();
    if (!fs::exists("/usr/bin/aws")) GTEST_SKIP() << "/usr/bin/aws (Debian awscli) is not installed";
    bucket_ = std::make_unique<Bucket>(dir_ / "bucket");
    RecordProperty("storage", bucket_->is_s3() ? "s3rver" : "file://");
    if (!bucket_->is_s3()) std::cerr << "note: s3rver is not available here; the bucket is a local folder (file:// URIs)\n";
    port_ = io::free_port();
    url_ = "http://127.0.0.1:" + std::to_string(port_);
    start_api();
  }
  void TearDown() override {
    if (api_ > 0) {
      kill(api_, SIGTERM);
      EXPECT_EQ(wait_exit(api_, std::chrono::seconds(60)), 0) << "the service stops cleanly on SIGTERM";
    }
  }
  void start_api() {
    std::vector<std::string> args{"--threads", "2", "api", "--port", std::to_string(port_), "--root", (dir_ / "root").string(),
                                  "--max-jobs", std::to_string(max_jobs_), "--stop-grace", "30"};
    if (!bucket_->is_s3()) {  // the operator admits the local bucket folder
      fs::create_directories(dir_ / "bucket");
      args.insert(args.end(), {"--allow-local-path", (dir_ / "bucket").string()});
    }
    args.insert(args.end(), extra_api_args_.begin(), extra_api_args_.end());
    auto env = bucket_->env();
    env.insert(env.end(), extra_env_.begin(), extra_env_.end());
    api_ = spawn_cli(args, dir_ / "api.log", env);
    ASSERT_TRUE(wait_until([&] { return aws("sagemaker list-models") == 0; }, std::chrono::seconds(30))) << log();
  }
  std::string log() const { return "\n--- service log:\n" + io::read_file(dir_ / "api.log"); }

  // /usr/bin/aws with the service's --endpoint-url; its exit code, stdout in `out` when given.
  int aws(const std::string& args, std::string* out = nullptr) const {
    const fs::path file = dir_ / "aws.out";
    const int rc = std::system((bucket_->env_prefix() + "/usr/bin/aws " + args + " --endpoint-url " + url_ + " > '" +
                                file.string() + "' 2>&1").c_str());
    if (out) *out = io::read_file(file);
    return WEXITSTATUS(rc);
  }
  json aws_json(const std::string& args) const {
    std::string out;
    EXPECT_EQ(aws(args, &out), 0) << args << ": " << out;
    return json::parse(out, nullptr, false);
  }
  // One of boto3's waiters, polling every second.
  int boto3_wait(const std::string& waiter, const std::string& param) const {
    return WEXITSTATUS(std::system(("/usr/bin/python3 '" + std::string(SEGMAKER_SOURCE_DIR) + "/tests/api/boto3_wait.py' " + url_ +
                                    " " + waiter + " " + param + " 1 600 > '" + (dir_ / "wait.out").string() + "' 2>&1").c_str()));
  }
  json describe(const std::string& job) const {
    return aws_json("sagemaker describe-training-job --training-job-name " + job);
  }
  // The same over plain HTTP, for polling loops (an aws CLI start costs a second or more).
  json poll(const std::string& job) const {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Post("/", {{"X-Amz-Target", "SageMaker.DescribeTrainingJob"}}, json{{"TrainingJobName", job}}.dump(),
                    "application/x-amz-json-1.1");
    return r ? json::parse(r->body, nullptr, false) : json();
  }
  // The CreateTrainingJob request of the notebook (the estimator's fields), for cli-input-json.
  fs::path training_request(const std::string& name, int epochs, int max_runtime = 3600) const {
    json channels = json::array();
    for (const char* c : {"train", "train_annotation", "validation", "validation_annotation"})
      channels.push_back({{"ChannelName", c},
                          {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", bucket_->uri(std::string("data/") + c)},
                                                            {"S3DataDistributionType", "FullyReplicated"}}}}},
                          {"ContentType", std::string(c).find("annotation") != std::string::npos ? "image/png" : "image/jpeg"}});
    const json request = {
        {"TrainingJobName", name},
        {"HyperParameters", {{"backbone", "resnet-18"}, {"algorithm", "fcn"}, {"use_pretrained_model", "False"},
                             {"num_classes", "3"}, {"num_training_samples", "9"}, {"epochs", std::to_string(epochs)},
                             {"mini_batch_size", "3"}, {"validation_mini_batch_size", "3"}, {"crop_size", "64"},
                             {"base_size", "80"}, {"output_stride", "16"}, {"data_workers", "1"}}},
        {"AlgorithmSpecification", {{"TrainingImage", "811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1"},
                                    {"TrainingInputMode", "File"}}},
        {"RoleArn", "arn:aws:iam::000000000000:role/dummy"},
        {"InputDataConfig", channels},
        {"OutputDataConfig", {{"S3OutputPath", bucket_->uri("output")}}},
        {"ResourceConfig", {{"InstanceType", "ml.c5.xlarge"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 10}}},
        {"StoppingCondition", {{"MaxRuntimeInSeconds", max_runtime}}}};
    const fs::path file = dir_ / (name + ".json");
    io::write_file_atomic(file, request.dump(2));
    return file;
  }
  // The first 12 Oxford-Pet pairs in the Pet layout under <dir>/pet; that folder.
  fs::path copy_pet_sample() const {
    const fs::path pet = dir_ / "pet";
    fs::create_directories(pet / "images");
    fs::create_directories(pet / "annotations" / "trimaps");
    const auto images = io::list_files(pet_dir() / "images", {".jpg"});
    for (std::size_t i = 0; i < 12 && i < images.size(); ++i) {
      fs::copy_file(images[i], pet / "images" / images[i].filename());
      const auto trimap = pet_dir() / "annotations" / "trimaps" / (images[i].stem().string() + ".png");
      fs::copy_file(trimap, pet / "annotations" / "trimaps" / trimap.filename());
    }
    return pet;
  }
  // A few Oxford-Pet pairs through `segmaker prepare`, synced to the bucket under data/.
  fs::path prepare_sample() {
    const fs::path pet = copy_pet_sample();
    EXPECT_EQ(run_cli("prepare --input '" + pet.string() + "' --output '" + (dir_ / "data").string() + "' --validation-fraction 0.25",
                      dir_ / "prepare.log"), 0)
        << io::read_file(dir_ / "prepare.log");
    EXPECT_EQ(bucket_->sync_up(dir_ / "data", "data", dir_ / "sync.log"), 0) << io::read_file(dir_ / "sync.log");
    return dir_ / "data";
  }

  TempDir dir_;
  int max_jobs_ = 1;  // training jobs at once (--max-jobs); a fixture sets it before SetUp
  std::vector<std::string> extra_api_args_;  // more `segmaker api` flags (a fixture sets them before start_api)
  std::vector<std::pair<std::string, std::string>> extra_env_;  // more environment for the service
  std::unique_ptr<Bucket> bucket_;
  int port_ = 0;
  std::string url_;
  pid_t api_ = -1;
};

}  // namespace segmaker::test
