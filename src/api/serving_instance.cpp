// One serving process of an endpoint (see serving_instance.h).
#include "api/serving_instance.h"

#include <httplib.h>

#include "io/free_port.h"

namespace segmaker::api {

ServingInstance::ServingInstance(std::string variant, InstanceSpec spec) : variant_(std::move(variant)), spec_(std::move(spec)) {}

void ServingInstance::start() {
  port_ = io::free_port();
  ready_ = false;
  ++starts_;
  started_at_ = std::chrono::steady_clock::now();
  ChildSpec child;
  child.executable = spec_.executable;
  child.log = spec_.log;
  child.environment = spec_.environment;
  if (spec_.threads > 0) child.args = {"--threads", std::to_string(spec_.threads)};
  child.args.insert(child.args.end(), {"serve", "--model", spec_.model.string(), "--host", "127.0.0.1", "--port",
                                       std::to_string(port_)});
  process_ = std::make_unique<ChildProcess>(child);
}

bool ServingInstance::check_ready() {
  if (ready_ || !process_ || process_->poll()) return ready_;
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(std::chrono::seconds(1));
  client.set_read_timeout(std::chrono::seconds(2));
  const auto answer = client.Get("/ping");
  ready_ = answer && answer->status == 200;
  return ready_;
}

std::optional<int> ServingInstance::exited() {
  if (!process_) return 0;
  auto status = process_->poll();
  if (status) ready_ = false;
  return status;
}

void ServingInstance::stop(std::chrono::milliseconds grace) {
  ready_ = false;
  if (process_) process_->stop(grace);
}

}  // namespace segmaker::api
