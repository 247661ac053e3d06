// prepare never loses the user's data (issue 14's rows on prepare): --force refuses to replace the
// input, a SIGKILL at any moment leaves the old data set or the new one, duplicate names are
// rejected, concurrent writers of one file never collide, images over the pixel limit are rejected.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "data/prepare.h"
#include "io/error.h"
#include "io/paths.h"
#include "pet_fixture.h"
#include "support/hostile_images.h"
#include "support/process.h"
#include "support/test_util.h"

using namespace segmaker;
using namespace segmaker::data;
namespace fs = std::filesystem;

namespace {

PrepareOptions options_for(const fs::path& in, const fs::path& out) {
  PrepareOptions o;
  o.input = in;
  o.output = out;
  o.progress = false;
  o.threads = 2;
  return o;
}

std::size_t count_files(const fs::path& dir) {
  if (!fs::is_directory(dir)) return 0;
  return io::list_files(dir).size();
}

// A prepared data set that is whole: its manifest names exactly the files it holds.
// Returns its label mode, or "" (with a failure) when it is not whole.
std::string whole_data_set(const fs::path& out) {
  if (!fs::exists(out / "classes.json") || !fs::exists(out / "manifest.tsv") || !fs::exists(out / "prepare_report.json")) {
    ADD_FAILURE() << "a prepared data set lacks its metadata";
    return "";
  }
  std::ifstream manifest(out / "manifest.tsv");
  std::string line;
  std::getline(manifest, line);
  std::size_t rows = 0;
  while (std::getline(manifest, line)) ++rows;
  const std::size_t images = count_files(out / "train") + count_files(out / "validation");
  const std::size_t masks = count_files(out / "train_annotation") + count_files(out / "validation_annotation");
  EXPECT_EQ(images, rows) << "images and manifest disagree";
  EXPECT_EQ(masks, rows) << "masks and manifest disagree";
  const auto report = nlohmann::json::parse(io::read_file(out / "prepare_report.json"));
  EXPECT_EQ(report["summary"]["train"].get<std::size_t>() + report["summary"]["validation"].get<std::size_t>(), rows);
  return nlohmann::json::parse(io::read_file(out / "classes.json"))["label_mode"].get<std::string>();
}

}  // namespace

// Row: `prepare --input D/train --output D --force` deleted the user's input, then failed.
TEST(PrepareSafety, ForceRefusesToReplaceWhatHoldsTheInput) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", {"Abyssinian", "Bengal"}, 3);
  prepare_dataset(options_for(tmp / "pets", tmp / "D"));
  // The user keeps a Pet folder inside the prepared data set's train/ folder.
  test::write_pet_folder(tmp / "D" / "train" / "pets", {"Abyssinian", "Bengal"}, 3);
  const auto before = io::list_files(tmp / "D" / "train" / "pets" / "images").size();
  auto o = options_for(tmp / "D" / "train" / "pets", tmp / "D");
  o.force = true;
  const std::string message = test::message_of<UserError>([&] { prepare_dataset(o); });
  EXPECT_NE(message.find("--force would replace"), std::string::npos) << message;
  EXPECT_EQ(io::list_files(tmp / "D" / "train" / "pets" / "images").size(), before) << "the input was touched";
  EXPECT_EQ(whole_data_set(tmp / "D"), "trimap");
  // An input beside prepare's folders (not inside one) is fine, and kept.
  test::write_pet_folder(tmp / "D" / "raw", {"Abyssinian", "Bengal"}, 3);
  auto beside = options_for(tmp / "D" / "raw", tmp / "D");
  beside.force = true;
  beside.labels = LabelMode::Binary;
  prepare_dataset(beside);
  EXPECT_EQ(whole_data_set(tmp / "D"), "binary");
  EXPECT_EQ(io::list_files(tmp / "D" / "raw" / "images").size(), 6u);
}

// Row: SIGKILL during `prepare --force` left no classes.json, no manifest and half the files.
TEST(PrepareSafety, SigkillAtAnyMomentLeavesTheOldOrTheNewDataSet) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", {"Abyssinian", "Bengal", "american_bulldog", "pug"}, 40);
  const fs::path out = tmp / "out";
  ASSERT_EQ(test::run_cli("prepare --labels binary --no-progress --input '" + (tmp / "pets").string() + "' --output '" +
                              out.string() + "'",
                          tmp / "first.log"),
            0)
      << test::read_text(tmp / "first.log");
  ASSERT_EQ(whole_data_set(out), "binary");
  // How long a forced run takes here, to spread the kills over it.
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<std::string> args{"--threads", "2", "prepare", "--labels", "trimap", "--force", "--no-progress",
                                      "--input", (tmp / "pets").string(), "--output", out.string()};
  ASSERT_EQ(test::wait_exit(test::spawn_cli(args, tmp / "timed.log")), 0) << test::read_text(tmp / "timed.log");
  const auto full = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(whole_data_set(out), "trimap");
  std::mt19937 rng(42);
  std::set<std::string> seen;
  for (int trial = 0; trial < 8; ++trial) {
    const std::string labels = trial % 2 ? "trimap" : "binary";
    auto run = args;
    run[4] = labels;
    const pid_t pid = test::spawn_cli(run, tmp / "killed.log");
    std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::microseconds>(full) * (0.1 + 0.9 * (rng() % 1000) / 1000.0));
    ::kill(pid, SIGKILL);
    test::wait_exit(pid);
    const std::string mode = whole_data_set(out);
    seen.insert(mode);
    ASSERT_TRUE(mode == "trimap" || mode == "binary") << "trial " << trial << ": a mixed data set";
  }
  // A later run cleans what the killed runs left beside the output and succeeds.
  ASSERT_EQ(test::wait_exit(test::spawn_cli(args, tmp / "last.log")), 0) << test::read_text(tmp / "last.log");
  EXPECT_EQ(whole_data_set(out), "trimap");
  for (const auto& e : fs::directory_iterator(tmp.path()))
    EXPECT_EQ(e.path().filename().string().find("segmaker-prepare"), std::string::npos) << "left behind: " << e.path();
}

// Row: X.jpg and X.png of one stem: rc 0, but 24 pairs counted where 12 + 6 files existed.
TEST(PrepareSafety, DuplicateStemsAreRejectedNamingBothFiles) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", {"Abyssinian", "Bengal"}, 6);
  for (int i = 1; i <= 3; ++i) {
    const std::string stem = "Bengal_" + std::to_string(i);
    io::write_file_atomic(tmp / "pets" / "images" / (stem + ".png"),
                          encode_png(cv::Mat(30 + i % 3, 40 + i, CV_8UC3, cv::Scalar(1, 2, 3))));
  }
  auto s = prepare_dataset(options_for(tmp / "pets", tmp / "out"));
  EXPECT_EQ(s.found, 15u);
  EXPECT_EQ(s.train + s.validation, 9u);
  ASSERT_EQ(s.rejected.size(), 6u);
  for (const auto& r : s.rejected) EXPECT_NE(r.reason.find("duplicate name"), std::string::npos) << r.file << ": " << r.reason;
  EXPECT_EQ(whole_data_set(tmp / "out"), "trimap");
}

// Two writers of one path each had their own ".tmp.<pid>" file: the same name, so one rename failed.
TEST(PrepareSafety, ConcurrentWritersOfOneFileNeverShareATemporary) {
  test::TempDir tmp;
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < 8; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < 50; ++i) {
        try {
          io::write_file_atomic(tmp / "shared.txt", std::string(1000 + w, static_cast<char>('a' + w)));
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  const std::string content = io::read_file(tmp / "shared.txt");
  ASSERT_GE(content.size(), 1000u);
  EXPECT_EQ(content, std::string(content.size(), content[0])) << "a mixed file";
  EXPECT_EQ(io::list_files(tmp.path()).size(), 1u) << "temporaries left behind";
}

// Row (prepare's part of the pixel limit): an image over --max-pixels is rejected from its header.
TEST(PrepareSafety, ImagesOverThePixelLimitAreRejectedFromTheirHeader) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", {"Abyssinian", "Bengal"}, 4);
  io::write_file_atomic(tmp / "pets" / "images" / "Bengal_2.jpg", test::gif_with_screen(20000, 20000));
  auto s = prepare_dataset(options_for(tmp / "pets", tmp / "out"));
  ASSERT_EQ(s.rejected.size(), 1u);
  EXPECT_NE(s.rejected[0].reason.find("--max-pixels"), std::string::npos) << s.rejected[0].reason;
  EXPECT_EQ(s.train + s.validation, 7u);
}
