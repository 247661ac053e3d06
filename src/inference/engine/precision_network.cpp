// The folded network as a list of convolutions and its forward pass (see precision_network.h).
#include "inference/engine/precision_network.h"

#include <map>

#include "models/heads.h"
#include "models/batchnorm_folding.h"
#include "models/resnet.h"

namespace segmaker::inference {
namespace {

std::vector<int64_t> as_vector(c10::IntArrayRef a) { return a.vec(); }

// A backend that only computes shapes, to count FLOPs without running the network.
class ShapeBackend : public NetworkBackend {
 public:
  double flops = 0;
  torch::Tensor input(const torch::Tensor& x) override { return x; }
  torch::Tensor conv(const ConvLayer& l, const torch::Tensor& x) override {
    const auto& w = l.weight;
    auto out = [&](int64_t in, int d) {
      return (in + 2 * l.padding[d] - l.dilation[d] * (w.size(2 + d) - 1) - 1) / l.stride[d] + 1;
    };
    auto y = torch::empty({x.size(0), w.size(0), out(x.size(2), 0), out(x.size(3), 1)});
    flops += 2.0 * static_cast<double>(y.numel()) * static_cast<double>(w.size(1) * w.size(2) * w.size(3));
    return y;
  }
  torch::Tensor add_relu(const std::string&, const torch::Tensor& a, const torch::Tensor&) override { return a; }
  torch::Tensor cat(const std::string&, const std::vector<torch::Tensor>& xs) override {
    int64_t c = 0;
    for (const auto& x : xs) c += x.size(1);
    return torch::empty({xs[0].size(0), c, xs[0].size(2), xs[0].size(3)});
  }
  torch::Tensor logits(const ConvLayer& l, const torch::Tensor& x) override { return conv(l, x); }
  torch::Tensor max_pool(const torch::Tensor& x) override {
    return torch::empty({x.size(0), x.size(1), (x.size(2) - 1) / 2 + 1, (x.size(3) - 1) / 2 + 1});
  }
  torch::Tensor adaptive_avg_pool(const torch::Tensor& x, int64_t bins) override {
    return torch::empty({x.size(0), x.size(1), bins, bins});
  }
  torch::Tensor resize(const torch::Tensor& x, int64_t h, int64_t w) override {
    return torch::empty({x.size(0), x.size(1), h, w});
  }
};

}  // namespace

PrecisionNetwork::PrecisionNetwork(models::SegmentationModel& model) : spec_(model->spec()) {
  model->eval();
  bool has_bn = false;
  for (const auto& item : model->named_modules()) {
    if (item.key().rfind("aux_classifier", 0) == 0) continue;
    if (item.value()->as<torch::nn::BatchNorm2d>() != nullptr) has_bn = true;
  }
  if (has_bn) models::fold_batchnorm(*model);
  for (const auto& item : model->named_modules()) {
    if (item.key().rfind("aux_classifier", 0) == 0) continue;
    if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(item.value())) convs_.emplace_back(item.key(), conv);
  }

  activation_names_.push_back("input");
  stem_ = add_layer("backbone.conv1", true);
  const auto layout = models::resnet_layout(spec_.backbone);
  for (int stage = 0; stage < 4; ++stage) {
    for (int b = 0; b < layout.blocks[stage]; ++b) {
      const std::string prefix = "backbone.layer" + std::to_string(stage + 1) + "." + std::to_string(b) + ".";
      Block block;
      block.conv1 = add_layer(prefix + "conv1", true);
      block.conv2 = add_layer(prefix + "conv2", layout.bottleneck);
      if (layout.bottleneck) block.conv3 = add_layer(prefix + "conv3", false);
      const bool has_downsample = std::any_of(convs_.begin(), convs_.end(),
                                              [&](const auto& c) { return c.first == prefix + "downsample.0"; });
      if (has_downsample) block.downsample = add_layer(prefix + "downsample.0", false);
      block.join = prefix.substr(0, prefix.size() - 1);
      activation_names_.push_back(block.join);
      blocks_.push_back(block);
    }
    if (stage == 2) layer3_blocks_ = blocks_.size();
  }
  if (spec_.algorithm == "fcn") {
    head_ = {add_layer("classifier.0", true)};
    final_ = add_layer("classifier.4", false);
  } else if (spec_.algorithm == "psp") {
    auto& parts = concat_inputs_["classifier.0.cat"];
    parts.push_back(blocks_.back().join);
    for (size_t i = 0; i < psp_bins().size(); ++i) {
      head_.push_back(add_layer("classifier.0.stages." + std::to_string(i) + ".1", true));
      parts.push_back(layers_.back().name);
    }
    activation_names_.push_back("classifier.0.cat");
    head_.push_back(add_layer("classifier.1", true));
    final_ = add_layer("classifier.5", false);
  } else {  // deeplab
    for (int i = 0; i < 4; ++i) head_.push_back(add_layer("classifier.0.convs." + std::to_string(i) + ".0", true));
    head_.push_back(add_layer("classifier.0.convs.4.1", true));
    for (int i = 0; i < 5; ++i) concat_inputs_["classifier.0.cat"].push_back(layers_[head_[i]].name);
    activation_names_.push_back("classifier.0.cat");
    head_.push_back(add_layer("classifier.0.project.0", true));
    head_.push_back(add_layer("classifier.1", true));
    final_ = add_layer("classifier.4", false);
  }
  activation_names_.pop_back();  // the final layer's output is fp32 logits, not an activation point
  convs_.clear();
}

int PrecisionNetwork::add_layer(const std::string& name, bool relu) {
  auto it = std::find_if(convs_.begin(), convs_.end(), [&](const auto& c) { return c.first == name; });
  TORCH_CHECK(it != convs_.end(), "PrecisionNetwork: the ", models::describe(spec_), " model has no convolution '",
              name, "'");
  const auto& conv = *it->second;
  const auto& o = conv.options;
  TORCH_CHECK(o.groups() == 1, "PrecisionNetwork: grouped convolution '", name, "' is not supported");
  ConvLayer layer;
  layer.index = static_cast<int>(layers_.size());
  layer.name = name;
  layer.weight = conv.weight;
  layer.bias = conv.bias.defined() ? conv.bias : torch::zeros({conv.weight.size(0)}, conv.weight.options());
  layer.stride = as_vector(*o.stride());
  layer.dilation = as_vector(*o.dilation());
  // Every convolution of these models pads by dilation * (kernel - 1) / 2 ("same" for stride 1).
  const auto kernel = as_vector(*o.kernel_size());
  layer.padding = {layer.dilation[0] * (kernel[0] - 1) / 2, layer.dilation[1] * (kernel[1] - 1) / 2};
  layer.relu = relu;
  layers_.push_back(layer);
  activation_names_.push_back(name);
  return layer.index;
}

torch::Tensor PrecisionNetwork::forward(const torch::Tensor& x, NetworkBackend& b) const {
  auto logits = b.logits(layers_[final_], head(backbone(x, b).layer4, b));
  return models::resize_bilinear(logits, x.size(2), x.size(3)).contiguous();
}

PrecisionNetwork::Features PrecisionNetwork::backbone(const torch::Tensor& x, NetworkBackend& b, bool with_layer3) const {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == 3, "segmentation model expects an [N, 3, H, W] tensor, got ", x.sizes());
  Features features;
  auto y = b.conv(layers_[stem_], b.input(x));
  y = b.max_pool(y);
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const Block& block = blocks_[i];
    auto out = b.conv(layers_[block.conv1], y);
    out = b.conv(layers_[block.conv2], out);
    if (block.conv3 >= 0) out = b.conv(layers_[block.conv3], out);
    auto shortcut = block.downsample >= 0 ? b.conv(layers_[block.downsample], y) : y;
    y = b.add_relu(block.join, out, shortcut);
    // The next block adds into its own output, never into y: keeping y as layer3 is safe.
    if (with_layer3 && i + 1 == layer3_blocks_) features.layer3 = y;
  }
  features.layer4 = y;
  return features;
}

torch::Tensor PrecisionNetwork::head(const torch::Tensor& x, NetworkBackend& b) const {
  const int64_t h = x.size(2), w = x.size(3);
  if (spec_.algorithm == "fcn") return b.conv(layers_[head_[0]], x);  // dropout: identity in eval
  std::vector<torch::Tensor> parts;
  if (spec_.algorithm == "psp") {
    parts.push_back(x);
    for (size_t i = 0; i < psp_bins().size(); ++i)
      parts.push_back(b.resize(b.conv(layers_[head_[i]], b.adaptive_avg_pool(x, psp_bins()[i])), h, w));
    return b.conv(layers_[head_.back()], b.cat("classifier.0.cat", parts));
  }
  for (int i = 0; i < 4; ++i) parts.push_back(b.conv(layers_[head_[i]], x));
  // ASPP's image pooling branch: a 1x1 map broadcast back (bilinear from one pixel is a copy).
  parts.push_back(b.resize(b.conv(layers_[head_[4]], b.adaptive_avg_pool(x, 1)), h, w));
  auto y = b.conv(layers_[head_[5]], b.cat("classifier.0.cat", parts));  // project (+ dropout: identity)
  return b.conv(layers_[head_[6]], y);
}

double PrecisionNetwork::conv_flops(int64_t height, int64_t width) const {
  ShapeBackend shapes;
  forward(torch::empty({1, 3, height, width}), shapes);
  return shapes.flops;
}

}  // namespace segmaker::inference
