#pragma once
// A raw TCP client for the tests that must send what no HTTP library would (invalid bytes, slow,
// oversized or unfinished requests) and see exactly what the server answers, and when.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

namespace segmaker::test {

struct RawResponse {
  int status = 0;      // 0: no answer (closed or timed out before a status line)
  std::string head;    // status line and headers
  std::string body;
  bool has_header(const std::string& name) const {
    std::string h = head, n = name + ":";
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return h.find("\r\n" + n) != std::string::npos;
  }
};

class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) close();
  }
  // False when nothing listens (then sends fail and answers are empty: status 0).
  bool connected() const { return fd_ >= 0; }
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False when the server has closed the connection (or reset it).
  bool send(const std::string& bytes) {
    if (fd_ < 0) return false;
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }

  // Reads one answer (its head, then Content-Length bytes of body), until `timeout`.
  RawResponse read_response(std::chrono::milliseconds timeout) {
    if (fd_ < 0) return {};
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::size_t head_end = std::string::npos;
    std::size_t body_length = 0;
    while (true) {
      if (head_end == std::string::npos) {
        head_end = buffer_.find("\r\n\r\n");
        if (head_end != std::string::npos) body_length = content_length(buffer_.substr(0, head_end + 2));
      }
      if (head_end != std::string::npos && buffer_.size() >= head_end + 4 + body_length) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) break;
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    RawResponse r;
    if (head_end == std::string::npos) return r;
    r.head = buffer_.substr(0, head_end + 2);
    r.body = buffer_.substr(head_end + 4, body_length);
    buffer_.erase(0, std::min(buffer_.size(), head_end + 4 + body_length));
    if (r.head.rfind("HTTP/1.", 0) == 0 && r.head.size() > 12) r.status = std::atoi(r.head.c_str() + 9);
    return r;
  }

  // True when the server closed the connection within `timeout` (reads and drops what comes).
  bool closed_by_server(std::chrono::milliseconds timeout) {
    if (fd_ < 0) return true;
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return true;
    }
  }

 private:
  static std::size_t content_length(const std::string& head) {
    std::string lower = head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\r\ncontent-length:");
    return at == std::string::npos ? 0 : static_cast<std::size_t>(std::strtoull(lower.c_str() + at + 17, nullptr, 10));
  }
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection; its answer (status 0 when there was none, or no server).
inline RawResponse raw_request(int port, const std::string& bytes,
                               std::chrono::milliseconds timeout = std::chrono::milliseconds(30000)) {
  RawConnection c(port);
  c.send(bytes);
  return c.read_response(timeout);
}

// A POST /invocations request with a Content-Length body and the given extra header lines.
inline std::string post_invocations(const std::string& body, const std::string& headers = "Content-Type: image/jpeg\r\n") {
  return "POST /invocations HTTP/1.1\r\nHost: test\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace segmaker::test
