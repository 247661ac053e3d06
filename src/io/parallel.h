#pragma once
// A bounded parallel loop over [0, n): `threads` workers claim indices in order.
// The first exception thrown by `body` stops the loop and is rethrown to the caller.
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace segmaker::io {

inline void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& body) {
  if (n == 0) return;
  const std::size_t workers = std::max<std::size_t>(1, std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, threads))));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto run = [&] {
    for (std::size_t i = next++; i < n && !failed; i = next++) {
      try {
        body(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(run);
  run();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace segmaker::io
