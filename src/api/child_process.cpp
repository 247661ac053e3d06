// Child processes of the service (see child_process.h).
#include "api/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

#include "io/error.h"

extern char** environ;

namespace segmaker::api {

namespace fs = std::filesystem;

ChildProcess::ChildProcess(const ChildSpec& spec) {
  int log_fd = -1;  // none: the child writes to this process's stdout and stderr
  if (!spec.log.empty()) {
    fs::create_directories(spec.log.parent_path());
    log_fd = ::open(spec.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw UserError("cannot open the log '" + spec.log.string() + "': " + std::strerror(errno));
  }

  // Everything the child needs is built before fork: between fork and exec only async-signal-safe calls.
  std::vector<std::string> args{spec.executable.string()};
  args.insert(args.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    bool replaced = false;
    for (const auto& [k, v] : spec.environment) replaced = replaced || entry.rfind(k + "=", 0) == 0;
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : spec.environment) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) {
    if (log_fd >= 0) ::close(log_fd);
    throw UserError(std::string("cannot start a child process: ") + std::strerror(errno));
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(125);  // the service died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the service blocks SIGTERM/SIGINT in its threads
    ::signal(SIGPIPE, SIG_DFL);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    ::execve(argv[0], argv.data(), envp.data());
    const char message[] = "segmaker api: exec of the child process failed\n";
    (void)!::write(2, message, sizeof message - 1);
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !poll()) {
    kill_group();
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::optional<int> ChildProcess::poll() {
  if (status_) return status_;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    // Ranks a launcher left behind (it was killed) must not outlive it.
    ::kill(-pid_, SIGKILL);
  } else if (r < 0 && errno == ECHILD) {
    status_ = 255;
  }
  return status_;
}

void ChildProcess::signal(int sig) const {
  if (!status_) ::kill(pid_, sig);
}

void ChildProcess::kill_group() const {
  if (!status_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
  }
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  WaitHooks hooks;
  hooks.poll_interval = std::chrono::milliseconds(20);
  hooks.grace = grace;
  hooks.stop_requested = [] { return true; };
  return wait(hooks);
}

int ChildProcess::wait(const WaitHooks& hooks) {
  std::optional<std::chrono::steady_clock::time_point> term_sent;
  bool killed = false;
  while (!poll()) {
    std::this_thread::sleep_for(hooks.poll_interval);
    if (!term_sent && hooks.stop_requested && hooks.stop_requested()) {
      if (hooks.on_stop) hooks.on_stop();
      signal(SIGTERM);
      term_sent = std::chrono::steady_clock::now();
    }
    if (term_sent && !killed && std::chrono::steady_clock::now() - *term_sent > hooks.grace) {
      if (hooks.on_kill) hooks.on_kill();
      kill_group();
      killed = true;
    }
    if (hooks.on_poll) hooks.on_poll();
  }
  return *status_;
}

std::string log_tail(const fs::path& log, std::size_t max_lines) {
  std::ifstream in(log);
  if (!in) return {};
  // Only the end of a long log matters.
  in.seekg(0, std::ios::end);
  const auto size = static_cast<long long>(in.tellg());
  in.seekg(std::max(0LL, size - 16384));
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

}  // namespace segmaker::api
