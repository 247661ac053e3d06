// A validation pass and its sum over the ranks (train/validation.h).
#include "train/validation.h"

#include <chrono>

#include "io/progress.h"

namespace segmaker::train {

ValidationPass run_validation(models::SegmentationModel& model, data::DataLoader& loader, int num_classes,
                              const torch::Device& device, bool progress) {
  model->eval();
  return run_validation([&](const torch::Tensor& x) { return model->forward(x).out; }, loader, num_classes, device, progress);
}

ValidationPass run_validation(const LogitsFunction& logits_of, data::DataLoader& loader, int num_classes,
                              const torch::Device& device, bool progress) {
  const auto start = std::chrono::steady_clock::now();
  ValidationPass pass{inference::ConfusionMatrix(num_classes)};
  torch::NoGradGuard no_grad;
  loader.start_epoch(0);
  io::Progress bar("validation", loader.batches_per_epoch(), progress);
  data::Batch batch;
  namespace F = torch::nn::functional;
  while (loader.next(batch)) {
    torch::Tensor images = batch.images.to(device);
    torch::Tensor masks = batch.masks.to(device);
    torch::Tensor logits = logits_of(images);
    pass.loss_sum += F::cross_entropy(logits, masks, F::CrossEntropyFuncOptions().ignore_index(255).reduction(torch::kSum)).item<double>();
    pass.pixels += static_cast<double>(masks.ne(255).sum().item<std::int64_t>());
    torch::Tensor prediction = logits.argmax(1).to(torch::kCPU, torch::kInt64).contiguous();
    torch::Tensor truth = batch.masks.to(torch::kInt64).contiguous();
    pass.confusion.update(prediction.data_ptr<std::int64_t>(), truth.data_ptr<std::int64_t>(),
                          static_cast<std::size_t>(truth.numel()));
    pass.images += static_cast<std::size_t>(images.size(0));
    bar.advance(1);
  }
  bar.finish();
  pass.loss = pass.pixels > 0 ? pass.loss_sum / pass.pixels : 0.0;
  pass.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return pass;
}

ValidationPass sum_over_ranks(Communicator& comm, ValidationPass pass) {
  if (comm.world_size() == 1) return pass;
  all_reduce_sum(comm, pass.confusion.counts());
  std::vector<double> sums{pass.loss_sum, pass.pixels, static_cast<double>(pass.images)};
  all_reduce_sum(comm, sums);
  pass.loss_sum = sums[0];
  pass.pixels = sums[1];
  pass.loss = sums[1] > 0 ? sums[0] / sums[1] : 0.0;
  pass.images = static_cast<std::size_t>(sums[2]);
  return pass;
}

}  // namespace segmaker::train
