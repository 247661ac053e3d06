// fuzz_http_request's regression inputs (tests/fuzz_regressions/fuzz_http_request/, FUZZING.md)
// replayed through the target's own calls (support/http_replay.h): the server answers each with a
// well-formed stream of HTTP responses.
//   range-0-1-2-1-cut-error-body.txt: a Range header whose ranges cut a JSON error body (fixed);
//   pipelined-head-answers-have-no-body.txt: pipelined HEAD answers (the checker's own mistake).
#include <gtest/gtest.h>

#include <filesystem>

#include "io/paths.h"
#include "support/http_replay.h"

namespace segmaker::serve {
namespace {

namespace fs = std::filesystem;

TEST(FuzzRegressions, HttpRequestsGetWellFormedAnswers) {
  const fs::path dir = fs::path(SEGMAKER_SOURCE_DIR) / "tests" / "fuzz_regressions" / "fuzz_http_request";
  const auto server = test::replay_server();
  int replayed = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    const std::string in = io::read_file(f.path());
    const std::string out = test::serve_bytes(*server, in);
    EXPECT_FALSE(out.empty()) << f.path();
    EXPECT_EQ(test::answer_stream_problem(in, out), "") << f.path() << "\n" << out;
    ++replayed;
  }
  EXPECT_GE(replayed, 2);
}

}  // namespace
}  // namespace segmaker::serve
