#pragma once
// One client connection of the endpoint and the httplib::Stream a request is parsed from.
//
// The bytes of a request head are read (by the HttpFront's poller, without a thread per client)
// into the connection's buffer, up to HttpLimits::max_head_bytes; only a complete head is handed
// to httplib. The RequestStream then serves httplib the buffered head, and the body from the
// socket, never past a byte cap and never past the request's deadline. Bytes that arrive after a
// request (a pipelined next one) stay in the buffer for the next head.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <httplib.h>

namespace segmaker::serve {

using Clock = std::chrono::steady_clock;

// What a request handler may learn about, or ask of, the connection its request came on.
class ConnectionState {
 public:
  explicit ConnectionState(int fd) : fd_(fd) {}

  // True when the client has closed (or reset) its side: nobody is waiting for the answer.
  // Pipelined bytes waiting to be read do not count as gone.
  bool client_gone() const;

  // The answer to the current request is the last one on this connection (the server stops
  // reading from it: a body left unread, a request it refused from its head).
  void close_after_response() { close_.store(true); }
  bool closing() const { return close_.load(); }

  // Why reading the current request failed, for the status of the answer.
  std::atomic<bool> head_too_large{false};   // over max_head_bytes or max_header_count → 431
  std::atomic<bool> timed_out{false};        // head or body slower than the deadline → 408
  std::atomic<bool> body_over_cap{false};    // body bytes on the wire over the cap → 413
  std::atomic<bool> overloaded{false};       // every inference thread busy and queued → 503

 private:
  int fd_;
  std::atomic<bool> close_{false};
};

class Connection {
 public:
  // Takes ownership of `fd` (closed by the destructor). `live` (may be null) counts open connections.
  Connection(int fd, std::atomic<int>* live);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  const std::shared_ptr<ConnectionState>& state() const { return state_; }
  const std::string& remote_addr() const { return remote_addr_; }
  int remote_port() const { return remote_port_; }
  const std::string& local_addr() const { return local_addr_; }
  int local_port() const { return local_port_; }

  enum class HeadStatus {
    Incomplete,  // more bytes needed
    Complete,    // a whole head is buffered (head_length() bytes)
    TooLarge,    // over the byte or line limit: answer 431
    Closed,      // the client closed before sending a whole head
  };
  // Reads what the socket has (non-blocking), at most up to `max_head_bytes` buffered, and says
  // whether a whole head is there.
  HeadStatus read_head(std::size_t max_head_bytes, std::size_t max_header_count);
  // The same from the bytes already buffered (a pipelined request).
  HeadStatus buffered_head(std::size_t max_head_bytes, std::size_t max_header_count);
  std::size_t head_length() const { return head_length_; }
  bool has_buffered_bytes() const { return pos_ < buffer_.size(); }
  // The request method of the buffered head ("POST"), "" when there is no request line yet.
  std::string method() const;
  // Whether the buffered head is SageMaker's health check (GET or HEAD /ping).
  bool is_health_check() const;

  // Deadlines of the current phase (the poller's head deadline, the request's deadline).
  Clock::time_point deadline;
  bool got_first_byte = false;
  bool idle = false;  // a keep-alive connection waiting for its next request
  // Closing after an answer sent before the request was read in full: the rest is read and dropped
  // for a moment, so that the client (still sending) gets to read the answer instead of a reset.
  bool lingering = false;
  std::size_t lingered_bytes = 0;
  int requests_served = 0;

  // Starts the next request on this connection: a fresh state, the unread bytes kept.
  void next_request();

 private:
  friend class RequestStream;
  int fd_;
  std::atomic<int>* live_;
  std::shared_ptr<ConnectionState> state_;
  std::string remote_addr_, local_addr_;
  int remote_port_ = 0, local_port_ = 0;
  std::string buffer_;     // bytes read from the socket
  std::size_t pos_ = 0;    // of them, handed out already
  std::size_t head_length_ = 0;
};

// The httplib::Stream of one request on a Connection: the buffered head, then the body from the
// socket (a byte cap for the body as it arrives, whatever its framing), all before `deadline`.
class RequestStream : public httplib::Stream {
 public:
  RequestStream(Connection& connection, std::size_t max_body_bytes, Clock::time_point deadline,
                std::chrono::milliseconds write_timeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return c_.fd(); }

  // A read or write failed (timeout, cap, reset): the connection must not be reused.
  bool broken() const { return broken_; }
  // ...because the client closed or reset it (nobody to answer), not because of a limit.
  bool broken_by_client() const { return client_failed_; }

 private:
  bool fill();  // reads more body bytes into the connection's buffer; false on EOF, error or limit

  Connection& c_;
  std::size_t head_end_;  // buffer position where the head ends
  std::size_t max_body_bytes_;
  std::size_t body_bytes_ = 0;
  Clock::time_point deadline_;
  std::chrono::milliseconds write_timeout_;
  bool broken_ = false;
  bool client_failed_ = false;
  bool write_failed_ = false;
};

}  // namespace segmaker::serve
