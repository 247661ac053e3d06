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

namespace segmaker::api {

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

  // sbatch --parsable <args> <script>; the job id. Throws UserError with sbatch's message.
  std::string submit(const std::vector<std::string>& args, const std::filesystem::path& script) const;
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
  // "n2 (down*: Not responding)" for each node of `nodes` (hostlist) that is not up; "" when all are.
  std::string unhealthy_nodes(const std::string& nodes) const;

 private:
  // Runs `command args`; its exit status and output (stdout and stderr) in `output`.
  int run(const std::filesystem::path& command, const std::vector<std::string>& args, std::string& output) const;

  std::filesystem::path sbatch_, scontrol_, squeue_, sinfo_, scancel_;
};

}  // namespace segmaker::api
