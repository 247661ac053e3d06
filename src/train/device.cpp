#include "train/device.h"

#include "io/error.h"

namespace segmaker::train {

torch::Device resolve_device(const std::string& name) {
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(name);
  } catch (const c10::Error&) {
    throw UserError("unknown device '" + name + "'; use cpu or cuda[:index]");
  }
  if (device.is_cuda() && !torch::cuda::is_available())
    throw UserError("--device " + name + " asked for CUDA, but this LibTorch build has no CUDA device available; use --device cpu");
  return device;
}

}  // namespace segmaker::train
