#pragma once
// S3 (and any S3-compatible store) behind the Storage interface. Torch-free.
#include <memory>

#include "storage/s3_http.h"
#include "storage/storage.h"

namespace segmaker::storage {

class S3Storage : public Storage {
 public:
  explicit S3Storage(const StorageConfig& config);

  std::string read(const Location& object) override;
  void read_to_file(const Location& object, const std::filesystem::path& file) override;
  void write(const Location& object, const std::string& bytes) override;
  void write_from_file(const Location& object, const std::filesystem::path& file) override;
  // Every object whose key starts with the location's key (S3's prefix semantics), all pages.
  std::vector<ObjectInfo> list(const Location& prefix) override;
  std::optional<ObjectInfo> stat(const Location& object) override;
  // The object named by the key itself and every object below "key/" (not "key2/…"), in batches
  // of 1,000 (DeleteObjects).
  void remove_prefix(const Location& prefix) override;

  // read_to_file that also reports the ETag of what was downloaded; `expected_size` (0 = unknown) is
  // the total given to config.on_bytes.
  std::string download(const Location& object, const std::filesystem::path& file, std::uint64_t expected_size);
  S3Http& http() { return http_; }

 private:
  S3Http http_;
};

}  // namespace segmaker::storage
