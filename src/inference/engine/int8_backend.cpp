// Int8 execution of PrecisionNetwork on the oneDNN quantized engine (see int8_backend.h).
#include "inference/engine/int8_backend.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>

#include "io/error.h"
#include "models/heads.h"

namespace segmaker::inference {
namespace {

using Packed = Int8Backend::Packed;

// quantized::conv2d_prepack through the boxed call, so no optional type has to be spelled (LibTorch
// 1.13 registers c10::optional, 2.x std::optional).
Packed prepack(const torch::Tensor& qweight, const torch::Tensor& bias, const ConvLayer& l) {
  static const auto op = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::conv2d_prepack", "");
  std::vector<c10::IValue> stack{qweight, bias, torch::List<int64_t>(l.stride), torch::List<int64_t>(l.padding),
                                 torch::List<int64_t>(l.dilation), int64_t{1}};
  op.callBoxed(&stack);
  return stack.at(0).toCustomClass<ConvPackedParamsBase<2>>();
}

torch::Tensor quantized_add_relu(const torch::Tensor& a, const torch::Tensor& b, double scale, int64_t zero_point) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("quantized::add_relu", "")
                       .typed<at::Tensor(at::Tensor, at::Tensor, double, int64_t)>();
  return op.call(a, b, scale, zero_point);
}

// Symmetric per-output-channel qint8 (zero point 0, as oneDNN requires for weights).
torch::Tensor quantize_weight(const torch::Tensor& w) {
  auto max_abs = w.detach().abs().amax({1, 2, 3}).to(torch::kFloat64);
  auto scales = torch::clamp_min(max_abs / 127.0, 1e-12);
  auto zero_points = torch::zeros({w.size(0)}, torch::kLong);
  return torch::quantize_per_channel(w.detach().contiguous(), scales, zero_points, 0, torch::kQInt8);
}

}  // namespace

Int8Backend::Int8Backend(const PrecisionNetwork& network, const Calibration& calibration, const Int8Options& options) {
  const auto engines = at::globalContext().supportedQEngines();
  if (std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) == engines.end())
    throw UserError("precision int8 needs LibTorch's oneDNN quantized engine, which this LibTorch build lacks: "
                    "use --precision fp32 or bf16");
  at::globalContext().setQEngine(at::QEngine::ONEDNN);

  std::vector<std::string> missing;
  for (const auto& name : network.activation_names()) {
    auto it = calibration.ranges.find(name);
    if (it == calibration.ranges.end())
      missing.push_back(name);
    else
      params_[name] = uint8_params(it->second);
  }
  // The inputs of a concatenation take its quantization, so that joining them is a plain copy (the
  // concatenation's observed range is the union of theirs).
  if (missing.empty())
    for (const auto& [cat, parts] : network.concat_inputs())
      for (const auto& part : parts) params_[part] = params_.at(cat);
  if (!missing.empty())
    throw UserError("the int8 calibration does not fit this " + models::describe(network.spec()) + " model: " +
                    std::to_string(missing.size()) + " activation ranges missing (first: \"" + missing.front() +
                    "\"): re-run segmaker quantize on this model");

  for (const auto& name : options.float_layers)
    if (std::none_of(network.layers().begin(), network.layers().end(), [&](const ConvLayer& l) { return l.name == name; }))
      throw UserError("int8: the " + models::describe(network.spec()) + " model has no convolution '" + name +
                      "' to keep in fp32");

  torch::NoGradGuard no_grad;
  const int final_index = static_cast<int>(network.layers().size()) - 1;
  for (const auto& l : network.layers()) {
    qweights_.emplace_back();
    biases_.emplace_back();
    packed_.emplace_back();
    is_float_.push_back(l.index == final_index || options.float_layers.count(l.name) > 0);
    if (is_float_.back()) continue;  // float_conv(); the final classifier: logits()
    qweights_.back() = quantize_weight(l.weight);
    biases_.back() = l.bias.detach().to(torch::kFloat32).contiguous();
    packed_.back().copies.push_back(pack(l));
  }
}

Int8Backend::Packed Int8Backend::pack(const ConvLayer& l) const {
  return prepack(qweights_.at(l.index), biases_.at(l.index), l);
}

const QuantParams& Int8Backend::params(const std::string& name) const { return params_.at(name); }

torch::Tensor Int8Backend::input(const torch::Tensor& x) {
  if (is_float_.front()) return x;  // the stem takes the image in fp32
  const auto& q = params("input");
  return torch::quantize_per_tensor(x.contiguous(torch::MemoryFormat::ChannelsLast), q.scale, q.zero_point,
                                    torch::kQUInt8);
}

torch::Tensor Int8Backend::float_conv(const ConvLayer& l, const torch::Tensor& x) {
  const auto& q = params(l.name);
  auto y = torch::conv2d(x.is_quantized() ? x.dequantize() : x, l.weight, l.bias, l.stride, l.padding, l.dilation);
  if (l.relu) y.relu_();
  return torch::quantize_per_tensor(y.contiguous(torch::MemoryFormat::ChannelsLast), q.scale, q.zero_point, torch::kQUInt8);
}

torch::Tensor Int8Backend::conv(const ConvLayer& l, const torch::Tensor& x) {
  if (is_float_.at(l.index)) return float_conv(l, x);
  const auto& q = params(l.name);
  auto run = [&](const Packed& packed) {
    return l.relu ? packed->apply_relu(x, q.scale, q.zero_point) : packed->apply(x, q.scale, q.zero_point);
  };
  const InputSize size{x.size(2), x.size(3)};
  std::vector<Packed> copies;
  {
    std::shared_lock lock(packed_mutex_);
    const auto& packs = packed_.at(l.index);
    if (const auto known = packs.by_size.find(size); known != packs.by_size.end()) {
      const Packed packed = known->second;
      lock.unlock();
      return run(packed);
    }
    copies.assign(packs.copies.rbegin(), packs.copies.rend());
  }
  // A size seen the first time: the first copy whose layout fits it, else a fresh copy.
  for (const auto& packed : copies) {
    try {
      torch::Tensor y = run(packed);
      remember(l.index, size, packed, false);
      return y;
    } catch (const std::exception&) {  // ideep::error, not c10::Error
      // this copy's layout does not fit the input's size (int8_backend.h): try the next, else pack anew
    }
  }
  const Packed fresh = pack(l);
  torch::Tensor y = run(fresh);  // a fresh copy takes the layout of its first input
  remember(l.index, size, fresh, true);
  return y;
}

void Int8Backend::remember(int index, const InputSize& size, const Packed& packed, bool is_new_copy) {
  std::unique_lock lock(packed_mutex_);
  auto& packs = packed_.at(index);
  if (is_new_copy) {
    if (packs.copies.size() >= kMaxCopies) {
      const Packed oldest = packs.copies.front();
      packs.copies.erase(packs.copies.begin());
      for (auto it = packs.by_size.begin(); it != packs.by_size.end();)
        it = it->second == oldest ? packs.by_size.erase(it) : std::next(it);
    }
    packs.copies.push_back(packed);
  } else if (std::find(packs.copies.begin(), packs.copies.end(), packed) == packs.copies.end()) {
    return;  // another thread dropped this copy meanwhile
  }
  if (packs.by_size.size() >= kMaxSizes) packs.by_size.clear();  // sizes are found again on their next input
  packs.by_size.emplace(size, packed);
}

torch::Tensor Int8Backend::add_relu(const std::string& name, const torch::Tensor& a, const torch::Tensor& b) {
  const auto& q = params(name);
  return quantized_add_relu(a, b, q.scale, q.zero_point);
}

torch::Tensor Int8Backend::cat(const std::string& name, const std::vector<torch::Tensor>& xs) {
  const auto& q = params(name);
  std::vector<torch::Tensor> parts;
  for (const auto& x : xs) {
    const bool same = x.q_scale() == q.scale && x.q_zero_point() == q.zero_point;
    parts.push_back(same ? x : torch::quantize_per_tensor(x.dequantize(), q.scale, q.zero_point, torch::kQUInt8));
  }
  return torch::cat(parts, 1);  // quantized cat: all parts share the parameters
}

torch::Tensor Int8Backend::logits(const ConvLayer& l, const torch::Tensor& x) {
  return torch::conv2d(x.dequantize(), l.weight, l.bias, l.stride, l.padding, l.dilation);
}

torch::Tensor Int8Backend::max_pool(const torch::Tensor& x) { return torch::max_pool2d(x, {3, 3}, {2, 2}, {1, 1}, {1, 1}); }

torch::Tensor Int8Backend::adaptive_avg_pool(const torch::Tensor& x, int64_t bins) {
  return torch::adaptive_avg_pool2d(x, {bins, bins});
}

torch::Tensor Int8Backend::resize(const torch::Tensor& x, int64_t height, int64_t width) {
  return models::resize_bilinear(x, height, width);
}

}  // namespace segmaker::inference
