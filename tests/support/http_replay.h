#pragma once
// One connection's bytes served by the real serve::Server (httplib parsing, HttpFront's connection
// handling, routes, decoding, the batcher) with a stand-in model, and the check of what it wrote
// back. Shared by fuzz/targets/fuzz_http_request.cpp and the test that replays its regression inputs
// (tests/serve/test_fuzz_regressions.cpp), so that both judge an answer stream the same way.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "data/image_header.h"
#include "serve/server.h"

namespace segmaker::test {

// Zero-cost answers (every pixel class 1) so that no LibTorch is needed; images over 256x256 pixels
// are refused as the network's limit.
inline serve::ModelBackend stand_in_model() {
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

// A loaded server that does not listen: connections are handed to it (small limits, short timeouts).
inline std::unique_ptr<serve::Server> replay_server() {
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
  auto server = std::make_unique<serve::Server>(o, serve::Server::BackendLoader(stand_in_model));
  server->load_without_listening();
  return server;
}

// Sends `in` as one client connection (then closes its writing side) and returns all the server wrote.
inline std::string serve_bytes(serve::Server& server, const std::string& in) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return {};
  std::string out;
  std::thread client([&] {
    std::size_t sent = 0;
    while (sent < in.size()) {
      const ssize_t n = ::send(fds[0], in.data() + sent, in.size() - sent, MSG_NOSIGNAL);
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
  server.serve_connection(fds[1]);  // closes fds[1]
  client.join();
  ::close(fds[0]);
  return out;
}

// How often `method` followed by a space occurs in the client's bytes (an upper bound of the requests
// with that method).
inline std::size_t occurrences(const std::string& in, const std::string& method) {
  std::size_t n = 0;
  for (std::size_t at = in.find(method + " "); at != std::string::npos; at = in.find(method + " ", at + 1)) ++n;
  return n;
}

// What is wrong with `out` as the answers to `in` ("" when nothing): it must be a sequence of HTTP/1.1
// responses with Content-Length bodies, no exception text in a header, and a JSON error body on every
// JSON error answer. An answer to HEAD carries the Content-Length of the GET answer but no body (RFC
// 9110 9.3.2): one whose body would start with the next status line is taken as such, at most as many
// times as `in` holds "HEAD ". A stream cut inside a body is fine (the server stopped writing).
inline std::string answer_stream_problem(const std::string& in, const std::string& out) {
  std::size_t heads_left = occurrences(in, "HEAD");
  std::size_t pos = 0;
  while (pos < out.size()) {
    const std::string where = " at byte " + std::to_string(pos);
    if (out.compare(pos, 9, "HTTP/1.1 ") != 0) return "no status line" + where;
    const int status = std::atoi(out.c_str() + pos + 9);
    if (status < 100 || status > 599) return "status " + std::to_string(status) + where;
    const std::size_t head_end = out.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) return "a head without its end" + where;
    const std::string head = out.substr(pos, head_end - pos);
    std::size_t length = 0;
    const auto at = head.find("\r\nContent-Length: ");
    if (at != std::string::npos) length = std::strtoull(head.c_str() + at + 18, nullptr, 10);
    if (head.find("EXCEPTION_WHAT") != std::string::npos) return "exception text in a header" + where;
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
    if (body_at + length > out.size()) return "";
    if (status >= 400 && head.find("\r\nContent-Type: application/json") != std::string::npos) {
      const auto j = nlohmann::json::parse(out.substr(body_at, length), nullptr, false);
      if (j.is_discarded() || !j.contains("error")) return "a JSON error answer without an error member" + where;
    }
    pos = body_at + length;
  }
  return "";
}

}  // namespace segmaker::test
