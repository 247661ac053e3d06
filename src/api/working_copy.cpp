#include "api/working_copy.h"

#include <cstdio>
#include <system_error>

namespace segmaker::api {

namespace fs = std::filesystem;

namespace {

// Sizes and counts the regular files under `path` (itself one, or a folder), not following links.
void measure(const fs::path& path, DiscardedFiles& into) {
  std::error_code ec;
  const auto status = fs::symlink_status(path, ec);
  if (ec) return;
  if (fs::is_regular_file(status)) {
    into.bytes += fs::file_size(path, ec);
    ++into.files;
    return;
  }
  if (!fs::is_directory(status)) return;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const auto s = it->symlink_status(ec);
    if (!ec && fs::is_regular_file(s)) {
      into.bytes += it->file_size(ec);
      ++into.files;
    }
  }
}

}  // namespace

DiscardedFiles discard_working_copy(const fs::path& job_dir, const std::string& keep) {
  DiscardedFiles discarded;
  std::error_code ec;
  for (fs::directory_iterator it(job_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() == keep) continue;
    DiscardedFiles entry;
    measure(it->path(), entry);
    std::error_code removed;
    fs::remove_all(it->path(), removed);
    if (removed) {
      if (discarded.error.empty()) discarded.error = it->path().string() + ": " + removed.message();
      continue;
    }
    discarded.bytes += entry.bytes;
    discarded.files += entry.files;
  }
  if (ec && discarded.error.empty() && fs::exists(job_dir)) discarded.error = job_dir.string() + ": " + ec.message();
  return discarded;
}

std::string describe(const DiscardedFiles& discarded) {
  char text[96];
  std::snprintf(text, sizeof text, "%ju files, %.1f MB removed", discarded.files, discarded.bytes / 1e6);
  return discarded.error.empty() ? text : std::string(text) + " (not removed: " + discarded.error + ")";
}

}  // namespace segmaker::api
