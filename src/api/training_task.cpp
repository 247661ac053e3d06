// One instance of a training job on a cluster node (see training_task.h).
#include "api/training_task.h"

#include <ctime>
#include <iostream>

#include "api/child_process.h"
#include "api/training_job.h"
#include "api/training_outputs.h"
#include "io/error.h"
#include "io/paths.h"
#include "sagemaker/container_layout.h"
#include "storage/transfer.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

class Task {
 public:
  Task(const TrainingTaskOptions& o, const std::function<bool()>& stop)
      : o_(o), stop_(stop), files_{o.job_file.parent_path().parent_path()}, host_(o.task.host()) {}

  int run() {
    result_ = {{"host", host_}, {"node", o_.task.node}, {"rank", o_.task.rank}, {"exit_status", -1}, {"stopped", false}};
    try {
      prepare();
      const int status = train();
      finish(status);
      return status;
    } catch (const std::exception& e) {
      result_["failure"] = e.what();
      say(std::string("failed: ") + e.what());
      write_result();
      throw;
    }
  }

 private:
  void say(const std::string& line) const {
    std::cout << "[" << host_ << " on " << o_.task.node << "] " << line << std::endl;
  }
  void progress(const std::string& phase) const {
    if (o_.task.rank == 0) io::write_file_atomic(files_.progress(), phase + "\n");
    say(phase);
  }
  void write_result() const { io::write_file_atomic(files_.result(host_), result_.dump(2)); }

  void prepare() {
    if (!fs::is_regular_file(o_.job_file)) throw UserError("the job file '" + o_.job_file.string() + "' is not visible on this node");
    doc_ = json::parse(io::read_file(o_.job_file), nullptr, false);
    if (!doc_.is_object() || !doc_.contains("TrainingJobName")) throw UserError("'" + o_.job_file.string() + "' is not a training job");
    root_ = o_.scratch / doc_.at("TrainingJobName").get<std::string>() / host_;
    fs::remove_all(root_);
    write_container_config(root_, doc_);
    const json hosts = json::parse(io::read_file(sagemaker::SageMakerLayout{root_}.config_dir() / "resourceconfig.json"))["hosts"];
    io::write_file_atomic(sagemaker::SageMakerLayout{root_}.config_dir() / "resourceconfig.json",
                          json{{"current_host", host_}, {"hosts", hosts}, {"network_interface_name", "eth0"}}.dump(2));
    progress("Downloading");
    say("downloading the channels into " + root_.string());
    download_channels(doc_, root_, o_.storage);
    const std::string checkpoints = checkpoint_uri();
    if (!checkpoints.empty()) {
      const auto got = storage::download_prefix(checkpoints, sagemaker::SageMakerLayout{root_}.checkpoint_dir(), o_.storage);
      if (got.objects) say("checkpoints downloaded from " + checkpoints);
    }
  }

  std::string checkpoint_uri() const {
    if (!doc_.contains("CheckpointConfig") || !doc_["CheckpointConfig"].is_object()) return "";
    return doc_["CheckpointConfig"].value("S3Uri", "");
  }

  int train() {
    if (stop_()) {
      result_["stopped"] = true;
      return 143;
    }
    progress("Training");
    ChildSpec spec;
    spec.executable = o_.executable;
    if (o_.threads > 0) spec.args = {"--threads", std::to_string(o_.threads)};
    if (o_.task.instances > 1)
      spec.args.insert(spec.args.end(), {"launch", "--nnodes", std::to_string(o_.task.instances), "--node-rank", std::to_string(o_.task.rank),
                                         "--nproc", "1", "--master-addr", o_.master_addr, "--master-port",
                                         std::to_string(o_.master_port), "--"});
    spec.args.insert(spec.args.end(), {"train", "--sagemaker", "--sm-root", root_.string(), "--no-progress"});
    say("rank " + std::to_string(o_.task.rank) + " of " + std::to_string(o_.task.instances) +
        (o_.task.instances > 1 ? ", rendezvous at " + o_.master_addr + ":" + std::to_string(o_.master_port) : ""));
    ChildProcess child(spec);  // no log file: its output is this task's (the job's log)
    WaitHooks hooks;
    hooks.poll_interval = std::chrono::milliseconds(100);
    hooks.grace = std::chrono::hours(24);  // Slurm's KillWait ends it
    hooks.stop_requested = stop_;
    hooks.on_stop = [&] {
      result_["stopped"] = true;
      say("SIGTERM: the trainer checkpoints and stops");
    };
    return child.wait(hooks);
  }

  void finish(int status) {
    const sagemaker::SageMakerLayout layout{root_};
    result_["exit_status"] = status;
    if (fs::exists(layout.failure_file())) result_["failure"] = io::read_file(layout.failure_file());
    if (o_.task.rank == 0) {
      const std::string checkpoints = checkpoint_uri();
      if (!checkpoints.empty() && !io::is_empty_dir(layout.checkpoint_dir())) {
        storage::upload_folder(layout.checkpoint_dir(), checkpoints, o_.storage);
        say("checkpoints uploaded to " + checkpoints);
      }
      if (has_trained_model(root_)) {
        progress("Uploading");
        result_["model_uri"] = upload_training_outputs(doc_, root_, o_.storage);
        result_["final_metrics"] = final_metric_data(root_, static_cast<double>(std::time(nullptr)));
        say("model uploaded to " + result_["model_uri"].get<std::string>());
      }
    }
    write_result();
    fs::remove_all(root_);  // the instance's working copy goes, as SageMaker's instance does
  }

  const TrainingTaskOptions& o_;
  std::function<bool()> stop_;
  ClusterJobFiles files_;
  std::string host_;
  json doc_;
  fs::path root_;
  json result_;
};

}  // namespace

int run_training_task(const TrainingTaskOptions& options, const std::function<bool()>& stop_requested) {
  return Task(options, stop_requested).run();
}

}  // namespace segmaker::api
