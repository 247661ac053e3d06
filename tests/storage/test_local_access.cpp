// Which local folders storage may touch: open by default (the CLI), only the operator's folders for
// `segmaker api` (--allow-local-path): '..', relative paths, paths outside and symlinks leading out
// are refused, for single files and for every file below a listed folder.
#include <gtest/gtest.h>

#include "io/error.h"
#include "io/paths.h"
#include "storage/local_storage.h"
#include "storage/storage.h"
#include "storage/transfer.h"
#include "support/test_util.h"

namespace fs = std::filesystem;

namespace segmaker::storage {
namespace {

using test::message_of;

constexpr const char* kHow = "start the service with --allow-local-path DIR";

struct Folders {
  test::TempDir dir;
  fs::path allowed = dir / "allowed", outside = dir / "outside";
  Folders() {
    fs::create_directories(allowed / "data");
    fs::create_directories(outside);
    io::write_file_atomic(allowed / "data" / "a.txt", "a");
    io::write_file_atomic(outside / "secret.txt", "secret");
  }
};

TEST(LocalAccess, OpenByDefault) {
  const LocalAccess open;
  EXPECT_FALSE(open.restricted());
  EXPECT_EQ(open.refusal("/etc/passwd"), "");
  EXPECT_EQ(open.refusal("relative/path"), "");
}

TEST(LocalAccess, OnlyUnderTheAllowedFolders) {
  Folders f;
  const auto access = LocalAccess::only_under({f.allowed}, kHow);
  EXPECT_EQ(access.refusal(f.allowed), "");
  EXPECT_EQ(access.refusal(f.allowed / "data" / "a.txt"), "");
  EXPECT_EQ(access.refusal(f.allowed / "not-yet" / "out"), "") << "an output folder that does not exist yet";
  for (const fs::path& bad : {f.outside / "secret.txt", fs::path("/etc/passwd"), f.dir.path() / "allowed-twin",
                              f.allowed / "data" / ".." / ".." / "outside", fs::path("data/a.txt")}) {
    const std::string reason = access.refusal(bad);
    EXPECT_NE(reason.find(kHow), std::string::npos) << bad << ": " << reason;
    EXPECT_THROW(access.check(bad), UserError) << bad;
  }
  EXPECT_NE(access.refusal(f.allowed / ".." / "allowed").find("'..'"), std::string::npos) << "no '..' even when it comes back";
  EXPECT_NE(access.refusal(f.outside).find(f.allowed.filename().string()), std::string::npos) << "names the allowed folders";
}

TEST(LocalAccess, NoFoldersMeansNoLocalPathAtAll) {
  Folders f;
  const auto none = LocalAccess::only_under({}, kHow);
  EXPECT_TRUE(none.restricted());
  const std::string reason = none.refusal(f.allowed / "data");
  EXPECT_NE(reason.find("local paths are not allowed"), std::string::npos) << reason;
  EXPECT_NE(reason.find(kHow), std::string::npos) << reason;
}

TEST(LocalAccess, AnAllowedFolderMustExist) {
  Folders f;
  const std::string m = message_of<UserError>([&] { LocalAccess::only_under({f.dir / "missing"}, kHow); });
  EXPECT_NE(m.find("missing"), std::string::npos) << m;
  EXPECT_THROW(LocalAccess::only_under({f.allowed / "data" / "a.txt"}, kHow), UserError) << "a file is not a folder";
}

TEST(LocalAccess, SymlinksThatLeadOutAreRefused) {
  Folders f;
  const auto access = LocalAccess::only_under({f.allowed}, kHow);
  fs::create_directory_symlink(f.outside, f.allowed / "escape");
  const std::string reason = access.refusal(f.allowed / "escape" / "secret.txt");
  EXPECT_NE(reason.find("resolves to"), std::string::npos) << reason;
  // A link to a folder inside stays allowed; an allowed folder reached through a link is allowed too.
  fs::create_directory_symlink(f.allowed / "data", f.allowed / "inner");
  EXPECT_EQ(access.refusal(f.allowed / "inner" / "a.txt"), "");
  fs::create_directory_symlink(f.allowed, f.dir / "link-to-allowed");
  EXPECT_EQ(LocalAccess::only_under({f.dir / "link-to-allowed"}, kHow).refusal(f.allowed / "data"), "");
}

TEST(LocalAccess, StorageChecksEveryFileBelowAFolderAndEveryTransfer) {
  Folders f;
  StorageConfig config;
  config.progress = false;
  config.local_access = LocalAccess::only_under({f.allowed}, kHow);
  test::TempDir staged;
  EXPECT_EQ(download_prefix("file://" + (f.allowed / "data").string(), staged / "in", config).objects, 1u);
  EXPECT_THROW(download_prefix("file://" + f.outside.string(), staged / "out", config), UserError);
  EXPECT_THROW(download_file((f.outside / "secret.txt").string(), staged / "s.txt", config), UserError);
  EXPECT_THROW(upload_file(f.allowed / "data" / "a.txt", "file://" + (f.outside / "b.txt").string(), config), UserError);
  EXPECT_FALSE(fs::exists(f.outside / "b.txt")) << "nothing written outside";
  upload_file(f.allowed / "data" / "a.txt", "file://" + (f.allowed / "copy" / "a.txt").string(), config);
  EXPECT_TRUE(fs::exists(f.allowed / "copy" / "a.txt"));

  // A file link inside the folder that points out of it: the whole download is refused, nothing staged.
  fs::create_symlink(f.outside / "secret.txt", f.allowed / "data" / "b.txt");
  const std::string m = message_of<UserError>([&] { download_prefix((f.allowed / "data").string(), staged / "again", config); });
  EXPECT_NE(m.find("secret.txt"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(staged / "again" / "b.txt"));
  // The CLI's open access still follows it (the user's own rights).
  StorageConfig open;
  open.progress = false;
  EXPECT_EQ(download_prefix((f.allowed / "data").string(), staged / "open", open).objects, 2u);
}

}  // namespace
}  // namespace segmaker::storage
