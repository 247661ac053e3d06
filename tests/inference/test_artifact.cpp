#include <archive.h>
#include <archive_entry.h>

#include <nlohmann/json.hpp>

#include "io/archive.h"
#include "io/error.h"
#include "io/paths.h"
#include "support/test_util.h"
#include "inference/artifact.h"

namespace segmaker::inference {
namespace fs = std::filesystem;
namespace {

ModelArtifact sample() {
  ModelArtifact a;
  a.spec.algorithm = "deeplab";
  a.spec.backbone = "resnet-18";
  a.spec.num_classes = 3;
  a.spec.output_stride = 16;
  a.spec.preprocessing = data::Preprocessing::caffe();
  a.classes = {"background", "pet", "boundary"};
  a.hyperparameters = {{"epochs", 3}, {"crop_size", 240}};
  a.metrics = {{"mIOU", 0.5}};
  a.weights = std::string("\x00\x01weights\xff", 10);
  return a;
}

void expect_same(const ModelArtifact& a, const ModelArtifact& b) {
  EXPECT_EQ(a.format_version, b.format_version);
  EXPECT_TRUE(a.spec == b.spec);
  EXPECT_EQ(a.classes, b.classes);
  EXPECT_EQ(a.hyperparameters, b.hyperparameters);
  EXPECT_EQ(a.metrics, b.metrics);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.calibration, b.calibration);
}

TEST(Artifact, RoundTripTarGzAndUnpackedFolder) {
  test::TempDir dir;
  ModelArtifact a = sample();
  write_artifact(dir / "model.tar.gz", a);
  expect_same(read_artifact(dir / "model.tar.gz"), a);
  auto names = io::read_archive(dir / "model.tar.gz");
  ASSERT_EQ(names.size(), 4u);
  write_artifact_dir(dir / "opt-ml-model", a);
  expect_same(read_artifact(dir / "opt-ml-model"), a);
  auto manifest = nlohmann::json::parse(io::read_file(dir / "opt-ml-model" / "model.json"));
  EXPECT_EQ(manifest["format_version"], kArtifactFormatVersion);
  EXPECT_EQ(manifest["model_spec"]["preprocessing"]["channel_order"], "BGR");
}

TEST(Artifact, CarriesAnInt8CalibrationWhenItHasOne) {
  test::TempDir dir;
  ModelArtifact a = sample();
  write_artifact(dir / "plain.tar.gz", a);
  EXPECT_TRUE(read_artifact(dir / "plain.tar.gz").calibration.is_null());
  a.calibration = {{"format_version", 1}, {"method", "mse"}, {"samples", 8}, {"ranges", {{"input", {-1.5, 2.0}}}}};
  write_artifact(dir / "int8.tar.gz", a);
  ASSERT_EQ(io::read_archive(dir / "int8.tar.gz").size(), 5u);
  expect_same(read_artifact(dir / "int8.tar.gz"), a);
  write_artifact_dir(dir / "folder", a);
  EXPECT_TRUE(fs::is_regular_file(dir / "folder" / "calibration.json"));
  expect_same(read_artifact(dir / "folder"), a);
  io::write_file_atomic(dir / "folder" / "calibration.json", "{not json");
  EXPECT_NE(test::message_of<DataError>([&] { read_artifact(dir / "folder"); }).find("calibration.json"), std::string::npos);
}

TEST(Artifact, RejectsInconsistentOrForeignContent) {
  test::TempDir dir;
  ModelArtifact a = sample();
  a.classes.pop_back();
  EXPECT_THROW(write_artifact(dir / "m.tar.gz", a), UserError);

  write_artifact_dir(dir / "m", sample());
  fs::remove(dir / "m" / "weights.pt");
  EXPECT_THROW(read_artifact(dir / "m"), DataError);

  write_artifact_dir(dir / "n", sample());
  auto manifest = nlohmann::json::parse(io::read_file(dir / "n" / "model.json"));
  manifest["format_version"] = kArtifactFormatVersion + 1;
  io::write_file_atomic(dir / "n" / "model.json", manifest.dump());
  try {
    read_artifact(dir / "n");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("format version"), std::string::npos) << e.what();
  }
  io::write_file_atomic(dir / "n" / "model.json", "{not json");
  EXPECT_THROW(read_artifact(dir / "n"), DataError);
  EXPECT_THROW(read_artifact(dir / "missing.tar.gz"), UserError);

  io::write_tar_gz(dir / "other.tar.gz", {{"model_best.params", "gluon"}, {"hyperparams.json", "{}"}});
  try {
    read_artifact(dir / "other.tar.gz");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("lacks model.json"), std::string::npos) << e.what();
  }
}

TEST(Artifact, HostileArchiveIsRejected) {
  test::TempDir dir;
  // A valid artifact plus an entry that tries to escape.
  struct archive* w = archive_write_new();
  archive_write_add_filter_gzip(w);
  archive_write_set_format_pax_restricted(w);
  ASSERT_EQ(archive_write_open_filename(w, (dir / "evil.tar.gz").c_str()), ARCHIVE_OK);
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "../../weights.pt");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, 1);
  archive_write_header(w, e);
  archive_write_data(w, "x", 1);
  archive_entry_free(e);
  archive_write_close(w);
  archive_write_free(w);
  try {
    read_artifact(dir / "evil.tar.gz");
    FAIL();
  } catch (const DataError& ex) {
    EXPECT_NE(std::string(ex.what()).find("path traversal"), std::string::npos) << ex.what();
  }
  write_artifact(dir / "ok.tar.gz", sample());
  std::string bytes = io::read_file(dir / "ok.tar.gz");
  io::write_file_atomic(dir / "cut.tar.gz", bytes.substr(0, bytes.size() * 2 / 3));
  EXPECT_THROW(read_artifact(dir / "cut.tar.gz"), DataError);
  // A symlinked file in an unpacked folder is refused too.
  write_artifact_dir(dir / "d", sample());
  fs::remove(dir / "d" / "metrics.json");
  fs::create_symlink("/etc/hostname", dir / "d" / "metrics.json");
  EXPECT_THROW(read_artifact(dir / "d"), DataError);
}

}  // namespace
}  // namespace segmaker::inference
