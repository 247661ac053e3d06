// The precision flag, the CPU query and the choice rule (inference/engine/precision.h): every branch of
// `auto`, and the clear error for an explicit precision the CPU or the model cannot run.
#include <gtest/gtest.h>

#include "inference/engine/precision.h"
#include "io/error.h"
#include "support/test_util.h"

namespace segmaker::inference {
namespace {

CpuFeatures zen4() { return {"avx512_core_bf16", true, true, true, false}; }
CpuFeatures avx512_only() { return {"avx512_core", true, false, false, false}; }
CpuFeatures avx2() { return {"avx2", false, false, false, false}; }

TEST(Precision, ParsesTheFourNamesInAnyCase) {
  EXPECT_EQ(parse_precision("fp32"), Precision::fp32);
  EXPECT_EQ(parse_precision("BF16"), Precision::bf16);
  EXPECT_EQ(parse_precision("Int8"), Precision::int8);
  EXPECT_EQ(parse_precision("auto"), Precision::automatic);
  for (const auto& name : precision_names()) EXPECT_EQ(to_string(parse_precision(name)), name);
}

TEST(Precision, RejectsAnUnknownNameListingTheAllowedOnes) {
  const std::string msg = test::message_of<UserError>([] { parse_precision("fp16"); });
  EXPECT_NE(msg.find("fp32, bf16, int8, auto"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"fp16\""), std::string::npos) << msg;
  EXPECT_THROW(parse_precision(""), UserError);
}

TEST(Precision, AutoPicksInt8OnlyForACalibratedModelOnAVnniCpu) {
  EXPECT_EQ(choose_precision(Precision::automatic, zen4(), {false, true}).precision, Precision::int8);
  const auto uncalibrated = choose_precision(Precision::automatic, zen4(), {false, false});
  EXPECT_EQ(uncalibrated.precision, Precision::bf16);
  EXPECT_NE(uncalibrated.reason.find("segmaker quantize"), std::string::npos) << uncalibrated.reason;
}

TEST(Precision, AutoSaysItUsesFp32WhereTheCpuLacksTheInstructions) {
  for (const auto& cpu : {avx512_only(), avx2()}) {
    const auto c = choose_precision(Precision::automatic, cpu, {false, true});
    EXPECT_EQ(c.precision, cpu.vnni ? Precision::int8 : Precision::fp32);
    EXPECT_NE(c.reason.find("fp32"), std::string::npos) << c.reason;
    EXPECT_NE(c.reason.find(cpu.isa), std::string::npos) << c.reason;
  }
  EXPECT_EQ(choose_precision(Precision::automatic, zen4(), {true, true}).precision, Precision::fp32);  // GPU
}

TEST(Precision, AnExplicitPrecisionTheCpuLacksIsAClearError) {
  std::string msg = test::message_of<UserError>([] { choose_precision(Precision::bf16, avx512_only(), {}); });
  EXPECT_NE(msg.find("AVX512_BF16"), std::string::npos) << msg;
  EXPECT_NE(msg.find("avx512_core"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--precision fp32"), std::string::npos) << msg;
  msg = test::message_of<UserError>([] { choose_precision(Precision::int8, avx2(), {false, true}); });
  EXPECT_NE(msg.find("VNNI"), std::string::npos) << msg;
  EXPECT_THROW(choose_precision(Precision::int8, zen4(), {true, true}), UserError);  // int8 on a GPU
  msg = test::message_of<UserError>([] { choose_precision(Precision::int8, zen4(), {false, false}); });
  EXPECT_NE(msg.find("segmaker quantize"), std::string::npos) << msg;
  EXPECT_EQ(choose_precision(Precision::fp32, avx2(), {}).precision, Precision::fp32);
  EXPECT_EQ(choose_precision(Precision::bf16, zen4(), {}).precision, Precision::bf16);
}

TEST(Precision, DetectsThisCpuThroughOneDnn) {
  const auto cpu = detect_cpu_features();
  std::cout << "  oneDNN ISA: " << cpu.isa << " (avx512 " << cpu.avx512 << ", vnni " << cpu.vnni << ", bf16 " << cpu.bf16
            << ", amx " << cpu.amx << ")\n";
  EXPECT_FALSE(cpu.isa.empty());
  if (cpu.bf16) EXPECT_TRUE(cpu.avx512 && cpu.vnni);  // oneDNN's ISA levels nest
  if (cpu.amx) EXPECT_TRUE(cpu.bf16);
}

}  // namespace
}  // namespace segmaker::inference
