#pragma once
// Local folders (and file:// URIs) behind the Storage interface: the embedded default. Torch-free.
#include "storage/storage.h"

namespace segmaker::storage {

class LocalStorage : public Storage {
 public:
  // Every location this storage touches must pass `access` (local_access.h); list() also refuses a
  // file below the folder that resolves outside the allowed folders (a symlink pointing out).
  explicit LocalStorage(LocalAccess access = {}) : access_(std::move(access)) {}

  std::string read(const Location& object) override;
  void read_to_file(const Location& object, const std::filesystem::path& file) override;
  void write(const Location& object, const std::string& bytes) override;
  void write_from_file(const Location& object, const std::filesystem::path& file) override;
  // Every regular file below the folder (recursively), keys relative to it; a file lists itself.
  std::vector<ObjectInfo> list(const Location& prefix) override;
  std::optional<ObjectInfo> stat(const Location& object) override;
  void remove_prefix(const Location& prefix) override;

 private:
  LocalAccess access_;
};

// Copies a file atomically (temporary sibling, then rename), creating the parent folders.
void copy_file_atomic(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace segmaker::storage
