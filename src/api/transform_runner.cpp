// The batch transform job runner (see transform_runner.h).
#include "api/transform_runner.h"

#include <signal.h>

#include <spdlog/spdlog.h>

#include <ctime>
#include <fstream>

#include "api/child_process.h"
#include "api/log_ingester.h"
#include "api/log_sources.h"
#include "api/names.h"
#include "api/store.h"
#include "api/working_copy.h"
#include "io/error.h"
#include "sagemaker/transform_output.h"
#include "sagemaker/content_type.h"
#include "storage/transfer.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
constexpr const char* kKind = "TransformJob";
}

TransformRunner::TransformRunner(Store& store, TransformRunnerOptions options) : store_(store), options_(std::move(options)) {
  if (options_.slurm) slurm_ = std::make_unique<SlurmClient>();
}

void TransformRunner::check_placement(const json& request) const {
  if (options_.slurm) options_.slurm->instances.resolve(request.at("TransformResources").at("InstanceType").get<std::string>());
}

TransformRunner::~TransformRunner() { shutdown(); }

void TransformRunner::append_log(const std::string& name, const std::string& line) const {
  fs::create_directories(job_dir(name));
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char clock[16];
  std::strftime(clock, sizeof clock, "%H:%M:%S", &tm);
  std::ofstream(log_path(name), std::ios::app) << "[" << clock << "] segmaker api: " << line << "\n";
  if (!options_.logs) return;
  if (!options_.logs->following(log_path(name)))
    if (const auto r = store_.get(kKind, name)) options_.logs->follow(transform_log_source(log_path(name), name, r->creation_time));
  options_.logs->flush(log_path(name));
}

void TransformRunner::set_status(const std::string& name, const std::string& status, const std::string& failure) {
  // The line first: a client that sees the new status (the SDK's transform(), then its last log read) finds it.
  append_log(name, status + (failure.empty() ? "" : ": " + failure));
  const bool final = status == "Completed" || status == "Failed" || status == "Stopped";
  store_.update(kKind, name, [&](Resource& r) {
    const double now = now_seconds();
    r.status = status;
    r.last_modified_time = now;
    r.document["TransformJobStatus"] = status;
    r.document["LastModifiedTime"] = now;
    if (!failure.empty()) r.document["FailureReason"] = failure.substr(0, 1024);
    if (final) r.document["TransformEndTime"] = now;
  });
  if (final && options_.logs) options_.logs->stop_following(log_path(name));
}

void TransformRunner::discard_if_finished(const std::string& name) {
  const auto r = store_.get(kKind, name);
  if (options_.keep_job_files || !r || (r->status != "Completed" && r->status != "Failed" && r->status != "Stopped")) return;
  append_log(name, "the job's working copy is discarded: " + describe(discard_working_copy(job_dir(name), "log.txt")));
  if (options_.logs) options_.logs->stop_following(log_path(name));
}

void TransformRunner::start() {
  for (const auto& r : store_.with_status(kKind, {"InProgress", "Stopping"})) {
    if (r.status == "Stopping" && !(slurm_ && r.document.contains("_SlurmJobId"))) set_status(r.name, "Stopped");
    else run(r.name);  // a Slurm job is followed (and cancelled when Stopping) again
  }
}

void TransformRunner::reap() {
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second->done) {
      it->second->thread.join();
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

void TransformRunner::run(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  reap();
  auto job = std::make_unique<Job>();
  Job& ref = *job;
  jobs_[name] = std::move(job);
  ref.thread = std::thread([this, name, &ref] {
    try {
      execute(name, ref);
    } catch (const std::exception& e) {
      spdlog::error("transform job {}: {}", name, e.what());
      set_status(name, "Failed", std::string("InternalServerError: ") + e.what());
    }
    discard_if_finished(name);
    ref.done = true;
  });
}

void TransformRunner::stop(const std::string& name) {
  std::lock_guard lock(mutex_);
  set_status(name, "Stopping");
  const auto it = jobs_.find(name);
  if (it != jobs_.end() && !it->second->done) it->second->stop = true;
  else set_status(name, "Stopped");
}

void TransformRunner::shutdown() {
  if (shutting_down_.exchange(true)) return;
  std::lock_guard lock(mutex_);
  for (auto& [name, job] : jobs_) job->thread.join();
  jobs_.clear();
}

void TransformRunner::execute(const std::string& name, Job& job) {
  if (slurm_) return execute_on_slurm(name, job);
  const auto doc = store_.get(kKind, name);
  if (!doc) return;
  const json& d = doc->document;
  const fs::path dir = job_dir(name), input = dir / "input", output = dir / "output", model = dir / "model.tar.gz";
  const std::string input_uri = d.at("TransformInput").at("DataSource").at("S3DataSource").at("S3Uri");
  const std::string output_uri = d.at("TransformOutput").at("S3OutputPath");
  const std::string accept = d.at("TransformOutput").value("Accept", "image/png");
  store_.update(kKind, name, [&](Resource& r) {
    if (!r.document.contains("TransformStartTime")) r.document["TransformStartTime"] = now_seconds();
  });
  try {
    append_log(name, "downloading " + input_uri);
    const auto summary = storage::download_prefix(as_folder_uri(input_uri), input, options_.storage);
    if (summary.objects == 0) throw UserError("No S3 objects found under S3 URL \"" + input_uri + "\" given in the transform input");
    storage::download_file(d.at("_ModelDataUrl").get<std::string>(), model, options_.storage);
  } catch (const std::exception& e) {
    return set_status(name, "Failed", std::string("ClientError: ") + e.what());
  }
  if (job.stop || shutting_down_) return set_status(name, job.stop ? "Stopped" : "InProgress");

  ChildSpec spec;
  spec.executable = options_.executable;
  spec.log = log_path(name);
  if (options_.threads > 0) spec.args = {"--threads", std::to_string(options_.threads)};
  spec.args.insert(spec.args.end(), {"predict", "--model", model.string(), "--input", input.string(), "--output",
                                     output.string(), "--accept", accept});
  for (const auto& [key, value] : d.value("Environment", json::object()).items()) spec.environment.emplace_back(key, value.get<std::string>());
  append_log(name, "running the batch transform");
  ChildProcess child(spec);
  WaitHooks hooks;
  hooks.grace = options_.stop_grace;
  hooks.stop_requested = [&] { return job.stop || shutting_down_; };
  hooks.on_kill = [&] { append_log(name, "the transform did not stop within the grace period: SIGKILL"); };
  const int status = child.wait(hooks);
  if (job.stop) return set_status(name, "Stopped");
  if (shutting_down_) return;  // runs again on the next start

  // Every input needs its answer; SageMaker fails the job when one record fails.
  const auto inputs = sagemaker::batch_transform_inputs(input);
  const auto answers = sagemaker::batch_transform_answer_names(inputs, sagemaker::answer_file_extension(sagemaker::answer_type_from_name(accept).format));
  std::size_t missing = 0;
  std::string first_missing;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!fs::exists(output / answers[i]) && missing++ == 0) first_missing = inputs[i].filename().string();
  if (status != 0 || missing > 0)
    return set_status(name, "Failed",
                      "ClientError: " + std::to_string(missing) + " of " + std::to_string(inputs.size()) +
                          " images could not be transformed (first: " + first_missing + "); see segmaker api logs " +
                          name + " --transform-job:\n" + log_tail(log_path(name), 3));
  try {
    for (std::size_t i = 0; i < inputs.size(); ++i)
      storage::upload_file(output / answers[i], join_uri(output_uri, inputs[i].filename().string() + ".out"), options_.storage);
  } catch (const std::exception& e) {
    return set_status(name, "Failed", std::string("ClientError: could not upload the answers: ") + e.what());
  }
  append_log(name, std::to_string(inputs.size()) + " answers uploaded to " + output_uri);
  set_status(name, "Completed");
}

}  // namespace segmaker::api
