// Local folders a storage caller may use (see local_access.h).
#include "storage/local_access.h"

#include <algorithm>

#include "io/error.h"

namespace segmaker::storage {

namespace fs = std::filesystem;

namespace {

// True when `path` is `folder` or lies below it (both canonical).
bool is_within(const fs::path& path, const fs::path& folder) {
  auto p = path.begin();
  for (auto f = folder.begin(); f != folder.end(); ++f, ++p) {
    if (f->empty()) continue;  // a trailing separator of the folder
    if (p == path.end() || *p != *f) return false;
  }
  return true;
}

}  // namespace

LocalAccess LocalAccess::only_under(const std::vector<fs::path>& folders, std::string how_to_allow) {
  LocalAccess access;
  access.restricted_ = true;
  access.how_to_allow_ = std::move(how_to_allow);
  for (const auto& folder : folders) {
    std::error_code ec;
    const fs::path resolved = fs::canonical(folder, ec);
    if (ec || !fs::is_directory(resolved))
      throw UserError("cannot allow local paths under '" + folder.string() + "': " +
                      (ec ? ec.message() : std::string("not a folder")));
    access.folders_.push_back(resolved);
  }
  return access;
}

std::string LocalAccess::refusal(const fs::path& path) const {
  if (!restricted_) return {};
  const std::string quoted = "'" + path.string() + "'";
  if (!path.is_absolute()) return "the local path " + quoted + " is not absolute; " + how_to_allow_;
  if (std::any_of(path.begin(), path.end(), [](const fs::path& part) { return part == ".."; }))
    return "the local path " + quoted + " contains '..'; " + how_to_allow_;
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(path, ec);  // symlinks of the existing part resolved
  if (ec) return "the local path " + quoted + " cannot be resolved (" + ec.message() + "); " + how_to_allow_;
  for (const auto& folder : folders_)
    if (is_within(resolved, folder)) return {};
  std::string where = resolved == path ? std::string() : " (it resolves to '" + resolved.string() + "')";
  if (folders_.empty()) return "local paths are not allowed here: " + quoted + where + "; " + how_to_allow_;
  std::string allowed;
  for (const auto& folder : folders_) allowed += (allowed.empty() ? "'" : ", '") + folder.string() + "'";
  return "the local path " + quoted + where + " is outside the allowed folders (" + allowed + "); " + how_to_allow_;
}

void LocalAccess::check(const fs::path& path) const {
  if (const std::string reason = refusal(path); !reason.empty()) throw UserError(reason);
}

}  // namespace segmaker::storage
