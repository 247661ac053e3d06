// Batches from SageMaker's Pipe input mode (see stream_loader.h).
#include "data/stream_loader.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "data/augment.h"
#include "data/dataset.h"
#include "data/random.h"
#include "io/error.h"
#include "io/parallel.h"

namespace segmaker::data {

namespace {

constexpr std::size_t kMaxWarnings = 10;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

StreamLoader::StreamLoader(StreamOptions stream, LabelMap label_map, int num_classes, Preprocessing preprocessing,
                           LoaderOptions options)
    : stream_(std::move(stream)), label_map_(std::move(label_map)), num_classes_(num_classes),
      preprocessing_(std::move(preprocessing)), options_(options) {
  if (options_.batch_size <= 0) throw UserError("batch size must be positive");
  if (options_.world_size != 1) throw UserError("Pipe mode streams to one process: run it with a single instance");
  if (options_.mode == LoaderMode::Full) throw UserError("Pipe mode reads fixed-size batches: not full images");
  if (options_.workers < 1) options_.workers = 1;
  if (options_.prefetch < 1) options_.prefetch = 1;
  if (stream_.examples > 0 && batches_per_epoch() == 0)
    throw UserError("num_training_samples = " + std::to_string(stream_.examples) + " is fewer than one batch of " +
                    std::to_string(options_.batch_size));
}

StreamLoader::~StreamLoader() { stop_threads(); }

std::size_t StreamLoader::batches_per_epoch() const {
  return stream_.examples / static_cast<std::size_t>(options_.batch_size);
}

void StreamLoader::stop_threads() {
  stopping_ = true;
  changed_.notify_all();
  // A reader still waiting for the platform to open the pipe is let go.
  while (reader_.joinable() && pass_ >= 0) {
    PipePairReader::release(stream_.layout, stream_.channel, stream_.augmented_manifest, pass_);
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (changed_.wait_for(lock, std::chrono::milliseconds(20), [this] { return raw_done_; })) break;
    }
  }
  if (reader_.joinable()) reader_.join();
  if (batcher_.joinable()) batcher_.join();
  stopping_ = false;
}

void StreamLoader::start_epoch(std::uint64_t epoch) {
  stop_threads();
  epoch_ = epoch;
  ++pass_;
  started_ = std::chrono::steady_clock::now();
  raw_.clear();
  ready_.clear();
  raw_done_ = batches_done_ = false;
  usable_ = skipped_ = 0;
  error_ = nullptr;
  reader_ = std::thread([this] { read_loop(); });
  batcher_ = std::thread([this] { batch_loop(); });
}

void StreamLoader::fail(std::exception_ptr error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!error_) error_ = error;
  changed_.notify_all();
}

void StreamLoader::read_loop() {
  try {
    PipePairReader pipe(stream_.layout, stream_.channel, stream_.augmented_manifest, pass_, stopping_, stream_.pipe_wait);
    auto rng = sample_rng(options_.seed, epoch_, ~std::uint64_t{0});
    std::vector<RawPair> held;  // the shuffle buffer
    const std::size_t window = options_.prefetch * static_cast<std::size_t>(options_.batch_size);
    auto push = [&](RawPair&& pair) {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || batches_done_ || raw_.size() < window; });
      if (stopping_ || batches_done_) return false;
      raw_.push_back(std::move(pair));
      changed_.notify_all();
      return true;
    };
    RawPair pair;
    bool more = true;
    while (more && pipe.next(pair)) {
      if (stream_.shuffle_buffer == 0) {
        more = push(std::move(pair));
        continue;
      }
      if (held.size() < stream_.shuffle_buffer) {
        held.push_back(std::move(pair));
        continue;
      }
      const auto k = static_cast<std::size_t>(uniform_int(rng, 0, static_cast<std::int64_t>(held.size()) - 1));
      std::swap(held[k], pair);
      more = push(std::move(pair));
    }
    shuffle(held, rng);
    for (auto& h : held)
      if (more) more = push(std::move(h));
  } catch (...) {
    fail(std::current_exception());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  raw_done_ = true;  // the pipe is closed: the platform sees the pass end
  changed_.notify_all();
}

std::vector<RawPair> StreamLoader::take(std::size_t n) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return stopping_ || error_ || raw_.size() >= n || raw_done_; });
  std::vector<RawPair> out;
  while (!raw_.empty() && out.size() < n) {
    out.push_back(std::move(raw_.front()));
    raw_.pop_front();
  }
  changed_.notify_all();
  return out;
}

void StreamLoader::batch_loop() {
  const auto bs = static_cast<std::size_t>(options_.batch_size);
  const std::size_t wanted = batches_per_epoch();  // 0: the whole pass
  std::size_t made = 0;
  const std::string pipe_name = stream_.layout.pipe(stream_.channel, pass_).filename().string();
  try {
    while (!stopping_ && (wanted == 0 || made < wanted)) {
      std::vector<Sample> samples;
      bool ended = false;
      while (samples.size() < bs && !ended && !stopping_) {
        std::vector<RawPair> raw = take(bs - samples.size());
        ended = raw.size() < bs - samples.size();
        std::vector<std::optional<Sample>> decoded(raw.size());
        std::vector<std::string> problems(raw.size());
        io::parallel_for(raw.size(), options_.workers, [&](std::size_t k) {
          const std::string where = "pipe " + pipe_name + ", pair " + std::to_string(raw[k].index);
          try {
            Sample s = decode_sample(raw[k].image, raw[k].mask, stream_.channel + "#" + std::to_string(raw[k].index),
                                     where + " (image)", where + " (annotation)", label_map_, num_classes_);
            if (options_.mode == LoaderMode::Train) {
              auto rng = sample_rng(options_.seed, epoch_, raw[k].index);
              s = augment_train(s, options_.augment, rng);
            } else {
              s = transform_validation(s, options_.crop_size);
            }
            decoded[k] = std::move(s);
          } catch (const DataError& e) {
            problems[k] = e.what();
          }
        });
        for (std::size_t k = 0; k < raw.size(); ++k) {
          if (decoded[k]) {
            samples.push_back(std::move(*decoded[k]));
            continue;
          }
          if (skipped_++ < kMaxWarnings) spdlog::warn("{} (skipped)", problems[k]);
        }
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (error_) break;
      }
      if (samples.size() < bs && (wanted > 0 || samples.empty())) {
        if (wanted > 0 && !stopping_)
          throw DataError("the pipe " + pipe_name + " ended after " + std::to_string(usable_ + samples.size()) +
                          " usable examples (" + std::to_string(skipped_) + " skipped), but num_training_samples = " +
                          std::to_string(stream_.examples) + " asks for " + std::to_string(wanted) + " batches of " +
                          std::to_string(bs));
        break;
      }
      usable_ += samples.size();
      Batch batch = stack_samples(samples, preprocessing_);
      if (made++ == 0)
        spdlog::info("pipe {}: first batch ready {:.2f} s after the pass was opened", pipe_name, seconds_since(started_));
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || ready_.size() < options_.prefetch; });
      ready_.push_back(std::move(batch));
      changed_.notify_all();
      if (ended) break;
    }
    if (skipped_ > 0) spdlog::warn("pipe {}: {} pair(s) skipped, {} used", pipe_name, skipped_, usable_);
  } catch (...) {
    fail(std::current_exception());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  batches_done_ = true;  // the reader stops and closes the pipe
  changed_.notify_all();
}

bool StreamLoader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return error_ || !ready_.empty() || batches_done_; });
  if (!ready_.empty()) {
    out = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return true;
  }
  if (error_) {
    auto e = error_;
    lock.unlock();
    stop_threads();
    std::rethrow_exception(e);
  }
  return false;
}

}  // namespace segmaker::data
