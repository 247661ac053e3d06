// Download cache layout: <root>/<bucket>/<sha256(key)[0:2]>/<sha256(key)>.<etag>. Hashing the key
// keeps any key (spaces, '..', very long) a valid, flat file name.
#include "storage/download_cache.h"

#include <cctype>

#include "io/paths.h"
#include "io/sha256.h"

namespace segmaker::storage {

namespace fs = std::filesystem;

DownloadCache::DownloadCache(fs::path root) : root_(root.empty() ? io::cache_dir() / "s3" : std::move(root)) {}

fs::path DownloadCache::entry(const std::string& bucket, const std::string& key, const std::string& etag) const {
  io::Sha256 sha;
  sha.update(key.data(), key.size());
  const std::string hash = sha.hex();
  std::string tag;
  for (char c : etag) tag += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  return root_ / bucket / hash.substr(0, 2) / (hash + "." + tag);
}

std::optional<fs::path> DownloadCache::find(const std::string& bucket, const std::string& key, const std::string& etag,
                                            std::uint64_t size) const {
  if (etag.empty()) return std::nullopt;
  const fs::path path = entry(bucket, key, etag);
  std::error_code ec;
  if (fs::is_regular_file(path, ec) && fs::file_size(path, ec) == size && !ec) return path;
  return std::nullopt;
}

}  // namespace segmaker::storage
