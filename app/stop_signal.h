#pragma once
// SIGTERM / SIGINT as a polled "stop requested" flag for the long-running commands (train, launch).
// A signal handler can only reach a static, so the flag is one per process.
#include <signal.h>

#include <atomic>

namespace segmaker::app {

inline std::atomic<bool>& stop_signal_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

extern "C" inline void segmaker_on_stop_signal(int) { stop_signal_flag().store(true); }

// Installs the handlers; returns a poll function for the library's stop_requested hooks.
inline bool (*install_stop_signal_handlers())() {
  struct sigaction sa {};
  sa.sa_handler = segmaker_on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  return [] { return stop_signal_flag().load(); };
}

}  // namespace segmaker::app
