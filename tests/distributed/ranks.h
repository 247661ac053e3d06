#pragma once
// Runs a function as every rank of a process group whose ranks are threads of this test process
// (c10d + Gloo on loopback), and rethrows the first rank's exception.
#include <exception>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "train/distributed/communicator.h"
#include "io/free_port.h"

namespace segmaker::test {

inline train::DistributedConfig loopback_config(int world_size, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  train::DistributedConfig c;
  c.world_size = world_size;
  c.master_addr = "127.0.0.1";
  c.master_port = io::free_port();
  c.backend = "gloo";
  c.timeout = timeout;
  return c;
}

inline void run_ranks(int world_size, const std::function<void(int rank, std::shared_ptr<train::Communicator> comm)>& body,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const train::DistributedConfig base = loopback_config(world_size, timeout);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(world_size));
  std::vector<std::thread> threads;
  for (int r = 0; r < world_size; ++r) {
    threads.emplace_back([&, r] {
      try {
        train::DistributedConfig c = base;
        c.rank = r;
        body(r, train::connect(c, "cpu"));
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace segmaker::test
