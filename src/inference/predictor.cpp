// The Predictor (inference/predictor.h).
#include "inference/predictor.h"

#include <torch/torch.h>

#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "data/classes.h"
#include "data/image_header.h"
#include "data/image_tensor.h"
#include "inference/artifact.h"
#include "inference/artifact_network.h"
#include "inference/engine/calibration.h"
#include "inference/device.h"
#include "inference/engine/precision.h"
#include "inference/engine/precision_model.h"
#include "inference/tta.h"
#include "io/error.h"
#include "models/batchnorm_folding.h"
#include "models/registry.h"
#include "models/weights.h"

namespace segmaker::inference {
namespace {

constexpr int kSizeMultiple = 16;
constexpr int kScaledMultiple = 8;  // test-time augmentation's other scales

// `size` × `scale`, each side rounded to a multiple of 8 (at least 16); `size` itself at scale 1.
cv::Size scaled_size(cv::Size size, double scale) {
  if (scale == 1.0) return size;
  auto side = [&](int v) {
    return std::max(2 * kScaledMultiple,
                    static_cast<int>(std::lround(v * scale / kScaledMultiple)) * kScaledMultiple);
  };
  return {side(size.width), side(size.height)};
}

}  // namespace

struct Predictor::Impl {
  models::ModelSpec spec;
  std::vector<std::string> classes;
  int input_size = 0;
  std::int64_t max_network_pixels = 0;
  double max_aspect_ratio = 0;
  torch::Device device{torch::kCPU};
  std::unique_ptr<PrecisionModel> model;  // the folded network in its precision; forward() is thread-safe
  PrecisionChoice precision;
  Tta tta = Tta::none;
  std::vector<TtaView> views;
};

Predictor::Predictor(const ModelArtifact& artifact, const PredictorOptions& options)
    : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.spec = artifact.spec;
  models::validate(m.spec);
  if (static_cast<int>(artifact.classes.size()) > m.spec.num_classes)
    throw DataError("model artifact: " + std::to_string(artifact.classes.size()) + " class names for a " +
                    std::to_string(m.spec.num_classes) + "-class model");
  m.classes = data::with_default_names(artifact.classes, m.spec.num_classes);
  if (m.spec.num_classes > 255)
    throw DataError("model artifact: " + std::to_string(m.spec.num_classes) + " classes do not fit an 8-bit mask");

  m.input_size = options.input_size < 0 ? 0 : options.input_size > 0 ? options.input_size : m.spec.input_size;
  m.device = resolve_device(options.device);
  m.max_network_pixels = options.max_network_pixels;
  m.max_aspect_ratio = options.max_aspect_ratio;
  if (m.max_network_pixels <= 0 || !(m.max_aspect_ratio >= 1.0))
    throw UserError("the network input limits must be positive (--max-network-pixels) and at least 1 (--max-aspect-ratio)");
  m.tta = parse_tta(options.tta);
  m.views = tta_views(m.tta);

  models::SegmentationModel model = build_network(artifact, "model artifact weights");
  ModelSupport support;
  support.cuda = m.device.is_cuda();
  Calibration calibration;
  if (!artifact.calibration.is_null()) {
    calibration = calibration_from_json(artifact.calibration);
    support.has_calibration = !calibration.empty();
  }
  const Precision requested = parse_precision(options.precision);
  if (!options.fold_batchnorm && requested == Precision::automatic) {
    m.precision = {Precision::fp32, "precision auto -> fp32 (batch norm not folded)"};
  } else {
    m.precision = choose_precision(requested, support.cuda ? CpuFeatures{} : detect_cpu_features(), support);
  }
  model->to(m.device);
  // oneDNN's blocked layout is a CPU format; a GPU runs bf16 in plain NCHW.
  const TensorLayout bf16_layout = support.cuda ? TensorLayout::nchw : kDefaultBf16Layout;
  m.model = std::make_unique<PrecisionModel>(model, m.precision.precision, &calibration, bf16_layout,
                                             options.fold_batchnorm);
  spdlog::info("{}: {}", models::describe(m.spec), m.precision.reason);
  if (m.tta != Tta::none)
    spdlog::info("test-time augmentation {}: {} forward passes per image, softmax probabilities averaged", to_string(m.tta),
                 m.views.size());
}

Predictor::~Predictor() = default;

std::unique_ptr<Predictor> Predictor::load(const std::filesystem::path& artifact, const PredictorOptions& options) {
  return std::make_unique<Predictor>(read_artifact(artifact), options);
}

const models::ModelSpec& Predictor::spec() const { return impl_->spec; }
const std::vector<std::string>& Predictor::classes() const { return impl_->classes; }
int Predictor::num_classes() const { return impl_->spec.num_classes; }
std::string Predictor::device() const { return impl_->device.str(); }
std::string Predictor::precision() const { return to_string(impl_->precision.precision); }
std::string Predictor::precision_reason() const { return impl_->precision.reason; }
int Predictor::input_size() const { return impl_->input_size; }
std::string Predictor::tta() const { return to_string(impl_->tta); }

cv::Size Predictor::network_size(cv::Size image) const {
  const auto& m = *impl_;
  if (image.width <= 0 || image.height <= 0) return image;
  const std::string size = std::to_string(image.width) + "x" + std::to_string(image.height);
  const double aspect = static_cast<double>(std::max(image.width, image.height)) / std::min(image.width, image.height);
  if (aspect > m.max_aspect_ratio)
    throw data::ImageTooLarge("image of " + size + " is " + std::to_string(static_cast<long long>(aspect)) +
                              " times longer than wide, over the limit of " +
                              std::to_string(static_cast<long long>(m.max_aspect_ratio)) +
                              " (--max-aspect-ratio): crop it first");
  cv::Size net = image;
  const int target = m.input_size;
  if (target > 0) {
    const bool landscape = image.width >= image.height;
    const double long_side = static_cast<double>(landscape ? image.width : image.height) * target /
                             static_cast<double>(landscape ? image.height : image.width);
    const int rounded = std::max(target, static_cast<int>(std::lround(long_side / kSizeMultiple)) * kSizeMultiple);
    net = landscape ? cv::Size(rounded, target) : cv::Size(target, rounded);
  }
  // The limit holds for the largest view the network runs (test-time augmentation scales up to 1.75).
  double largest_scale = 1.0;
  for (const TtaView& view : m.views) largest_scale = std::max(largest_scale, view.scale);
  const cv::Size largest = scaled_size(net, largest_scale);
  const std::int64_t pixels = static_cast<std::int64_t>(largest.width) * largest.height;
  if (pixels > m.max_network_pixels)
    throw data::ImageTooLarge("image of " + size + " needs a network input of " + std::to_string(largest.width) + "x" +
                              std::to_string(largest.height) + " = " + std::to_string(pixels) +
                              " pixels, over the limit of " + std::to_string(m.max_network_pixels) +
                              " (--max-network-pixels; --input-size sets the scale, --tta multiscale multiplies it)");
  return net;
}

Prediction Predictor::predict(const cv::Mat& rgb, bool probabilities) const {
  return std::move(predict_batch({rgb}, probabilities).front());
}

std::vector<Prediction> Predictor::predict_batch(const std::vector<cv::Mat>& images, bool probabilities) const {
  const auto& m = *impl_;
  if (images.empty()) return {};
  for (const auto& image : images)
    if (image.empty() || image.type() != CV_8UC3)
      throw DataError("Predictor: expected a non-empty 8-bit RGB image (CV_8UC3)");
  const cv::Size net = network_size(images.front().size());
  for (const auto& image : images)
    if (network_size(image.size()) != net)
      throw UserError("Predictor::predict_batch: images of network sizes " + std::to_string(net.width) + "x" +
                      std::to_string(net.height) + " and " + std::to_string(network_size(image.size()).width) + "x" +
                      std::to_string(network_size(image.size()).height) + " cannot share a batch");

  c10::InferenceMode guard;
  // Every view's softmax probabilities at each image's size, summed ([C, H, W] fp32 on the CPU).
  std::vector<torch::Tensor> sums(images.size());
  torch::Tensor batch;  // the network input of the current scale (mirrored views reuse it)
  double batch_scale = 0;
  for (const TtaView& view : m.views) {
    if (!batch.defined() || view.scale != batch_scale) {
      const cv::Size size = scaled_size(net, view.scale);
      std::vector<torch::Tensor> inputs;
      inputs.reserve(images.size());
      for (const auto& image : images) {
        cv::Mat resized = image;
        if (image.size() != size) cv::resize(image, resized, size, 0, 0, cv::INTER_LINEAR);
        inputs.push_back(data::image_to_tensor(resized, m.spec.preprocessing));
      }
      batch = torch::stack(inputs).to(m.device);
      batch_scale = view.scale;
    }
    torch::Tensor logits = m.model->forward(view.flip ? batch.flip({3}) : batch);
    if (view.flip) logits = logits.flip({3});  // mirrored back: pixel x answers for pixel x again
    for (std::size_t i = 0; i < images.size(); ++i) {
      const int h = images[i].rows, w = images[i].cols;
      torch::Tensor li = logits.slice(0, static_cast<int64_t>(i), static_cast<int64_t>(i) + 1);
      if (li.size(2) != h || li.size(3) != w)
        li = torch::nn::functional::interpolate(
            li, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBilinear).align_corners(false));
      torch::Tensor probs = torch::softmax(li.squeeze(0), 0).to(torch::kCPU, torch::kFloat32);
      if (sums[i].defined())
        sums[i].add_(probs);
      else
        sums[i] = probs;
    }
  }

  std::vector<Prediction> out(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) {
    const int h = images[i].rows, w = images[i].cols;
    Prediction& p = out[i];
    p.num_classes = m.spec.num_classes;
    // The mask is the argmax of the probabilities themselves (not of the logits), so that a reader
    // of the probability answer finds exactly the mask answer, ties included (first id wins).
    const torch::Tensor probs =
        (m.views.size() == 1 ? sums[i] : sums[i].div_(static_cast<double>(m.views.size()))).contiguous();
    const torch::Tensor mask = probs.argmax(0).to(torch::kUInt8).contiguous();
    p.mask = cv::Mat(h, w, CV_8UC1);
    std::memcpy(p.mask.data, mask.data_ptr<std::uint8_t>(), static_cast<std::size_t>(h) * static_cast<std::size_t>(w));
    if (probabilities) {
      const float* data = probs.data_ptr<float>();
      p.probabilities.assign(data, data + probs.numel());
    }
  }
  return out;
}

}  // namespace segmaker::inference
