// Fuzz target: HTTP request handling in-process. The input is what a client sends on one
// connection (any number of pipelined requests); the real Server (httplib parsing, HttpFront's
// connection handling, the routes and their checks, decoding, the batcher) serves it on one end of
// a socket pair, with a stand-in model (tests/support/http_replay.h) so that no LibTorch is needed. Invariants: the
// process survives; the server answers with well-formed HTTP responses only, and every error
// answer has a JSON body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "support/http_replay.h"

namespace {

segmaker::serve::Server& server() {
  static segmaker::serve::Server* s = segmaker::test::replay_server().release();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const std::string out = segmaker::test::serve_bytes(server(), in);
  if (!segmaker::test::answer_stream_problem(in, out).empty()) __builtin_trap();
  return 0;
}
