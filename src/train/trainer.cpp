// train(): the training job's stages in order (train/training_job.h).
#include "train/trainer.h"

#include "train/training_job.h"

namespace segmaker::train {

TrainResult train(const TrainOptions& options) {
  TrainingJob job(options);
  while (job.has_next_epoch())
    if (job.run_epoch()) job.validate();
  return job.finish();
}

}  // namespace segmaker::train
