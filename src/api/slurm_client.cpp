// Slurm's command-line clients (see slurm_client.h).
#include "api/slurm_client.h"

#include <unistd.h>

#include <cstdlib>
#include <set>
#include <sstream>

#include "api/child_process.h"
#include "io/error.h"
#include "io/paths.h"
#include "io/temp_dir.h"

namespace segmaker::api {

namespace fs = std::filesystem;

std::map<std::string, std::string> parse_scontrol_record(const std::string& line) {
  std::map<std::string, std::string> out;
  std::istringstream words(line);
  std::string word, last;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      if (!last.empty()) out[last] += " " + word;  // a value with spaces
      continue;
    }
    last = word.substr(0, eq);
    out[last] = word.substr(eq + 1);
  }
  return out;
}

bool SlurmJobState::finished() const {
  static const std::set<std::string> running{"PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED",
                                             "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING",
                                             "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD", "SPECIAL_EXIT"};
  return !state.empty() && !running.count(state);
}

std::optional<SlurmJobState> slurm_job_state(const std::string& record) {
  const auto fields = parse_scontrol_record(record);
  const auto get = [&](const char* key) {
    const auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  };
  SlurmJobState s;
  s.id = get("JobId");
  if (s.id.empty()) return std::nullopt;
  s.state = get("JobState");
  s.reason = get("Reason");
  s.exit_code = get("ExitCode");
  s.nodes = get("NodeList");
  return s;
}

std::vector<std::string> SlurmOptions::local_path_flags() const {
  std::vector<std::string> flags{"--restrict-local-paths"};
  for (const auto& p : allowed_local_paths) flags.insert(flags.end(), {"--allow-local-path", p.string()});
  return flags;
}

namespace {

fs::path find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw UserError("--scheduler slurm needs Slurm's `" + name +
                  "` on PATH (Debian: apt install slurm-client; and SLURM_CONF or /etc/slurm/slurm.conf naming the cluster)");
}

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return text.substr(0, end);
}

}  // namespace

SlurmClient::SlurmClient()
    : sbatch_(find_on_path("sbatch")), scontrol_(find_on_path("scontrol")), squeue_(find_on_path("squeue")),
      sinfo_(find_on_path("sinfo")), scancel_(find_on_path("scancel")) {}

int SlurmClient::run(const fs::path& command, const std::vector<std::string>& args, std::string& output,
                     const std::vector<std::pair<std::string, std::string>>& environment) const {
  io::TempDir tmp("segmaker-slurm");
  const fs::path out = tmp.path() / "out.txt";
  ChildProcess child(ChildSpec{command, args, environment, out});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  WaitHooks hooks;
  hooks.poll_interval = std::chrono::milliseconds(10);
  hooks.grace = std::chrono::seconds(2);
  hooks.stop_requested = [&] { return std::chrono::steady_clock::now() > deadline; };
  const int status = child.wait(hooks);
  output = io::read_file(out);
  return status;
}

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string batch_script(const SlurmBatch& b) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# " << b.name << ", submitted by segmaker api: one task per instance, each running the instance on its node.\n";
  if (!b.address_flag.empty())
    s << "first=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n"
      << "addr=$(scontrol show node \"$first\" | grep -o 'NodeAddr=[^ ]*' | cut -d= -f2)\n";
  // srun does not inherit --cpus-per-task from sbatch since Slurm 22.05.
  s << "exec srun --kill-on-bad-exit=1 --ntasks-per-node=1 ${SLURM_CPUS_PER_TASK:+--cpus-per-task=$SLURM_CPUS_PER_TASK}";
  for (const auto& a : b.task_command) s << " " << shell_quote(a);
  if (!b.address_flag.empty()) s << " " << b.address_flag << " \"${addr:-$first}\"";
  s << "\n";
  return s.str();
}

}  // namespace

std::string SlurmClient::submit(const SlurmBatch& b) const {
  io::write_file_atomic(b.script, batch_script(b));
  std::vector<std::string> args{"--parsable", "--job-name=" + b.name, "--comment=" + b.comment,
                                "--nodes=" + std::to_string(b.nodes), "--ntasks-per-node=1", "--no-requeue",
                                "--output=" + b.output.string(), "--open-mode=append", "--chdir=" + b.chdir.string()};
  if (b.minutes > 0) args.push_back("--time=" + std::to_string(b.minutes));
  const InstanceResources& r = b.resources;
  const std::string partition = r.partition.empty() ? b.default_partition : r.partition;
  if (!partition.empty()) args.push_back("--partition=" + partition);
  if (r.cpus > 0) args.push_back("--cpus-per-task=" + std::to_string(r.cpus));
  if (r.memory_mib > 0) args.push_back("--mem=" + std::to_string(r.memory_mib) + "M");
  if (r.gpus > 0) args.push_back("--gres=gpu:" + std::to_string(r.gpus));
  if (r.exclusive) args.push_back("--exclusive");
  args.push_back(b.script.string());
  std::string out;
  if (run(sbatch_, args, out, b.environment) != 0) throw UserError("sbatch refused the job: " + out.substr(0, 1000));
  // --parsable: "<id>" or "<id>;<cluster>", after any warning lines.
  std::string id;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const std::string first = line.substr(0, line.find(';'));
    if (!first.empty() && first.find_first_not_of("0123456789") == std::string::npos) id = first;
  }
  if (id.empty()) throw UserError("sbatch printed no job id: " + out.substr(0, 500));
  return id;
}

std::optional<SlurmJobState> SlurmClient::job(const std::string& id) const {
  std::string out;
  const int status = run(scontrol_, {"show", "job", "-o", id}, out);
  if (status != 0) {
    if (out.find("Invalid job id") != std::string::npos) return std::nullopt;
    throw UserError("`scontrol show job " + id + "` failed: " + first_line(out));
  }
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);)
    if (auto s = slurm_job_state(line); s && s->id == id) return s;
  return std::nullopt;
}

std::vector<std::string> SlurmClient::find(const std::string& name, const std::string& comment) const {
  std::string out;
  const char* user = std::getenv("USER");
  std::vector<std::string> args{"-h", "-t", "all", "-n", name, "-o", "%i|%k"};
  if (user && *user) args.insert(args.end(), {"-u", user});
  if (run(squeue_, args, out) != 0) throw UserError("`squeue -n " + name + "` failed: " + first_line(out));
  std::vector<std::string> ids;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const auto bar = line.find('|');
    if (bar != std::string::npos && line.substr(bar + 1) == comment) ids.push_back(line.substr(0, bar));
  }
  return ids;
}

void SlurmClient::signal(const std::string& id, const std::string& signal) const {
  std::string out;
  run(scancel_, {"--signal=" + signal, id}, out);
}

void SlurmClient::cancel(const std::string& id) const {
  std::string out;
  run(scancel_, {id}, out);
}

std::string SlurmStop::advance(const std::string& state) {
  if (cancelled_) return "";
  if (state == "PENDING") {
    slurm_.cancel(id_);
    cancelled_ = true;
    return "scancel " + id_ + ": the job had not started";
  }
  if (!term_sent_) {
    slurm_.signal(id_, "TERM");
    term_sent_ = std::chrono::steady_clock::now();
    return "scancel --signal=TERM " + id_ + ": every instance checkpoints or finishes its work, and stops";
  }
  if (std::chrono::steady_clock::now() - *term_sent_ <= grace_) return "";
  slurm_.cancel(id_);
  cancelled_ = true;
  return "the job did not stop within the grace period: scancel " + id_;
}

std::string SlurmClient::node_address(const std::string& node) const {
  std::string out;
  if (node.empty() || run(scontrol_, {"show", "node", "-o", node}, out) != 0) return "";
  const auto fields = parse_scontrol_record(out.substr(0, out.find('\n')));
  const auto it = fields.find("NodeAddr");
  return it == fields.end() ? "" : it->second;
}

std::string SlurmClient::unhealthy_nodes(const std::string& nodes) const {
  std::string out;
  if (nodes.empty() || nodes == "(null)" || run(sinfo_, {"-h", "-N", "-n", nodes, "-o", "%N|%T|%E"}, out) != 0) return "";
  std::string text;
  std::set<std::string> seen;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream parts(line);
    std::string node, state, reason;
    std::getline(parts, node, '|');
    std::getline(parts, state, '|');
    std::getline(parts, reason);
    const bool up = state.rfind("idle", 0) == 0 || state.rfind("alloc", 0) == 0 || state.rfind("mix", 0) == 0 ||
                    state.rfind("completing", 0) == 0;
    if (up && state.find('*') == std::string::npos) continue;
    if (!seen.insert(node).second) continue;
    text += (text.empty() ? "" : ", ") + node + " (" + state + (reason.empty() || reason == "none" ? "" : ": " + reason) + ")";
  }
  return text;
}

}  // namespace segmaker::api
