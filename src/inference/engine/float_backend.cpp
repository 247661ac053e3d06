// fp32 / bf16 execution of PrecisionNetwork and the calibration observer (see float_backend.h).
#include "inference/engine/float_backend.h"

#include <ATen/CPUGeneratorImpl.h>
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

namespace {

constexpr int64_t kSamplePerCall = 16384;    // values drawn from every observed tensor
constexpr int64_t kSampleLimit = 1 << 19;    // values kept per activation point (2 MB)

// Mean squared error of quantizing `v` to uint8 on [lo, hi] (clipping outside).
double quantization_mse(const torch::Tensor& v, double lo, double hi) {
  const auto q = uint8_params({static_cast<float>(lo), static_cast<float>(hi)});
  const auto levels = torch::clamp(torch::round(v / q.scale) + static_cast<double>(q.zero_point), 0, 255);
  return (v - (levels - static_cast<double>(q.zero_point)) * q.scale).square().mean().item<double>();
}

}  // namespace

ActivationRange least_squares_range(const torch::Tensor& values) {
  const auto v = values.to(torch::kFloat32).flatten();
  const auto sorted = std::get<0>(v.sort());
  const int64_t n = sorted.numel();
  auto quantile = [&](double q) { return sorted[std::min<int64_t>(n - 1, static_cast<int64_t>(q * (n - 1)))].item<double>(); };
  const double lo_max = std::min(0.0, quantile(0.0)), hi_max = std::max(0.0, quantile(1.0));
  // Candidates: fractions of the observed extremes and high quantiles (the tails of real activations).
  std::vector<double> his, los;
  for (double f : {1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2}) his.push_back(hi_max * f);
  for (double q : {0.9999, 0.9995, 0.999, 0.995, 0.99}) his.push_back(std::max(0.0, quantile(q)));
  los.push_back(lo_max);
  if (lo_max < 0) {
    for (double f : {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2}) los.push_back(lo_max * f);
    for (double q : {0.0001, 0.0005, 0.001, 0.005, 0.01}) los.push_back(std::min(0.0, quantile(q)));
  }
  ActivationRange best{static_cast<float>(lo_max), static_cast<float>(hi_max)};
  double best_error = quantization_mse(v, lo_max, hi_max);
  for (double hi : his)
    for (double lo : los) {
      if (hi - lo <= 0) continue;
      const double e = quantization_mse(v, lo, hi);
      if (e < best_error) {
        best_error = e;
        best = {static_cast<float>(lo), static_cast<float>(hi)};
      }
    }
  return best;
}

RangeObserver::RangeObserver(std::string method) : method_(std::move(method)) {
  if (method_ != "minmax" && method_ != "mse")
    throw UserError("calibration method must be minmax or mse, got \"" + method_ + "\"");
  generator_ = at::detail::createCPUGenerator(/*seed_val=*/12345);
}

void RangeObserver::observe(const std::string& name, const torch::Tensor& x) {
  const auto t = (x.is_mkldnn() ? x.to_dense() : x).to(torch::kFloat32).flatten();
  const auto mm = torch::aminmax(t);
  const float lo = std::get<0>(mm).item<float>(), hi = std::get<1>(mm).item<float>();
  auto [it, inserted] = seen_.try_emplace(name, Seen{ActivationRange{lo, hi}, {}, 0});
  Seen& s = it->second;
  if (!inserted) {
    s.range.min = std::min(s.range.min, lo);
    s.range.max = std::max(s.range.max, hi);
  }
  if (method_ != "mse") return;
  auto sample = t.numel() <= kSamplePerCall ? t.clone()
                                             : t.index_select(0, torch::randint(t.numel(), {kSamplePerCall}, generator_,
                                                                                torch::kLong));
  s.sampled += sample.numel();
  s.sample.push_back(sample);
  if (s.sampled > kSampleLimit) {  // keep a random subset of everything seen so far
    auto all = torch::cat(s.sample);
    s.sample = {all.index_select(0, torch::randperm(all.numel(), generator_, torch::kLong).slice(0, 0, kSampleLimit / 2))};
    s.sampled = s.sample.front().numel();
  }
}

Calibration RangeObserver::calibration() const {
  Calibration c;
  c.method = method_;
  c.samples = samples_;
  for (const auto& [name, s] : seen_)
    c.ranges[name] = method_ == "mse" && !s.sample.empty() ? least_squares_range(torch::cat(s.sample)) : s.range;
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

torch::Tensor FloatBackend::max_pool(const torch::Tensor& x) { return torch::max_pool2d(x, {3, 3}, {2, 2}, {1, 1}, {1, 1}); }

torch::Tensor FloatBackend::adaptive_avg_pool(const torch::Tensor& x, int64_t bins) {
  return torch::adaptive_avg_pool2d(dense(x), {bins, bins});
}

torch::Tensor FloatBackend::resize(const torch::Tensor& x, int64_t height, int64_t width) {
  return models::resize_bilinear(dense(x), height, width);
}

}  // namespace segmaker::inference
