#pragma once
// Runs tests/serve/check_recordio_answer.py (Debian's python3-protobuf, an independent reader) on a
// RecordIO-protobuf answer and the PNG mask of the same prediction.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/process.h"

namespace segmaker::test {

struct CheckerResult {
  int exit_code = -1;
  std::string output;  // first line: JSON summary; then any diagnostics
};

inline CheckerResult check_recordio_answer(const std::filesystem::path& answer, const std::filesystem::path& mask,
                                           const std::filesystem::path& log) {
  const std::string source = SEGMAKER_SOURCE_DIR;
  const std::string cmd = "/usr/bin/python3 '" + source + "/tests/serve/check_recordio_answer.py' '" + source + "/proto' '" +
                          answer.string() + "' '" + mask.string() + "' > '" + log.string() + "' 2>&1";
  CheckerResult r;
  r.exit_code = std::system(cmd.c_str());
  r.output = read_text(log);
  return r;
}

}  // namespace segmaker::test
