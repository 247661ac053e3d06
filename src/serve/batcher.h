#pragma once
// Dynamic batching for the server: concurrent requests whose images run at the same network size
// are gathered into one forward pass, up to max_batch images, waiting at most max_delay_ms after the
// oldest request of the batch arrived. The queue is bounded: submit() throws QueueFull (the server
// answers 503) instead of letting it grow without bound. Torch-free: the work is a callback (the
// Predictor's predict_batch in the server).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "inference/prediction.h"

namespace segmaker::serve {

struct BatcherOptions {
  int max_batch = 4;          // images per forward pass
  int max_delay_ms = 5;       // how long the oldest request may wait for company
  std::size_t max_queue = 32; // requests waiting (not yet running) before QueueFull
  int workers = 1;            // batches running at once
};

// The queue is full: the caller should answer 503 and the client retry later.
class QueueFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BatcherStats {
  std::size_t requests = 0;  // images that went through a forward pass
  std::size_t batches = 0;   // forward passes
  std::size_t rejected = 0;  // QueueFull answers
  std::vector<std::size_t> batch_size_counts;  // [k] = batches of k images (index 0 unused)
  std::size_t largest_batch() const;
};

class Batcher {
 public:
  // Images that share a key may share a batch (the server uses the network input size).
  using KeyFn = std::function<cv::Size(const cv::Mat& image)>;
  // Runs one batch: one Prediction per image, in order; probabilities when `probabilities`.
  using RunFn = std::function<std::vector<inference::Prediction>(const std::vector<cv::Mat>& images, bool probabilities)>;

  Batcher(KeyFn key, RunFn run, BatcherOptions options);
  // Finishes everything queued, then stops the workers.
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues one image; the future yields its Prediction (or the batch's exception).
  // Throws QueueFull when max_queue requests are already waiting, std::logic_error after shutdown().
  std::future<inference::Prediction> submit(cv::Mat image, bool probabilities);

  // Stops accepting, runs what is queued, joins the workers. Idempotent.
  void shutdown();

  BatcherStats stats() const;
  const BatcherOptions& options() const { return options_; }

 private:
  struct Job {
    cv::Mat image;
    cv::Size key;
    bool probabilities;
    std::chrono::steady_clock::time_point arrived;
    std::promise<inference::Prediction> promise;
  };

  void worker_loop();
  // Under the lock: the jobs to run next (removed from the queue), or empty when it is better to wait.
  std::vector<Job> take_batch(std::chrono::steady_clock::time_point now, bool& wait_until_deadline,
                              std::chrono::steady_clock::time_point& deadline);

  KeyFn key_;
  RunFn run_;
  BatcherOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  BatcherStats stats_;
  std::vector<std::thread> workers_;
};

}  // namespace segmaker::serve
