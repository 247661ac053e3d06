// --precision through the real executable: on a CPU without the instructions (oneDNN told to stop at
// AVX2 with ONEDNN_MAX_CPU_ISA, which its ISA query and kernels honour) an explicit bf16 is an error
// that says what is missing, and auto says it runs fp32; int8 without a calibrated model is an error
// that names segmaker quantize.
#include <gtest/gtest.h>

#include <cstdlib>

#include <opencv2/imgcodecs.hpp>

#include "inference/artifact.h"
#include "io/paths.h"
#include "support/test_util.h"
#include "support/tiny_model.h"

namespace segmaker::inference {
namespace {

// Sets an environment variable for the children started while it lives.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

TEST(PrecisionCli, UnsupportedPrecisionIsAnErrorAndAutoSaysWhatItRuns) {
  test::TempDir dir;
  write_artifact(dir / "model.tar.gz", test::tiny_artifact(3, 64));
  std::filesystem::create_directories(dir / "in");
  cv::Mat image(48, 64, CV_8UC3, cv::Scalar(30, 120, 200));
  ASSERT_TRUE(cv::imwrite((dir / "in" / "a.png").string(), image));
  const std::string common = "--threads 2 predict --model '" + (dir / "model.tar.gz").string() + "' --input '" +
                             (dir / "in").string() + "' --accept image/png ";
  {
    ScopedEnv avx2("ONEDNN_MAX_CPU_ISA", "AVX2");
    EXPECT_NE(test::run_cli(common + "--output '" + (dir / "out1").string() + "' --precision bf16", dir / "bf16.log"), 0);
    const std::string log = io::read_file(dir / "bf16.log");
    EXPECT_NE(log.find("AVX512_BF16"), std::string::npos) << log;
    EXPECT_NE(log.find("avx2"), std::string::npos) << log;
    EXPECT_FALSE(std::filesystem::exists(dir / "out1" / "a.png"));

    ASSERT_EQ(test::run_cli(common + "--output '" + (dir / "out2").string() + "'", dir / "auto.log"), 0)
        << io::read_file(dir / "auto.log");
    EXPECT_NE(io::read_file(dir / "auto.log").find("precision auto -> fp32"), std::string::npos)
        << io::read_file(dir / "auto.log");
    EXPECT_TRUE(std::filesystem::exists(dir / "out2" / "a.png"));
  }
  EXPECT_NE(test::run_cli(common + "--output '" + (dir / "out3").string() + "' --precision int8", dir / "int8.log"), 0);
  const std::string log = io::read_file(dir / "int8.log");
  EXPECT_TRUE(log.find("segmaker quantize") != std::string::npos || log.find("VNNI") != std::string::npos) << log;
}

}  // namespace
}  // namespace segmaker::inference
