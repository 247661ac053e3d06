#include <archive.h>
#include <archive_entry.h>

#include <fstream>

#include "io/archive.h"
#include "io/error.h"
#include "io/paths.h"
#include "support/test_util.h"

namespace fs = std::filesystem;

namespace segmaker::io {
namespace {

// Writes a raw tar.gz with arbitrary (possibly hostile) entries, bypassing write_tar_gz's checks.
struct RawEntry {
  std::string name;
  int type = AE_IFREG;
  std::string data;
  std::string link;  // symlink target or hard-link source
};

void write_raw(const fs::path& path, const std::vector<RawEntry>& entries) {
  struct archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_filetype(entry, e.type);
    archive_entry_set_perm(entry, 0644);
    if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.link.c_str());
    if (!e.link.empty() && e.type == AE_IFREG) archive_entry_set_hardlink(entry, e.link.c_str());
    archive_entry_set_size(entry, e.link.empty() ? static_cast<la_int64_t>(e.data.size()) : 0);
    archive_write_header(a, entry);
    if (!e.data.empty() && e.link.empty()) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::string read_error(const fs::path& p, const ArchiveLimits& limits = {}) {
  try {
    read_archive(p, limits);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(Archive, RoundTripInMemoryEntries) {
  test::TempDir dir;
  std::string big(300000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  write_tar_gz(dir / "m.tar.gz", {{"a.json", "{\"x\": 1}"}, {"sub/b.bin", big}, {"empty", ""}});
  auto entries = read_archive(dir / "m.tar.gz");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "a.json");
  EXPECT_EQ(entries[0].data, "{\"x\": 1}");
  EXPECT_EQ(entries[1].name, "sub/b.bin");
  EXPECT_EQ(entries[1].data, big);
  EXPECT_EQ(entries[2].data, "");
  EXPECT_EQ(read_archive_bytes(read_file(dir / "m.tar.gz"), "memory").size(), 3u);
  EXPECT_FALSE(fs::exists(dir / ("m.tar.gz.tmp." + std::to_string(::getpid()))));
  EXPECT_THROW(write_tar_gz(dir / "bad.tar.gz", {{"../x", "1"}}), UserError);
  EXPECT_THROW(write_tar_gz(dir / "bad.tar.gz", {{"/etc/x", "1"}}), UserError);
}

TEST(Archive, RejectsHostileEntries) {
  test::TempDir dir;
  struct Case {
    std::vector<RawEntry> entries;
    const char* expect;
  };
  const Case cases[] = {
      {{{"../evil", AE_IFREG, "x"}}, "path traversal"},
      {{{"a/../../evil", AE_IFREG, "x"}}, "path traversal"},
      {{{"/etc/passwd", AE_IFREG, "x"}}, "absolute path"},
      {{{"link", AE_IFLNK, "", "/etc/passwd"}}, "symbolic link"},
      {{{"a", AE_IFREG, "x"}, {"b", AE_IFREG, "", "a"}}, "hard link"},
      {{{"dev", AE_IFCHR, ""}}, "device"},
      {{{"fifo", AE_IFIFO, ""}}, "device, FIFO"},
      {{{"a", AE_IFREG, "x"}, {"./a", AE_IFREG, "y"}}, "appears twice"},
  };
  int i = 0;
  for (const auto& c : cases) {
    fs::path p = dir / ("h" + std::to_string(i++) + ".tar.gz");
    write_raw(p, c.entries);
    std::string e = read_error(p);
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.entries[0].name << ": '" << e << "'";
  }
}

TEST(Archive, RejectsOversizedTruncatedAndGarbage) {
  test::TempDir dir;
  write_tar_gz(dir / "ok.tar.gz", {{"weights", std::string(100000, 'w')}});
  ArchiveLimits small;
  small.max_entry_bytes = 1000;
  EXPECT_NE(read_error(dir / "ok.tar.gz", small).find("over the limit"), std::string::npos);
  ArchiveLimits total;
  total.max_total_bytes = 1000;
  EXPECT_NE(read_error(dir / "ok.tar.gz", total).find("more than 1000 bytes"), std::string::npos);

  // Random-ish data so that gzip cannot squeeze it: truncation must land inside the entry.
  std::string noise(200000, '\0');
  std::uint32_t x = 12345;
  for (auto& ch : noise) ch = static_cast<char>((x = x * 1664525u + 1013904223u) >> 24);
  write_tar_gz(dir / "n.tar.gz", {{"weights", noise}});
  std::string bytes = read_file(dir / "n.tar.gz");
  for (std::size_t cut : {bytes.size() / 2, bytes.size() - 30, std::size_t(20)}) {
    write_file_atomic(dir / "t.tar.gz", bytes.substr(0, cut));
    std::string e = read_error(dir / "t.tar.gz");
    EXPECT_NE(e.find("truncated or corrupt"), std::string::npos) << "cut at " << cut << ": '" << e << "'";
  }
  write_file_atomic(dir / "g.tar.gz", "this is not an archive at all, just some text that is long enough........"
                                      "................................................................................"
                                      "................................................................................"
                                      "................................................................................"
                                      "................................................................................"
                                      "................................................................................"
                                      "...............................................................................");
  EXPECT_FALSE(read_error(dir / "g.tar.gz").empty());
  EXPECT_THROW(read_archive(dir / "missing.tar.gz"), UserError);
}

}  // namespace
}  // namespace segmaker::io
