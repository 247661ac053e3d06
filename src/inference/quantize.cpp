// Calibration on a data channel, the side-by-side comparison, segmaker quantize (see quantize.h).
#include "inference/quantize.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "data/dataset.h"
#include "data/loader.h"
#include "inference/engine/float_backend.h"
#include "inference/artifact.h"
#include "inference/artifact_network.h"
#include "inference/channel_score.h"
#include "inference/torch_threads.h"
#include "io/error.h"
#include "models/registry.h"
#include "models/weights.h"

namespace segmaker::inference {

namespace fs = std::filesystem;

namespace {

std::unique_ptr<data::DataLoader> channel_loader(const data::Preprocessing& preprocessing, int num_classes,
                                                 const ChannelOptions& o, bool shuffle) {
  auto dataset = std::make_shared<data::SegmentationDataset>(o.data_dir, o.channel, num_classes);
  if (dataset->size() == 0)
    throw UserError("channel '" + o.channel + "' of '" + o.data_dir.string() + "' has no images");
  data::LoaderOptions lo;
  lo.mode = data::LoaderMode::Validation;
  lo.crop_size = o.crop_size;
  lo.batch_size = o.batch_size;
  lo.shuffle = shuffle;
  lo.seed = o.seed;
  lo.drop_last = false;
  lo.workers = std::max(1, o.workers);
  auto loader = std::make_unique<data::DataLoader>(dataset, preprocessing, lo);
  loader->start_epoch(0);
  return loader;
}

}  // namespace

Calibration calibrate_on_channel(const PrecisionNetwork& network, const data::Preprocessing& preprocessing,
                                 const ChannelOptions& options) {
  auto loader = channel_loader(preprocessing, 0, options, /*shuffle=*/true);
  c10::InferenceMode guard;
  RangeObserver observer(options.method);
  FloatBackend fp32(network, torch::kFloat32, TensorLayout::nchw, &observer);
  data::Batch batch;
  int seen = 0;
  while ((options.samples <= 0 || seen < options.samples) && loader->next(batch)) {
    auto images = batch.images;
    if (options.samples > 0 && seen + images.size(0) > options.samples) images = images.slice(0, 0, options.samples - seen);
    network.forward(images, fp32);
    seen += static_cast<int>(images.size(0));
  }
  return observer.calibration();
}

std::vector<PrecisionScore> compare_precisions(const std::vector<const PrecisionModel*>& models,
                                               const data::Preprocessing& preprocessing, int num_classes,
                                               const ChannelOptions& options) {
  auto loader = channel_loader(preprocessing, num_classes, options, /*shuffle=*/false);
  c10::InferenceMode guard;
  std::vector<ChannelScore> tallies(models.size(), ChannelScore(num_classes));
  std::vector<double> agree(models.size(), 0), seconds(models.size(), 0);
  std::vector<std::vector<double>> image_agree(models.size());
  double pixels = 0;
  std::size_t images = 0;
  data::Batch batch;
  while ((options.samples <= 0 || static_cast<int>(images) < options.samples) && loader->next(batch)) {
    torch::Tensor reference;
    const auto target = batch.masks.contiguous();
    for (size_t m = 0; m < models.size(); ++m) {
      const auto start = std::chrono::steady_clock::now();
      const auto prediction = models[m]->forward(batch.images).argmax(1).contiguous();
      seconds[m] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (m == 0) reference = prediction;
      const auto same = prediction.eq(reference).flatten(1).sum(1).to(torch::kFloat64);  // per image
      agree[m] += same.sum().item<double>();
      const double per_image = static_cast<double>(prediction[0].numel());
      for (int64_t i = 0; i < same.size(0); ++i) image_agree[m].push_back(same[i].item<double>() / per_image);
      tallies[m].add(prediction, target);
    }
    pixels += static_cast<double>(target.numel());
    images += static_cast<std::size_t>(batch.images.size(0));
  }
  std::vector<PrecisionScore> scores;
  for (size_t m = 0; m < models.size(); ++m) {
    const auto metrics = tallies[m].metrics();
    PrecisionScore s;
    s.precision = models[m]->precision();
    s.miou = metrics.miou;
    s.pixel_accuracy = metrics.pixel_accuracy;
    s.agreement_with_first = pixels > 0 ? agree[m] / pixels : 1.0;
    s.image_agreement = std::move(image_agree[m]);
    s.ms_per_image = images > 0 ? seconds[m] / static_cast<double>(images) * 1e3 : 0.0;
    s.images = images;
    scores.push_back(s);
  }
  return scores;
}

AgreementSpread agreement_spread(const std::vector<double>& image_agreement) {
  AgreementSpread s;
  if (image_agreement.empty()) return s;
  auto sorted = image_agreement;
  std::sort(sorted.begin(), sorted.end());
  auto at = [&](double q) { return sorted[static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5)]; };
  s.min = sorted.front();
  s.p05 = at(0.05);
  s.median = at(0.5);
  s.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(sorted.size());
  return s;
}

std::string precision_table(const std::vector<PrecisionScore>& scores, const std::string& channel,
                            const std::vector<std::string>& names) {
  std::string out = "| precision | " + channel +
                    " mIOU | pixel accuracy | pixels = fp32 | per image = fp32: worst / 5th pct / median | forward ms/img |\n"
                    "|---|---|---|---|---|---|\n";
  char row[256];
  for (std::size_t m = 0; m < scores.size(); ++m) {
    const auto& s = scores[m];
    const auto a = agreement_spread(s.image_agreement);
    const std::string name = m < names.size() ? names[m] : to_string(s.precision);
    std::snprintf(row, sizeof(row), "| %s | %.4f | %.4f | %.2f %% | %.2f / %.2f / %.2f %% | %.1f |\n",
                  name.c_str(), s.miou, s.pixel_accuracy, 100 * s.agreement_with_first, 100 * a.min,
                  100 * a.p05, 100 * a.median, s.ms_per_image);
    out += row;
  }
  return out;
}

QuantizeReport quantize_model(const QuantizeOptions& o) {
  if (o.output.empty()) throw UserError("segmaker quantize: --output is required");
  if (o.samples < 1) throw UserError("--samples must be at least 1, got " + std::to_string(o.samples));
  const int threads = inference::configure_torch_threads(o.threads);
  const CpuFeatures cpu = detect_cpu_features();
  choose_precision(Precision::int8, cpu, {false, true});  // UserError on a CPU without VNNI
  ModelArtifact artifact = read_artifact(o.model);
  ChannelOptions channel;
  channel.data_dir = o.data_dir;
  channel.channel = o.channel;
  channel.samples = o.samples;
  channel.crop_size = artifact.spec.input_size > 0 ? artifact.spec.input_size : 240;
  channel.workers = threads;
  channel.method = o.method;

  QuantizeReport report;
  {
    auto model = build_network(artifact, "model artifact weights");
    PrecisionNetwork network(model);
    const auto t0 = std::chrono::steady_clock::now();
    report.calibration = calibrate_on_channel(network, artifact.spec.preprocessing, channel);
    spdlog::info("quantize: {} activation ranges ({}) from {} crops of channel '{}' in {:.1f} s",
                 report.calibration.ranges.size(), report.calibration.method, report.calibration.samples, o.channel,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  if (fs::is_directory(o.data_dir / o.evaluation_channel)) {
    std::vector<std::unique_ptr<PrecisionModel>> owned;
    auto network = [&] { return build_network(artifact, "model artifact weights"); };
    owned.push_back(std::make_unique<PrecisionModel>(network(), Precision::fp32));
    if (cpu.bf16) owned.push_back(std::make_unique<PrecisionModel>(network(), Precision::bf16));
    owned.push_back(std::make_unique<PrecisionModel>(network(), Precision::int8, &report.calibration));
    std::vector<const PrecisionModel*> models;
    for (const auto& m : owned) models.push_back(m.get());
    ChannelOptions evaluation = channel;
    evaluation.channel = o.evaluation_channel;
    evaluation.samples = 0;
    report.scores = compare_precisions(models, artifact.spec.preprocessing, artifact.spec.num_classes, evaluation);
  } else {
    spdlog::warn("quantize: no '{}' channel in '{}': the fp32 / bf16 / int8 comparison is skipped", o.evaluation_channel,
                 o.data_dir.string());
  }
  artifact.calibration = to_json(report.calibration);
  nlohmann::json precision = nlohmann::json::array();
  for (const auto& s : report.scores) {
    const auto spread = agreement_spread(s.image_agreement);
    precision.push_back({{"precision", to_string(s.precision)}, {"channel", o.evaluation_channel}, {"mIOU", s.miou},
                         {"pixel_accuracy", s.pixel_accuracy}, {"agreement_with_fp32", s.agreement_with_first},
                         {"agreement_with_fp32_per_image", {{"min", spread.min}, {"p05", spread.p05},
                                                            {"median", spread.median}, {"mean", spread.mean}}},
                         {"ms_per_image", s.ms_per_image}, {"images", s.images}});
  }
  if (!artifact.metrics.is_object()) artifact.metrics = nlohmann::json::object();
  artifact.metrics["precision"] = precision;
  write_artifact(o.output, artifact);
  return report;
}

}  // namespace segmaker::inference
