// One model in one precision (see precision_model.h).
#include "inference/engine/precision_model.h"

#include "io/error.h"
#include "models/batchnorm_folding.h"

namespace segmaker::inference {

PrecisionModel::PrecisionModel(models::SegmentationModel model, Precision precision, const Calibration* calibration,
                               TensorLayout bf16_layout, bool fold_batchnorm, const Int8Options& int8)
    : model_(std::move(model)), precision_(precision) {
  if (!fold_batchnorm && precision_ != Precision::fp32)
    throw UserError("precision " + to_string(precision_) + " needs the batch norms folded into the convolutions");
  models::InferenceOptions options;
  options.fold_batchnorm = fold_batchnorm;
  models::prepare_for_inference(model_, options);
  switch (precision_) {
    case Precision::fp32:
      return;  // the folded module itself
    case Precision::bf16:
      network_ = std::make_unique<PrecisionNetwork>(model_);
      backend_ = std::make_unique<FloatBackend>(*network_, torch::kBFloat16, bf16_layout);
      return;
    case Precision::int8:
      if (calibration == nullptr || calibration->empty())
        throw UserError("precision int8 needs a calibrated model: run `segmaker quantize` first");
      network_ = std::make_unique<PrecisionNetwork>(model_);
      backend_ = std::make_unique<Int8Backend>(*network_, *calibration, int8);
      return;
    case Precision::automatic:
      break;
  }
  throw std::logic_error("PrecisionModel: resolve precision 'auto' with choose_precision() first");
}

PrecisionModel::~PrecisionModel() = default;

torch::Tensor PrecisionModel::forward(const torch::Tensor& x) const {
  if (precision_ == Precision::fp32) return model_->forward(x).out;
  return network_->forward(x, *backend_);
}

Calibration calibrate(const PrecisionNetwork& network, const std::vector<torch::Tensor>& batches,
                      const std::string& method) {
  c10::InferenceMode guard;
  RangeObserver observer(method);
  FloatBackend fp32(network, torch::kFloat32, TensorLayout::nchw, &observer);
  for (const auto& x : batches) network.forward(x, fp32);
  return observer.calibration();
}

}  // namespace segmaker::inference
