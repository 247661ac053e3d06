#pragma once
// How much memory a piece of work needs at its peak, measured in a forked child (so that the test
// process's own peak does not hide it): the child's peak resident size minus the parent's resident
// size when it forked.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <string>

namespace segmaker::test {

inline double resident_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// The process's virtual size (what RLIMIT_AS counts).
inline double virtual_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  statm >> pages;
  return static_cast<double>(pages) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

struct ChildRun {
  bool ok = false;         // `work` returned true
  double peak_growth_mib;  // the child's peak resident size above the parent's at the fork
};

// Runs `work` in a child process (exceptions count as false).
inline ChildRun run_in_child(const std::function<bool()>& work) {
  const double base = resident_mib();
  const pid_t pid = ::fork();
  if (pid == 0) {
    bool ok = false;
    try {
      ok = work();
    } catch (...) {
      ok = false;
    }
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  return {WIFEXITED(status) && WEXITSTATUS(status) == 0, static_cast<double>(usage.ru_maxrss) / 1024.0 - base};
}

}  // namespace segmaker::test
