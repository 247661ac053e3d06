// The training runner's Slurm path (see training_runner.h): submit or adopt a job's Slurm batch job,
// follow it, and turn its end into the job's final status.
#include <cmath>
#include <sstream>
#include <thread>

#include "api/child_process.h"
#include "api/names.h"
#include "api/store.h"
#include "api/training_runner.h"
#include "api/training_status.h"
#include "api/training_task.h"
#include "io/error.h"
#include "io/paths.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kKind = "TrainingJob";

std::string trimmed(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r\n"));
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  return s;
}

std::string read_if_exists(const fs::path& file) {
  std::error_code ec;
  return fs::is_regular_file(file, ec) ? io::read_file(file) : std::string();
}

// The instances' phases in order; a short one the poll missed is still entered, so that the job's
// SecondaryStatusTransitions read as SageMaker's do.
const std::vector<std::pair<std::string, std::string>>& phases() {
  static const std::vector<std::pair<std::string, std::string>> list{
      {"Downloading", "Downloading input data"},
      {"Training", "Training image download completed. Training in progress."},
      {"Uploading", "Uploading generated training model"}};
  return list;
}

int phase_index(const std::string& phase) {
  for (std::size_t i = 0; i < phases().size(); ++i)
    if (phases()[i].first == phase) return static_cast<int>(i);
  return -1;
}

std::string seconds_text(double s) { return std::to_string(static_cast<long long>(s)); }

}  // namespace

std::string TrainingRunner::submit_to_slurm(const std::string& name, const json& doc) {
  const SlurmOptions& slurm = *options_.slurm;
  const ClusterJobFiles files{job_dir(name)};
  fs::create_directories(files.dir());
  io::write_file_atomic(files.document(), doc.dump(2));
  fs::remove(files.progress());
  const json stale = files.results();  // a resubmitted job's earlier run
  for (const auto& [host, result] : stale.items()) fs::remove(files.result(host));

  std::vector<std::string> task{options_.executable.string()};
  if (options_.threads > 0) task.insert(task.end(), {"--threads", std::to_string(options_.threads)});
  if (!options_.storage.endpoint.empty()) task.insert(task.end(), {"--s3-endpoint", options_.storage.endpoint});
  task.insert(task.end(), {"training-task", "--job", files.document().string(), "--scratch", slurm.scratch.string(),
                           "--master-port-base", std::to_string(slurm.port_base)});
  const auto local = slurm.local_path_flags();
  task.insert(task.end(), local.begin(), local.end());

  const json& rc = doc.at("ResourceConfig");
  const double max_runtime = doc.at("StoppingCondition").value("MaxRuntimeInSeconds", 86400.0);
  const double left = std::max(0.0, max_runtime - doc.value("_TrainingSeconds", 0.0));
  SlurmBatch batch;
  batch.name = name;
  batch.comment = "segmaker:" + doc.value("TrainingJobArn", name);
  batch.nodes = rc.at("InstanceCount").get<int>();
  // Slurm's limit is a backstop behind the service's own MaxRuntimeInSeconds (checkpoint first):
  // the runtime left, the stop grace period and two minutes to download and upload.
  batch.minutes =
      static_cast<long long>(std::ceil((left + std::chrono::duration<double>(options_.stop_grace).count() + 120) / 60));
  batch.resources = slurm.instances.resolve(rc.at("InstanceType").get<std::string>());
  batch.default_partition = slurm.partition;
  batch.output = log_path(name);
  batch.chdir = job_dir(name);
  batch.script = files.script();
  batch.task_command = task;
  batch.address_flag = "--master-addr";
  return slurm_->submit(batch);
}

void TrainingRunner::run_on_slurm(const std::string& name, Running& running) {
  auto r = store_.get(kKind, name);
  if (!r || is_terminal_training_status(r->status)) return;
  if (r->status == "Stopping") {
    int expected = 0;
    running.stop.compare_exchange_strong(expected, static_cast<int>(StopReason::Requested));
  }
  std::string id = r->document.value("_SlurmJobId", "");
  if (id.empty()) {
    // A service killed between sbatch and storing the id left the job in Slurm: find it, never submit twice.
    const auto found = slurm_->find(name, "segmaker:" + r->document.value("TrainingJobArn", name));
    if (!found.empty()) {
      id = found.back();
      append_log(name, "adopting Slurm job " + id + " (submitted before the service restarted)");
    } else if (running.stop) {
      return set_status(name, "Stopped", "The training job was stopped before it started");
    } else {
      try {
        id = submit_to_slurm(name, r->document);
      } catch (const UserError& e) {
        return fail(name, std::string("InternalServerError: ") + e.what());
      }
      append_log(name, "submitted to Slurm as job " + id + " (" + std::to_string(r->document["ResourceConfig"]["InstanceCount"].get<int>()) +
                           " node(s)); waiting for Slurm to start it");
    }
    store_.update(kKind, name, [&](Resource& res) { res.document["_SlurmJobId"] = id; });
  } else {
    append_log(name, "following Slurm job " + id + " again after the service restarted");
  }
  const auto end = follow_slurm_job(name, id, running);
  if (!end) return;  // the service is stopping: the Slurm job runs on and is adopted on the next start
  finish_on_slurm(name, id, *end, static_cast<StopReason>(running.stop.load()));
}

std::optional<std::optional<SlurmJobState>> TrainingRunner::follow_slurm_job(const std::string& name, const std::string& id,
                                                                             Running& running) {
  const ClusterJobFiles files{job_dir(name)};
  const auto doc = store_.get(kKind, name);
  const double max_runtime = doc->document.at("StoppingCondition").value("MaxRuntimeInSeconds", 86400.0);
  double trained = doc->document.value("_TrainingSeconds", 0.0);
  std::string last_state, last_phase = doc->document.value("SecondaryStatus", ""), last_error;
  std::optional<std::chrono::steady_clock::time_point> training_since;
  SlurmStop stop(*slurm_, id, options_.stop_grace);
  auto last_saved = std::chrono::steady_clock::now();
  const auto interval = std::max(options_.poll_interval, std::chrono::milliseconds(250));
  while (!shutting_down_) {
    std::optional<SlurmJobState> state;
    try {
      state = slurm_->job(id);
      last_error.clear();
    } catch (const UserError& e) {  // slurmctld unreachable: the job goes on, ask again
      if (last_error != e.what()) append_log(name, std::string("cannot ask Slurm about job ") + id + ": " + e.what());
      last_error = e.what();
      std::this_thread::sleep_for(interval * 4);
      continue;
    }
    if (!state || state->finished()) return state;
    if (state->state != last_state) {
      append_log(name, "Slurm job " + id + ": " + state->state + (state->reason == "None" ? "" : " (" + state->reason + ")") +
                           (state->state == "PENDING" ? "" : " on " + state->nodes));
      last_state = state->state;
    }
    const std::string phase = trimmed(read_if_exists(files.progress()));
    if (state->state == "RUNNING" && !running.stop) enter_phases(name, last_phase, phase, state->nodes);
    if (phase == "Training" && !training_since) training_since = std::chrono::steady_clock::now();
    const double now_trained =
        trained + (training_since ? std::chrono::duration<double>(std::chrono::steady_clock::now() - *training_since).count() : 0.0);
    if (!running.stop && now_trained >= max_runtime) {
      int expected = 0;
      if (running.stop.compare_exchange_strong(expected, static_cast<int>(StopReason::MaxRuntime)))
        set_status(name, "Stopping", "MaxRuntimeInSeconds (" + seconds_text(max_runtime) + " s) exceeded: stopping the training job");
    }
    if (running.stop)
      if (const std::string done = stop.advance(state->state); !done.empty()) append_log(name, done);
    if (std::chrono::steady_clock::now() - last_saved > std::chrono::seconds(5)) {
      last_saved = std::chrono::steady_clock::now();
      store_.update(kKind, name, [&](Resource& r) { r.document["_TrainingSeconds"] = now_trained; });
    }
    publish_log(name, false);
    std::this_thread::sleep_for(interval);
    if (training_since && phase != "Training") {
      trained = now_trained;
      training_since.reset();
    }
  }
  return std::nullopt;
}

void TrainingRunner::enter_phases(const std::string& name, std::string& last, const std::string& now, const std::string& nodes) {
  const int to = phase_index(now);
  for (int i = phase_index(last) + 1; i <= to; ++i) {
    const auto& [phase, message] = phases()[static_cast<std::size_t>(i)];
    set_status(name, phase, phase == "Downloading" ? message + " on " + nodes : message);
  }
  if (to >= 0) last = now;
}

void TrainingRunner::finish_on_slurm(const std::string& name, const std::string& id, const std::optional<SlurmJobState>& state,
                                     StopReason reason) {
  const ClusterJobFiles files{job_dir(name)};
  const json results = files.results();
  const json first = results.value("algo-1", json::object());
  const std::string slurm_text = "Slurm job " + id + (state ? " " + state->state + (state->reason == "None" ? "" : ", " + state->reason) +
                                                                 ", exit code " + state->exit_code
                                                           : " is no longer known to Slurm (MinJobAge)");
  append_log(name, slurm_text);
  if (first.contains("model_uri")) {
    store_.update(kKind, name, [&](Resource& r) {
      r.document["ModelArtifacts"] = {{"S3ModelArtifacts", first["model_uri"]}};
      if (first.contains("final_metrics") && !first["final_metrics"].empty()) r.document["FinalMetricDataList"] = first["final_metrics"];
    });
  }
  const std::string slurm_state = state ? state->state : "";
  if (slurm_state == "NODE_FAIL" || slurm_state == "BOOT_FAIL") {
    const std::string nodes = slurm_->unhealthy_nodes(state->nodes);
    return fail(name, "InternalServerError: an instance's node failed: " + (nodes.empty() ? state->nodes : nodes) + " (" +
                          slurm_text + "); the job's nodes were " + state->nodes +
                          ". Its last checkpoint (CheckpointConfig) is where a new job resumes.");
  }
  if (reason == StopReason::MaxRuntime || slurm_state == "TIMEOUT")
    return set_status(name, "MaxRuntimeExceeded", "Job stopped because it exceeded MaxRuntimeInSeconds");
  if (reason == StopReason::Requested) return set_status(name, "Stopped", "Training job stopped");
  if (first.contains("model_uri") && first.value("exit_status", -1) == 0 && (slurm_state.empty() || slurm_state == "COMPLETED")) {
    std::string last = store_.get(kKind, name)->document.value("SecondaryStatus", "");
    enter_phases(name, last, "Uploading", state ? state->nodes : "");  // those the polls did not see
    return set_status(name, "Completed", "Training job completed");
  }
  if (slurm_state == "CANCELLED")
    return fail(name, "InternalServerError: the job was cancelled in Slurm, not through StopTrainingJob (" + slurm_text + ")");
  // The instance that failed first says why (its node and the trainer's failure file), else the log's end.
  for (const auto& [host, result] : results.items()) {
    if (result.value("exit_status", 0) == 0 || result.value("stopped", false)) continue;
    const std::string failure = trimmed(result.value("failure", ""));
    if (failure.empty()) continue;
    return fail(name, "AlgorithmError: " + host + " on node " + result.value("node", "?") + ": " + failure + " (" + slurm_text + ")");
  }
  fail(name, "AlgorithmError: " + slurm_text + "; the end of its log (segmaker api logs " + name + "):\n" + log_tail(log_path(name)));
}

}  // namespace segmaker::api
