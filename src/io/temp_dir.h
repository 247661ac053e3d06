#pragma once
// A fresh folder under the system's temporary directory, removed with everything in it when the
// object goes out of scope (scratch space for npm, the tests' folders).
#include <filesystem>
#include <string>

namespace segmaker::io {

class TempDir {
 public:
  // <tmp>/<prefix><random digits>, created at once. Throws std::filesystem::filesystem_error.
  explicit TempDir(const std::string& prefix = "segmaker-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace segmaker::io
