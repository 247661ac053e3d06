// Reading a model artifact reads only its four known members, each within a size cap, and skips
// everything else without buffering it (issue 14: a 1.5 GB zero entry and a 1 GB zero weights.pt
// used to be read whole, 2.3 / 3.4 GB at the peak, before being rejected).
#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>

#include <fstream>

#include "io/archive.h"
#include "io/error.h"
#include "io/paths.h"
#include "support/peak_memory.h"
#include "support/test_util.h"
#include "inference/artifact.h"

namespace segmaker::inference {
namespace fs = std::filesystem;
namespace {

ModelArtifact sample() {
  ModelArtifact a;
  a.spec.algorithm = "fcn";
  a.spec.backbone = "resnet-18";
  a.spec.num_classes = 2;
  a.classes = {"background", "pet"};
  a.weights = std::string("PK\x03\x04", 4) + std::string(100, 'w');
  return a;
}

// A tar.gz with the artifact's members plus `extra` (name, size in bytes of zeros), written as a
// stream (gzip level 1), never held in memory.
void write_with_zeros(const fs::path& path, const ModelArtifact& a, const std::vector<std::pair<std::string, std::size_t>>& extra,
                      bool replace_members = false) {
  test::TempDir tmp;
  write_artifact_dir(tmp / "m", a);
  struct archive* w = archive_write_new();
  archive_write_add_filter_gzip(w);
  archive_write_set_filter_option(w, "gzip", "compression-level", "1");
  archive_write_set_format_pax_restricted(w);
  ASSERT_EQ(archive_write_open_filename(w, path.c_str()), ARCHIVE_OK);
  auto add = [&](const std::string& name, std::size_t size, const std::string* data) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    archive_write_header(w, e);
    if (data) {
      archive_write_data(w, data->data(), data->size());
    } else {
      const std::string zeros(1 << 20, '\0');
      for (std::size_t done = 0; done < size; done += zeros.size())
        archive_write_data(w, zeros.data(), std::min(zeros.size(), size - done));
    }
    archive_entry_free(e);
  };
  for (const char* name : {"model.json", "weights.pt", "hyperparameters.json", "metrics.json"}) {
    const bool replaced = replace_members && std::any_of(extra.begin(), extra.end(), [&](const auto& x) { return x.first == name; });
    if (replaced) continue;
    const std::string data = io::read_file(tmp / "m" / name);
    add(name, data.size(), &data);
  }
  for (const auto& [name, size] : extra) add(name, size, nullptr);
  archive_write_close(w);
  archive_write_free(w);
}

TEST(ArtifactLimits, AMemberOverItsCapIsRefusedFromItsHeaderBeforeReading) {
  test::TempDir dir;
  write_with_zeros(dir / "m.tar.gz", sample(), {{"model.json", 100u << 20}}, /*replace_members=*/true);
  const std::string message = test::message_of<DataError>([&] { read_artifact(dir / "m.tar.gz"); });
  EXPECT_NE(message.find("'model.json' is 104857600 bytes, over the limit"), std::string::npos) << message;
  EXPECT_NE(message.find("refused before reading it"), std::string::npos) << message;
}

TEST(ArtifactLimits, ZeroWeightsAreRefusedAfterTheirFirstBlockNotReadWhole) {
  test::TempDir dir;
  write_with_zeros(dir / "m.tar.gz", sample(), {{"weights.pt", 256u << 20}}, /*replace_members=*/true);
  const auto run = test::run_in_child([&] {
    const std::string message = test::message_of<DataError>([&] { read_artifact(dir / "m.tar.gz"); });
    return message.find("'weights.pt' does not start like one") != std::string::npos;
  });
  EXPECT_TRUE(run.ok) << "256 MB of zeros as weights.pt were not refused for their first bytes";
  EXPECT_LT(run.peak_growth_mib, 64.0) << "the zero weights were read whole";
}

TEST(ArtifactLimits, UnknownMembersAreSkippedWithoutBuffering) {
  test::TempDir dir;
  write_with_zeros(dir / "m.tar.gz", sample(), {{"junk.bin", 256u << 20}, {"notes/readme.txt", 10}});
  const auto run = test::run_in_child([&] { return read_artifact(dir / "m.tar.gz").classes == sample().classes; });
  EXPECT_TRUE(run.ok);
  EXPECT_LT(run.peak_growth_mib, 64.0) << "a member nobody reads was buffered";
}

TEST(ArtifactLimits, AnUnpackedFolderIsCheckedTheSameWay) {
  test::TempDir dir;
  write_artifact_dir(dir / "m", sample());
  // A 1 GB zero weights.pt (sparse: no disk used) is refused from its first bytes.
  fs::remove(dir / "m" / "weights.pt");
  { std::ofstream(dir / "m" / "weights.pt"); }
  fs::resize_file(dir / "m" / "weights.pt", std::uintmax_t(1) << 30);
  const auto run = test::run_in_child([&] {
    const std::string message = test::message_of<DataError>([&] { read_artifact(dir / "m"); });
    return message.find("weights.pt does not start like one") != std::string::npos;
  });
  EXPECT_TRUE(run.ok);
  EXPECT_LT(run.peak_growth_mib, 64.0);
  // Over the cap: refused from its size alone.
  fs::resize_file(dir / "m" / "weights.pt", (std::uintmax_t(1) << 30) + 1);
  const std::string message = test::message_of<DataError>([&] { read_artifact(dir / "m"); });
  EXPECT_NE(message.find("refused before reading it"), std::string::npos) << message;
}

TEST(ArtifactLimits, ReadArchiveMembersKeepsTheHostileEntryChecks) {
  test::TempDir dir;
  io::write_tar_gz(dir / "a.tar.gz", {{"a.txt", "aaaa"}, {"b.bin", "bbbb"}, {"c.txt", "PK\x03\x04..."}});
  const auto got = io::read_archive_members(dir / "a.tar.gz", {{"a.txt", 4}, {"c.txt", 100, "PK"}});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "a.txt");
  EXPECT_EQ(got[1].data, "PK\x03\x04...");
  EXPECT_THROW(io::read_archive_members(dir / "a.tar.gz", {{"a.txt", 3}}), DataError);
  EXPECT_THROW(io::read_archive_members(dir / "a.tar.gz", {{"b.bin", 100, "PK"}}), DataError);
}

}  // namespace
}  // namespace segmaker::inference
