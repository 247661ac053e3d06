// One serving process of an endpoint (see serving_instance.h).
#include "api/serving_instance.h"

#include <httplib.h>

#include <fstream>
#include <thread>

#include "io/free_port.h"

namespace segmaker::api {

ServingInstance::ServingInstance(std::string variant, InstanceSpec spec) : variant_(std::move(variant)), spec_(std::move(spec)) {}

ServingInstance::~ServingInstance() {
  if (spec_.slurm && !job_id_.empty() && !slurm_exit_) spec_.slurm->cancel(job_id_);
}

void ServingInstance::start() {
  port_ = io::free_port();
  ready_ = false;
  ++starts_;
  started_at_ = std::chrono::steady_clock::now();
  if (spec_.slurm) {
    SlurmBatch batch = spec_.batch;
    batch.nodes = 1;
    batch.output = spec_.log;
    batch.script = spec_.log.parent_path() / (spec_.log.stem().string() + ".sbatch");
    batch.environment = spec_.environment;
    batch.task_command = {spec_.executable.string()};
    if (spec_.threads > 0) batch.task_command.insert(batch.task_command.end(), {"--threads", std::to_string(spec_.threads)});
    batch.task_command.insert(batch.task_command.end(), {"serve", "--model", spec_.model.string(), "--port", std::to_string(port_)});
    batch.address_flag = "--host";
    host_.clear();
    slurm_exit_.reset();
    job_id_ = spec_.slurm->submit(batch);
    std::ofstream(spec_.log, std::ios::app) << "segmaker api: instance submitted to Slurm as job " << job_id_ << ", port " << port_ << "\n";
    return;
  }
  ChildSpec child;
  child.executable = spec_.executable;
  child.log = spec_.log;
  child.environment = spec_.environment;
  if (spec_.threads > 0) child.args = {"--threads", std::to_string(spec_.threads)};
  child.args.insert(child.args.end(), {"serve", "--model", spec_.model.string(), "--host", "127.0.0.1", "--port",
                                       std::to_string(port_)});
  process_ = std::make_unique<ChildProcess>(child);
}

std::optional<int> ServingInstance::slurm_poll() {
  if (slurm_exit_ || job_id_.empty()) return slurm_exit_;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_asked_ < std::chrono::seconds(1)) return std::nullopt;
  last_asked_ = now;
  std::optional<SlurmJobState> state;
  try {
    state = spec_.slurm->job(job_id_);
  } catch (const std::exception&) {
    return std::nullopt;  // slurmctld unreachable: the instance is not known to be gone
  }
  if (!state || state->finished()) {
    std::ofstream(spec_.log, std::ios::app) << "segmaker api: Slurm job " << job_id_ << " ended"
                                            << (state ? ": " + state->state + " (" + state->reason + ")" : "") << "\n";
    slurm_exit_ = state && state->state == "COMPLETED" ? 0 : 1;
    ready_ = false;
    return slurm_exit_;
  }
  if (host_.empty() && state->state == "RUNNING") host_ = spec_.slurm->node_address(state->nodes);
  return std::nullopt;
}

bool ServingInstance::check_ready() {
  if (spec_.slurm) {
    if (ready_ || slurm_poll() || host_.empty()) return ready_;
  } else if (ready_ || !process_ || process_->poll()) {
    return ready_;
  }
  httplib::Client client(host_, port_);
  client.set_connection_timeout(std::chrono::seconds(1));
  client.set_read_timeout(std::chrono::seconds(2));
  const auto answer = client.Get("/ping");
  ready_ = answer && answer->status == 200;
  return ready_;
}

std::optional<int> ServingInstance::exited() {
  if (spec_.slurm) return slurm_poll();
  if (!process_) return 0;
  auto status = process_->poll();
  if (status) ready_ = false;
  return status;
}

void ServingInstance::stop(std::chrono::milliseconds grace) {
  ready_ = false;
  if (spec_.slurm) {
    if (job_id_.empty() || slurm_exit_) return;
    SlurmStop stop(*spec_.slurm, job_id_, grace);
    while (!slurm_poll() && !stop.cancelled()) {
      if (const std::string done = stop.advance("RUNNING"); !done.empty()) std::ofstream(spec_.log, std::ios::app) << "segmaker api: " << done << "\n";
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    slurm_exit_ = slurm_exit_.value_or(143);
    return;
  }
  if (process_) process_->stop(grace);
}

}  // namespace segmaker::api
