// Staging folders for the commands: inputs downloaded before a step, outputs uploaded after it.
#include "storage/stage.h"

#include <unistd.h>

#include <random>

#include <spdlog/spdlog.h>

#include "io/error.h"
#include "io/paths.h"

namespace fs = std::filesystem;

namespace segmaker::storage {
namespace {

std::string file_name_of(const Location& location) {
  std::string key = location.key;
  while (!key.empty() && key.back() == '/') key.pop_back();
  const auto slash = key.rfind('/');
  const std::string name = slash == std::string::npos ? key : key.substr(slash + 1);
  return name.empty() ? "object" : name;
}

Location folder_of(Location location) {
  if (location.is_s3() && !location.key.empty() && location.key.back() != '/') location.key += '/';
  return location;
}

void remove_quietly(const fs::path& path) {
  if (path.empty()) return;
  std::error_code ec;
  fs::remove_all(path, ec);
}

}  // namespace

fs::path make_staging_dir(const std::string& purpose) {
  const fs::path dir = io::cache_dir() / "staging" /
                       (purpose + "-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  return dir;
}

StagedInput::StagedInput(const std::string& uri, Kind kind, const StorageConfig& config,
                         const std::vector<std::string>& only) {
  const Location location = parse_location(uri);
  if (!location.is_s3()) {
    path_ = location.local;
    is_file_ = fs::is_regular_file(path_);
    return;
  }
  bool either = false;  // Any, and no such object: a folder, or nothing at all
  if (kind == Kind::Any) {
    const bool object = !location.key.empty() && location.key.back() != '/' &&
                        open_storage(location, config)->stat(location).has_value();
    kind = object ? Kind::File : Kind::Folder;
    either = !object;
  }
  staging_ = make_staging_dir("input");
  try {
    if (kind == Kind::File) {
      path_ = staging_ / file_name_of(location);
      download_file(uri, path_, config);
      is_file_ = true;
    } else {
      path_ = staging_ / "data";
      fs::create_directories(path_);
      auto include = [&](const std::string& relative) {
        if (only.empty()) return true;
        for (const auto& name : only)
          if (name.back() == '/' ? relative.rfind(name, 0) == 0 : relative == name) return true;
        return false;
      };
      if (download_prefix(uri, path_, config, include).objects == 0)
        throw UserError(either ? "nothing at " + location.uri() + ": no such object and no objects below it (check "
                                 "the bucket and key: aws s3 ls " + location.uri() + ")"
                               : "there are no objects under " + location.uri() +
                                     " (check the bucket and prefix: aws s3 ls " + location.uri() + ")");
    }
  } catch (...) {
    remove_quietly(staging_);
    throw;
  }
}

StagedInput::~StagedInput() { remove_quietly(staging_); }

StagedOutput::StagedOutput(const std::string& uri, StagedInput::Kind kind, const StorageConfig& config)
    : location_(parse_location(uri)), config_(config), kind_(kind) {
  if (!location_.is_s3()) {
    path_ = location_.local;
    return;
  }
  staging_ = make_staging_dir("output");
  path_ = kind == StagedInput::Kind::File ? staging_ / file_name_of(location_) : staging_ / "data";
  if (kind != StagedInput::Kind::File) fs::create_directories(path_);
}

StagedOutput::~StagedOutput() { remove_quietly(staging_); }

bool StagedOutput::destination_empty() const {
  if (!location_.is_s3()) return kind_ == StagedInput::Kind::File ? !fs::exists(path_) : io::is_empty_dir(path_);
  auto storage = open_storage(location_, config_);
  if (kind_ == StagedInput::Kind::File) return !storage->stat(location_).has_value();
  return storage->list(folder_of(location_)).empty();
}

TransferSummary StagedOutput::commit(const std::vector<std::string>& replace) {
  if (!remote()) return {};
  if (kind_ == StagedInput::Kind::File) {
    upload_file(path_, location_.uri(), config_);
    TransferSummary summary;
    summary.objects = 1;
    summary.bytes = fs::file_size(path_);
    return summary;
  }
  const auto summary = upload_folder(path_, location_.uri(), config_);
  if (!replace.empty()) prune(replace);
  return summary;
}

void StagedOutput::prune(const std::vector<std::string>& names) {
  const Location folder = folder_of(location_);
  auto storage = open_storage(folder, config_);
  std::vector<std::string> stale;
  for (const auto& o : storage->list(folder)) {
    const std::string relative = o.key.substr(folder.key.size());
    bool owned = false;
    for (const auto& name : names)
      owned = owned || relative == name || relative.rfind(name + "/", 0) == 0;
    if (owned && !fs::exists(path_ / relative)) stale.push_back(relative);
  }
  for (const auto& relative : stale) storage->remove_prefix(folder.child(relative));
  if (!stale.empty()) spdlog::info("removed {} stale objects below {}", stale.size(), folder.uri());
}

}  // namespace segmaker::storage
