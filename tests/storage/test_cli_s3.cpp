// The whole workflow through S3 with the real executable and a real S3 server (s3rver): prepare into
// a bucket, train from the bucket (tiny model, a few real Pet pairs) with the model and checkpoints
// written to the bucket, resume on "another machine" (a fresh cache), evaluate, visualize, predict
// (one <input name>.out object per image) and serve from the bucket; typos in URIs are errors.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "io/free_port.h"
#include "io/paths.h"
#include "storage/s3_storage.h"
#include "support/process.h"
#include "support/s3rver.h"
#include "support/test_util.h"
#include "storage_test_util.h"

namespace fs = std::filesystem;

namespace segmaker::storage {
namespace {

class CliS3 : public ::testing::Test {
 protected:
  void SetUp() override {
    SEGMAKER_REQUIRE_S3RVER();
    SEGMAKER_REQUIRE_PET_DATA();
    server_ = std::make_unique<test::S3rver>(std::vector<std::string>{"pets", "models"});
    // 8 real pairs of two breeds: the split keeps 6 for training, 2 for validation.
    for (const std::string breed : {"Abyssinian", "Bengal"}) {
      int copied = 0;
      for (const auto& image : io::list_files(test::pet_dir() / "images", {".jpg"})) {
        const std::string stem = image.stem().string();
        if (stem.rfind(breed + "_", 0) != 0 || copied == 4) continue;
        ++copied;
        fs::create_directories(dir_ / "pets" / "images");
        fs::create_directories(dir_ / "pets" / "annotations" / "trimaps");
        fs::copy_file(test::pet_dir() / "images" / (stem + ".jpg"), dir_ / "pets" / "images" / (stem + ".jpg"));
        fs::copy_file(test::pet_dir() / "annotations" / "trimaps" / (stem + ".png"),
                      dir_ / "pets" / "annotations" / "trimaps" / (stem + ".png"));
      }
    }
  }
  // Runs segmaker with the server's credentials, `cache` as its cache dir, from `dir_` as working folder.
  int cli(const std::string& args, const std::string& log_name, const fs::path& cache = {}) {
    const fs::path log = dir_ / (log_name + ".log");
    const std::string command = "cd '" + dir_.path().string() + "' && " + server_->env_prefix() +
                                "SEGMAKER_CACHE_DIR='" + (cache.empty() ? dir_ / "cache" : cache).string() + "' '" +
                                SEGMAKER_BINARY + "' --threads 2 " + args + " > '" + log.string() + "' 2>&1";
    const int rc = std::system(command.c_str());
    last_log_ = test::read_text(log);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  std::vector<std::string> keys(const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& o : S3Storage(server_->config()).list(parse_location(prefix))) out.push_back(o.key);
    return out;
  }
  std::unique_ptr<test::S3rver> server_;
  test::TempDir dir_;
  std::string last_log_;
};

TEST_F(CliS3, PrepareTrainEvaluatePredictAndServeThroughABucket) {
  ASSERT_EQ(cli("prepare --input pets --output s3://pets/prepared --labels binary --no-progress", "prepare"), 0)
      << last_log_;
  const auto train_images = keys("s3://pets/prepared/train/");
  ASSERT_EQ(train_images.size(), 6u);
  EXPECT_EQ(keys("s3://pets/prepared/validation_annotation/").size(), 2u);
  EXPECT_EQ(keys("s3://pets/prepared/classes.json").size(), 1u);

  nlohmann::json hp = {{"backbone", "resnet-18"},  {"use_pretrained_model", "False"}, {"num_classes", "2"},
                       {"num_training_samples", "6"}, {"base_size", "40"}, {"crop_size", "32"},
                       {"epochs", "2"},            {"mini_batch_size", "3"},          {"validation_mini_batch_size", "2"},
                       {"learning_rate", "0.01"},  {"output_stride", "16"},           {"seed", "7"},
                       {"data_workers", "1"}};
  S3Storage(server_->config()).write(parse_location("s3://models/hp.json"), hp.dump());
  ASSERT_EQ(cli("train --data s3://pets/prepared --hyperparameters s3://models/hp.json --output s3://models/job "
                "--no-progress",
                "train"),
            0)
      << last_log_;
  auto outputs = keys("s3://models/job/");
  for (const char* expected : {"job/model.tar.gz", "job/metrics.jsonl", "job/curves.png", "job/checkpoints/checkpoint.pt"})
    EXPECT_NE(std::find(outputs.begin(), outputs.end(), expected), outputs.end()) << expected << " missing";

  // Another machine (an empty cache) continues the job from the checkpoints in the bucket.
  ASSERT_EQ(cli("train --data s3://pets/prepared --hyperparameters s3://models/hp.json --output s3://models/job "
                "--set epochs=3 --resume --no-progress",
                "resume", dir_ / "other-machine"),
            0)
      << last_log_;
  EXPECT_NE(last_log_.find("resuming from"), std::string::npos) << last_log_;
  EXPECT_NE(last_log_.find("epoch=3"), std::string::npos) << last_log_;
  EXPECT_EQ(last_log_.find("epoch=1,"), std::string::npos) << "epochs 1-2 must not run again: " << last_log_;
  // Without --resume the checkpoint in the bucket is not overwritten silently.
  EXPECT_EQ(cli("train --data s3://pets/prepared --hyperparameters s3://models/hp.json --output s3://models/job "
                "--no-progress",
                "again"),
            1);
  EXPECT_NE(last_log_.find("--resume"), std::string::npos) << last_log_;

  ASSERT_EQ(cli("evaluate --model s3://models/job/model.tar.gz --data s3://pets/prepared --output "
                "s3://models/job/evaluation.json --no-progress",
                "evaluate"),
            0)
      << last_log_;
  const auto evaluation =
      nlohmann::json::parse(S3Storage(server_->config()).read(parse_location("s3://models/job/evaluation.json")));
  EXPECT_EQ(evaluation["images"], 2);

  ASSERT_EQ(cli("visualize --data s3://pets/prepared --output s3://pets/viz --count 4", "visualize"), 0) << last_log_;
  EXPECT_EQ(keys("s3://pets/viz/contact_sheet.png").size(), 1u);

  ASSERT_EQ(cli("predict --model s3://models/job/model.tar.gz --input s3://pets/prepared/validation/ "
                "--output s3://pets/transform-out/ --accept application/x-recordio-protobuf",
                "predict"),
            0)
      << last_log_;
  std::vector<std::string> expected;
  for (const auto& key : keys("s3://pets/prepared/validation/"))
    expected.push_back("transform-out/" + key.substr(key.rfind('/') + 1) + ".out");  // SageMaker: <input name>.out
  EXPECT_EQ(keys("s3://pets/transform-out/"), expected);

  // serve --model s3://…: /ping, then one image.
  const int port = io::free_port();
  const auto env = server_->env();
  auto serve_env = env;
  serve_env.emplace_back("SEGMAKER_CACHE_DIR", (dir_ / "cache").string());
  const pid_t pid = test::spawn_cli({"serve", "--model", "s3://models/job/model.tar.gz", "--port", std::to_string(port)},
                                    dir_ / "serve.log", serve_env);
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(120, 0);  // the first answer of a busy box (CTest -j2) can take longer than 5 s
  ASSERT_TRUE(test::wait_until(
      [&] {
        auto r = client.Get("/ping");
        return r && r->status == 200;
      },
      std::chrono::seconds(60)))
      << test::read_text(dir_ / "serve.log");
  const std::string image = io::read_file(io::list_files(dir_ / "pets" / "images", {".jpg"}).front());
  auto answer = client.Post("/invocations", {{"Accept", "image/png"}}, image, "image/jpeg");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  ::kill(pid, SIGTERM);
  EXPECT_EQ(test::wait_exit(pid, std::chrono::seconds(30)), 0) << test::read_text(dir_ / "serve.log");

  // Staged copies are removed when the commands end; the download cache stays.
  EXPECT_TRUE(io::is_empty_dir(dir_ / "cache" / "staging"));
  EXPECT_FALSE(io::is_empty_dir(dir_ / "cache" / "s3"));
}

TEST_F(CliS3, TyposInUrisAreErrorsThatCreateNothing) {
  EXPECT_EQ(cli("prepare --input pets --output s3:/pets/x", "typo"), 1);
  EXPECT_NE(last_log_.find("malformed URI 's3:/pets/x'"), std::string::npos) << last_log_;
  EXPECT_FALSE(fs::exists(dir_ / "s3:"));  // it used to become a local folder named "s3:"
  EXPECT_EQ(cli("prepare --input pets --output gs://pets/x", "scheme"), 1);
  EXPECT_NE(last_log_.find("unsupported storage scheme 'gs'"), std::string::npos) << last_log_;
  EXPECT_FALSE(fs::exists(dir_ / "gs:"));
  EXPECT_EQ(cli("predict --model s3://models/none/model.tar.gz --input pets/images --output out", "missing"), 1);
  EXPECT_NE(last_log_.find("nothing at s3://models/none/model.tar.gz"), std::string::npos) << last_log_;
  EXPECT_EQ(cli("visualize --data s3://no-such-bucket/prepared --output viz", "bucket"), 1);
  EXPECT_NE(last_log_.find("NoSuchBucket"), std::string::npos) << last_log_;
  EXPECT_EQ(cli("prepare --input s3://pets/nothing-here --output prepared", "empty"), 1);
  EXPECT_NE(last_log_.find("there are no objects under s3://pets/nothing-here"), std::string::npos) << last_log_;
  // prepare refuses a non-empty S3 output without --force, like a local one.
  ASSERT_EQ(cli("prepare --input pets --output s3://pets/p --no-progress", "first"), 0) << last_log_;
  EXPECT_EQ(cli("prepare --input pets --output s3://pets/p --no-progress", "second"), 1);
  EXPECT_NE(last_log_.find("is not empty"), std::string::npos) << last_log_;
  S3Storage(server_->config()).write(parse_location("s3://pets/p/train/stale.jpg"), "from an earlier run");
  EXPECT_EQ(cli("prepare --input pets --output s3://pets/p --force --no-progress", "force"), 0) << last_log_;
  EXPECT_EQ(keys("s3://pets/p/train/").size(), 6u);  // the stale object is gone
}

}  // namespace
}  // namespace segmaker::storage
