#pragma once
// The limits that keep one HTTP client from exhausting or holding the endpoint: how large and how
// slow a request head may be, how long a whole request may take, how many connections may be open,
// and how many threads serve the cheap routes (/ping) apart from the ones that run inference.
// Torch-free and httplib-free.
#include <chrono>
#include <cstddef>

namespace segmaker::serve {

struct HttpLimits {
  // Request line + headers + the blank line; larger heads are answered 431 before more is read.
  std::size_t max_head_bytes = 32 * 1024;
  // Header lines per request (431 above).
  std::size_t max_header_count = 100;
  // The whole head must arrive within this after the connection (or its previous request) is
  // ready; a slower client is answered 408 and closed.
  std::chrono::milliseconds head_timeout{10000};
  // Head + body: the whole request must arrive within this (408 otherwise).
  std::chrono::milliseconds request_timeout{60000};
  // How long an idle keep-alive connection may wait for its next request (closed silently then).
  std::chrono::milliseconds idle_timeout{5000};
  // A write that makes no progress for this long ends the connection.
  std::chrono::milliseconds write_timeout{30000};
  // Open connections of all kinds; the ones above are closed right after accept. Keep it well
  // below FD_SETSIZE (1024), which httplib still checks.
  int max_connections = 256;
  // Requests served on one keep-alive connection before it is closed.
  int keep_alive_max_requests = 100;
  // Threads for the routes that never run inference (/ping, /execution-parameters, the demo page,
  // every error answered from the head alone): these never wait behind inference.
  int fast_threads = 2;
};

}  // namespace segmaker::serve
