// The shared part of a cluster job's instances (see cluster_instance.h).
#include "api/cluster_instance.h"

#include <iostream>

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

ClusterInstance::ClusterInstance(const fs::path& job_file, const ClusterTask& task)
    : job_file_(job_file), task_(task), files_{job_file.parent_path().parent_path()}, host_(task.host()) {
  result_ = {{"host", host_}, {"node", task.node}, {"rank", task.rank}, {"exit_status", -1}, {"stopped", false}};
}

json ClusterInstance::read_document(const std::string& name_field) const {
  if (!fs::is_regular_file(job_file_)) throw UserError("the job file '" + job_file_.string() + "' is not visible on this node");
  json doc = json::parse(io::read_file(job_file_), nullptr, false);
  if (!doc.is_object() || !doc.contains(name_field) || !doc[name_field].is_string())
    throw UserError("'" + job_file_.string() + "' is not the document of a job (no " + name_field + ")");
  return doc;
}

fs::path ClusterInstance::fresh_root(const fs::path& scratch, const std::string& job_name) const {
  const fs::path root = scratch / job_name / host_;
  fs::remove_all(root);
  fs::create_directories(root);
  return root;
}

void ClusterInstance::say(const std::string& line) const {
  std::cout << "[" << host_ << " on " << task_.node << "] " << line << std::endl;
}

int ClusterInstance::run(const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    result_["failure"] = e.what();
    say(std::string("failed: ") + e.what());
    write_result();
    throw;
  }
}

int ClusterInstance::run_worker(const ChildSpec& spec, const std::function<bool()>& stop) {
  ChildProcess child(spec);
  WaitHooks hooks;
  hooks.poll_interval = std::chrono::milliseconds(100);
  hooks.grace = std::chrono::hours(24);  // Slurm's KillWait ends it
  hooks.stop_requested = stop;
  hooks.on_stop = [&] {
    result_["stopped"] = true;
    say("SIGTERM: stopping (a trainer checkpoints first)");
  };
  return child.wait(hooks);
}

void ClusterInstance::write_result() const { io::write_file_atomic(files_.result(host_), result_.dump(2)); }

}  // namespace segmaker::api
