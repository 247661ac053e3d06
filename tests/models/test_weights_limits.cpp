// Damaged or hostile weight files are refused with a UserError and never take the process down:
// a file that does not start like PyTorch's zip is refused before it is read whole, a record that
// declares more bytes than the file holds before LibTorch allocates it, and what fuzz_weights_file
// found in LibTorch's own reader (tests/fuzz_regressions/fuzz_weights_file) fails cleanly.
#include <torch/torch.h>

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>

#include "io/error.h"
#include "io/paths.h"
#include "models/weights.h"
#include "support/peak_memory.h"
#include "support/test_util.h"

namespace segmaker::models {
namespace {

namespace fs = std::filesystem;

std::string small_weight_file() {
  WeightFile w;
  w.tensors.emplace_back("conv.weight", torch::ones({2, 3, 1, 1}));
  w.tensors.emplace_back("bn.running_mean", torch::zeros({2}));
  return weights_to_bytes(w);
}

TEST(WeightLimits, AFileThatIsNotAZipIsRefusedBeforeItIsRead) {
  test::TempDir tmp;
  const fs::path zeros = tmp / "zeros.pt";
  { std::ofstream(zeros) << std::string(16, '\0'); }
  fs::resize_file(zeros, std::uintmax_t(1) << 30);  // 1 GB of zeros, sparse
  const auto run = test::run_in_child([&] {
    const std::string e = test::message_of<UserError>([&] { load_weight_file(zeros); });
    return e.find("refused before reading it") != std::string::npos;
  });
  EXPECT_TRUE(run.ok);
  EXPECT_LT(run.peak_growth_mib, 64.0) << "the zero file was read whole";
  EXPECT_NE(test::message_of<UserError>([] { weights_from_bytes(std::string(1000, '\0')); }).find("does not start like"),
            std::string::npos);
}

TEST(WeightLimits, ARecordDeclaringMoreThanTheFileIsRefusedBeforeLibTorchAllocatesIt) {
  std::string bytes = small_weight_file();
  ASSERT_EQ(weights_from_bytes(bytes).tensors.size(), 2u);
  // The central directory entry of the first record: uncompressed size (offset 24) set to 3 GB.
  const auto central = bytes.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(central, std::string::npos);
  const std::uint32_t size = 3u << 30;
  for (int i = 0; i < 4; ++i) bytes[central + 24 + static_cast<std::size_t>(i)] = static_cast<char>((size >> (8 * i)) & 0xFF);
  const std::string e = test::message_of<UserError>([&] { weights_from_bytes(bytes); });
  EXPECT_NE(e.find("more than the file holds"), std::string::npos) << e;
}

// fuzz_weights_file found 1.8 KB files for which LibTorch 1.13's unpickler sizes its memo table from
// an index in the file (torch::jit::Unpickler::setInput: 22 GB here). We cannot bound LibTorch's own
// allocations; with the address space limited to what a real machine would grant, the load must fail
// with a UserError, not crash or abort.
TEST(WeightLimits, WhatTheFuzzerFoundInLibTorchsReaderFailsCleanly) {
  const fs::path dir = fs::path(SEGMAKER_SOURCE_DIR) / "tests" / "fuzz_regressions" / "fuzz_weights_file";
  for (const auto& f : fs::directory_iterator(dir)) {
    const std::string bytes = io::read_file(f.path());
    const auto run = test::run_in_child([&] {
      rlimit limit{};
      limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(test::virtual_mib() + 4096) << 20;
      ::setrlimit(RLIMIT_AS, &limit);
      test::message_of<UserError>([&] { weights_from_bytes(bytes, f.path().filename().string()); });
      return true;  // a UserError, or none: anything else (an abort, another exception) fails the child
    });
    EXPECT_TRUE(run.ok) << f.path();
  }
}

}  // namespace
}  // namespace segmaker::models
