#pragma once
// What the training loop and the validation pass read batches from: a DataLoader over a data set in
// folders (data/loader.h), or a StreamLoader over SageMaker's Pipe mode (data/stream_loader.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace segmaker::data {

struct Batch {
  torch::Tensor images;  // [N, 3, H, W] float32
  torch::Tensor masks;   // [N, H, W] int64, 255 = ignore
  std::vector<std::string> names;
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Examples this rank sees per epoch and the batches they make; 0 when a stream's length is not
  // known ahead (a validation pipe).
  virtual std::size_t examples_per_epoch() const = 0;
  virtual std::size_t batches_per_epoch() const = 0;
  // Starts (or restarts) epoch `epoch`.
  virtual void start_epoch(std::uint64_t epoch) = 0;
  // The next batch of the epoch, in order; false when the epoch is over. Rethrows a reader's error
  // (DataError for a corrupt file, a stream cut short).
  virtual bool next(Batch& out) = 0;
};

}  // namespace segmaker::data
