// One client connection and the byte-capped, deadline-bound stream httplib parses a request from.
#include "serve/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace segmaker::serve {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

void describe(const sockaddr_storage& addr, std::string& ip, int& port, int fd) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    ip = text;
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    ip = text;
    port = ntohs(a->sin6_port);
  } else {
    // A socket pair (tests, fuzzing): the descriptor tells connections apart.
    ip = "local";
    port = fd;
  }
}

int millis_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// Waits for `events` on `fd` until `deadline`; true when ready (or the peer hung up: the next
// read or write reports it).
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const int timeout = millis_until(deadline);
    if (timeout == 0) return false;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, timeout);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

bool ConnectionState::client_gone() const {
  char byte;
  const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return false;
  if (n == 0) return true;
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

Connection::Connection(int fd, std::atomic<int>* live)
    : fd_(fd), live_(live), state_(std::make_shared<ConnectionState>(fd)) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) describe(addr, remote_addr_, remote_port_, fd);
  len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) describe(addr, local_addr_, local_port_, fd);
}

Connection::~Connection() {
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  if (live_) live_->fetch_sub(1);
}

Connection::HeadStatus Connection::read_head(std::size_t max_head_bytes, std::size_t max_header_count) {
  for (;;) {
    const std::size_t buffered = buffer_.size() - pos_;
    if (buffered > max_head_bytes) break;
    const std::size_t want = std::min(kReadChunk, max_head_bytes + 1 - buffered);
    const std::size_t old = buffer_.size();
    buffer_.resize(old + want);
    const ssize_t n = ::recv(fd_, &buffer_[old], want, MSG_DONTWAIT);
    buffer_.resize(old + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) {
      got_first_byte = true;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    // EOF or a reset: a head that is already whole is still answered (a client that sent its
    // request and then shut down its writing side).
    const HeadStatus status = buffered_head(max_head_bytes, max_header_count);
    return status == HeadStatus::Incomplete ? HeadStatus::Closed : status;
  }
  return buffered_head(max_head_bytes, max_header_count);
}

Connection::HeadStatus Connection::buffered_head(std::size_t max_head_bytes, std::size_t max_header_count) {
  // httplib ends a head at the first line that is exactly "\r\n", i.e. at "\n\r\n".
  const std::size_t window = std::min(buffer_.size() - pos_, max_head_bytes);
  const char* begin = buffer_.data() + pos_;
  const char* end = begin + window;
  const char pattern[] = "\n\r\n";
  const char* found = std::search(begin, end, pattern, pattern + 3);
  const char* scan_end = found == end ? end : found + 1;
  // Lines: the request line, the headers, the blank line.
  const auto lines = static_cast<std::size_t>(std::count(begin, scan_end, '\n'));
  if (lines > max_header_count + 1) return HeadStatus::TooLarge;
  if (found != end) {
    head_length_ = static_cast<std::size_t>(found + 3 - begin);
    return HeadStatus::Complete;
  }
  return buffer_.size() - pos_ >= max_head_bytes ? HeadStatus::TooLarge : HeadStatus::Incomplete;
}

std::string Connection::method() const {
  const std::size_t end = std::min(buffer_.size(), pos_ + 16);
  std::size_t i = pos_;
  while (i < end && buffer_[i] != ' ') ++i;
  return buffer_.substr(pos_, i - pos_);
}

bool Connection::is_health_check() const {
  const std::string m = method();
  if (m != "GET" && m != "HEAD") return false;
  const std::size_t at = pos_ + m.size() + 1;
  const char target[] = "/ping";
  if (buffer_.size() < at + 6 || buffer_.compare(at, 5, target) != 0) return false;
  const char next = buffer_[at + 5];
  return next == ' ' || next == '?';
}

void Connection::next_request() {
  buffer_.erase(0, pos_);
  pos_ = 0;
  head_length_ = 0;
  got_first_byte = !buffer_.empty();
  auto fresh = std::make_shared<ConnectionState>(fd_);
  state_ = std::move(fresh);
}

RequestStream::RequestStream(Connection& connection, std::size_t max_body_bytes, Clock::time_point deadline,
                             std::chrono::milliseconds write_timeout)
    : c_(connection),
      head_end_(connection.head_length_ > 0 ? connection.pos_ + connection.head_length_ : connection.buffer_.size()),
      max_body_bytes_(max_body_bytes),
      deadline_(deadline),
      write_timeout_(write_timeout) {}

bool RequestStream::is_readable() const {
  if (c_.pos_ < c_.buffer_.size()) return true;
  if (c_.head_length_ == 0 || broken_) return false;
  return wait_for(c_.fd(), POLLIN, deadline_);
}

bool RequestStream::is_writable() const {
  return !write_failed_ && wait_for(c_.fd(), POLLOUT, Clock::now() + write_timeout_);
}

ssize_t RequestStream::read(char* ptr, size_t size) {
  if (broken_ || size == 0) return broken_ ? -1 : 0;
  if (c_.pos_ < head_end_) {
    // The head: only what the poller buffered (a head it did not find whole ends here).
    const std::size_t n = std::min(size, head_end_ - c_.pos_);
    std::memcpy(ptr, c_.buffer_.data() + c_.pos_, n);
    c_.pos_ += n;
    return static_cast<ssize_t>(n);
  }
  if (c_.head_length_ == 0) {
    broken_ = true;
    return -1;
  }
  if (c_.pos_ == c_.buffer_.size() && !fill()) return -1;
  const std::size_t n = std::min(size, c_.buffer_.size() - c_.pos_);
  if (body_bytes_ + n > max_body_bytes_) {
    c_.state_->body_over_cap = true;
    broken_ = true;
    return -1;
  }
  std::memcpy(ptr, c_.buffer_.data() + c_.pos_, n);
  c_.pos_ += n;
  body_bytes_ += n;
  return static_cast<ssize_t>(n);
}

bool RequestStream::fill() {
  // Everything buffered is consumed: start the buffer over so it never grows with the body.
  c_.buffer_.clear();
  c_.pos_ = 0;
  head_end_ = 0;
  for (;;) {
    if (Clock::now() >= deadline_ || !wait_for(c_.fd(), POLLIN, deadline_)) {
      if (Clock::now() >= deadline_) c_.state_->timed_out = true;
      broken_ = true;
      return false;
    }
    c_.buffer_.resize(kReadChunk);
    const ssize_t n = ::recv(c_.fd(), &c_.buffer_[0], kReadChunk, MSG_DONTWAIT);
    c_.buffer_.resize(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    if (n > 0) return true;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    broken_ = true;  // EOF inside a body, or a reset
    client_failed_ = true;
    return false;
  }
}

ssize_t RequestStream::write(const char* ptr, size_t size) {
  // A read that hit a limit still gets its answer written; a write that failed does not retry.
  if (write_failed_) return -1;
  std::size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(c_.fd(), ptr + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(c_.fd(), POLLOUT, Clock::now() + write_timeout_))
      continue;
    broken_ = true;
    client_failed_ = true;
    write_failed_ = true;
    return -1;
  }
  return static_cast<ssize_t>(size);
}

void RequestStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = c_.remote_addr();
  port = c_.remote_port();
}

void RequestStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = c_.local_addr();
  port = c_.local_port();
}

}  // namespace segmaker::serve
