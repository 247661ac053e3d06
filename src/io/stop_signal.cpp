// SIGTERM / SIGINT as a stop request (io/stop_signal.h).
#include "io/stop_signal.h"

#include <pthread.h>

#include <ctime>

namespace segmaker::io {

StopSignal::StopSignal() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set_, &previous_);
  waiter_ = std::thread([this] { wait_loop(); });
}

StopSignal::~StopSignal() {
  finished_ = true;
  waiter_.join();
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

void StopSignal::wait_loop() {
  const timespec tick{0, 100 * 1000 * 1000};
  while (!finished_) {
    siginfo_t info;
    const int sig = sigtimedwait(&set_, &info, &tick);
    if ((sig == SIGTERM || sig == SIGINT) && !requested_.exchange(true)) {  // later signals: already stopping
      std::lock_guard<std::mutex> lock(mutex_);
      signal_ = sig;
      if (action_) action_(sig);
    }
  }
}

void StopSignal::on_stop(std::function<void(int)> action) {
  std::lock_guard<std::mutex> lock(mutex_);
  action_ = std::move(action);
  if (signal_ != 0 && action_) action_(signal_);
}

void init_spawn_attributes_unblocked(posix_spawnattr_t& attributes) {
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
}

}  // namespace segmaker::io
