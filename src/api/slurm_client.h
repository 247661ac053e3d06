#pragma once
// How the service talks to Slurm: its command-line clients (sbatch --parsable, scontrol show job -o,
// squeue, sinfo, scancel), run as child processes with the service's environment (SLURM_CONF
// included). Chosen over slurmrestd (a second daemon to run and secure; refuses to run as root) and
// libslurm (its ABI changes with every Slurm release): the clients are on every node that can submit
// jobs, and their output for the few fields used here has been stable for many releases.
// Without slurmdbd there is no sacct: a job's state comes from `scontrol show job` while slurmctld
// remembers it (MinJobAge), and from the job's own result files after that.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/instance_resources.h"

namespace segmaker::api {

// Where a Slurm cluster runs the jobs (segmaker api --scheduler slurm).
struct SlurmOptions {
  std::string partition;            // --slurm-partition ("" = the cluster's default)
  InstanceResourceTable instances;  // --instance-types (default: each instance a whole node)
  // Node-local folder of the instances' working copies (--node-scratch).
  std::filesystem::path scratch = "/tmp/segmaker-instances";
  int port_base = 20000;  // rendezvous port: port_base + Slurm job id % 10000
  // The service's --allow-local-path folders: the instances read local paths only under them, as the
  // service does (`--restrict-local-paths --allow-local-path DIR ...` on their command lines).
  std::vector<std::filesystem::path> allowed_local_paths;
  std::vector<std::string> local_path_flags() const;
};

// One job of the service as a Slurm batch job: `nodes` nodes, one task per node (srun), each running
// `task_command` (node names need not resolve: the first node's NodeAddr is looked up in the script).
struct SlurmBatch {
  std::string name;     // --job-name (the training or transform job's name)
  std::string comment;  // --comment: "segmaker:<ARN>", how a restarted service recognises its job
  int nodes = 1;
  long long minutes = 0;  // --time; 0: the partition's limit
  InstanceResources resources;
  std::string default_partition;
  std::filesystem::path output;  // the job's log: appended to
  std::filesystem::path chdir;
  std::filesystem::path script;  // written here, then submitted
  std::vector<std::string> task_command;
  // Appended to the task command with the first node's NodeAddr ("--master-addr" for a rendezvous,
  // "--host" for a server that listens on its node's address); "" for nothing.
  std::string address_flag;
  std::vector<std::pair<std::string, std::string>> environment;  // exported to the tasks (sbatch --export=ALL)
};

// One record of `scontrol show job -o` / `scontrol show node -o`: Key=Value fields separated by
// spaces (a value with spaces keeps its words). Never throws.
std::map<std::string, std::string> parse_scontrol_record(const std::string& line);

struct SlurmJobState {
  std::string id;
  std::string state;      // PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, ...
  std::string reason;     // Slurm's Reason (None, Priority, Resources, NodeDown, NonZeroExitCode, ...)
  std::string exit_code;  // "exit:signal"
  std::string nodes;      // NodeList (hostlist syntax), "(null)" while pending
  // False while the job may still run (pending, running, completing, suspended, requeued...).
  bool finished() const;
};

// The job's state from one `scontrol show job -o` record; nullopt when it has no JobId.
std::optional<SlurmJobState> slurm_job_state(const std::string& record);

class SlurmClient {
 public:
  // Finds sbatch, scontrol, squeue, sinfo and scancel on PATH; throws UserError naming the missing one.
  SlurmClient();

  // Writes the batch script and submits it (sbatch --parsable --no-requeue ...); the job id. Throws
  // UserError with sbatch's message.
  std::string submit(const SlurmBatch& batch) const;
  // The job's state; nullopt when slurmctld no longer knows it ("Invalid job id"). Throws UserError
  // when Slurm cannot be asked (slurmctld down): the caller retries.
  std::optional<SlurmJobState> job(const std::string& id) const;
  // Ids of this user's jobs named `name` whose comment is `comment`, known to slurmctld (any state).
  std::vector<std::string> find(const std::string& name, const std::string& comment) const;
  // scancel --signal=<signal>: every task of the job's steps, not the batch shell (srun, signalled,
  // would kill the tasks at once); errors are ignored (it may have ended).
  void signal(const std::string& id, const std::string& signal) const;
  // scancel: the job ends (SIGTERM, then SIGKILL after the cluster's KillWait).
  void cancel(const std::string& id) const;
  // The node's NodeAddr ("" when Slurm does not say).
  std::string node_address(const std::string& node) const;
  // "n2 (down*: Not responding)" for each node of `nodes` (hostlist) that is not up; "" when all are.
  std::string unhealthy_nodes(const std::string& nodes) const;

 private:
  // Runs `command args`; its exit status and output (stdout and stderr) in `output`.
  int run(const std::filesystem::path& command, const std::vector<std::string>& args, std::string& output,
          const std::vector<std::pair<std::string, std::string>>& environment = {}) const;

  std::filesystem::path sbatch_, scontrol_, squeue_, sinfo_, scancel_;
};

// A stop as StopTrainingJob does it, on a Slurm job: SIGTERM to its tasks (a trainer checkpoints, a
// server finishes its requests; a job still pending is cancelled at once), `scancel` once `grace` has
// passed. The one stop of the training and transform runners and the serving instances.
class SlurmStop {
 public:
  SlurmStop(const SlurmClient& slurm, std::string id, std::chrono::milliseconds grace)
      : slurm_(slurm), id_(std::move(id)), grace_(grace) {}
  // Called on each poll while the stop is wanted, with the job's state; what it did (for the job's log),
  // "" when nothing this time.
  std::string advance(const std::string& state);
  bool cancelled() const { return cancelled_; }

 private:
  const SlurmClient& slurm_;
  std::string id_;
  std::chrono::milliseconds grace_;
  std::optional<std::chrono::steady_clock::time_point> term_sent_;
  bool cancelled_ = false;
};

}  // namespace segmaker::api
