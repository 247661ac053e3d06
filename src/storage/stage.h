#pragma once
// Staging for the commands: code that reads and writes local files works unchanged on S3 locations
// by reading from a local copy of the input (SageMaker's File mode) and writing into a local folder
// that is uploaded when the step succeeds. Local paths are used in place, without copies. Torch-free.
//
//   storage::StagedInput data(args.data, storage::StagedInput::Kind::Folder, config);
//   storage::StagedOutput out(args.output, storage::StagedInput::Kind::Folder, config);
//   run_the_step(data.path(), out.path());
//   out.commit();                      // nothing reaches the bucket unless the step finished
#include <filesystem>
#include <string>
#include <vector>

#include "storage/storage.h"
#include "storage/transfer.h"

namespace segmaker::storage {

// A fresh folder for staged files under io::cache_dir()/staging (removed by the owners below).
std::filesystem::path make_staging_dir(const std::string& purpose);

class StagedInput {
 public:
  // Folder: every object below the prefix. File: one object. Any: the object if it exists, else the
  // folder (predict --input takes either).
  enum class Kind { Folder, File, Any };
  // Downloads (through the download cache) when `uri` is remote; UserError when nothing is there.
  // `only` (Folder): download just these names below the prefix ("validation/" a folder, "classes.json"
  // a file); empty = everything.
  StagedInput(const std::string& uri, Kind kind, const StorageConfig& config, const std::vector<std::string>& only = {});
  ~StagedInput();
  StagedInput(const StagedInput&) = delete;
  StagedInput& operator=(const StagedInput&) = delete;

  const std::filesystem::path& path() const { return path_; }  // the local folder or file
  bool remote() const { return !staging_.empty(); }
  bool is_file() const { return is_file_; }

 private:
  std::filesystem::path path_;
  std::filesystem::path staging_;
  bool is_file_ = false;
};

class StagedOutput {
 public:
  // Folder: a folder uploaded below the prefix. File: one file uploaded as the object.
  StagedOutput(const std::string& uri, StagedInput::Kind kind, const StorageConfig& config);
  ~StagedOutput();
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;

  const std::filesystem::path& path() const { return path_; }  // where the step writes
  bool remote() const { return !staging_.empty(); }
  const Location& location() const { return location_; }
  // True when nothing is at the destination yet (no object below the prefix / no such object).
  bool destination_empty() const;
  // Uploads what was written (remote only; a no-op for local paths). `replace`: names below the prefix
  // (folders or files) that this output owns: objects under them that were not part of this upload
  // are deleted afterwards, so that a re-run leaves no stale files (prepare --force).
  TransferSummary commit(const std::vector<std::string>& replace = {});

 private:
  void prune(const std::vector<std::string>& names);

  Location location_;
  StorageConfig config_;
  StagedInput::Kind kind_;
  std::filesystem::path path_;
  std::filesystem::path staging_;
};

}  // namespace segmaker::storage
