// The train / evaluate commands end to end through the executable: a job killed with SIGKILL
// resumes, bad hyperparameters fail before any work, SageMaker container mode, real Pet pairs.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "io/paths.h"
#include "support/process.h"
#include "support/test_util.h"
#include "synthetic.h"
#include "inference/artifact.h"

namespace segmaker::train {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

using test::count_lines;
using test::spawn_cli;
using test::wait_exit;

TEST(TrainCli, KilledJobResumesFromItsLastCheckpoint) {
  test::TempDir dir;
  test::write_synthetic_data(dir / "data", 16, 4, 48);
  json hp = test::tiny_hyperparameters(16);
  hp["epochs"] = "12";
  io::write_file_atomic(dir / "hp.json", hp.dump());
  const std::vector<std::string> args{"--threads", "1", "train", "--data", (dir / "data").string(), "--hyperparameters",
                                      (dir / "hp.json").string(), "--output", (dir / "out").string(), "--no-progress"};
  pid_t pid = spawn_cli(args, dir / "run1.log");
  const fs::path checkpoint = dir / "out" / "checkpoints" / "checkpoint.pt";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(checkpoint) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // well inside a later epoch (or its checkpoint write)
  kill(pid, SIGKILL);
  EXPECT_EQ(wait_exit(pid), 128 + SIGKILL) << io::read_file(dir / "run1.log");
  ASSERT_TRUE(fs::exists(checkpoint)) << io::read_file(dir / "run1.log");
  const int done_before = count_lines(dir / "out" / "metrics.jsonl");
  ASSERT_LT(done_before, 12) << "the job finished before it could be killed";
  EXPECT_FALSE(fs::exists(dir / "out" / "model.tar.gz"));

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  ASSERT_EQ(wait_exit(spawn_cli(resume, dir / "run2.log")), 0) << io::read_file(dir / "run2.log");
  EXPECT_NE(io::read_file(dir / "run2.log").find("resuming from"), std::string::npos);
  EXPECT_EQ(count_lines(dir / "out" / "metrics.jsonl"), 12);
  inference::ModelArtifact a = inference::read_artifact(dir / "out" / "model.tar.gz");
  EXPECT_EQ(a.hyperparameters["epochs"], 12);

  // Same job uninterrupted: the same loss curve.
  std::vector<std::string> fresh = args;
  fresh[8] = (dir / "fresh").string();
  ASSERT_EQ(wait_exit(spawn_cli(fresh, dir / "run3.log")), 0) << io::read_file(dir / "run3.log");
  std::ifstream a_lines((dir / "out" / "metrics.jsonl").string()), b_lines((dir / "fresh" / "metrics.jsonl").string());
  std::string la, lb;
  while (std::getline(a_lines, la) && std::getline(b_lines, lb))
    EXPECT_EQ(json::parse(la)["train_loss"], json::parse(lb)["train_loss"]);
}

TEST(TrainCli, BadHyperparametersFailBeforeAnyWork) {
  test::TempDir dir;
  json hp = test::tiny_hyperparameters();
  hp["optimizer"] = "adamw";
  io::write_file_atomic(dir / "hp.json", hp.dump());
  int rc = test::run_cli("train --data '" + (dir / "nodata").string() + "' --hyperparameters '" + (dir / "hp.json").string() +
                             "' --output '" + (dir / "out").string() + "'",
                         dir / "log");
  EXPECT_NE(rc, 0);
  std::string log = io::read_file(dir / "log");
  EXPECT_NE(log.find("optimizer = \"adamw\""), std::string::npos) << log;
  EXPECT_NE(log.find("sgd, adam, adagrad, nag, rmsprop"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(TrainCli, SageMakerContainerMode) {
  test::TempDir dir;
  const fs::path root = dir / "opt-ml";
  test::write_synthetic_data(root / "input" / "data");
  json hp = test::tiny_hyperparameters();
  hp["epochs"] = "1";
  io::write_file_atomic(root / "input" / "config" / "hyperparameters.json", hp.dump());
  json idc = json::object();
  for (const char* c : {"train", "validation", "train_annotation", "validation_annotation"}) idc[c] = {{"TrainingInputMode", "File"}};
  io::write_file_atomic(root / "input" / "config" / "inputdataconfig.json", idc.dump());
  ASSERT_EQ(test::run_cli("--threads 2 train --sagemaker --sm-root '" + root.string() + "' --no-progress", dir / "log"), 0)
      << io::read_file(dir / "log");
  std::string log = io::read_file(dir / "log");
  EXPECT_NE(log.find("#quality_metric: host=algo-1, epoch=1, validation mIOU <score>="), std::string::npos) << log;
  EXPECT_NE(log.find("#quality_metric: host=algo-1, epoch=1, validation pixel_accuracy <score>="), std::string::npos);
  EXPECT_EQ(inference::read_artifact(root / "model").spec.backbone, "resnet-18");  // unpacked, SageMaker packs it
  EXPECT_TRUE(fs::exists(root / "output" / "data" / "metrics.jsonl"));
  EXPECT_TRUE(fs::exists(root / "checkpoints" / "checkpoint.pt"));
  EXPECT_FALSE(fs::exists(root / "output" / "failure"));

  hp["num_classes"] = "1";
  io::write_file_atomic(root / "input" / "config" / "hyperparameters.json", hp.dump());
  EXPECT_NE(test::run_cli("train --sagemaker --sm-root '" + root.string() + "'", dir / "log2"), 0);
  std::string failure = io::read_file(root / "output" / "failure");
  EXPECT_NE(failure.find("num_classes"), std::string::npos) << failure;
  EXPECT_LE(failure.size(), 1024u);
}

// A few real Oxford-Pet pairs (trimaps mapped by a SageMaker label map): train → evaluate.
TEST(TrainCli, RealPetPairsTrainAndEvaluate) {
  SEGMAKER_REQUIRE_PET_DATA();
  test::TempDir dir;
  const fs::path data = dir / "data";
  auto images = io::list_files(test::pet_dir() / "images", {".jpg"});
  ASSERT_GE(images.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    const std::string channel = i < 6 ? "train" : "validation";
    const std::string stem = images[i * 7].stem().string();
    fs::create_directories(data / channel);
    fs::create_directories(data / (channel + "_annotation"));
    // Small copies keep the test fast: 96 px on the long side.
    cv::Mat img = cv::imread(images[i * 7].string());
    cv::Mat tri = cv::imread((test::pet_dir() / "annotations" / "trimaps" / (stem + ".png")).string(), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(img.empty());
    ASSERT_FALSE(tri.empty()) << stem;
    const double s = 96.0 / std::max(img.cols, img.rows);
    cv::resize(img, img, {}, s, s, cv::INTER_AREA);
    cv::resize(tri, tri, img.size(), 0, 0, cv::INTER_NEAREST);
    cv::imwrite((data / channel / (stem + ".jpg")).string(), img);
    cv::imwrite((data / (channel + "_annotation") / (stem + ".png")).string(), tri);
  }
  // Trimap pixel values 1 = pet, 2 = background, 3 = boundary → classes 0 background, 1 pet, 2 boundary.
  for (const char* c : {"train", "validation"})
    io::write_file_atomic(data / "label_map" / (std::string(c) + "_label_map.json"), R"({"map": {"0": 2, "1": 1, "2": 3}})");
  json hp = {{"backbone", "resnet-18"}, {"use_pretrained_model", "False"}, {"num_classes", "3"}, {"num_training_samples", "6"},
             {"base_size", "96"}, {"crop_size", "64"}, {"epochs", "2"}, {"mini_batch_size", "3"}, {"validation_mini_batch_size", "2"},
             {"learning_rate", "0.01"}, {"output_stride", "16"}, {"optimizer", "adam"}};
  io::write_file_atomic(dir / "hp.json", hp.dump());
  ASSERT_EQ(test::run_cli("--threads 2 train --data '" + data.string() + "' --hyperparameters '" + (dir / "hp.json").string() +
                              "' --output '" + (dir / "out").string() + "' --no-progress",
                          dir / "train.log"),
            0)
      << io::read_file(dir / "train.log");
  ASSERT_EQ(test::run_cli("--threads 2 evaluate --model '" + (dir / "out" / "model.tar.gz").string() + "' --data '" + data.string() +
                              "' --output '" + (dir / "eval.json").string() + "' --no-progress",
                          dir / "eval.log"),
            0)
      << io::read_file(dir / "eval.log");
  json eval = json::parse(io::read_file(dir / "eval.json"));
  EXPECT_EQ(eval["images"], 2);
  EXPECT_EQ(eval["confusion_matrix"].size(), 3u);
  EXPECT_GT(eval["pixel_accuracy"].get<double>(), 0.0);
  ASSERT_EQ(test::run_cli("evaluate --full-size --model '" + (dir / "out" / "model.tar.gz").string() + "' --data '" + data.string() +
                              "' --no-progress",
                          dir / "eval2.log"),
            0)
      << io::read_file(dir / "eval2.log");
  EXPECT_NE(io::read_file(dir / "eval2.log").find("validation mIOU <score>="), std::string::npos);
}


// prepare --manifest writes Ground Truth-shaped augmented manifests of the prepared pairs; train takes
// them (--data + --validation-data) in place of the folder channels and trains on the same pairs.
TEST(TrainCli, PreparedAugmentedManifestsTrainLikeTheFolders) {
  SEGMAKER_REQUIRE_PET_DATA();
  test::TempDir dir;
  const fs::path src = dir / "pets";
  fs::create_directories(src / "images");
  fs::create_directories(src / "annotations" / "trimaps");
  const auto images = io::list_files(test::pet_dir() / "images", {".jpg"});
  for (std::size_t i = 0; i < 10; ++i) {
    const fs::path& img = images[i * 11];
    cv::Mat small = cv::imread(img.string());
    cv::Mat tri = cv::imread((test::pet_dir() / "annotations" / "trimaps" / (img.stem().string() + ".png")).string(), cv::IMREAD_UNCHANGED);
    const double s = 96.0 / std::max(small.cols, small.rows);
    cv::resize(small, small, {}, s, s, cv::INTER_AREA);
    cv::resize(tri, tri, small.size(), 0, 0, cv::INTER_NEAREST);
    cv::imwrite((src / "images" / img.filename()).string(), small);
    cv::imwrite((src / "annotations" / "trimaps" / (img.stem().string() + ".png")).string(), tri);
  }
  ASSERT_EQ(test::run_cli("prepare --manifest --input '" + src.string() + "' --output '" + (dir / "prepared").string() +
                              "' --validation-fraction 0.3 --no-progress",
                          dir / "prepare.log"),
            0)
      << io::read_file(dir / "prepare.log");
  const int train = count_lines(dir / "prepared" / "train.manifest");
  ASSERT_GT(train, 0);
  ASSERT_GT(count_lines(dir / "prepared" / "validation.manifest"), 0);
  const json first = json::parse(io::read_file(dir / "prepared" / "train.manifest").substr(0, io::read_file(dir / "prepared" / "train.manifest").find('\n')));
  EXPECT_EQ(first["source-ref"].get<std::string>().rfind("file://" + (dir / "prepared" / "train").string() + "/", 0), 0u) << first.dump();
  EXPECT_EQ(first["pets-ref-metadata"]["class-map"]["1"], "pet") << first.dump();

  json hp = {{"backbone", "resnet-18"}, {"use_pretrained_model", "False"}, {"num_classes", "3"},
             {"num_training_samples", std::to_string(train)}, {"base_size", "96"}, {"crop_size", "64"}, {"epochs", "1"},
             {"mini_batch_size", "2"}, {"validation_mini_batch_size", "2"}, {"output_stride", "16"}};
  io::write_file_atomic(dir / "hp.json", hp.dump());
  const std::string common = "' --hyperparameters '" + (dir / "hp.json").string() + "' --no-progress --output '";
  ASSERT_EQ(test::run_cli("--threads 2 train --data '" + (dir / "prepared" / "train.manifest").string() + "' --validation-data '" +
                              (dir / "prepared" / "validation.manifest").string() + common + (dir / "out").string() + "'",
                          dir / "train.log"),
            0)
      << io::read_file(dir / "train.log");
  const std::string log = io::read_file(dir / "train.log");
  EXPECT_NE(log.find("channel 'train': " + std::to_string(train) + " of " + std::to_string(train) + " augmented manifest lines staged"),
            std::string::npos)
      << log;
  EXPECT_TRUE(fs::exists(dir / "out" / "model.tar.gz"));
  // Without the validation manifest: a clear error.
  EXPECT_NE(test::run_cli("train --data '" + (dir / "prepared" / "train.manifest").string() + common + (dir / "out2").string() + "'",
                          dir / "train2.log"),
            0);
  EXPECT_NE(io::read_file(dir / "train2.log").find("give the validation channel's with --validation-data"), std::string::npos)
      << io::read_file(dir / "train2.log");
}

}  // namespace
}  // namespace segmaker::train
