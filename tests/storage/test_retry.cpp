// The retry policy: backoff bounds with full jitter, what is retried and how often.
#include <gtest/gtest.h>

#include <stdexcept>

#include "storage/retry.h"
#include "storage/s3_error.h"

namespace segmaker::storage {
namespace {

TEST(Retry, BackoffIsExponentialWithFullJitterAndCapped) {
  RetryPolicy policy;
  policy.base_seconds = 0.5;
  policy.cap_seconds = 3;
  std::mt19937 rng(1);
  double max_seen[6] = {0};
  for (int i = 0; i < 2000; ++i)
    for (int retry = 1; retry <= 5; ++retry) {
      const double d = backoff_seconds(policy, retry, rng);
      ASSERT_GE(d, 0.0);
      ASSERT_LE(d, std::min(3.0, 0.5 * (1 << (retry - 1))));
      max_seen[retry] = std::max(max_seen[retry], d);
    }
  EXPECT_GT(max_seen[1], 0.45);  // the whole [0, ceiling] range is used
  EXPECT_GT(max_seen[3], 1.9);
  EXPECT_GT(max_seen[5], 2.9);   // capped at 3 s, not 8 s
}

TEST(Retry, TransientErrorsAreRetriedUpToTheLimitOthersNever) {
  RetryPolicy policy;
  policy.max_attempts = 4;
  policy.base_seconds = 0.001;
  auto transient = [] {
    try {
      throw;
    } catch (const S3Error& e) {
      return e.transient();
    } catch (...) {
      return false;
    }
  };
  int attempts = 0;
  EXPECT_THROW(with_retries(policy, [&] { ++attempts; throw S3Error("slow", 503, "SlowDown", true); }, transient),
               S3Error);
  EXPECT_EQ(attempts, 4);
  attempts = 0;
  EXPECT_THROW(with_retries(policy, [&] { ++attempts; throw S3Error("no", 404, "NoSuchKey", false); }, transient),
               S3Error);
  EXPECT_EQ(attempts, 1);
  attempts = 0;
  with_retries(policy, [&] { if (++attempts < 3) throw S3Error("flaky", 500, "InternalError", true); }, transient);
  EXPECT_EQ(attempts, 3);

  EXPECT_TRUE(is_transient_answer(503, "SlowDown"));
  EXPECT_TRUE(is_transient_answer(429, ""));
  EXPECT_TRUE(is_transient_answer(400, "RequestTimeout"));
  EXPECT_FALSE(is_transient_answer(403, "AccessDenied"));
  EXPECT_FALSE(is_transient_answer(404, "NoSuchBucket"));
}

}  // namespace
}  // namespace segmaker::storage
