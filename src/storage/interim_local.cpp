// INTERIM (branch api only): the local-path half of storage.h / transfer.h, so that the API can be
// built and tested before the storage layer (issue 10, branch `storage`) lands. s3:// is refused with
// a clear message. Delete this file when merging `storage`: its own implementation replaces it.
#include <fstream>

#include "io/error.h"
#include "io/paths.h"
#include "storage/storage.h"
#include "storage/transfer.h"

namespace segmaker::storage {

std::string Location::uri() const { return is_s3() ? "s3://" + bucket + "/" + key : local.string(); }

Location Location::child(const std::string& relative) const {
  Location c = *this;
  if (is_s3()) c.key = key.empty() || key.back() == '/' ? key + relative : key + "/" + relative;
  else c.local = local / relative;
  return c;
}

Location parse_location(const std::string& s) {
  Location l;
  const auto scheme_end = s.find("://");
  if (scheme_end == std::string::npos) {
    l.local = s;
    return l;
  }
  const std::string scheme = s.substr(0, scheme_end);
  if (scheme == "file") {
    l.local = s.substr(scheme_end + 3);
    return l;
  }
  if (scheme == "s3") {
    l.scheme = Location::Scheme::S3;
    const std::string rest = s.substr(scheme_end + 3);
    const auto slash = rest.find('/');
    l.bucket = rest.substr(0, slash);
    l.key = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (l.bucket.empty()) throw UserError("'" + s + "' names no bucket: write s3://<bucket>/<key>");
    return l;
  }
  throw UserError("unsupported URI scheme '" + scheme + "://' in '" + s + "': use a local path, file:// or s3://");
}

bool is_remote(const std::string& s) { return s.rfind("s3://", 0) == 0; }

StorageConfig StorageConfig::from_environment(StorageConfig explicit_values) { return explicit_values; }
StorageConfig StorageConfig::from_environment() { return StorageConfig(); }

namespace {

fs::path local_path(const std::string& uri) {
  const Location l = parse_location(uri);
  if (l.is_s3()) throw UserError("'" + uri + "': s3:// arrives with the storage layer (issue 10); use a local path or file:// for now");
  return l.local;
}

}  // namespace

std::unique_ptr<Storage> open_storage(const Location& location, const StorageConfig&) {
  throw UserError("storage for '" + location.uri() + "' arrives with the storage layer (issue 10)");
}

TransferSummary download_prefix(const std::string& prefix_uri, const fs::path& local_dir, const StorageConfig&) {
  const fs::path source = local_path(prefix_uri);
  TransferSummary s;
  fs::create_directories(local_dir);
  if (!fs::is_directory(source)) return s;
  for (const auto& e : fs::recursive_directory_iterator(source)) {
    if (!e.is_regular_file()) continue;
    const fs::path target = local_dir / fs::relative(e.path(), source);
    fs::create_directories(target.parent_path());
    fs::copy_file(e.path(), target, fs::copy_options::overwrite_existing);
    ++s.objects;
    s.bytes += e.file_size();
  }
  return s;
}

TransferSummary upload_folder(const fs::path& local_dir, const std::string& prefix_uri, const StorageConfig& config) {
  return download_prefix(local_dir.string(), local_path(prefix_uri), config);
}

void download_file(const std::string& uri, const fs::path& file, const StorageConfig&) {
  const fs::path source = local_path(uri);
  if (!fs::is_regular_file(source)) throw UserError("'" + uri + "' does not exist");
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  io::write_file_atomic(file, io::read_file(source));
}

void upload_file(const fs::path& file, const std::string& uri, const StorageConfig& config) {
  download_file(file.string(), local_path(uri).string(), config);
}

}  // namespace segmaker::storage
