#pragma once
// `segmaker api`: one HTTP listener for both SageMaker APIs, on 127.0.0.1 unless told otherwise.
//   POST /    X-Amz-Target: SageMaker.<Operation>    the control plane (operations.h)
//   POST /endpoints/{EndpointName}/invocations      the runtime (runtime.h)
//   GET  /logs/training-jobs/{name}, /logs/transform-jobs/{name}, /logs/endpoints/{name}
//             a job's or an endpoint's log as text (there is no CloudWatch)
// State: <root>/segmaker-api.db (store.h) and one folder per job and endpoint under <root>. With
// --auth every request must be SigV4-signed with a key of the key file (auth.h). The service
// refuses a non-loopback address without --auth unless `insecure` is set.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/operations.h"
#include "api/training_runner.h"
#include "storage/storage.h"

namespace segmaker::api {

struct ServiceOptions {
  std::string host = "127.0.0.1";
  int port = 8700;  // 0 = any free port (see Service::port())
  std::filesystem::path root = "segmaker-api";
  std::filesystem::path auth_keyfile;  // empty = no authentication
  bool insecure = false;               // allow a non-loopback host without --auth
  std::string region = "us-east-1";
  std::string account = "000000000000";
  int max_jobs = 1;      // training jobs running at once
  ApiLimits limits;
  int threads = 0;       // --threads of each child process (0: their defaults)
  std::chrono::milliseconds stop_grace{std::chrono::seconds(120)};  // SIGTERM → SIGKILL for jobs
  int http_threads = 32;
  std::filesystem::path executable;  // the segmaker binary the children run
  storage::StorageConfig storage;
  // Folders whose local paths (file:// URIs and plain paths) requests may name for channels, models,
  // transform input and output and checkpoints (--allow-local-path). Empty: s3:// only, as SageMaker.
  std::vector<std::filesystem::path> allowed_local_paths;
  // Log events older than this many days are dropped when the service starts (0: kept; --log-retention-days).
  int log_retention_days = 0;
  // Finished jobs keep their working copy (channels, checkpoints, weights) instead of discarding it
  // as SageMaker does (--keep-job-files).
  bool keep_job_files = false;
  // Training jobs run on a Slurm cluster (--scheduler slurm); none: child processes of the service.
  std::optional<SlurmOptions> slurm;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

class Service {
 public:
  // Checks the options (UserError: a public host without --auth, a bad key file).
  explicit Service(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Opens the store, brings back what a previous run left (jobs resume, endpoints restart), binds the
  // port and serves in the background. Returns the port. Throws UserError when the port is taken.
  int start();
  // Stops accepting requests, then stops the jobs (they checkpoint and resume on the next start) and
  // the endpoints' instances. Idempotent.
  void stop();
  int port() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Serves until SIGTERM or SIGINT, then stops gracefully; returns 0.
int run_service(const ServiceOptions& options);

// The log of a training job, transform job or endpoint under `root` ("" when there is none).
// kind: "training-jobs", "transform-jobs" or "endpoints".
std::string read_log(const std::filesystem::path& root, const std::string& kind, const std::string& name);

}  // namespace segmaker::api
