#include "train/distributed/launcher.h"

#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include <spdlog/spdlog.h>

#include "io/error.h"
#include "io/free_port.h"
#include "io/stop_signal.h"
#include "io/threads.h"

extern char** environ;

namespace segmaker::train {

namespace {

void check(const LaunchOptions& o) {
  if (o.nproc < 1 || o.nproc > 1024) throw UserError("--nproc must be between 1 and 1024, got " + std::to_string(o.nproc));
  if (o.nnodes < 1) throw UserError("--nnodes must be at least 1, got " + std::to_string(o.nnodes));
  if (o.node_rank < 0 || o.node_rank >= o.nnodes)
    throw UserError("--node-rank must be in 0.." + std::to_string(o.nnodes - 1) + ", got " + std::to_string(o.node_rank));
  if (o.master_port < 0 || o.master_port > 65535) throw UserError("--master-port must be in 0..65535");
  if (o.nnodes > 1 && o.master_port == 0)
    throw UserError("with several machines every node needs the same --master-port (e.g. 29500)");
  if (o.command.empty() || o.command.front() != "train")
    throw UserError("launch runs a training job: segmaker launch --nproc N -- train --data ... (got '" +
                    (o.command.empty() ? std::string() : o.command.front()) + "')");
  if (o.executable.empty()) throw UserError("launch: unknown path of the segmaker executable");
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return "was killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : std::string());
  }
  return "ended with status " + std::to_string(status);
}

// LibTorch threads of each rank: as asked, else this machine's cores shared out (at least 1).
int threads_per_rank(const LaunchOptions& o) {
  return o.threads_per_rank > 0 ? o.threads_per_rank : std::max(1, io::available_cores() / o.nproc);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

pid_t spawn(const std::filesystem::path& exe, const std::vector<std::string>& args,
            const std::vector<std::pair<std::string, std::string>>& extra_env) {
  std::vector<std::string> argv_s{exe.string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : extra_env) env[k] = v;
  std::vector<std::string> env_s;
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  posix_spawnattr_t attributes;
  io::init_spawn_attributes_unblocked(attributes);  // the launcher blocks SIGTERM/SIGINT (io/stop_signal.h); ranks must not
  const int rc = posix_spawn(&pid, exe.c_str(), nullptr, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) throw UserError("could not start '" + exe.string() + "': " + std::strerror(rc));
  return pid;
}

}  // namespace

std::vector<std::string> rank_arguments(const LaunchOptions& o) {
  std::vector<std::string> args{"--threads", std::to_string(threads_per_rank(o)), o.command.front()};
  if (std::find(o.command.begin(), o.command.end(), "--distributed") == o.command.end()) args.push_back("--distributed");
  args.insert(args.end(), o.command.begin() + 1, o.command.end());
  return args;
}

std::vector<std::pair<std::string, std::string>> rank_environment(const LaunchOptions& o, int local_rank, int port) {
  return {{"MASTER_ADDR", o.master_addr},
          {"MASTER_PORT", std::to_string(port)},
          {"WORLD_SIZE", std::to_string(o.nproc * o.nnodes)},
          {"RANK", std::to_string(o.node_rank * o.nproc + local_rank)},
          {"LOCAL_RANK", std::to_string(local_rank)},
          {"LOCAL_WORLD_SIZE", std::to_string(o.nproc)},
          {"OMP_NUM_THREADS", std::to_string(threads_per_rank(o))}};
}

void bind_to_launcher(const std::function<const char*(const char*)>& lookup) {
  const char* value = lookup("SEGMAKER_LAUNCHER_PID");
  if (value == nullptr || *value == '\0') return;
  char* end = nullptr;
  const long launcher = std::strtol(value, &end, 10);
  if (*end != '\0' || launcher <= 1) throw UserError(std::string("SEGMAKER_LAUNCHER_PID must be a process id, got '") + value + "'");
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
    throw UserError(std::string("cannot ask to be stopped with the launcher: ") + std::strerror(errno));
  // The launcher may have died before the request above: then the parent is already someone else.
  if (::getppid() != static_cast<pid_t>(launcher))
    throw UserError("the launcher (pid " + std::to_string(launcher) + ") that started this rank is gone");
}

int launch(const LaunchOptions& options, const std::function<bool()>& stop_requested) {
  check(options);
  const int port = options.master_port != 0 ? options.master_port : io::free_port();
  const std::vector<std::string> args = rank_arguments(options);
  spdlog::info("launching {} rank(s) on this machine (node {} of {}), world size {}, rendezvous {}:{}", options.nproc,
               options.node_rank, options.nnodes, options.nproc * options.nnodes, options.master_addr, port);

  std::map<pid_t, int> running;  // pid → global rank
  for (int local = 0; local < options.nproc; ++local) {
    const int rank = options.node_rank * options.nproc + local;
    auto environment = rank_environment(options, local, port);
    environment.emplace_back("SEGMAKER_LAUNCHER_PID", std::to_string(::getpid()));  // bind_to_launcher
    const pid_t pid = spawn(options.executable, args, environment);
    running[pid] = rank;
    spdlog::info("rank {} started (pid {})", rank, pid);
  }

  int result = 0;
  bool forwarded = false;
  std::chrono::steady_clock::time_point failed_at{}, terminated_at{};
  bool killed = false;
  while (!running.empty()) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0 && running.count(pid)) {
      const int rank = running[pid];
      running.erase(pid);
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (ok) {
        spdlog::info("rank {} (pid {}) finished", rank, pid);
      } else {
        spdlog::error("rank {} (pid {}) {}", rank, pid, describe_status(status));
        if (result == 0) {
          result = exit_code_of(status);
          failed_at = std::chrono::steady_clock::now();
          if (!running.empty())
            spdlog::warn("waiting up to {} s for the other rank(s) to stop", options.grace.count() / 1000.0);
        }
      }
      continue;
    }
    if (pid < 0 && errno == ECHILD) break;
    const auto now = std::chrono::steady_clock::now();
    if (!forwarded && stop_requested && stop_requested()) {
      forwarded = true;
      spdlog::warn("stop requested: asking every rank to checkpoint and stop");
      for (const auto& [p, r] : running) ::kill(p, SIGTERM);
    }
    if (result != 0 && terminated_at == std::chrono::steady_clock::time_point{} && now - failed_at > options.grace) {
      terminated_at = now;
      for (const auto& [p, r] : running) {
        spdlog::warn("stopping rank {} (pid {})", r, p);
        ::kill(p, SIGTERM);
      }
    }
    if (!killed && terminated_at != std::chrono::steady_clock::time_point{} && now - terminated_at > std::chrono::seconds(10)) {
      killed = true;
      for (const auto& [p, r] : running) ::kill(p, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (result == 0) spdlog::info("all {} rank(s) finished", options.nproc);
  return result;
}

}  // namespace segmaker::train
