#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <csignal>

int main(int argc, char** argv) {
  // A peer (a rank thread, a server) closing its socket must surface as an error from send(),
  // not kill the whole test program with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  ::testing::InitGoogleTest(&argc, argv);
  spdlog::set_level(spdlog::level::warn);
  return RUN_ALL_TESTS();
}
