#pragma once
// An in-process Server on a free loopback port with the tiny test model, and an HTTP client for it.
#include <httplib.h>

#include <memory>
#include <string>

#include "inference/predictor.h"
#include "serve/server.h"
#include "support/tiny_model.h"
#include "support/test_util.h"

namespace segmaker::test {

struct RunningServer {
  std::shared_ptr<const inference::Predictor> predictor;
  std::unique_ptr<serve::Server> server;

  explicit RunningServer(serve::ServerOptions options, std::shared_ptr<const inference::Predictor> p)
      : predictor(std::move(p)) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto shared = predictor;
    server = std::make_unique<serve::Server>(options, [shared] { return shared; });
    server->start();
    if (!server->wait_until_ready(std::chrono::seconds(60))) throw std::runtime_error("test server did not get ready");
  }
  ~RunningServer() {
    server->stop();
    server->wait();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(120, 0);
    c.set_write_timeout(120, 0);
    return c;
  }
};

// POSTs an image to /invocations.
inline httplib::Result invoke(httplib::Client& c, const std::string& body, const std::string& content_type,
                              const std::string& accept) {
  httplib::Headers headers;
  if (!accept.empty()) headers.emplace("Accept", accept);
  return c.Post("/invocations", headers, body, content_type.c_str());
}

}  // namespace segmaker::test
