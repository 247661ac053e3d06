#pragma once
// Multi-threaded loading of a SegmentationDataset into batched tensors
// (images NCHW float32 normalised by the model's Preprocessing, masks NHW int64).
// Batch order and augmentation are deterministic for (seed, epoch), whatever the thread count.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "data/augment.h"
#include "data/batch_source.h"
#include "data/dataset.h"
#include "data/image_tensor.h"
#include "data/preprocessing.h"

namespace segmaker::data {

enum class LoaderMode {
  Train,       // augment_train (random scale, pad, crop, flip)
  Validation,  // transform_validation (short side → crop, centre crop)
  Full,        // the whole image at its own size (batch_size must be 1)
};

struct LoaderOptions {
  LoaderMode mode = LoaderMode::Train;
  int batch_size = 16;
  bool shuffle = true;
  bool drop_last = true;  // a smaller last batch is dropped (training) or kept (evaluation)
  int workers = 2;        // decoding/augmentation threads
  std::uint64_t seed = 0;
  TrainAugment augment;   // Train mode
  int crop_size = 240;    // Validation mode
  std::size_t prefetch = 4;  // batches ready ahead of the consumer
  // Distributed: this rank reads the examples at positions rank, rank + world_size, ... of the
  // epoch's order. With drop_last (training) every rank gets floor(n / world_size) of them, so the
  // ranks' batch i together are the single-process batch i of batch_size * world_size; without it
  // (evaluation) the shards cover every example.
  int rank = 0;
  int world_size = 1;
  // At most this many examples per epoch (0 = all): the ranks of a ShardedByS3Key job read their own
  // shares up to the smallest one's size.
  std::size_t limit = 0;
};

// Samples of one size → a Batch (images normalised by `preprocessing`); the loaders' one batch maker.
Batch stack_samples(const std::vector<Sample>& samples, const Preprocessing& preprocessing);

class DataLoader : public BatchSource {
 public:
  DataLoader(std::shared_ptr<const SegmentationDataset> dataset, Preprocessing preprocessing, LoaderOptions options);
  ~DataLoader() override;
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Examples this rank sees per epoch and the batches they make.
  std::size_t examples_per_epoch() const override;
  std::size_t batches_per_epoch() const override;

  // Starts (or restarts) epoch `epoch`: fixes the order and launches the workers.
  void start_epoch(std::uint64_t epoch) override;
  // The next batch of the epoch, in order; false when the epoch is over.
  // Rethrows a worker's exception (e.g. DataError for a corrupt file).
  bool next(Batch& out) override;

 private:
  void stop_workers();
  void worker_loop();
  Batch make_batch(std::size_t batch_index) const;

  std::shared_ptr<const SegmentationDataset> dataset_;
  Preprocessing preprocessing_;
  LoaderOptions options_;

  std::uint64_t epoch_ = 0;
  std::vector<std::size_t> order_;  // this rank's examples for the epoch
  std::size_t num_batches_ = 0;

  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::condition_variable space_cv_;
  std::map<std::size_t, Batch> ready_;
  std::exception_ptr error_;
  std::size_t next_to_claim_ = 0;
  std::size_t next_to_return_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace segmaker::data
