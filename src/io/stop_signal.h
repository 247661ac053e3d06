#pragma once
// SIGTERM / SIGINT as a stop request: the one mechanism of the long-running commands (train,
// launch, serve). No signal handler and no global state: the constructor blocks both signals in the
// calling thread, so every thread started afterwards inherits the mask, and one waiter thread takes
// them with sigtimedwait. Construct it at the start of the command, before any thread exists.
// Processes started while it lives inherit the mask: give posix_spawn init_spawn_attributes_unblocked.
#include <signal.h>
#include <spawn.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace segmaker::io {

class StopSignal {
 public:
  StopSignal();
  // Joins the waiter and restores the previous signal mask.
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // True once SIGTERM or SIGINT arrived.
  bool requested() const { return requested_.load(); }
  // A poll function for the library's stop_requested hooks (valid while this object lives).
  std::function<bool()> poll() const {
    return [this] { return requested(); };
  }
  // Runs `action(signal)` on the waiter thread at the first signal, or at once if one already came.
  void on_stop(std::function<void(int signal)> action);

 private:
  void wait_loop();

  sigset_t set_;
  sigset_t previous_;
  std::atomic<bool> requested_{false};
  std::atomic<bool> finished_{false};
  std::mutex mutex_;
  std::function<void(int)> action_;
  int signal_ = 0;
  std::thread waiter_;
};

// posix_spawn attributes that give the child an empty signal mask (whatever this process blocks).
// Call posix_spawnattr_destroy on it after the spawn.
void init_spawn_attributes_unblocked(posix_spawnattr_t& attributes);

}  // namespace segmaker::io
