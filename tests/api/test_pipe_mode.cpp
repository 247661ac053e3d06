// TrainingInputMode Pipe: the service streams each channel into the job's named pipes
// (input/data/<channel>_<n>, RecordIO) while `train` reads them -- an augmented manifest's pipe carries
// each line's image and annotation, S3Prefix channels one pipe each. Shown: training starts before the
// channel's last object was sent (the order of the job's log lines), the job's folder never holds the
// channel's files (its size sampled while the job runs), a missing object cuts the stream and fails the
// job naming the object, a stream shorter than num_training_samples fails naming the counts.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api/api_fixture.h"
#include "api/service.h"
#include "io/paths.h"
#include "support/process.h"
#include "support/synthetic_data.h"
#include "support/test_util.h"

namespace segmaker::api {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using test::ApiServer;

std::uintmax_t folder_bytes(const fs::path& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; it != end; it.increment(ec))
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  return total;
}

// `count` real Pet pairs copied under `dir` (images/, trimaps/), one Ground Truth line each.
std::string pet_manifest(const fs::path& dir, std::size_t first, std::size_t count) {
  fs::create_directories(dir / "images");
  fs::create_directories(dir / "trimaps");
  const auto images = io::list_files(test::pet_dir() / "images", {".jpg"});
  std::string text;
  for (std::size_t i = first; i < first + count; ++i) {
    const fs::path& img = images.at(i * 5);
    const std::string stem = img.stem().string();
    fs::copy_file(img, dir / "images" / img.filename(), fs::copy_options::overwrite_existing);
    fs::copy_file(test::pet_dir() / "annotations" / "trimaps" / (stem + ".png"), dir / "trimaps" / (stem + ".png"),
                  fs::copy_options::overwrite_existing);
    text += json{{"source-ref", "file://" + (dir / "images" / img.filename()).string()},
                 {"trimap-ref", "file://" + (dir / "trimaps" / (stem + ".png")).string()}}
                .dump() +
            "\n";
  }
  return text;
}

json pipe_request(const ApiServer& api, const std::string& name, const std::string& train_manifest,
                  const std::string& validation_manifest, int samples) {
  json request = test::training_job_request(name, api.temp() / "unused", api.temp() / "out");
  request["AlgorithmSpecification"]["TrainingInputMode"] = "Pipe";
  // Trimap values 1 pet, 2 background, 3 boundary: four class ids (0 unused).
  request["HyperParameters"]["num_classes"] = "4";
  request["HyperParameters"]["num_training_samples"] = std::to_string(samples);
  request["HyperParameters"]["base_size"] = "96";
  request["HyperParameters"]["crop_size"] = "64";
  request["InputDataConfig"] = json::array();
  for (const auto& [channel, file] : {std::pair{"train", train_manifest}, std::pair{"validation", validation_manifest}}) {
    io::write_file_atomic(api.temp() / file, io::read_file(api.temp() / (file + ".text")));
    request["InputDataConfig"].push_back(
        {{"ChannelName", channel},
         {"ContentType", "application/x-recordio"},
         {"RecordWrapperType", "RecordIO"},
         {"DataSource",
          {{"S3DataSource",
            {{"S3DataType", "AugmentedManifestFile"},
             {"S3Uri", "file://" + (api.temp() / file).string()},
             {"AttributeNames", {"source-ref", "trimap-ref"}}}}}}});
  }
  return request;
}

TEST(PipeMode, AnAugmentedManifestStreamsWhileTheJobTrains) {
  SEGMAKER_REQUIRE_PET_DATA();
  ApiServer api;
  io::write_file_atomic(api.temp() / "train.manifest.text", pet_manifest(api.temp() / "pets", 0, 80));
  io::write_file_atomic(api.temp() / "validation.manifest.text", pet_manifest(api.temp() / "pets", 80, 4));
  const std::uintmax_t channel_bytes = folder_bytes(api.temp() / "pets");
  ASSERT_EQ(api.call("CreateTrainingJob", pipe_request(api, "piped", "train.manifest", "validation.manifest", 80)).status, 200);
  // The job's folder while it runs: the pipes, never a copy of the channel.
  std::atomic<bool> done{false};
  std::uintmax_t peak = 0;
  std::thread sampler([&] {
    while (!done) {
      peak = std::max(peak, folder_bytes(api.root() / "training-jobs" / "piped" / "input"));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const json job = api.wait_training_job("piped");
  done = true;
  sampler.join();
  const std::string log = read_log(api.root(), "training-jobs", "piped");
  ASSERT_EQ(job["TrainingJobStatus"], "Completed") << job.dump(2) << log;
  EXPECT_NE(log.find("channel 'train': 80 of 80 augmented manifest lines streamed"), std::string::npos) << log;
  EXPECT_NE(log.find("80 streamed train / streamed validation images"), std::string::npos) << log;
  // The first step's batch was ready before the service had sent the pass's last object.
  const auto first_batch = log.find("pipe train_0: first batch ready");
  const auto pass_sent = log.find("pipe train_0: 160 of 160 objects streamed");
  ASSERT_NE(first_batch, std::string::npos) << log;
  ASSERT_NE(pass_sent, std::string::npos) << log;
  EXPECT_LT(first_batch, pass_sent) << log;
  EXPECT_NE(log.find("pipe validation_0: 8 of 8 objects streamed"), std::string::npos) << log;
  EXPECT_LT(peak * 10, channel_bytes) << "peak " << peak << " bytes in the job's input folder, channel " << channel_bytes;
}

TEST(PipeMode, FolderChannelsStreamSideBySide) {
  ApiServer api;
  const fs::path data = api.temp() / "data";
  test::write_synthetic_data(data);
  json request = test::training_job_request("folders", data, api.temp() / "out", 2);
  request["AlgorithmSpecification"]["TrainingInputMode"] = "Pipe";
  ASSERT_EQ(api.call("CreateTrainingJob", request).status, 200);
  const json job = api.wait_training_job("folders");
  const std::string log = read_log(api.root(), "training-jobs", "folders");
  ASSERT_EQ(job["TrainingJobStatus"], "Completed") << job.dump(2) << log;
  EXPECT_NE(log.find("channel 'train_annotation': 8 objects streamed in Pipe mode"), std::string::npos) << log;
  EXPECT_NE(log.find("pipe train_1: "), std::string::npos) << "a second epoch reads a second pass:\n" << log;
  EXPECT_FALSE(fs::exists(api.root() / "training-jobs" / "folders" / "input" / "data" / "train")) << "nothing downloaded";
}

TEST(PipeMode, AStreamCutOrTooShortFailsTheJobSayingWhy) {
  ApiServer api;
  const fs::path data = api.temp() / "data";
  test::write_synthetic_data(data);
  // An object that cannot be read: the pass is cut, the job names it.
  json request = test::training_job_request("cut", data, api.temp() / "out");
  request["AlgorithmSpecification"]["TrainingInputMode"] = "Pipe";
  for (auto& c : request["InputDataConfig"])
    if (c["ChannelName"] == "train") {
      const json manifest = json::array({{{"prefix", "file://" + (data / "train").string() + "/"}}, "train_0.jpg", "train_1.jpg",
                                         "gone.jpg", "train_3.jpg"});
      io::write_file_atomic(api.temp() / "cut.manifest", manifest.dump());
      c["DataSource"]["S3DataSource"] = {{"S3DataType", "ManifestFile"}, {"S3Uri", "file://" + (api.temp() / "cut.manifest").string()}};
    }
  ASSERT_EQ(api.call("CreateTrainingJob", request).status, 200);
  json job = api.wait_training_job("cut");
  EXPECT_EQ(job["TrainingJobStatus"], "Failed");
  std::string reason = job.value("FailureReason", "");
  EXPECT_EQ(reason.rfind("ClientError: channel 'train': ", 0), 0u) << reason;
  EXPECT_NE(reason.find("gone.jpg cannot be read"), std::string::npos) << reason;
  EXPECT_NE(reason.find("pass 0 cut after 2 objects"), std::string::npos) << reason;

  // num_training_samples larger than the stream: never a short epoch.
  request = test::training_job_request("short", data, api.temp() / "out");
  request["AlgorithmSpecification"]["TrainingInputMode"] = "Pipe";
  request["HyperParameters"]["num_training_samples"] = "12";
  ASSERT_EQ(api.call("CreateTrainingJob", request).status, 200);
  job = api.wait_training_job("short");
  EXPECT_EQ(job["TrainingJobStatus"], "Failed");
  reason = job.value("FailureReason", "");
  EXPECT_NE(reason.find("the pipe train_0 ended after 8 usable examples (0 skipped), but num_training_samples = 12 asks for 3 "
                        "batches of 4"),
            std::string::npos)
      << reason;
}


// A Pipe job interrupted by the service's stop checkpoints; the next service streams the channels again from
// pass 0 and the job resumes where it was, every epoch once. StopTrainingJob ends a Pipe job as Stopped.
TEST(PipeMode, ARestartedServiceStreamsAgainAndTheJobResumes) {
  test::TempDir dir;
  const fs::path data = dir / "data";
  test::write_synthetic_data(data);
  ServiceOptions o;
  o.allowed_local_paths = {dir.path()};
  const fs::path metrics = dir / "root" / "training-jobs" / "piped" / "output" / "data" / "metrics.jsonl";
  json request = test::training_job_request("piped", data, dir / "out", 6);
  request["AlgorithmSpecification"]["TrainingInputMode"] = "Pipe";
  {
    ApiServer api(o, dir / "root");
    ASSERT_EQ(api.call("CreateTrainingJob", request).status, 200);
    ASSERT_TRUE(test::wait_until([&] { return test::count_lines(metrics) >= 1; }, std::chrono::seconds(120)));
    api.stop();
  }
  {
    ApiServer again(o, dir / "root");
    const json resumed = again.wait_training_job("piped");
    const std::string log = read_log(dir / "root", "training-jobs", "piped");
    ASSERT_EQ(resumed["TrainingJobStatus"], "Completed") << resumed << log;
    EXPECT_NE(log.find("resuming from"), std::string::npos) << log;
    std::size_t epochs = 0;
    for (std::size_t at = log.find("validation mIOU <score>="); at != std::string::npos; at = log.find("validation mIOU <score>=", at + 1))
      ++epochs;
    EXPECT_EQ(epochs, 6u) << log;

    json stopped = request;
    stopped["TrainingJobName"] = "stopped";
    stopped["HyperParameters"]["epochs"] = "200";
    ASSERT_EQ(again.call("CreateTrainingJob", stopped).status, 200);
    ASSERT_TRUE(test::wait_until([&] { return read_log(dir / "root", "training-jobs", "stopped").find("first training step done") != std::string::npos; },
                                 std::chrono::seconds(120)));
    ASSERT_EQ(again.call("StopTrainingJob", {{"TrainingJobName", "stopped"}}).status, 200);
    const json end = again.wait_training_job("stopped");
    EXPECT_EQ(end["TrainingJobStatus"], "Stopped") << end << read_log(dir / "root", "training-jobs", "stopped");
  }
}

}  // namespace
}  // namespace segmaker::api
