// fp32 / bf16 execution of PrecisionNetwork and the calibration observer (see precision_float.h).
#include "inference/precision_float.h"

#include <ATen/ops/mkldnn_convolution.h>
#include <ATen/ops/mkldnn_reorder_conv2d_weight.h>

#include "io/error.h"
#include "models/heads.h"

namespace segmaker::inference {

TensorLayout parse_layout(const std::string& name) {
  if (name == "nchw") return TensorLayout::nchw;
  if (name == "nhwc") return TensorLayout::nhwc;
  if (name == "blocked") return TensorLayout::blocked;
  throw UserError("layout must be one of nchw, nhwc, blocked, got \"" + name + "\"");
}

std::string to_string(TensorLayout layout) {
  switch (layout) {
    case TensorLayout::nchw: return "nchw";
    case TensorLayout::nhwc: return "nhwc";
    case TensorLayout::blocked: return "blocked";
  }
  return "?";
}

// --- RangeObserver ------------------------------------------------------------------------

void RangeObserver::observe(const std::string& name, const torch::Tensor& x) {
  const auto t = x.is_mkldnn() ? x.to_dense() : x;
  const auto mm = torch::aminmax(t.to(torch::kFloat32));
  const float lo = std::get<0>(mm).item<float>(), hi = std::get<1>(mm).item<float>();
  auto [it, inserted] = ranges_.try_emplace(name, ActivationRange{lo, hi});
  if (!inserted) {
    it->second.min = std::min(it->second.min, lo);
    it->second.max = std::max(it->second.max, hi);
  }
}

Calibration RangeObserver::calibration() const {
  Calibration c;
  c.method = "minmax";
  c.samples = samples_;
  c.ranges = ranges_;
  return c;
}

// --- FloatBackend -------------------------------------------------------------------------

FloatBackend::FloatBackend(const PrecisionNetwork& network, torch::ScalarType dtype, TensorLayout layout,
                           RangeObserver* observer)
    : dtype_(dtype), layout_(layout), observer_(observer) {
  TORCH_CHECK(dtype == torch::kFloat32 || dtype == torch::kBFloat16, "FloatBackend: fp32 or bf16 only");
  torch::NoGradGuard no_grad;
  for (const auto& l : network.layers()) {
    torch::Tensor w = l.weight.detach().to(dtype_).contiguous();
    torch::Tensor b = l.bias.detach().to(dtype_).contiguous();
    if (layout_ == TensorLayout::nhwc) w = w.contiguous(torch::MemoryFormat::ChannelsLast);
    if (layout_ == TensorLayout::blocked)
      w = at::mkldnn_reorder_conv2d_weight(w.to_mkldnn(), l.padding, l.stride, l.dilation, 1);
    weights_.push_back(w);
    biases_.push_back(b);
  }
}

torch::Tensor FloatBackend::dense(const torch::Tensor& x) const { return x.is_mkldnn() ? x.to_dense() : x; }

torch::Tensor FloatBackend::observed(const std::string& name, torch::Tensor x) {
  if (observer_ != nullptr) observer_->observe(name, x);
  return x;
}

torch::Tensor FloatBackend::input(const torch::Tensor& x) {
  if (observer_ != nullptr) observer_->add_samples(static_cast<int>(x.size(0)));
  auto y = observed("input", x).to(dtype_);
  if (layout_ == TensorLayout::nhwc) return y.contiguous(torch::MemoryFormat::ChannelsLast);
  if (layout_ == TensorLayout::blocked) return y.to_mkldnn();
  return y;
}

torch::Tensor FloatBackend::conv(const ConvLayer& l, const torch::Tensor& x) {
  torch::Tensor y;
  if (layout_ == TensorLayout::blocked) {
    y = at::mkldnn_convolution(x.is_mkldnn() ? x : x.contiguous().to_mkldnn(), weights_[l.index], biases_[l.index],
                               l.padding, l.stride, l.dilation, 1);
  } else {
    y = torch::conv2d(x, weights_[l.index], biases_[l.index], l.stride, l.padding, l.dilation);
  }
  if (l.relu) y.relu_();
  return observed(l.name, y);
}

torch::Tensor FloatBackend::add_relu(const std::string& name, const torch::Tensor& a, const torch::Tensor& b) {
  auto y = a.is_mkldnn() ? torch::add(a, b) : a.add_(b);
  y.relu_();
  return observed(name, y);
}

torch::Tensor FloatBackend::cat(const std::string& name, const std::vector<torch::Tensor>& xs) {
  std::vector<torch::Tensor> parts;
  for (const auto& x : xs) parts.push_back(dense(x));
  auto y = torch::cat(parts, 1);
  if (layout_ == TensorLayout::nhwc) y = y.contiguous(torch::MemoryFormat::ChannelsLast);
  return observed(name, y);
}

torch::Tensor FloatBackend::logits(const ConvLayer& l, const torch::Tensor& x) {
  return torch::conv2d(dense(x).to(torch::kFloat32), l.weight, l.bias, l.stride, l.padding, l.dilation);
}

torch::Tensor FloatBackend::max_pool(const torch::Tensor& x) { return torch::max_pool2d(x, 3, 2, 1); }

torch::Tensor FloatBackend::adaptive_avg_pool(const torch::Tensor& x, int64_t bins) {
  return torch::adaptive_avg_pool2d(dense(x), {bins, bins});
}

torch::Tensor FloatBackend::resize(const torch::Tensor& x, int64_t height, int64_t width) {
  return models::resize_bilinear(dense(x), height, width);
}

}  // namespace segmaker::inference
