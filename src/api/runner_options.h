#pragma once
// What every runner of the API's child processes is given: the training runner, the transform runner
// and the endpoint manager (each adds its own folder and timings).
#include <chrono>
#include <filesystem>

#include "storage/storage.h"

namespace segmaker::api {

class LogIngester;

struct RunnerOptions {
  std::filesystem::path executable;  // the segmaker binary
  int threads = 0;                   // --threads of each child process (0: see each runner)
  std::chrono::milliseconds stop_grace{std::chrono::seconds(30)};  // SIGTERM → SIGKILL
  storage::StorageConfig storage;
  LogIngester* logs = nullptr;  // follows each child's log into the log store (none: the log files only)
  // A finished job's folder (a deleted endpoint's) keeps its working copy (api/working_copy.h).
  bool keep_job_files = false;
};

}  // namespace segmaker::api
