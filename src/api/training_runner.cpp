// The training job runner (see training_runner.h).
#include "api/training_runner.h"

#include <signal.h>

#include <spdlog/spdlog.h>

#include <ctime>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "api/child_process.h"
#include "api/log_ingester.h"
#include "api/log_sources.h"
#include "api/names.h"
#include "api/training_job.h"
#include "sagemaker/pipe_feeder.h"
#include "api/store.h"
#include "api/training_outputs.h"
#include "api/training_status.h"
#include "api/working_copy.h"
#include "io/error.h"
#include "io/paths.h"
#include "storage/transfer.h"
#include "sagemaker/container_layout.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kKind = "TrainingJob";

std::string clock_text() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

fs::path downloaded_marker(const fs::path& job_dir) { return job_dir / "input" / ".channels-downloaded"; }

// A service that was killed leaves its job's process finishing its checkpoint (it got SIGTERM):
// the job must not run twice in one folder, so wait for it (SIGKILL after the grace period).
void wait_for_previous_process(const fs::path& job_dir, std::chrono::milliseconds grace) {
  std::ifstream in(job_dir / "process.pid");
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0) return;
  auto alive = [&] {
    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    return !args.empty() && args.find(job_dir.string()) != std::string::npos;
  };
  const auto end = std::chrono::steady_clock::now() + grace;
  while (alive() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (alive()) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    while (alive()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

TrainingRunner::TrainingRunner(Store& store, TrainingRunnerOptions options) : store_(store), options_(std::move(options)) {
  if (options_.slurm) slurm_ = std::make_unique<SlurmClient>();
}

void TrainingRunner::check_placement(const json& request) const {
  if (options_.slurm) options_.slurm->instances.resolve(request.at("ResourceConfig").at("InstanceType").get<std::string>());
}

bool TrainingRunner::needs_supervisor(const json& document) const {
  // On Slurm a submitted job is followed whatever its status says (Stopping included); the rest wait in Starting.
  if (slurm_ && document.contains("_SlurmJobId")) return true;
  return document.value("TrainingJobStatus", "") == "InProgress" && document.value("SecondaryStatus", "") == "Starting";
}

TrainingRunner::~TrainingRunner() { shutdown(); }

void TrainingRunner::append_log(const std::string& name, const std::string& line) const {
  fs::create_directories(job_dir(name));
  std::ofstream(log_path(name), std::ios::app) << "[" << clock_text() << "] segmaker api: " << line << "\n";
  publish_log(name, false);
}

void TrainingRunner::publish_log(const std::string& name, bool final) const {
  if (!options_.logs) return;
  if (!options_.logs->following(log_path(name))) {
    const auto r = store_.get(kKind, name);
    if (!r) return;
    options_.logs->follow(training_log_source(log_path(name), name, r->creation_time, r->document));
  }
  if (final) options_.logs->stop_following(log_path(name));
  else options_.logs->flush(log_path(name));
}

void TrainingRunner::set_status(const std::string& name, const std::string& secondary, const std::string& message) {
  // The line first: a client that sees the new status (the SDK's fit(), then its last log read) finds it.
  append_log(name, secondary + ": " + message);
  const auto r = store_.update(kKind, name, [&](Resource& r) {
    enter_secondary_status(r.document, secondary, message, now_seconds());
    r.status = r.document["TrainingJobStatus"];
    r.last_modified_time = r.document["LastModifiedTime"];
  });
  if (r && is_terminal_training_status(r->status)) publish_log(name, true);
}

void TrainingRunner::fail(const std::string& name, const std::string& reason, bool log) {
  if (log) append_log(name, "Failed: " + reason);  // the line first, as set_status writes it
  store_.update(kKind, name, [&](Resource& r) {
    if (is_terminal_training_status(r.status)) return;
    fail_training_job(r.document, reason, now_seconds());
    r.status = "Failed";
    r.last_modified_time = r.document["LastModifiedTime"];
  });
}

void TrainingRunner::start() {
  recover();
  scheduler_ = std::thread([this] { schedule_loop(); });
}

void TrainingRunner::recover() {
  for (const auto& r : store_.with_status(kKind, {"InProgress", "Stopping"})) {
    const std::string name = r.name;
    if (!fs::exists(job_dir(name) / "input" / "config" / "hyperparameters.json")) {
      fail(name, "InternalServerError: the job's folder '" + job_dir(name).string() +
                     "' is gone, so the job cannot resume after the service restarted", /*log=*/false);
      continue;
    }
    if (slurm_ && r.document.contains("_SlurmJobId")) continue;  // still Slurm's: adopted by the scheduler loop
    if (r.status == "Stopping") {
      finish(name, StopReason::Requested, std::nullopt);
      continue;
    }
    if (r.document.value("SecondaryStatus", "") == "Starting") continue;  // still waiting for a slot
    set_status(name, "Interrupted", "The service stopped while the job was running");
    set_status(name, "Starting", "Restarting after the service restarted: the job resumes from its last checkpoint");
  }
}

void TrainingRunner::wake() { wake_.notify_all(); }

void TrainingRunner::schedule_loop() {
  std::unique_lock lock(mutex_);
  while (!shutting_down_) {
    for (auto it = running_.begin(); it != running_.end();) {
      if (it->second->done) {
        it->second->thread.join();
        it = running_.erase(it);
      } else {
        ++it;
      }
    }
    // On Slurm every job is handed over at once: queueing is the cluster's.
    if (slurm_ || static_cast<int>(running_.size()) < options_.max_jobs) {
      for (const auto& r : store_.with_status(kKind, {"InProgress", "Stopping"})) {
        if (!slurm_ && static_cast<int>(running_.size()) >= options_.max_jobs) break;
        if (running_.count(r.name) || !needs_supervisor(r.document)) continue;
        auto job = std::make_unique<Running>();
        Running& ref = *job;
        running_[r.name] = std::move(job);
        ref.thread = std::thread([this, name = r.name, &ref] { supervise(name, ref); });
      }
    }
    wake_.wait_for(lock, std::chrono::milliseconds(500));
  }
}

void TrainingRunner::stop(const std::string& name) {
  std::lock_guard lock(mutex_);
  const auto it = running_.find(name);
  if (it != running_.end() && !it->second->done) {
    set_status(name, "Stopping", "Stopping the training job");
    int expected = 0;
    it->second->stop.compare_exchange_strong(expected, static_cast<int>(StopReason::Requested));
    return;
  }
  if (slurm_) {
    const auto r = store_.get(kKind, name);
    if (r && r->document.contains("_SlurmJobId")) {  // Slurm's, not adopted yet: its supervisor cancels it
      set_status(name, "Stopping", "Stopping the training job");
      wake_.notify_all();
      return;
    }
  }
  // Waiting for a slot: nothing runs, so it is Stopped at once.
  set_status(name, "Stopped", "The training job was stopped before it started");
}

void TrainingRunner::shutdown() {
  if (shutting_down_.exchange(true)) return;
  wake_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  std::lock_guard lock(mutex_);
  for (auto& [name, job] : running_) job->thread.join();  // each stops its child (SIGTERM → checkpoint)
  running_.clear();
}

void TrainingRunner::supervise(const std::string& name, Running& running) {
  try {
    run_phases(name, running);
  } catch (const std::exception& e) {
    spdlog::error("training job {}: {}", name, e.what());
    fail(name, std::string("InternalServerError: ") + e.what());
  }
  if (const auto r = store_.get(kKind, name); r && is_terminal_training_status(r->status)) {
    if (!options_.keep_job_files)
      append_log(name, "the job's working copy is discarded: " + describe(discard_working_copy(job_dir(name), "log.txt")));
    publish_log(name, true);
  }
  running.done = true;
  wake_.notify_all();
}

void TrainingRunner::run_phases(const std::string& name, Running& running) {
  if (slurm_) return run_on_slurm(name, running);
  const fs::path dir = job_dir(name);
  auto doc = store_.get(kKind, name);
  if (!doc) return;
  const std::set<std::string> piped = piped_channels(doc->document);
  if (!fs::exists(downloaded_marker(dir))) {
    set_status(name, "Downloading", "Downloading input data");
    try {
      for (const auto& note : download_channels(doc->document, dir, options_.storage, piped)) append_log(name, note);
    } catch (const std::exception& e) {
      if (shutting_down_) return;
      return fail(name, std::string("ClientError: ") + e.what());
    }
    std::ofstream(downloaded_marker(dir)) << now_seconds();
  }
  if (shutting_down_) return;
  if (running.stop) return finish(name, static_cast<StopReason>(running.stop.load()), std::nullopt);
  sync_checkpoints(name, doc->document, /*upload=*/false);
  std::vector<std::unique_ptr<sagemaker::PipeFeeder>> pipes;
  try {
    pipes = start_pipes(name, doc->document, piped);
  } catch (const std::exception& e) {
    return fail(name, std::string("ClientError: ") + e.what());
  }
  set_status(name, "Training", piped.empty() ? "Training image download completed. Training in progress."
                                             : "Training in progress: streaming the Pipe mode channels.");
  const auto status = run_training_process(name, running);
  std::string pipe_error;
  for (auto& pipe : pipes) {
    pipe->stop();
    if (pipe_error.empty()) pipe_error = pipe->error();
  }
  sync_checkpoints(name, doc->document, /*upload=*/true);
  if (!status) return;  // the service is stopping: the job resumes on the next start
  if (!pipe_error.empty() && *status != 0 && !running.stop) return fail(name, "ClientError: " + pipe_error);
  finish(name, static_cast<StopReason>(running.stop.load()), status);
}

std::vector<std::unique_ptr<sagemaker::PipeFeeder>> TrainingRunner::start_pipes(const std::string& name, const json& doc,
                                                                               const std::set<std::string>& piped) {
  const std::string mode = doc.at("AlgorithmSpecification").value("TrainingInputMode", "File");
  std::vector<std::unique_ptr<sagemaker::PipeFeeder>> pipes;
  for (const auto& channel : doc.at("InputDataConfig")) {
    const std::string channel_name = channel.at("ChannelName");
    const std::string channel_mode = channel.value("InputMode", mode);
    if (is_sharded(channel) && doc.at("ResourceConfig").at("InstanceCount").get<int>() > 1)
      append_log(name, "channel '" + channel_name + "': ShardedByS3Key: the instances share this machine's copy, each reading "
                       "its share of it");
    if (!piped.count(channel_name)) {
      if (channel_mode != "File")
        append_log(name, "channel '" + channel_name + "': TrainingInputMode " + channel_mode + " is served as File here (" +
                             (channel_mode == "Pipe" ? "Pipe streams to one instance" : "FastFile is not served yet") +
                             "): it was downloaded first");
      continue;
    }
    std::vector<std::string> notes;
    auto uris = pipe_objects(channel, job_dir(name), options_.storage, notes);
    for (const auto& note : notes) append_log(name, note);
    pipes.push_back(std::make_unique<sagemaker::PipeFeeder>(sagemaker::SageMakerLayout{job_dir(name)}, channel_name,
                                                            std::move(uris), options_.storage,
                                                            [this, name](const std::string& line) { append_log(name, line); }));
  }
  return pipes;
}

void TrainingRunner::sync_checkpoints(const std::string& name, const json& doc, bool upload) {
  // CheckpointConfig.S3Uri: SageMaker's managed checkpointing. A job that starts with no local
  // checkpoint takes the bucket's (another machine's, an earlier service's); after every run the
  // local ones go back up. A failed sync is logged, never fatal (the local checkpoints stay).
  if (!doc.contains("CheckpointConfig") || !doc["CheckpointConfig"].is_object()) return;
  const std::string uri = doc["CheckpointConfig"].value("S3Uri", "");
  const fs::path local = sagemaker::SageMakerLayout{job_dir(name)}.checkpoint_dir();
  if (uri.empty()) return;
  try {
    if (upload) {
      if (!io::is_empty_dir(local)) storage::upload_folder(local, uri, options_.storage);
    } else if (io::is_empty_dir(local)) {
      const auto got = storage::download_prefix(uri, local, options_.storage);
      if (got.objects) append_log(name, "checkpoints downloaded from " + uri);
    }
  } catch (const std::exception& e) {
    append_log(name, std::string("checkpoint sync with ") + uri + " failed: " + e.what());
  }
}

std::optional<int> TrainingRunner::run_training_process(const std::string& name, Running& running) {
  const fs::path dir = job_dir(name);
  const auto doc = store_.get(kKind, name);
  const json& d = doc->document;
  const int instances = d.at("ResourceConfig").at("InstanceCount").get<int>();
  const double max_runtime = d.at("StoppingCondition").value("MaxRuntimeInSeconds", 86400.0);
  const double trained_before = d.value("_TrainingSeconds", 0.0);

  ChildSpec spec;
  spec.executable = options_.executable;
  spec.log = log_path(name);
  if (options_.threads > 0) spec.args = {"--threads", std::to_string(options_.threads)};
  if (instances > 1) spec.args.insert(spec.args.end(), {"launch", "--nproc", std::to_string(instances), "--"});
  spec.args.insert(spec.args.end(), {"train", "--sagemaker", "--sm-root", dir.string(), "--no-progress"});
  sagemaker::SageMakerLayout layout{dir};
  fs::remove(layout.failure_file());
  append_log(name, "starting `segmaker " + [&] {
    std::string s;
    for (const auto& a : spec.args) s += (s.empty() ? "" : " ") + a;
    return s;
  }() + "`");

  wait_for_previous_process(dir, options_.stop_grace);
  ChildProcess child(spec);
  std::ofstream(dir / "process.pid") << child.pid() << "\n";
  const auto started = std::chrono::steady_clock::now();
  auto last_saved = started;
  auto seconds_since = [](auto t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); };
  WaitHooks hooks;
  hooks.poll_interval = options_.poll_interval;
  hooks.grace = options_.stop_grace;
  hooks.stop_requested = [&] {
    if (!shutting_down_ && !running.stop && trained_before + seconds_since(started) >= max_runtime) {
      int expected = 0;
      if (running.stop.compare_exchange_strong(expected, static_cast<int>(StopReason::MaxRuntime)))
        set_status(name, "Stopping", "MaxRuntimeInSeconds (" + std::to_string(static_cast<long long>(max_runtime)) +
                                         " s) exceeded: stopping the training job");
    }
    return shutting_down_ || running.stop;
  };
  hooks.on_stop = [&] {
    if (shutting_down_)
      append_log(name, "the service is stopping: SIGTERM to the job (it checkpoints and resumes on the next start)");
  };
  hooks.on_kill = [&] { append_log(name, "the job did not stop within the grace period: SIGKILL"); };
  hooks.on_poll = [&] {
    if (std::chrono::steady_clock::now() - last_saved <= std::chrono::seconds(5)) return;
    last_saved = std::chrono::steady_clock::now();
    store_.update(kKind, name, [&](Resource& r) { r.document["_TrainingSeconds"] = trained_before + seconds_since(started); });
  };
  const int status = child.wait(hooks);
  store_.update(kKind, name, [&](Resource& r) { r.document["_TrainingSeconds"] = trained_before + seconds_since(started); });
  append_log(name, "the training process exited with status " + std::to_string(status));
  if (shutting_down_ && !running.stop) return std::nullopt;
  return status;
}

void TrainingRunner::finish(const std::string& name, StopReason reason, std::optional<int> exit_status) {
  const fs::path dir = job_dir(name);
  const auto doc = store_.get(kKind, name);
  if (!doc) return;
  const bool stopped = reason != StopReason::None;
  const bool model = has_trained_model(dir);
  if (!stopped && (!exit_status || *exit_status != 0 || !model)) {
    const sagemaker::SageMakerLayout layout{dir};
    std::string reason_text;
    if (fs::exists(layout.failure_file())) reason_text = io::read_file(layout.failure_file());
    if (reason_text.empty())
      reason_text = exit_status && *exit_status == 0
                        ? "the training process ended without writing a model"
                        : "the training process exited with status " + std::to_string(exit_status.value_or(-1)) +
                              "; the end of its log (segmaker api logs " + name + "):\n" + log_tail(log_path(name));
    return fail(name, "AlgorithmError: " + reason_text);
  }
  if (model) {
    set_status(name, "Uploading", "Uploading generated training model");
    try {
      const std::string uri = upload_training_outputs(doc->document, dir, options_.storage);
      const json metrics = final_metric_data(dir, now_seconds());
      store_.update(kKind, name, [&](Resource& r) {
        r.document["ModelArtifacts"] = {{"S3ModelArtifacts", uri}};
        if (!metrics.empty()) r.document["FinalMetricDataList"] = metrics;
      });
      append_log(name, "model uploaded to " + uri);
    } catch (const std::exception& e) {
      return fail(name, std::string("ClientError: could not upload the model: ") + e.what());
    }
  }
  if (reason == StopReason::MaxRuntime)
    set_status(name, "MaxRuntimeExceeded", "Job stopped because it exceeded MaxRuntimeInSeconds");
  else if (reason == StopReason::Requested)
    set_status(name, "Stopped", "Training job stopped");
  else
    set_status(name, "Completed", "Training job completed");
}

}  // namespace segmaker::api
