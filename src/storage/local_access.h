#pragma once
// Which local folders storage may read and write through plain paths and file:// URIs. The CLI runs
// with its user's own rights and leaves local access open; `segmaker api` serves every holder of a
// key, so it opens only the folders its operator names (--allow-local-path), as SageMaker reads and
// writes only S3. Checked wherever storage touches a local location on a caller's behalf: the URI
// itself (symlinks resolved, no '..') and, for folders, every file below it (a symlink inside an
// allowed folder that points out of it is refused). Torch-free.
#include <filesystem>
#include <string>
#include <vector>

namespace segmaker::storage {

class LocalAccess {
 public:
  // Any local path (the default).
  LocalAccess() = default;
  // Only paths under `folders` (none: no local path at all). Each folder must exist; it is resolved
  // once here. `how_to_allow` ends every refusal (e.g. which flag admits a folder). UserError for a
  // folder that does not exist or is not a folder.
  static LocalAccess only_under(const std::vector<std::filesystem::path>& folders, std::string how_to_allow);

  bool restricted() const { return restricted_; }

  // Empty when `path` may be used, else the reason (a sentence ending in how_to_allow): a relative
  // path, a '..' component, or a path that resolves outside every allowed folder.
  std::string refusal(const std::filesystem::path& path) const;
  // Throws UserError with refusal(path) unless it is empty.
  void check(const std::filesystem::path& path) const;

 private:
  bool restricted_ = false;
  std::vector<std::filesystem::path> folders_;  // canonical
  std::string how_to_allow_;
};

}  // namespace segmaker::storage
