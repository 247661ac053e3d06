#pragma once
// What a training job reports after every epoch and at the end, torch-free: the metric lines
// (inference/quality_metric.h), metrics.jsonl (one short line per epoch) and curves.png.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace segmaker::train {

// #quality_metric lines for an epoch's record: train loss, validation loss, mIOU, pixel_accuracy.
void print_epoch_metrics(const std::string& host, const nlohmann::json& record);

// <dir>/metrics.jsonl: every record without its confusion matrix, one line each (atomically).
void write_history(const std::filesystem::path& dir, const nlohmann::json& history);

// The loss and validation-quality curves over the epochs of `history`.
void write_curves(const std::filesystem::path& png, const nlohmann::json& history);

}  // namespace segmaker::train
