// Fuzz target: HTTP request handling in-process. The input is what a client sends on one
// connection (any number of pipelined requests); the real Server (httplib parsing, HttpFront's
// connection handling, the routes and their checks, decoding, the batcher) serves it on one end of
// a socket pair, with a stand-in model (zero masks) so that no LibTorch is needed. Invariants: the
// process survives; the server answers with well-formed HTTP responses only, and every error
// answer has a JSON body.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "data/image_header.h"
#include "serve/server.h"

namespace {

using namespace segmaker;

serve::ModelBackend stand_in_model() {
  serve::ModelBackend b;
  b.classes = {"background", "pet", "boundary"};
  b.device = "none";
  b.network_size = [](cv::Size s) {
    if (static_cast<long long>(s.width) * s.height > 256 * 256) throw data::ImageTooLarge("network input over the limit");
    return s;
  };
  b.run = [](const std::vector<cv::Mat>& images, bool probabilities) {
    std::vector<inference::Prediction> out;
    for (const auto& image : images) {
      inference::Prediction p;
      p.num_classes = 3;
      p.mask = cv::Mat(image.size(), CV_8UC1, cv::Scalar(1));
      if (probabilities) p.probabilities.assign(3 * image.total(), 1.0f / 3);
      out.push_back(std::move(p));
    }
    return out;
  };
  return b;
}

serve::Server& server() {
  static serve::Server* s = [] {
    serve::ServerOptions o;
    o.max_payload_bytes = 256 * 1024;
    o.max_pixels = 512 * 512;
    o.max_output_values = 3 * 256 * 256;
    o.http_threads = 2;
    o.batching.max_queue = 1;
    o.batching.max_delay_ms = 0;
    o.http.head_timeout = std::chrono::milliseconds(500);
    o.http.request_timeout = std::chrono::milliseconds(1000);
    o.http.write_timeout = std::chrono::milliseconds(1000);
    auto* created = new serve::Server(o, serve::Server::BackendLoader(stand_in_model));
    created->load_without_listening();
    return created;
  }();
  return *s;
}

// How often `method` followed by a space occurs in the client's bytes (an upper bound of the requests
// with that method).
std::size_t occurrences(const std::string& in, const std::string& method) {
  std::size_t n = 0;
  for (std::size_t at = in.find(method + " "); at != std::string::npos; at = in.find(method + " ", at + 1)) ++n;
  return n;
}

// Checks that `out` is a sequence of HTTP/1.1 responses with Content-Length bodies. An answer to HEAD
// carries the Content-Length of the GET answer but no body (RFC 9110 9.3.2): one whose body would start
// with the next status line is taken as such, at most as many times as `in` holds "HEAD ".
void check_responses(const std::string& in, const std::string& out) {
  std::size_t heads_left = occurrences(in, "HEAD");
  std::size_t pos = 0;
  while (pos < out.size()) {
    if (out.compare(pos, 9, "HTTP/1.1 ") != 0) __builtin_trap();
    const int status = std::atoi(out.c_str() + pos + 9);
    if (status < 100 || status > 599) __builtin_trap();
    const std::size_t head_end = out.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) __builtin_trap();
    const std::string head = out.substr(pos, head_end - pos);
    std::size_t length = 0;
    const auto at = head.find("\r\nContent-Length: ");
    if (at != std::string::npos) length = std::strtoull(head.c_str() + at + 18, nullptr, 10);
    if (head.find("EXCEPTION_WHAT") != std::string::npos) __builtin_trap();
    const std::size_t body_at = head_end + 4;
    if (status == 100) {  // "100 Continue" has no body
      pos = body_at;
      continue;
    }
    if (length > 0 && heads_left > 0 && out.compare(body_at, 9, "HTTP/1.1 ") == 0) {
      --heads_left;  // an answer to HEAD: no body follows its head
      pos = body_at;
      continue;
    }
    if (body_at + length > out.size()) return;  // cut: the server stopped writing (a closed reader)
    if (status >= 400 && head.find("\r\nContent-Type: application/json") != std::string::npos) {
      const auto j = nlohmann::json::parse(out.substr(body_at, length), nullptr, false);
      if (j.is_discarded() || !j.contains("error")) __builtin_trap();
    }
    pos = body_at + length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  serve::Server& s = server();
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 0;
  std::string out;
  std::thread client([&] {
    std::size_t sent = 0;
    while (sent < size) {
      const ssize_t n = ::send(fds[0], data + sent, size - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fds[0], SHUT_WR);
    char buf[65536];
    for (;;) {
      const ssize_t n = ::recv(fds[0], buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  });
  s.serve_connection(fds[1]);  // closes fds[1]
  client.join();
  ::close(fds[0]);
  check_responses(std::string(reinterpret_cast<const char*>(data), size), out);
  return 0;
}
