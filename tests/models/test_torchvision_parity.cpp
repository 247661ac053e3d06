// Numerical parity with torchvision: a segmaker model's state dict loads into the torchvision
// architecture (strict names and shapes) and both compute the same logits. Needs Debian's
// python3-torch + python3-torchvision (/usr/bin/python3); skipped with a message without them.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "models/registry.h"
#include "support/test_util.h"

namespace segmaker::models {
namespace {

bool have_torchvision() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import torchvision' > /dev/null 2>&1") == 0;
  return ok;
}

std::vector<char> read_bytes(const test::fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expect_parity(const std::string& algorithm, const std::string& backbone, int os) {
  SCOPED_TRACE(algorithm + " " + backbone + " os" + std::to_string(os));
  torch::manual_seed(3);
  ModelSpec spec;
  spec.algorithm = algorithm;
  spec.backbone = backbone;
  spec.num_classes = 3;
  spec.output_stride = os;
  spec.aux = true;
  auto model = build_model(spec);
  torch::NoGradGuard no_grad;
  model->train();  // non-trivial running statistics
  for (int i = 0; i < 2; ++i) model->forward(torch::randn({2, 3, 40, 36}) * 1.5 + 0.3);
  model->eval();
  const auto x = torch::randn({1, 3, 37, 45});
  const auto ours = model->forward(x);

  c10::impl::GenericDict state(c10::StringType::get(), c10::TensorType::get());
  for (const auto& p : model->named_parameters()) state.insert(p.key(), p.value());
  for (const auto& b : model->named_buffers()) state.insert(b.key(), b.value());
  c10::impl::GenericDict data(c10::StringType::get(), c10::AnyType::get());
  data.insert("state", state);
  data.insert("x", x);
  test::TempDir dir;
  {
    const auto bytes = torch::pickle_save(data);
    std::ofstream(dir / "in.pt", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const std::string cmd = "/usr/bin/python3 '" + std::string(SEGMAKER_SOURCE_DIR) + "/tests/models/torchvision_reference.py' " +
                          algorithm + " " + backbone + " " + std::to_string(os) + " 3 '" + (dir / "in.pt").string() +
                          "' '" + (dir / "out.pt").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto result = torch::pickle_load(read_bytes(dir / "out.pt")).toGenericDict();
  const auto out = result.at("out").toTensor(), aux = result.at("aux").toTensor();
  EXPECT_TRUE(torch::allclose(ours.out, out, 1e-4, 1e-4)) << "max diff " << (ours.out - out).abs().max().item<float>();
  EXPECT_TRUE(torch::allclose(ours.aux, aux, 1e-4, 1e-4)) << "max diff " << (ours.aux - aux).abs().max().item<float>();
}

// Every run also checks the auxiliary head, which is torchvision's FCNHead: FCN is covered twice.
TEST(TorchvisionParity, PspOnResNet18) {
  if (!have_torchvision()) GTEST_SKIP() << "/usr/bin/python3 with torchvision not available";
  expect_parity("psp", "resnet-18", 32);
}

TEST(TorchvisionParity, DilatedBottleneckDeepLabOnResNet50) {
  if (!have_torchvision()) GTEST_SKIP() << "/usr/bin/python3 with torchvision not available";
  expect_parity("deeplab", "resnet-50", 8);
}

}  // namespace
}  // namespace segmaker::models
