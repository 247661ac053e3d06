#pragma once
// What a finished job leaves behind. SageMaker discards an instance's storage when its job ends; the
// API does the same with a job's folder once its status is final (the artifact and managed
// checkpoints are in the output location by then): the downloaded channels, checkpoints, weights,
// staged model and answers go, the job's log file stays (its lines are in the log store too), as do
// its Describe document, metrics and failure reason in the databases. `--keep-job-files` keeps all.
#include <cstdint>
#include <filesystem>
#include <string>

namespace segmaker::api {

struct DiscardedFiles {
  std::uintmax_t bytes = 0;  // regular files' sizes
  std::uintmax_t files = 0;
  std::string error;  // the first entry that could not be removed ("" when all went)
};

// Removes everything under `job_dir` except the file named `keep` directly in it. Never throws.
DiscardedFiles discard_working_copy(const std::filesystem::path& job_dir, const std::string& keep);

// "1 234 files, 750.2 MB removed" (for the job's log).
std::string describe(const DiscardedFiles& discarded);

}  // namespace segmaker::api
