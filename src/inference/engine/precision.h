#pragma once
// Inference precision: the user's choice (--precision fp32|bf16|int8|auto), what this CPU can run
// fast (detected at run time from oneDNN, the library LibTorch's CPU kernels come from), and the
// one rule that turns both into the precision a Predictor uses, with the sentence it logs.
// Torch-free on purpose: the CLI, the server and the artifact code include it.
#include <string>
#include <vector>

namespace segmaker::inference {

enum class Precision { fp32, bf16, int8, automatic };

// "fp32" | "bf16" | "int8" | "auto" (case-insensitive). UserError on anything else.
Precision parse_precision(const std::string& text);
// "fp32", "bf16", "int8", "auto".
std::string to_string(Precision precision);
// The names parse_precision accepts, in the order --help lists them.
const std::vector<std::string>& precision_names();
// The ones training takes (hyperparameter `precision`): int8 is an inference precision only.
const std::vector<std::string>& training_precision_names();

// What the CPU offers the inference kernels. `isa` is oneDNN's effective ISA: the instructions
// its kernels really use, which honours ONEDNN_MAX_CPU_ISA / DNNL_MAX_CPU_ISA (so a machine can be
// told to behave like an older CPU).
struct CpuFeatures {
  std::string isa;          // e.g. "avx512_core_bf16", "avx2"
  bool avx512 = false;      // AVX-512 (F/BW/VL/DQ): oneDNN's avx512_core
  bool vnni = false;        // int8 dot products (AVX512_VNNI or AVX_VNNI): fast int8
  bool bf16 = false;        // AVX512_BF16 (or AMX): native bf16 dot products
  bool amx = false;         // AMX tiles
};

// Asks oneDNN (once per call; cheap). Defined in cpu_features.cpp, the one file that links oneDNN.
CpuFeatures detect_cpu_features();

// What the model at hand allows besides the CPU.
struct ModelSupport {
  bool cuda = false;              // the model runs on a GPU (int8 is CPU only here)
  bool has_calibration = false;   // the artifact carries int8 activation ranges (segmaker quantize)
};

struct PrecisionChoice {
  Precision precision = Precision::fp32;  // never `automatic`
  std::string reason;                     // one sentence for the log: what was chosen and why
};

// The rule. `automatic` picks the fastest precision the CPU supports and the model allows:
// int8 when the artifact is calibrated and the CPU has VNNI, else bf16 when the CPU has native
// bf16, else fp32 -- and says so. An explicit bf16 / int8 the CPU or the model cannot run fast is a
// UserError naming what is missing and what to do (never a silent fallback to fp32).
PrecisionChoice choose_precision(Precision requested, const CpuFeatures& cpu, const ModelSupport& model);

// The rule's training variant (hyperparameter `precision`: what a training step computes in). auto
// takes bf16 on a CPU with native bf16 and fp32 on any other CPU and on a GPU (not every GPU computes
// bf16; ask for it with precision = bf16). An explicit bf16 on a CPU without native bf16 is a
// UserError (emulated bf16 is slower than fp32); int8 is a UserError (inference only).
PrecisionChoice choose_training_precision(Precision requested, const CpuFeatures& cpu, bool cuda);

}  // namespace segmaker::inference
