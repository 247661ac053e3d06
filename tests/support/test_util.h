#pragma once
// Helpers shared by the test programs: temporary folders, the shared data sets, running the CLI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <filesystem>
#include <random>
#include <string>

#include "io/temp_dir.h"

namespace segmaker::test {

namespace fs = std::filesystem;

// A fresh temporary folder, removed when the object goes out of scope.
class TempDir : public io::TempDir {
 public:
  TempDir() : io::TempDir("segmaker-test-") {}
};

// ../shared/data (or $SEGMAKER_TEST_DATA_DIR).
inline fs::path shared_data_dir() {
  if (const char* env = std::getenv("SEGMAKER_TEST_DATA_DIR"); env && *env) return env;
  return SEGMAKER_TEST_DATA_DIR;
}
inline fs::path pet_dir() { return shared_data_dir() / "oxford-pet"; }
inline fs::path quirks_dir() { return shared_data_dir() / "oxford-pet-quirks"; }

// Skips the calling test (with a message) when the shared Oxford-Pet sample is absent.
#define SEGMAKER_REQUIRE_PET_DATA()                                                          \
  do {                                                                                      \
    if (!std::filesystem::exists(::segmaker::test::pet_dir() / "images"))                  \
      GTEST_SKIP() << "Oxford-Pet sample not found at " << ::segmaker::test::pet_dir();    \
  } while (0)

// what() of the E that `f` throws, or "(no error)" (other exceptions propagate).
template <typename E>
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no error)";
}

// Runs the segmaker executable with `args` (a shell-quoted string); returns its exit code.
// Output goes to `log` when given.
inline int run_cli(const std::string& args, const fs::path& log = {}) {
  std::string cmd = std::string("'") + SEGMAKER_BINARY + "' " + args;
  if (!log.empty()) cmd += " > '" + log.string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  if (rc == -1) return -1;
  return WEXITSTATUS(rc);
}

}  // namespace segmaker::test
