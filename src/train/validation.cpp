// A validation pass and its sum over the ranks (train/validation.h).
#include "train/validation.h"

#include <chrono>

#include "io/progress.h"

namespace segmaker::train {

ValidationPass run_validation(models::SegmentationModel& model, data::BatchSource& loader, int num_classes,
                              const torch::Device& device, bool progress) {
  model->eval();
  return run_validation([&](const torch::Tensor& x) { return model->forward(x).out; }, loader, num_classes, device, progress);
}

ValidationPass run_validation(const LogitsFunction& logits_of, data::BatchSource& loader, int num_classes,
                              const torch::Device& device, bool progress) {
  const auto start = std::chrono::steady_clock::now();
  ValidationPass pass{inference::ChannelScore(num_classes)};
  torch::NoGradGuard no_grad;
  loader.start_epoch(0);
  io::Progress bar("validation", loader.batches_per_epoch(), progress);
  data::Batch batch;
  while (loader.next(batch)) {
    pass.score.add_logits(logits_of(batch.images.to(device)), batch.masks);
    bar.advance(1);
  }
  bar.finish();
  pass.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return pass;
}

ValidationPass sum_over_ranks(Communicator& comm, ValidationPass pass) {
  if (comm.world_size() == 1) return pass;
  inference::ChannelScore& score = pass.score;
  all_reduce_sum(comm, score.confusion.counts());
  std::vector<double> sums{score.loss_sum, score.pixels, static_cast<double>(score.images)};
  all_reduce_sum(comm, sums);
  score.loss_sum = sums[0];
  score.pixels = sums[1];
  score.images = static_cast<std::size_t>(sums[2]);
  return pass;
}

}  // namespace segmaker::train
