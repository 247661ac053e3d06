#pragma once
// One child process of the service (a training job, a serving instance, a batch transform): the
// segmaker executable started with its own arguments, stdout and stderr appended to a log file, in
// its own process group (so that a terminal's Ctrl-C reaches the service, which stops its children
// itself). The child gets SIGTERM when the thread that started it ends, so nothing outlives a
// service that is killed: a training job checkpoints and resumes when the service comes back.
// Start children from a thread that lives as long as they do.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace segmaker::api {

// What a runner does while its child runs (ChildProcess::wait): when to stop it, and its bookkeeping.
struct WaitHooks {
  std::chrono::milliseconds poll_interval{100};
  std::chrono::milliseconds grace{std::chrono::seconds(120)};  // SIGTERM -> SIGKILL to the group
  std::function<bool()> stop_requested;  // asked every poll; the first true sends SIGTERM
  std::function<void()> on_stop;         // once, right before that SIGTERM (optional)
  std::function<void()> on_kill;         // once, right before the SIGKILL (optional)
  std::function<void()> on_poll;         // every poll (optional)
};

struct ChildSpec {
  std::filesystem::path executable;
  std::vector<std::string> args;  // without the executable
  std::vector<std::pair<std::string, std::string>> environment;  // set on top of the service's own
  std::filesystem::path log;      // appended to; created with its folder when missing (empty: this process's output)
};

class ChildProcess {
 public:
  // Starts it. Throws UserError when the log cannot be opened or fork fails.
  explicit ChildProcess(const ChildSpec& spec);
  // Kills (SIGKILL to the group) and reaps a child that is still running.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The exit status once it has ended (exit code, or 128 + the signal that killed it); never blocks.
  std::optional<int> poll();
  // Sends `sig` to the child (not its group: a launcher forwards SIGTERM to its ranks itself).
  void signal(int sig) const;
  // SIGKILL to the whole group (ranks a launcher started included).
  void kill_group() const;
  // SIGTERM, then SIGKILL to the group after `grace`; returns the exit status.
  int stop(std::chrono::milliseconds grace);
  // Polls until the child ends, stopping it (SIGTERM, SIGKILL after hooks.grace) once
  // hooks.stop_requested() says so; returns the exit status. The one loop of the job runners.
  int wait(const WaitHooks& hooks);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// The last `max_lines` lines of a log file (for failure reasons), "" when unreadable.
std::string log_tail(const std::filesystem::path& log, std::size_t max_lines = 5);

}  // namespace segmaker::api
