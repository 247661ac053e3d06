// Backoff with full jitter, and the retry loop every S3 call goes through.
#include "storage/retry.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace segmaker::storage {

double backoff_seconds(const RetryPolicy& policy, int retry, std::mt19937& rng) {
  const double ceiling = std::min(policy.cap_seconds, policy.base_seconds * std::pow(2.0, std::max(0, retry - 1)));
  return std::uniform_real_distribution<double>(0.0, std::max(0.0, ceiling))(rng);
}

void with_retries(const RetryPolicy& policy, const std::function<void()>& attempt,
                  const std::function<bool()>& is_transient, const std::function<void(int, double)>& on_retry) {
  std::mt19937 rng(std::random_device{}());
  for (int number = 1;; ++number) {
    try {
      attempt();
      return;
    } catch (...) {
      if (number >= policy.max_attempts || !is_transient()) throw;
    }
    const double delay = backoff_seconds(policy, number, rng);
    if (on_retry) on_retry(number, delay);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  }
}

}  // namespace segmaker::storage
