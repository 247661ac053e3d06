#pragma once
// What every instance of a cluster job (api/training_task.h, api/transform_task.h) does the same way:
// reads the job's document from the shared job folder, prefixes its lines with "[algo-N on <node>]" (its
// output is the job's log), runs its worker process (trainer or predictor) with SIGTERM passed on, and
// leaves its result file (api/cluster_job_files.h) whatever happens -- a failure's reason included.
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/child_process.h"
#include "api/cluster_job_files.h"

namespace segmaker::api {

class ClusterInstance {
 public:
  ClusterInstance(const std::filesystem::path& job_file, const ClusterTask& task);

  // The job's document; throws UserError when the file is not visible here or has no `name_field`.
  nlohmann::json read_document(const std::string& name_field) const;
  // <scratch>/<job name>/<host>, emptied.
  std::filesystem::path fresh_root(const std::filesystem::path& scratch, const std::string& job_name) const;
  void say(const std::string& line) const;
  // Runs `body`; on an exception the result file says why (and the exception goes on).
  int run(const std::function<int()>& body);
  // Runs the worker (its output is this process's) until it ends; `stop` sends it SIGTERM once
  // (the result says "stopped"). Its exit status.
  int run_worker(const ChildSpec& spec, const std::function<bool()>& stop);
  nlohmann::json& result() { return result_; }
  void write_result() const;

  const ClusterTask& task() const { return task_; }
  const ClusterJobFiles& files() const { return files_; }
  const std::string& host() const { return host_; }

 private:
  std::filesystem::path job_file_;
  ClusterTask task_;
  ClusterJobFiles files_;
  std::string host_;
  nlohmann::json result_;
};

}  // namespace segmaker::api
