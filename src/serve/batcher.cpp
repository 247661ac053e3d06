#include "serve/batcher.h"

#include <algorithm>
#include <exception>

#include "io/error.h"
#include "io/threads.h"

namespace segmaker::serve {

std::size_t BatcherStats::largest_batch() const {
  for (std::size_t k = batch_size_counts.size(); k-- > 1;)
    if (batch_size_counts[k] > 0) return k;
  return 0;
}

Batcher::Batcher(KeyFn key, RunFn run, BatcherOptions options)
    : key_(std::move(key)), run_(std::move(run)), options_(options) {
  if (options_.max_batch < 1) throw UserError("--max-batch must be at least 1");
  if (options_.max_delay_ms < 0) throw UserError("--max-delay-ms must not be negative");
  if (options_.max_queue < 1) throw UserError("--max-queue must be at least 1");
  if (options_.workers < 1) throw UserError("--workers must be at least 1");
  stats_.batch_size_counts.assign(static_cast<std::size_t>(options_.max_batch) + 1, 0);
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Batcher::~Batcher() { shutdown(); }

std::future<inference::Prediction> Batcher::submit(cv::Mat image, bool probabilities) {
  Job job{std::move(image), {}, probabilities, std::chrono::steady_clock::now(), {}};
  job.key = key_(job.image);
  auto future = job.promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw std::logic_error("Batcher: submit() after shutdown()");
    if (queue_.size() >= options_.max_queue) {
      ++stats_.rejected;
      throw QueueFull("inference queue is full (" + std::to_string(options_.max_queue) +
                      " requests waiting); retry later");
    }
    queue_.push_back(std::move(job));
  }
  cv_.notify_all();
  return future;
}

void Batcher::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  std::lock_guard<std::mutex> lock(mutex_);
  workers_.clear();
}

BatcherStats Batcher::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

std::vector<Batcher::Job> Batcher::take_batch(std::chrono::steady_clock::time_point now, bool& wait,
                                              std::chrono::steady_clock::time_point& deadline) {
  wait = false;
  if (queue_.empty()) return {};
  // The oldest request decides the batch: its size, its deadline.
  const cv::Size key = queue_.front().key;
  const auto max = static_cast<std::size_t>(options_.max_batch);
  std::size_t same = 0;
  for (const auto& job : queue_)
    if (job.key == key && ++same == max) break;
  deadline = queue_.front().arrived + std::chrono::milliseconds(options_.max_delay_ms);
  if (same < max && now < deadline && !stopping_) {
    wait = true;
    return {};
  }
  std::vector<Job> batch;
  for (auto it = queue_.begin(); it != queue_.end() && batch.size() < max;) {
    if (it->key == key) {
      batch.push_back(std::move(*it));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  return batch;
}

void Batcher::worker_loop() {
  io::adopt_torch_threads();
  while (true) {
    std::vector<Job> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      while (true) {
        if (queue_.empty()) {
          if (stopping_) return;
          cv_.wait(lock);
          continue;
        }
        bool wait = false;
        std::chrono::steady_clock::time_point deadline;
        batch = take_batch(std::chrono::steady_clock::now(), wait, deadline);
        if (!batch.empty()) break;
        if (wait) cv_.wait_until(lock, deadline);
      }
      ++stats_.batches;
      stats_.requests += batch.size();
      ++stats_.batch_size_counts[batch.size()];
    }
    // Other workers may form the next batch meanwhile.
    cv_.notify_all();

    std::vector<cv::Mat> images;
    bool probabilities = false;
    for (const auto& job : batch) {
      images.push_back(job.image);
      probabilities = probabilities || job.probabilities;
    }
    try {
      auto predictions = run_(images, probabilities);
      if (predictions.size() != batch.size())
        throw std::logic_error("Batcher: the batch function answered " + std::to_string(predictions.size()) +
                               " predictions for " + std::to_string(batch.size()) + " images");
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!batch[i].probabilities) predictions[i].probabilities = {};
        batch[i].promise.set_value(std::move(predictions[i]));
      }
    } catch (...) {
      for (auto& job : batch) job.promise.set_exception(std::current_exception());
    }
  }
}

}  // namespace segmaker::serve
