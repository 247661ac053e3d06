#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "serve/batcher.h"

namespace segmaker::serve {
namespace {

// A stand-in for the model: each image's mask is filled with the image's first pixel value, so
// every answer can be traced back to its request. Records the batch sizes it saw.
struct Recorder {
  std::mutex mutex;
  std::vector<std::vector<int>> batches;  // first pixel values per batch
  std::condition_variable cv;
  bool blocked = false;

  Batcher::RunFn run_fn() {
    return [this](const std::vector<cv::Mat>& images, bool probabilities) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        cv.wait(lock, [&] { return !blocked; });
        std::vector<int> ids;
        for (const auto& im : images) ids.push_back(im.at<cv::Vec3b>(0, 0)[0]);
        batches.push_back(ids);
      }
      std::vector<inference::Prediction> out;
      for (const auto& im : images) {
        inference::Prediction p;
        p.num_classes = 2;
        p.mask = cv::Mat(im.size(), CV_8UC1, cv::Scalar(im.at<cv::Vec3b>(0, 0)[0]));
        if (probabilities) p.probabilities.assign(2 * im.total(), 0.5f);
        out.push_back(std::move(p));
      }
      return out;
    };
  }
  void set_blocked(bool b) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      blocked = b;
    }
    cv.notify_all();
  }
};

cv::Mat image(int value, int w = 8, int h = 6) { return cv::Mat(h, w, CV_8UC3, cv::Scalar(value, 0, 0)); }
Batcher::KeyFn size_key() {
  return [](const cv::Mat& m) { return m.size(); };
}

TEST(Batcher, GathersConcurrentRequestsUpToMaxBatch) {
  Recorder rec;
  BatcherOptions o;
  o.max_batch = 4;
  o.max_delay_ms = 2000;  // long: batches close because they are full, not because time ran out
  Batcher b(size_key(), rec.run_fn(), o);
  std::vector<std::future<inference::Prediction>> futures;
  for (int i = 0; i < 8; ++i) futures.push_back(b.submit(image(i), false));
  for (int i = 0; i < 8; ++i) {
    auto p = futures[i].get();
    EXPECT_EQ(p.mask.at<std::uint8_t>(0, 0), i) << "answer " << i << " went to the wrong request";
    EXPECT_TRUE(p.probabilities.empty());
  }
  EXPECT_EQ(rec.batches.size(), 2u);
  EXPECT_EQ(b.stats().batch_size_counts[4], 2u);
  EXPECT_EQ(b.stats().largest_batch(), 4u);
  EXPECT_EQ(b.stats().requests, 8u);
}

TEST(Batcher, DifferentSizesNeverShareABatch) {
  Recorder rec;
  BatcherOptions o;
  o.max_batch = 8;
  o.max_delay_ms = 50;
  Batcher b(size_key(), rec.run_fn(), o);
  std::vector<std::future<inference::Prediction>> futures;
  for (int i = 0; i < 6; ++i) futures.push_back(b.submit(i % 2 ? image(i, 8, 6) : image(i, 6, 8), false));
  for (int i = 0; i < 6; ++i) {
    const auto p = futures[i].get();
    EXPECT_EQ(p.mask.at<std::uint8_t>(0, 0), i);
    EXPECT_EQ(p.mask.cols, i % 2 ? 8 : 6);
  }
  ASSERT_EQ(rec.batches.size(), 2u);
  for (const auto& batch : rec.batches) {
    ASSERT_EQ(batch.size(), 3u);
    for (int id : batch) EXPECT_EQ(id % 2, batch[0] % 2);
  }
}

TEST(Batcher, ALoneRequestRunsAfterTheDelay) {
  Recorder rec;
  BatcherOptions o;
  o.max_batch = 4;
  o.max_delay_ms = 30;
  Batcher b(size_key(), rec.run_fn(), o);
  const auto start = std::chrono::steady_clock::now();
  auto p = b.submit(image(7), true).get();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(p.mask.at<std::uint8_t>(0, 0), 7);
  EXPECT_EQ(p.probabilities.size(), 2u * 48u);
  EXPECT_GE(waited, std::chrono::milliseconds(30));
  EXPECT_EQ(b.stats().batch_size_counts[1], 1u);
}

TEST(Batcher, ProbabilitiesOnlyForThoseWhoAsked) {
  Recorder rec;
  BatcherOptions o;
  o.max_batch = 2;
  o.max_delay_ms = 2000;
  Batcher b(size_key(), rec.run_fn(), o);
  auto with = b.submit(image(1), true);
  auto without = b.submit(image(2), false);
  EXPECT_FALSE(with.get().probabilities.empty());
  EXPECT_TRUE(without.get().probabilities.empty());
  EXPECT_EQ(rec.batches.size(), 1u);
}

TEST(Batcher, FullQueueIsRejectedNotGrown) {
  Recorder rec;
  rec.set_blocked(true);
  BatcherOptions o;
  o.max_batch = 1;
  o.max_delay_ms = 0;
  o.max_queue = 2;
  Batcher b(size_key(), rec.run_fn(), o);
  std::vector<std::future<inference::Prediction>> futures;
  futures.push_back(b.submit(image(0), false));  // taken by the (blocked) worker...
  // ...once the worker has it, two more fit in the queue and the next is refused.
  for (int i = 0; i < 200 && b.stats().batches == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(b.stats().batches, 1u);
  futures.push_back(b.submit(image(1), false));
  futures.push_back(b.submit(image(2), false));
  EXPECT_THROW(b.submit(image(3), false), QueueFull);
  EXPECT_EQ(b.stats().rejected, 1u);
  rec.set_blocked(false);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(futures[i].get().mask.at<std::uint8_t>(0, 0), i);
  // After the queue drained, requests are accepted again.
  EXPECT_EQ(b.submit(image(4), false).get().mask.at<std::uint8_t>(0, 0), 4);
}

TEST(Batcher, ExceptionsReachEveryRequestOfTheBatch) {
  BatcherOptions o;
  o.max_batch = 2;
  o.max_delay_ms = 2000;
  std::atomic<int> calls{0};
  Batcher b(size_key(),
            [&](const std::vector<cv::Mat>&, bool) -> std::vector<inference::Prediction> {
              ++calls;
              throw std::runtime_error("model exploded");
            },
            o);
  auto f1 = b.submit(image(1), false);
  auto f2 = b.submit(image(2), false);
  EXPECT_THROW(f1.get(), std::runtime_error);
  EXPECT_THROW(f2.get(), std::runtime_error);
  EXPECT_EQ(calls.load(), 1);
}

TEST(Batcher, ShutdownFinishesQueuedWork) {
  Recorder rec;
  BatcherOptions o;
  o.max_batch = 4;
  o.max_delay_ms = 5000;  // would wait long, but shutdown flushes at once
  o.workers = 2;
  auto b = std::make_unique<Batcher>(size_key(), rec.run_fn(), o);
  auto f1 = b->submit(image(1), false);
  auto f2 = b->submit(image(2, 4, 4), false);
  const auto start = std::chrono::steady_clock::now();
  b->shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(f1.get().mask.at<std::uint8_t>(0, 0), 1);
  EXPECT_EQ(f2.get().mask.at<std::uint8_t>(0, 0), 2);
  EXPECT_THROW(b->submit(image(3), false), std::logic_error);
}

TEST(Batcher, RejectsBadOptions) {
  Recorder rec;
  BatcherOptions o;
  o.max_batch = 0;
  EXPECT_ANY_THROW(Batcher(size_key(), rec.run_fn(), o));
}

}  // namespace
}  // namespace segmaker::serve
