#pragma once
// A tiny training job for the training tests, on the tiny synthetic data of support/synthetic_data.h.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "support/synthetic_data.h"
#include "train/hyperparameters.h"
#include "train/trainer.h"

namespace segmaker::test {

// A tiny job: resnet-18, random init, crop 32, 2 epochs of 2 iterations.
inline nlohmann::json tiny_hyperparameters(int train = 8) {
  return {{"backbone", "resnet-18"},       {"use_pretrained_model", "False"}, {"num_classes", "2"},
          {"num_training_samples", std::to_string(train)}, {"base_size", "40"}, {"crop_size", "32"},
          {"epochs", "2"},                 {"mini_batch_size", "4"},          {"validation_mini_batch_size", "4"},
          {"learning_rate", "0.01"},       {"output_stride", "16"},           {"seed", "7"},
          {"data_workers", "1"}};
}

// The options of a quiet two-thread training job of `data` into `out` with hyperparameters `hp`.
inline train::TrainOptions tiny_job(const std::filesystem::path& data, const std::filesystem::path& out,
                                    const nlohmann::json& hp = tiny_hyperparameters()) {
  train::TrainOptions o;
  o.data_dir = data;
  o.hyperparameters = train::parse_hyperparameters(hp);
  o.model_dir = out;
  o.threads = 2;
  o.progress = false;
  return o;
}

}  // namespace segmaker::test
