// io::StopSignal: SIGTERM / SIGINT become a polled stop request and a one-time action, with no
// signal handler; the mask is restored afterwards.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "io/stop_signal.h"

namespace segmaker::io {
namespace {

bool wait_for(const std::function<bool()>& condition) {
  for (int i = 0; i < 100 && !condition(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return condition();
}

TEST(StopSignal, SigtermBecomesAStopRequestAndRunsTheActionOnce) {
  std::atomic<int> actions{0}, last{0};
  {
    StopSignal stop;
    const auto poll = stop.poll();
    EXPECT_FALSE(poll());
    stop.on_stop([&](int sig) {
      ++actions;
      last = sig;
    });
    kill(getpid(), SIGTERM);
    EXPECT_TRUE(wait_for(poll));
    kill(getpid(), SIGINT);  // a second signal: already stopping
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(actions.load(), 1);
    EXPECT_EQ(last.load(), SIGTERM);
  }
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGTERM)) << "the mask is restored";
}

TEST(StopSignal, AnActionSetAfterTheSignalRunsAtOnce) {
  StopSignal stop;
  kill(getpid(), SIGINT);
  ASSERT_TRUE(wait_for(stop.poll()));
  int seen = 0;
  stop.on_stop([&](int sig) { seen = sig; });
  EXPECT_EQ(seen, SIGINT);
}

}  // namespace
}  // namespace segmaker::io
