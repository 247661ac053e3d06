#pragma once
// Retrying transient S3 failures: exponential backoff with full jitter (the AWS SDKs' scheme:
// sleep a uniform random time in [0, min(cap, base * 2^attempt)]). Torch-free.
#include <functional>
#include <random>

namespace segmaker::storage {

struct RetryPolicy {
  int max_attempts = 5;       // attempts in all, the first included
  double base_seconds = 0.25;
  double cap_seconds = 20;
};

// The sleep before retry number `retry` (1 = the first retry).
double backoff_seconds(const RetryPolicy& policy, int retry, std::mt19937& rng);

// Runs `attempt` until it succeeds, throws a non-transient error, or the attempts are used up; then
// the last error propagates. `is_transient` classifies the exception in flight (called inside a catch).
// `on_retry(retry, delay)` is told before each sleep (for logging).
void with_retries(const RetryPolicy& policy, const std::function<void()>& attempt,
                  const std::function<bool()>& is_transient,
                  const std::function<void(int retry, double delay)>& on_retry = {});

}  // namespace segmaker::storage
