// A training job's metric lines, metrics.jsonl and curves.png (train/training_log.h).
#include "train/training_log.h"

#include "inference/quality_metric.h"
#include "io/chart.h"
#include "io/paths.h"

namespace segmaker::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

void print_epoch_metrics(const std::string& host, const json& record) {
  const int epoch = record.at("epoch").get<int>();
  inference::print_quality_metric(host, epoch, "train loss", record.at("train_loss").get<double>());
  inference::print_quality_metric(host, epoch, "validation loss", record.at("validation_loss").get<double>());
  inference::print_quality_metric(host, epoch, "validation mIOU", record.at("mIOU").get<double>());
  inference::print_quality_metric(host, epoch, "validation pixel_accuracy", record.at("pixel_accuracy").get<double>());
}

void write_history(const fs::path& dir, const json& history) {
  std::string lines;
  for (const auto& record : history) {
    json compact = record;
    compact.erase("confusion_matrix");  // metrics.jsonl stays one short line per epoch
    lines += compact.dump() + "\n";
  }
  io::write_file_atomic(dir / "metrics.jsonl", lines);
}

void write_curves(const fs::path& png, const json& history) {
  io::ChartPanel loss{"loss", "epoch", {}, {{"train", {}}, {"validation", {}}}, "cross-entropy per pixel", true};
  io::ChartPanel quality{"validation", "epoch", {}, {{"mIOU", {}}, {"pixel_accuracy", {}}}, "score (0 to 1)", true};
  for (const auto& r : history) {
    const double e = r.at("epoch").get<double>();
    loss.x.push_back(e);
    quality.x.push_back(e);
    loss.series[0].y.push_back(r.at("train_loss").get<double>());
    loss.series[1].y.push_back(r.at("validation_loss").get<double>());
    quality.series[0].y.push_back(r.at("mIOU").get<double>());
    quality.series[1].y.push_back(r.at("pixel_accuracy").get<double>());
  }
  io::write_line_charts(png, {loss, quality});
}

}  // namespace segmaker::train
