#pragma once
// The endpoint's connection handling on top of cpp-httplib (which still parses every request and
// writes every answer): httplib accepts; one poller thread reads request heads of all connections
// at once, without a thread per client, bounded in bytes, lines and time; a complete head goes to
// one of two lanes of threads:
//   - the request lane (POST, PUT, PATCH, DELETE: routes that read a body and may run inference),
//     `request_threads` threads, at most as many connections waiting;
//   - the health lane (GET or HEAD /ping): one thread of its own, so that the health check waits
//     neither behind inference nor behind a flood of other cheap requests;
//   - the fast lane (everything else: /execution-parameters, the demo page, answers decided from the
//     head), fast_threads threads.
// Requests that find the request lane full go to the fast lane marked `overloaded` (answered 503
// from their head). Idle keep-alive connections hold no thread. Over max_connections a new
// connection is closed right away. stop() (httplib's) answers what is in flight, then returns.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>

#include "serve/connection.h"
#include "serve/http_limits.h"

namespace segmaker::serve {

struct HttpFrontStats {
  std::size_t accepted = 0;         // connections taken
  std::size_t refused = 0;          // closed at once: max_connections open
  std::size_t head_timeouts = 0;    // heads that did not arrive in time
  std::size_t overloaded = 0;       // requests answered 503 because the request lane was full
};

class HttpFront : public httplib::Server {
 public:
  // `max_body_wire_bytes`: body bytes (framing included) one request may send.
  HttpFront(HttpLimits limits, int request_threads, std::size_t max_body_wire_bytes);
  ~HttpFront() override;
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // The connection `req` came on, for its handler and the error handlers (they run on the thread
  // serving that connection, which is how it is found); null outside a request.
  std::shared_ptr<ConnectionState> connection_of(const httplib::Request& req) const;

  // Serves the requests of an already connected socket on the calling thread until the client
  // closes it or a limit ends it, then closes it (tests and fuzzing: one end of a socket pair).
  void serve_blocking(int fd);

  HttpFrontStats stats() const;

  // Raises the listening socket's backlog (httplib listens with 5: under a burst of new connections
  // the kernel drops SYNs and a client such as the health check waits a 1 s retransmission).
  // Call after bind.
  void widen_backlog(int backlog);

 private:
  class Lane;
  class InlineQueue;

  bool process_and_close_socket(socket_t sock) override;  // on httplib's accept thread: no blocking
  void poll_loop();
  void wait_for_head(std::unique_ptr<Connection> c);  // back to the poller, or dispatched at once
  void linger(std::unique_ptr<Connection> c);         // to the poller, to be drained, then closed
  // Runs `c`'s next request (from a lane), then hands the connection on.
  void serve_and_continue(std::unique_ptr<Connection> c);
  void dispatch(std::unique_ptr<Connection> c);
  // Runs one request of `c` on this thread; the connection when it may carry another request.
  // `closing` (optional) is set when the connection must close after the answer it got.
  std::unique_ptr<Connection> serve_one(std::unique_ptr<Connection> c, bool* linger_first = nullptr);
  void drain();  // httplib's listen loop ended (stop()): answer what is in flight, close the rest
  void wake();


  HttpLimits limits_;
  std::size_t max_body_wire_bytes_;
  std::unique_ptr<Lane> request_lane_;
  std::unique_ptr<Lane> fast_lane_;
  std::unique_ptr<Lane> health_lane_;

  std::atomic<int> live_{0};
  std::atomic<bool> stopping_{false};
  int wake_fds_[2] = {-1, -1};
  std::thread poller_;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> incoming_;  // for the poller
  std::map<std::thread::id, std::shared_ptr<ConnectionState>> active_;  // by the thread serving it
  HttpFrontStats stats_;
};

}  // namespace segmaker::serve
