#pragma once
// The download cache: S3 objects kept under the user cache dir (io::cache_dir()/s3), keyed by bucket,
// key and ETag, so that a second job on the same data does not download it again. An object that
// changed has another ETag and so another entry. Entries are written atomically. Torch-free.
#include <filesystem>
#include <optional>
#include <string>

namespace segmaker::storage {

class DownloadCache {
 public:
  // `root` "" = io::cache_dir()/"s3".
  explicit DownloadCache(std::filesystem::path root = {});

  // Where the entry for (bucket, key, etag) lives (whether or not it exists).
  std::filesystem::path entry(const std::string& bucket, const std::string& key, const std::string& etag) const;
  // The entry when it is there and has `size` bytes.
  std::optional<std::filesystem::path> find(const std::string& bucket, const std::string& key,
                                            const std::string& etag, std::uint64_t size) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace segmaker::storage
