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

#include "storage/storage.h"
#include "storage/transfer.h"

namespace segmaker::storage {

// A fresh folder for staged files under io::cache_dir()/staging (removed by the owners below).
fs::path make_staging_dir(const std::string& purpose);

class StagedInput {
 public:
  // Folder: every object below the prefix. File: one object. Any: the object if it exists, else the
  // folder (predict --input takes either).
  enum class Kind { Folder, File, Any };
  // Downloads (through the download cache) when `uri` is remote; UserError when nothing is there.
  StagedInput(const std::string& uri, Kind kind, const StorageConfig& config);
  ~StagedInput();
  StagedInput(const StagedInput&) = delete;
  StagedInput& operator=(const StagedInput&) = delete;

  const fs::path& path() const { return path_; }  // the local folder or file
  bool remote() const { return !staging_.empty(); }
  bool is_file() const { return is_file_; }

 private:
  fs::path path_;
  fs::path staging_;
  bool is_file_ = false;
};

class StagedOutput {
 public:
  // Folder: a folder uploaded below the prefix. File: one file uploaded as the object.
  StagedOutput(const std::string& uri, StagedInput::Kind kind, const StorageConfig& config);
  ~StagedOutput();
  StagedOutput(const StagedOutput&) = delete;
  StagedOutput& operator=(const StagedOutput&) = delete;

  const fs::path& path() const { return path_; }  // where the step writes
  bool remote() const { return !staging_.empty(); }
  const Location& location() const { return location_; }
  // Uploads what was written (remote only; a no-op for local paths).
  TransferSummary commit();

 private:
  Location location_;
  StorageConfig config_;
  StagedInput::Kind kind_;
  fs::path path_;
  fs::path staging_;
};

}  // namespace segmaker::storage
