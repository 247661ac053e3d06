#include "data/loader.h"

#include <algorithm>
#include <numeric>

#include "data/random.h"
#include "io/error.h"

namespace segmaker::data {

Batch stack_samples(const std::vector<Sample>& samples, const Preprocessing& preprocessing) {
  Batch batch;
  const int h = samples.front().image.rows, w = samples.front().image.cols;
  const auto n = static_cast<int64_t>(samples.size());
  batch.images = torch::empty({n, 3, h, w}, torch::kFloat32);
  batch.masks = torch::empty({n, h, w}, torch::kInt64);
  const std::size_t image_stride = 3 * static_cast<std::size_t>(h) * static_cast<std::size_t>(w);
  const std::size_t mask_stride = static_cast<std::size_t>(h) * static_cast<std::size_t>(w);
  for (std::size_t k = 0; k < samples.size(); ++k) {
    TORCH_CHECK(samples[k].image.rows == h && samples[k].image.cols == w, "examples of one batch differ in size");
    write_image(samples[k].image, preprocessing, batch.images.data_ptr<float>() + k * image_stride);
    write_mask(samples[k].mask, batch.masks.data_ptr<int64_t>() + k * mask_stride);
    batch.names.push_back(samples[k].name);
  }
  return batch;
}

DataLoader::DataLoader(std::shared_ptr<const SegmentationDataset> dataset, Preprocessing preprocessing,
                       LoaderOptions options)
    : dataset_(std::move(dataset)), preprocessing_(std::move(preprocessing)), options_(options) {
  if (!dataset_) throw UserError("DataLoader needs a data set");
  if (options_.batch_size <= 0) throw UserError("batch size must be positive");
  if (options_.mode == LoaderMode::Full && options_.batch_size != 1)
    throw UserError("full-image loading needs batch size 1 (images differ in size)");
  if (options_.world_size < 1 || options_.rank < 0 || options_.rank >= options_.world_size)
    throw UserError("invalid rank " + std::to_string(options_.rank) + " of world size " +
                    std::to_string(options_.world_size));
  if (options_.workers < 1) options_.workers = 1;
  if (options_.prefetch < 1) options_.prefetch = 1;
  if (batches_per_epoch() == 0)
    throw UserError("the data set has " + std::to_string(dataset_->size()) + " examples, fewer than one batch of " +
                    std::to_string(options_.batch_size) + (options_.world_size > 1 ? " per rank" : "") +
                    ": lower the batch size or add data");
}

DataLoader::~DataLoader() { stop_workers(); }

std::size_t DataLoader::examples_per_epoch() const {
  const std::size_t n = options_.limit > 0 ? std::min(options_.limit, dataset_->size()) : dataset_->size();
  const auto world = static_cast<std::size_t>(options_.world_size);
  if (world == 1) return n;
  // Training: every rank sees the same number of examples so that collective steps line up.
  if (options_.drop_last) return n / world;
  // Evaluation: the shards cover every example (ranks differ by at most one).
  const auto rank = static_cast<std::size_t>(options_.rank);
  return n > rank ? (n - rank + world - 1) / world : 0;
}

std::size_t DataLoader::batches_per_epoch() const {
  const std::size_t n = examples_per_epoch();
  const auto bs = static_cast<std::size_t>(options_.batch_size);
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

void DataLoader::start_epoch(std::uint64_t epoch) {
  stop_workers();
  epoch_ = epoch;
  std::vector<std::size_t> all(dataset_->size());
  std::iota(all.begin(), all.end(), 0);
  if (options_.shuffle) {
    auto rng = sample_rng(options_.seed, epoch, ~std::uint64_t{0});
    shuffle(all, rng);
  }
  const std::size_t per_rank = examples_per_epoch();
  const auto world = static_cast<std::size_t>(options_.world_size);
  const auto rank = static_cast<std::size_t>(options_.rank);
  order_.clear();
  for (std::size_t k = 0; k < per_rank; ++k) order_.push_back(all[k * world + rank]);
  num_batches_ = batches_per_epoch();

  std::lock_guard<std::mutex> lock(mutex_);
  ready_.clear();
  error_ = nullptr;
  next_to_claim_ = 0;
  next_to_return_ = 0;
  stopping_ = false;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void DataLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  space_cv_.notify_all();
  ready_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void DataLoader::worker_loop() {
  // Decoding and augmentation are parallel across workers; LibTorch ops inside stay single-threaded.
  for (;;) {
    std::size_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      space_cv_.wait(lock, [this] {
        return stopping_ || next_to_claim_ >= num_batches_ || next_to_claim_ < next_to_return_ + options_.prefetch;
      });
      if (stopping_ || next_to_claim_ >= num_batches_ || error_) return;
      index = next_to_claim_++;
    }
    Batch batch;
    std::exception_ptr error;
    try {
      batch = make_batch(index);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error) {
        if (!error_) error_ = error;
      } else {
        ready_.emplace(index, std::move(batch));
      }
    }
    ready_cv_.notify_all();
  }
}

Batch DataLoader::make_batch(std::size_t batch_index) const {
  const auto bs = static_cast<std::size_t>(options_.batch_size);
  const std::size_t begin = batch_index * bs;
  const std::size_t end = std::min(order_.size(), begin + bs);
  std::vector<Sample> samples;
  for (std::size_t k = begin; k < end; ++k) {
    const std::size_t i = order_[k];
    Sample s = dataset_->load(i);
    switch (options_.mode) {
      case LoaderMode::Train: {
        auto rng = sample_rng(options_.seed, epoch_, i);
        s = augment_train(s, options_.augment, rng);
        break;
      }
      case LoaderMode::Validation: s = transform_validation(s, options_.crop_size); break;
      case LoaderMode::Full: break;
    }
    samples.push_back(std::move(s));
  }
  return stack_samples(samples, preprocessing_);
}

bool DataLoader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_return_ >= num_batches_) return false;
  ready_cv_.wait(lock, [this] { return error_ || ready_.count(next_to_return_) > 0; });
  if (error_ && ready_.count(next_to_return_) == 0) {
    auto e = error_;
    lock.unlock();
    stop_workers();
    std::rethrow_exception(e);
  }
  auto it = ready_.find(next_to_return_);
  out = std::move(it->second);
  ready_.erase(it);
  ++next_to_return_;
  lock.unlock();
  space_cv_.notify_all();
  return true;
}

}  // namespace segmaker::data
