// The device parser (inference/device.h).
#include "inference/device.h"

#include "io/error.h"

namespace segmaker::inference {

torch::Device resolve_device(const std::string& name) {
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(name);
  } catch (const c10::Error&) {
    throw UserError("unknown device '" + name + "': expected cpu, cuda or cuda:<index>");
  }
  if (device.is_cuda() && !torch::cuda::is_available())
    throw UserError("device '" + name + "' asks for CUDA, but this LibTorch build sees no CUDA device; use --device cpu");
  return device;
}

}  // namespace segmaker::inference
