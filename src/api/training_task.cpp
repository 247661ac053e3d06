// One instance of a training job on a cluster node (see training_task.h).
#include "api/training_task.h"

#include <ctime>

#include "api/cluster_instance.h"
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
  Task(const TrainingTaskOptions& o, const std::function<bool()>& stop) : o_(o), stop_(stop), me_(o.job_file, o.task) {}

  int run() {
    return me_.run([&] {
      prepare();
      const int status = train();
      finish(status);
      return status;
    });
  }

 private:
  void progress(const std::string& phase) const {
    if (o_.task.rank == 0) io::write_file_atomic(me_.files().progress(), phase + "\n");
    me_.say(phase);
  }

  void prepare() {
    doc_ = me_.read_document("TrainingJobName");
    root_ = me_.fresh_root(o_.scratch, doc_.at("TrainingJobName"));
    write_container_config(root_, doc_, /*one_machine=*/false);  // each node downloads its channels
    const sagemaker::SageMakerLayout layout{root_};
    const json hosts = json::parse(io::read_file(layout.config_dir() / "resourceconfig.json"))["hosts"];
    io::write_file_atomic(layout.config_dir() / "resourceconfig.json",
                          json{{"current_host", me_.host()}, {"hosts", hosts}, {"network_interface_name", "eth0"}}.dump(2));
    progress("Downloading");
    me_.say("downloading the channels into " + root_.string());
    for (const auto& note : download_channels(doc_, root_, o_.storage, {}, InstanceShare{o_.task.rank, o_.task.instances}))
      me_.say(note);
    const std::string checkpoints = checkpoint_uri();
    if (!checkpoints.empty()) {
      const auto got = storage::download_prefix(checkpoints, layout.checkpoint_dir(), o_.storage);
      if (got.objects) me_.say("checkpoints downloaded from " + checkpoints);
    }
  }

  std::string checkpoint_uri() const {
    if (!doc_.contains("CheckpointConfig") || !doc_["CheckpointConfig"].is_object()) return "";
    return doc_["CheckpointConfig"].value("S3Uri", "");
  }

  int train() {
    if (stop_()) {
      me_.result()["stopped"] = true;
      return 143;
    }
    progress("Training");
    ChildSpec spec;  // no log file: its output is this task's (the job's log)
    spec.executable = o_.executable;
    if (o_.threads > 0) spec.args = {"--threads", std::to_string(o_.threads)};
    if (o_.task.instances > 1)
      spec.args.insert(spec.args.end(), {"launch", "--nnodes", std::to_string(o_.task.instances), "--node-rank",
                                         std::to_string(o_.task.rank), "--nproc", "1", "--master-addr", o_.master_addr,
                                         "--master-port", std::to_string(o_.master_port), "--"});
    spec.args.insert(spec.args.end(), {"train", "--sagemaker", "--sm-root", root_.string(), "--no-progress"});
    me_.say("rank " + std::to_string(o_.task.rank) + " of " + std::to_string(o_.task.instances) +
            (o_.task.instances > 1 ? ", rendezvous at " + o_.master_addr + ":" + std::to_string(o_.master_port) : ""));
    return me_.run_worker(spec, stop_);
  }

  void finish(int status) {
    const sagemaker::SageMakerLayout layout{root_};
    json& result = me_.result();
    result["exit_status"] = status;
    if (fs::exists(layout.failure_file())) result["failure"] = io::read_file(layout.failure_file());
    if (o_.task.rank == 0) {
      const std::string checkpoints = checkpoint_uri();
      if (!checkpoints.empty() && !io::is_empty_dir(layout.checkpoint_dir())) {
        storage::upload_folder(layout.checkpoint_dir(), checkpoints, o_.storage);
        me_.say("checkpoints uploaded to " + checkpoints);
      }
      if (has_trained_model(root_)) {
        progress("Uploading");
        result["model_uri"] = upload_training_outputs(doc_, root_, o_.storage);
        result["final_metrics"] = final_metric_data(root_, static_cast<double>(std::time(nullptr)));
        me_.say("model uploaded to " + result["model_uri"].get<std::string>());
      }
    }
    me_.write_result();
    fs::remove_all(root_);  // the instance's working copy goes, as SageMaker's instance does
  }

  const TrainingTaskOptions& o_;
  std::function<bool()> stop_;
  ClusterInstance me_;
  json doc_;
  fs::path root_;
};

}  // namespace

int run_training_task(const TrainingTaskOptions& options, const std::function<bool()>& stop_requested) {
  return Task(options, stop_requested).run();
}

}  // namespace segmaker::api
