// The transform runner's Slurm path (see transform_runner.h): one batch job, one task per instance.
#include <thread>

#include "api/child_process.h"
#include "api/cluster_job_files.h"
#include "api/log_ingester.h"
#include "api/names.h"
#include "api/store.h"
#include "api/transform_runner.h"
#include "io/error.h"
#include "io/paths.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
constexpr const char* kKind = "TransformJob";
}

std::string TransformRunner::submit_to_slurm(const std::string& name, const json& doc) {
  const SlurmOptions& slurm = *options_.slurm;
  const ClusterJobFiles files{job_dir(name)};
  fs::create_directories(files.dir());
  io::write_file_atomic(files.document(), doc.dump(2));
  const json stale = files.results();
  for (const auto& [host, result] : stale.items()) fs::remove(files.result(host));
  SlurmBatch batch;
  batch.name = name;
  batch.comment = "segmaker:" + doc.value("TransformJobArn", name);
  const json& resources = doc.at("TransformResources");
  batch.nodes = resources.value("InstanceCount", 1);
  batch.resources = slurm.instances.resolve(resources.at("InstanceType").get<std::string>());
  batch.default_partition = slurm.partition;
  batch.output = log_path(name);
  batch.chdir = job_dir(name);
  batch.script = files.script();
  batch.task_command = {options_.executable.string()};
  if (options_.threads > 0) batch.task_command.insert(batch.task_command.end(), {"--threads", std::to_string(options_.threads)});
  if (!options_.storage.endpoint.empty()) batch.task_command.insert(batch.task_command.end(), {"--s3-endpoint", options_.storage.endpoint});
  batch.task_command.insert(batch.task_command.end(),
                            {"transform-task", "--job", files.document().string(), "--scratch", slurm.scratch.string()});
  const auto local = slurm.local_path_flags();
  batch.task_command.insert(batch.task_command.end(), local.begin(), local.end());
  return slurm_->submit(batch);
}

void TransformRunner::execute_on_slurm(const std::string& name, Job& job) {
  const auto doc = store_.get(kKind, name);
  if (!doc) return;
  if (doc->status == "Stopping") job.stop = true;
  store_.update(kKind, name, [&](Resource& r) {
    if (!r.document.contains("TransformStartTime")) r.document["TransformStartTime"] = now_seconds();
  });
  std::string id = doc->document.value("_SlurmJobId", "");
  if (id.empty()) {
    const auto found = slurm_->find(name, "segmaker:" + doc->document.value("TransformJobArn", name));
    if (!found.empty()) {
      id = found.back();
    } else if (job.stop) {
      return set_status(name, "Stopped");
    } else {
      try {
        id = submit_to_slurm(name, doc->document);
      } catch (const UserError& e) {
        return set_status(name, "Failed", std::string("InternalServerError: ") + e.what());
      }
    }
    store_.update(kKind, name, [&](Resource& r) { r.document["_SlurmJobId"] = id; });
    append_log(name, "Slurm job " + id + " (" + std::to_string(doc->document["TransformResources"].value("InstanceCount", 1)) +
                         " instance(s), one per node)");
  } else {
    append_log(name, "following Slurm job " + id + " again after the service restarted");
  }
  SlurmStop stop(*slurm_, id, options_.stop_grace);
  std::string last_state;
  while (!shutting_down_) {
    std::optional<SlurmJobState> state;
    try {
      state = slurm_->job(id);
    } catch (const UserError& e) {  // slurmctld unreachable: ask again
      std::this_thread::sleep_for(options_.poll_interval * 4);
      continue;
    }
    if (!state || state->finished()) return finish_on_slurm(name, id, state, job.stop);
    if (state->state != last_state) {
      append_log(name, "Slurm job " + id + ": " + state->state + (state->state == "PENDING" ? "" : " on " + state->nodes));
      last_state = state->state;
    }
    if (job.stop)
      if (const std::string done = stop.advance(state->state); !done.empty()) append_log(name, done);
    if (options_.logs && options_.logs->following(log_path(name))) options_.logs->flush(log_path(name));
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

void TransformRunner::finish_on_slurm(const std::string& name, const std::string& id, const std::optional<SlurmJobState>& state,
                                      bool stopped) {
  const json results = ClusterJobFiles{job_dir(name)}.results();
  const std::string slurm_text = "Slurm job " + id + (state ? " " + state->state + ", exit code " + state->exit_code : " is no longer known to Slurm");
  append_log(name, slurm_text);
  if (stopped) return set_status(name, "Stopped");
  const int instances = store_.get(kKind, name)->document["TransformResources"].value("InstanceCount", 1);
  std::size_t answered = 0;
  for (const auto& [host, r] : results.items()) {
    if (r.value("exit_status", -1) != 0)
      return set_status(name, "Failed", "ClientError: " + host + " on node " + r.value("node", "?") + ": " +
                                            r.value("failure", "exited with status " + std::to_string(r.value("exit_status", -1))) +
                                            " (" + slurm_text + "); see segmaker api logs " + name + " --transform-job");
    answered += r.value("answered", 0);
  }
  if (static_cast<int>(results.size()) != instances || (state && state->state != "COMPLETED")) {
    const std::string nodes = state ? slurm_->unhealthy_nodes(state->nodes) : "";
    return set_status(name, "Failed", "InternalServerError: " + std::to_string(results.size()) + " of " + std::to_string(instances) +
                                          " instances reported back (" + slurm_text + (nodes.empty() ? "" : "; down: " + nodes) + ")");
  }
  append_log(name, std::to_string(answered) + " answers uploaded by " + std::to_string(instances) + " instance(s)");
  set_status(name, "Completed");
}

}  // namespace segmaker::api
