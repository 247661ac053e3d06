#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "data/classes.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "data/prepare.h"
#include "io/error.h"
#include "io/paths.h"
#include "pet_fixture.h"
#include "support/test_util.h"

using namespace segmaker;
using namespace segmaker::data;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kBreeds = {"Abyssinian", "Bengal", "american_bulldog"};

PrepareOptions options_for(const fs::path& in, const fs::path& out, LabelMode mode = LabelMode::Trimap) {
  PrepareOptions o;
  o.input = in;
  o.output = out;
  o.labels = mode;
  o.progress = false;
  o.threads = 2;
  return o;
}

std::set<int> mask_values(const fs::path& dir) {
  std::set<int> values;
  for (const auto& f : io::list_files(dir, {".png"})) {
    cv::Mat m = read_mask(f.string());
    for (int y = 0; y < m.rows; ++y)
      for (int x = 0; x < m.cols; ++x) values.insert(m.at<uchar>(y, x));
  }
  return values;
}

// Adds every kind of bad input the release (or a user) can have.
void add_bad_files(const fs::path& root) {
  // A truncated JPEG (cut inside its compressed data).
  test::write_pet(root, "Bengal_90", 320, 240);
  std::string jpg = io::read_file(root / "images" / "Bengal_90.jpg");
  io::write_file_atomic(root / "images" / "Bengal_90.jpg", jpg.substr(0, jpg.size() / 2));
  // A missing trimap.
  test::write_pet(root, "Bombay_1");
  fs::remove(root / "annotations" / "trimaps" / "Bombay_1.png");
  // A trimap of another size.
  test::write_pet(root, "Birman_1", 40, 30);
  io::write_file_atomic(root / "annotations" / "trimaps" / "Birman_1.png", encode_png(cv::Mat(31, 40, CV_8UC1, cv::Scalar(2))));
  // Trimap values outside {1,2,3}.
  test::write_pet(root, "Persian_1");
  cv::Mat t(30, 40, CV_8UC1, cv::Scalar(2));
  t.at<uchar>(3, 3) = 7;
  io::write_file_atomic(root / "annotations" / "trimaps" / "Persian_1.png", encode_png(t));
  // Not an image at all, named .jpg.
  test::write_pet(root, "Siamese_1");
  io::write_file_atomic(root / "images" / "Siamese_1.jpg", "<html>404</html>");
  // The release's .mat files are skipped, not rejected.
  io::write_file_atomic(root / "images" / "Abyssinian_101.mat", "MATLAB");
}

void add_release_quirks(const fs::path& root) {
  for (const char* stem : {"Abyssinian_34", "Abyssinian_5"}) {
    fs::copy_file(test::quirks_dir() / "images" / (std::string(stem) + ".jpg"), root / "images" / (std::string(stem) + ".jpg"));
    fs::copy_file(test::quirks_dir() / "annotations" / "trimaps" / (std::string(stem) + ".png"),
                  root / "annotations" / "trimaps" / (std::string(stem) + ".png"));
  }
}

}  // namespace

TEST(Prepare, WritesSageMakerChannelLayout) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", kBreeds, 8);
  auto s = prepare_dataset(options_for(tmp / "pets", tmp / "out"));
  EXPECT_EQ(s.found, 24u);
  EXPECT_EQ(s.train, 18u);
  EXPECT_EQ(s.validation, 6u);  // 2 of 8 per breed
  EXPECT_TRUE(s.rejected.empty());
  for (const char* d : {"train", "train_annotation", "validation", "validation_annotation"})
    EXPECT_TRUE(fs::is_directory(tmp / "out" / d)) << d;
  EXPECT_EQ(io::list_files(tmp / "out" / "train", {".jpg"}).size(), 18u);
  for (const auto& img : io::list_files(tmp / "out" / "train", {".jpg"}))
    EXPECT_TRUE(fs::exists(tmp / "out" / "train_annotation" / (img.stem().string() + ".png"))) << img;
  EXPECT_EQ(io::read_file(tmp / "out" / "label_map" / "train_label_map.json"), "{\"scale\": \"1\"}\n");
  EXPECT_TRUE(fs::exists(tmp / "out" / "label_map" / "validation_label_map.json"));
  auto classes = read_classes(tmp / "out" / "classes.json");
  EXPECT_EQ(classes.names, (std::vector<std::string>{"background", "pet", "boundary"}));
  // Manifest: header + one line per pair.
  std::ifstream manifest(tmp / "out" / "manifest.tsv");
  std::string line;
  int lines = 0;
  std::getline(manifest, line);
  EXPECT_EQ(line, "name\tsplit\tbreed\tclass_id\tspecies\twidth\theight\tsource");
  while (std::getline(manifest, line)) ++lines;
  EXPECT_EQ(lines, 24);
  // The prepared folder reads back as a data set with valid ids.
  SegmentationDataset ds(tmp / "out", "train", 3);
  EXPECT_EQ(ds.size(), 18u);
  Sample sample = ds.load(0);
  EXPECT_EQ(sample.image.size(), sample.mask.size());
}

// --validation-fraction 1.0 prepares a pure test channel, 0.0 a pure training channel (issue 13, defect 3).
TEST(Prepare, ValidationFractionOneOrZeroWritesOneChannel) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", kBreeds, 3);
  auto all_validation = options_for(tmp / "pets", tmp / "test-channel");
  all_validation.validation_fraction = 1.0;
  auto s = prepare_dataset(all_validation);
  EXPECT_EQ(s.validation, 9u);
  EXPECT_EQ(s.train, 0u);
  EXPECT_EQ(io::list_files(tmp / "test-channel" / "validation", {".jpg"}).size(), 9u);
  EXPECT_TRUE(io::list_files(tmp / "test-channel" / "train", {".jpg"}).empty());
  auto all_train = options_for(tmp / "pets", tmp / "train-channel");
  all_train.validation_fraction = 0.0;
  s = prepare_dataset(all_train);
  EXPECT_EQ(s.train, 9u);
  EXPECT_EQ(s.validation, 0u);
  auto outside = options_for(tmp / "pets", tmp / "nothing");
  outside.validation_fraction = 1.5;
  EXPECT_THROW(prepare_dataset(outside), UserError);
  EXPECT_FALSE(fs::exists(tmp / "nothing" / "train"));
}

TEST(Prepare, EveryLabelModeWritesItsIds) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", kBreeds, 4);
  struct Case {
    LabelMode mode;
    std::set<int> values;
    std::size_t classes;
  };
  // Breed ids: Abyssinian 1, american_bulldog 2, Bengal 6.
  for (const Case& c : {Case{LabelMode::Trimap, {0, 1, 2}, 3}, Case{LabelMode::Binary, {0, 1, 255}, 2},
                        Case{LabelMode::Species, {0, 1, 2, 255}, 3}, Case{LabelMode::Breed, {0, 1, 2, 6, 255}, 38}}) {
    const fs::path out = tmp / ("out_" + label_mode_name(c.mode));
    prepare_dataset(options_for(tmp / "pets", out, c.mode));
    std::set<int> values = mask_values(out / "train_annotation");
    for (int v : mask_values(out / "validation_annotation")) values.insert(v);
    EXPECT_EQ(values, c.values) << label_mode_name(c.mode);
    EXPECT_EQ(read_classes(out / "classes.json").names.size(), c.classes) << label_mode_name(c.mode);
  }
}

TEST(Prepare, BadInputIsReportedNeverFatalNeverSilent) {
  if (!fs::exists(test::quirks_dir())) GTEST_SKIP() << "quirk files not found at " << test::quirks_dir();
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", kBreeds, 4);
  add_bad_files(tmp / "pets");
  add_release_quirks(tmp / "pets");
  auto s = prepare_dataset(options_for(tmp / "pets", tmp / "out"));
  EXPECT_EQ(s.skipped_non_images, 1u);
  EXPECT_EQ(s.found, 12u + 5u + 2u);
  EXPECT_EQ(s.train + s.validation, 14u);  // 12 good + the GIF and the PNG, converted
  ASSERT_EQ(s.converted.size(), 2u);
  std::map<std::string, std::string> rejected;
  for (const auto& r : s.rejected) rejected[fs::path(r.file).stem().string()] = r.reason;
  ASSERT_EQ(rejected.size(), 5u);
  EXPECT_NE(rejected["Bengal_90"].find("truncated"), std::string::npos) << rejected["Bengal_90"];
  EXPECT_NE(rejected["Bombay_1"].find("missing trimap"), std::string::npos);
  EXPECT_NE(rejected["Birman_1"].find("size mismatch"), std::string::npos);
  EXPECT_NE(rejected["Persian_1"].find("7 (1 px)"), std::string::npos) << rejected["Persian_1"];
  EXPECT_NE(rejected["Siamese_1"].find("not an image"), std::string::npos);
  // Converted files are real RGB JPEGs of the right size.
  for (const char* stem : {"Abyssinian_34", "Abyssinian_5"}) {
    fs::path p = tmp / "out" / "train" / (std::string(stem) + ".jpg");
    if (!fs::exists(p)) p = tmp / "out" / "validation" / (std::string(stem) + ".jpg");
    ASSERT_TRUE(fs::exists(p)) << stem;
    const std::string bytes = io::read_file(p);
    EXPECT_EQ(sniff_format(bytes), ImageFormat::Jpeg);
    EXPECT_EQ(decode_image_rgb(bytes).channels(), 3);
  }
  auto report = nlohmann::json::parse(io::read_file(tmp / "out" / "prepare_report.json"));
  EXPECT_EQ(report["summary"]["rejected"], 5);
  EXPECT_EQ(report["rejected"].size(), 5u);
  EXPECT_EQ(report["converted"].size(), 2u);
}

TEST(Prepare, StrictMakesRejectionsFatalAndWritesNothing) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", kBreeds, 2);
  add_bad_files(tmp / "pets");
  auto o = options_for(tmp / "pets", tmp / "out");
  o.strict = true;
  EXPECT_THROW(prepare_dataset(o), DataError);
  EXPECT_TRUE(io::is_empty_dir(tmp / "out"));
}

TEST(Prepare, RefusesNonEmptyOutputUnlessForced) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", kBreeds, 4);
  fs::create_directories(tmp / "out");
  io::write_file_atomic(tmp / "out" / "precious.txt", "keep me");
  EXPECT_THROW(prepare_dataset(options_for(tmp / "pets", tmp / "out")), UserError);
  EXPECT_EQ(io::read_file(tmp / "out" / "precious.txt"), "keep me");
  auto o = options_for(tmp / "pets", tmp / "out");
  o.force = true;
  prepare_dataset(o);
  io::write_file_atomic(tmp / "out" / "train" / "stale.jpg", "old");
  prepare_dataset(o);  // forced again: replaces the channel folders, keeps other files
  EXPECT_FALSE(fs::exists(tmp / "out" / "train" / "stale.jpg"));
  EXPECT_EQ(io::read_file(tmp / "out" / "precious.txt"), "keep me");
}

TEST(Prepare, BreedsFromNamesWithoutList) {
  test::TempDir tmp;
  test::write_pet_folder(tmp / "pets", {"Sphynx", "pug"}, 2);
  test::write_pet(tmp / "pets", "unicorn_1");
  auto s = prepare_dataset(options_for(tmp / "pets", tmp / "out", LabelMode::Species));
  EXPECT_EQ(s.train + s.validation, 4u);
  ASSERT_EQ(s.rejected.size(), 1u);
  EXPECT_NE(s.rejected[0].reason.find("unknown breed"), std::string::npos);
  std::set<int> values = mask_values(tmp / "out" / "train_annotation");
  EXPECT_TRUE(values.count(1) && values.count(2)) << "Sphynx is a cat (1), pug a dog (2)";
}

TEST(PrepareCli, RealSampleEndToEndWithExitCodes) {
  SEGMAKER_REQUIRE_PET_DATA();
  test::TempDir tmp;
  // A few real pairs, plus the release's quirks and a truncated copy.
  const fs::path src = tmp / "pets";
  fs::create_directories(src / "images");
  fs::create_directories(src / "annotations" / "trimaps");
  int copied = 0;
  for (const auto& img : io::list_files(test::pet_dir() / "images", {".jpg"})) {
    const std::string stem = img.stem().string();
    if (stem.rfind("Abyssinian_1", 0) != 0 && stem.rfind("Bengal_1", 0) != 0) continue;
    fs::copy_file(img, src / "images" / img.filename());
    fs::copy_file(test::pet_dir() / "annotations" / "trimaps" / (stem + ".png"), src / "annotations" / "trimaps" / (stem + ".png"));
    if (++copied == 12) break;
  }
  fs::copy_file(test::pet_dir() / "annotations" / "list.txt", src / "annotations" / "list.txt");
  EXPECT_EQ(test::run_cli("prepare --input '" + src.string() + "' --output '" + (tmp / "out").string() + "' --no-progress",
                          tmp / "log1"),
            0)
      << io::read_file(tmp / "log1");
  // Same again without --force: refused, exit 1.
  EXPECT_EQ(test::run_cli("prepare --input '" + src.string() + "' --output '" + (tmp / "out").string() + "'", tmp / "log2"), 1);
  EXPECT_NE(io::read_file(tmp / "log2").find("--force"), std::string::npos);
  // A rejected file: exit 3, with --strict exit 1.
  std::string jpg = io::read_file(src / "images" / "Abyssinian_1.jpg");
  io::write_file_atomic(src / "images" / "Abyssinian_1.jpg", jpg.substr(0, jpg.size() / 3));
  EXPECT_EQ(test::run_cli("prepare --input '" + src.string() + "' --output '" + (tmp / "out2").string() + "'", tmp / "log3"), 3);
  EXPECT_EQ(test::run_cli("prepare --strict --input '" + src.string() + "' --output '" + (tmp / "out3").string() + "'",
                          tmp / "log4"),
            1);
  // Visualize the first output.
  EXPECT_EQ(test::run_cli("visualize --data '" + (tmp / "out").string() + "' --output '" + (tmp / "viz").string() +
                              "' --count 4",
                          tmp / "log5"),
            0)
      << io::read_file(tmp / "log5");
  EXPECT_TRUE(fs::exists(tmp / "viz" / "contact_sheet.png"));
  EXPECT_TRUE(fs::exists(tmp / "viz" / "class_stats.png"));
  EXPECT_EQ(io::list_files(tmp / "viz" / "overlays", {".png"}).size(), 4u);
  const std::string table = io::read_file(tmp / "log5");
  EXPECT_NE(table.find("background"), std::string::npos);
}
