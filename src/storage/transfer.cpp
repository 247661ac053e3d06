// Folder and file transfers between any two kinds of location, in parallel, through the download
// cache, with a progress bar (objects, and bytes in the status).
#include "storage/transfer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include "io/error.h"
#include "io/parallel.h"
#include "io/progress.h"
#include "storage/download_cache.h"
#include "storage/local_storage.h"
#include "storage/s3_storage.h"
#include "storage/transfer_limits.h"

namespace fs = std::filesystem;

namespace segmaker::storage {
namespace {

std::string megabytes(std::uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", static_cast<double>(bytes) / 1e6);
  return text;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A key below a prefix as a relative path; refuses keys that would leave the folder.
fs::path safe_relative(const std::string& relative, const std::string& uri) {
  const fs::path path(relative);
  bool escapes = relative.empty() || path.is_absolute();
  for (const auto& part : path)
    if (part == "..") escapes = true;
  if (escapes)
    throw UserError("refusing to download '" + uri + "': its key '" + relative +
                    "' would be written outside the destination folder");
  return path;
}

// Counts objects and bytes for the bar and for config.on_bytes.
class Tally {
 public:
  Tally(const std::string& label, std::size_t objects, std::uint64_t bytes, const StorageConfig& config)
      : progress_(label, objects, config.progress), total_bytes_(bytes), on_bytes_(config.on_bytes) {}
  void add(std::uint64_t bytes, bool from_cache) {
    std::lock_guard<std::mutex> lock(mutex_);
    summary_.objects += 1;
    summary_.bytes += bytes;
    summary_.from_cache += from_cache ? 1 : 0;
    progress_.advance(1, megabytes(summary_.bytes) + "/" + megabytes(total_bytes_) + " MB");
    if (on_bytes_) on_bytes_(summary_.bytes, total_bytes_);
  }
  TransferSummary finish(std::chrono::steady_clock::time_point start) {
    summary_.seconds = seconds_since(start);
    progress_.finish(megabytes(summary_.bytes) + " MB" +
                     (summary_.from_cache ? ", " + std::to_string(summary_.from_cache) + " from the cache" : ""));
    return summary_;
  }

 private:
  io::Progress progress_;
  std::uint64_t total_bytes_;
  std::function<void(std::uint64_t, std::uint64_t)> on_bytes_;
  std::mutex mutex_;
  TransferSummary summary_;
};

// Fetches one S3 object into `file`, through the cache when given. Returns whether the cache answered.
bool fetch(S3Storage& s3, const Location& object, const ObjectInfo& info, const fs::path& file,
           const DownloadCache* cache) {
  if (!cache || info.etag.empty()) {
    s3.download(object, file, info.size);
    return false;
  }
  if (const auto hit = cache->find(object.bucket, object.key, info.etag, info.size)) {
    copy_file_atomic(*hit, file);
    return true;
  }
  fs::path entry = cache->entry(object.bucket, object.key, info.etag);
  const std::string etag = s3.download(object, entry, info.size);
  if (!etag.empty() && etag != info.etag) {  // the object changed since it was listed
    const fs::path actual = cache->entry(object.bucket, object.key, etag);
    fs::rename(entry, actual);
    entry = actual;
  }
  copy_file_atomic(entry, file);
  return false;
}

StorageConfig without_byte_callback(StorageConfig config) {
  config.on_bytes = nullptr;  // folder transfers report per object, not per chunk
  return config;
}

}  // namespace

TransferSummary download_prefix(const std::string& prefix_uri, const fs::path& local_dir, const StorageConfig& config) {
  return download_prefix(prefix_uri, local_dir, config, [](const std::string&) { return true; });
}

TransferSummary download_prefix(const std::string& prefix_uri, const fs::path& local_dir, const StorageConfig& config,
                                const std::function<bool(const std::string&)>& include) {
  const auto start = std::chrono::steady_clock::now();
  Location prefix = parse_location(prefix_uri);
  if (!prefix.is_s3()) {
    std::vector<ObjectInfo> files;
    for (auto& f : LocalStorage(config.local_access).list(prefix))
      if (include(f.key)) files.push_back(std::move(f));
    std::uint64_t bytes = 0;
    for (const auto& f : files) bytes += f.size;
    Tally tally("copy " + prefix.uri(), files.size(), bytes, config);
    if (fs::exists(local_dir) && fs::equivalent(prefix.local, local_dir)) return tally.finish(start);
    io::parallel_for(files.size(), transfer_parallelism(config), [&](std::size_t i) {
      copy_file_atomic(prefix.local / files[i].key, local_dir / files[i].key);
      tally.add(files[i].size, false);
    });
    return tally.finish(start);
  }
  if (!prefix.key.empty() && prefix.key.back() != '/') prefix.key += '/';  // a folder, as `aws s3 sync` treats it
  S3Storage s3(without_byte_callback(config));
  std::vector<ObjectInfo> objects;
  for (auto& o : s3.list(prefix))
    if (o.key.back() != '/' && include(o.key.substr(prefix.key.size())))  // skip "folder" marker objects
      objects.push_back(std::move(o));
  std::uint64_t bytes = 0;
  for (const auto& o : objects) bytes += o.size;
  std::optional<DownloadCache> cache;
  if (config.use_cache) cache.emplace(config.cache_dir);
  Tally tally("download " + prefix.uri(), objects.size(), bytes, config);
  io::parallel_for(objects.size(), transfer_parallelism(config), [&](std::size_t i) {
    const auto& info = objects[i];
    Location object = prefix;
    object.key = info.key;
    const fs::path relative = safe_relative(info.key.substr(prefix.key.size()), object.uri());
    tally.add(info.size, fetch(s3, object, info, local_dir / relative, cache ? &*cache : nullptr));
  });
  const auto summary = tally.finish(start);
  spdlog::debug("downloaded {} objects ({} MB, {} from the cache) from {} in {:.1f} s", summary.objects,
                megabytes(summary.bytes), summary.from_cache, prefix.uri(), summary.seconds);
  return summary;
}

TransferSummary upload_folder(const fs::path& local_dir, const std::string& prefix_uri, const StorageConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  if (!fs::is_directory(local_dir)) throw UserError("cannot upload '" + local_dir.string() + "': not a folder");
  Location source;
  source.local = local_dir;
  const auto files = LocalStorage().list(source);
  std::uint64_t bytes = 0;
  for (const auto& f : files) bytes += f.size;
  const Location prefix = parse_location(prefix_uri);
  Tally tally("upload " + prefix.uri(), files.size(), bytes, config);
  auto storage = open_storage(prefix, without_byte_callback(config));
  auto upload = [&](std::size_t i) {
    storage->write_from_file(prefix.child(files[i].key), local_dir / files[i].key);
    tally.add(files[i].size, false);
  };
  // Small files in parallel; large ones one after another, each in parallel parts.
  std::vector<std::size_t> small, large;
  for (std::size_t i = 0; i < files.size(); ++i)
    (prefix.is_s3() && files[i].size >= config.multipart_threshold ? large : small).push_back(i);
  io::parallel_for(small.size(), transfer_parallelism(config), [&](std::size_t i) { upload(small[i]); });
  for (std::size_t i : large) upload(i);
  return tally.finish(start);
}

void download_file(const std::string& uri, const fs::path& file, const StorageConfig& config) {
  const Location location = parse_location(uri);
  if (!location.is_s3()) {
    LocalStorage local(config.local_access);  // checks the allowed folders, that the file exists, copies
    if (fs::exists(file) && fs::is_regular_file(location.local) && fs::equivalent(location.local, file)) return;
    local.read_to_file(location, file);
    return;
  }
  S3Storage s3(config);
  const auto info = s3.stat(location);
  if (!info)
    throw UserError("there is no object '" + location.key + "' in bucket '" + location.bucket + "' (" +
                    location.uri() + ")");
  std::optional<DownloadCache> cache;
  if (config.use_cache) cache.emplace(config.cache_dir);
  const bool hit = fetch(s3, location, *info, file, cache ? &*cache : nullptr);
  spdlog::debug("{} -> {}{}", location.uri(), file.string(), hit ? " (from the cache)" : "");
}

void upload_file(const fs::path& file, const std::string& uri, const StorageConfig& config) {
  if (!fs::is_regular_file(file)) throw UserError("cannot upload '" + file.string() + "': not a file");
  const Location location = parse_location(uri);
  open_storage(location, config)->write_from_file(location, file);
}

}  // namespace segmaker::storage
