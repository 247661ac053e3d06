// The local backend: plain files, written atomically (temporary sibling + rename) like S3 objects.
#include "storage/local_storage.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "io/error.h"
#include "io/paths.h"

namespace fs = std::filesystem;

namespace segmaker::storage {
namespace {

ObjectInfo info_of(const fs::path& file, const std::string& key) {
  ObjectInfo info;
  info.key = key;
  info.size = fs::file_size(file);
  const auto mtime = fs::last_write_time(file);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(mtime.time_since_epoch()).count();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  // The file clock's epoch is not the system clock's: shift by "now" in both.
  const auto shift = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch() -
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             fs::file_time_type::clock::now().time_since_epoch()))
                         .count();
  info.last_modified = static_cast<std::int64_t>(seconds + shift);
  info.etag = std::to_string(info.size) + "-" + std::to_string(nanos);
  return info;
}

fs::path temporary_sibling(const fs::path& path) {
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(std::random_device{}());
  return tmp;
}

}  // namespace

void copy_file_atomic(const fs::path& from, const fs::path& to) {
  if (to.has_parent_path()) fs::create_directories(to.parent_path());
  const fs::path tmp = temporary_sibling(to);
  std::error_code ec;
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(tmp, to, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw UserError("cannot copy '" + from.string() + "' to '" + to.string() + "': " + ec.message());
  }
}

std::string LocalStorage::read(const Location& object) {
  access_.check(object.local);
  return io::read_file(object.local);
}

void LocalStorage::read_to_file(const Location& object, const fs::path& file) {
  access_.check(object.local);
  if (!fs::is_regular_file(object.local)) throw UserError("there is no file '" + object.local.string() + "'");
  copy_file_atomic(object.local, file);
}

void LocalStorage::write(const Location& object, const std::string& bytes) {
  access_.check(object.local);
  io::write_file_atomic(object.local, bytes);
}

void LocalStorage::write_from_file(const Location& object, const fs::path& file) {
  access_.check(object.local);
  copy_file_atomic(file, object.local);
}

std::vector<ObjectInfo> LocalStorage::list(const Location& prefix) {
  std::vector<ObjectInfo> objects;
  const fs::path& root = prefix.local;
  access_.check(root);
  if (fs::is_regular_file(root)) {
    objects.push_back(info_of(root, root.filename().generic_string()));
    return objects;
  }
  if (!fs::is_directory(root)) return objects;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    if (it->is_symlink()) access_.check(fs::canonical(it->path()));  // a link may point out of the folder
    objects.push_back(info_of(it->path(), fs::relative(it->path(), root).generic_string()));
  }
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return objects;
}

std::optional<ObjectInfo> LocalStorage::stat(const Location& object) {
  access_.check(object.local);
  if (!fs::is_regular_file(object.local)) return std::nullopt;
  return info_of(object.local, object.local.filename().generic_string());
}

void LocalStorage::remove_prefix(const Location& prefix) {
  access_.check(prefix.local);
  std::error_code ec;
  fs::remove_all(prefix.local, ec);
  if (ec) throw UserError("cannot remove '" + prefix.local.string() + "': " + ec.message());
}

}  // namespace segmaker::storage
