// The precisions' names and the choice rules, for inference and for training (see precision.h).
#include "inference/engine/precision.h"

#include <algorithm>
#include <cctype>

#include "io/error.h"

namespace segmaker::inference {
namespace {

// The one table of names: parse_precision, to_string and the lists --help and the hyperparameter
// table show all read it.
struct PrecisionName {
  Precision precision;
  const char* name;
  bool trains;  // a value of the hyperparameter `precision`
};
constexpr PrecisionName kNames[] = {
    {Precision::fp32, "fp32", true},
    {Precision::bf16, "bf16", true},
    {Precision::int8, "int8", false},
    {Precision::automatic, "auto", true},
};

std::vector<std::string> names_where(bool training_only) {
  std::vector<std::string> names;
  for (const auto& n : kNames)
    if (n.trains || !training_only) names.emplace_back(n.name);
  return names;
}

std::string describe(const CpuFeatures& cpu) { return "oneDNN reports ISA " + cpu.isa; }

}  // namespace

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> names = names_where(false);
  return names;
}

const std::vector<std::string>& training_precision_names() {
  static const std::vector<std::string> names = names_where(true);
  return names;
}

Precision parse_precision(const std::string& text) {
  std::string key = text;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& n : kNames)
    if (key == n.name) return n.precision;
  std::string list;
  for (const auto& n : kNames) list += std::string(list.empty() ? "" : ", ") + n.name;
  throw UserError("precision must be one of " + list + ", got \"" + text + "\"");
}

std::string to_string(Precision precision) {
  for (const auto& n : kNames)
    if (n.precision == precision) return n.name;
  return "?";
}

PrecisionChoice choose_precision(Precision requested, const CpuFeatures& cpu, const ModelSupport& model) {
  PrecisionChoice c;
  switch (requested) {
    case Precision::fp32:
      c.precision = Precision::fp32;
      c.reason = "precision fp32 (requested)";
      return c;
    case Precision::bf16:
      if (!model.cuda && !cpu.bf16)
        throw UserError("precision bf16 needs a CPU with AVX512_BF16 (or AMX), but " + describe(cpu) +
                        ": use --precision fp32 or auto");
      c.precision = Precision::bf16;
      c.reason = "precision bf16 (requested; " + (model.cuda ? std::string("GPU") : describe(cpu)) + ")";
      return c;
    case Precision::int8:
      if (model.cuda)
        throw UserError("precision int8 runs on the CPU only (oneDNN kernels): use --device cpu, or --precision "
                        "fp32 / bf16 on the GPU");
      if (!cpu.vnni)
        throw UserError("precision int8 needs a CPU with VNNI (AVX512_VNNI or AVX_VNNI), but " + describe(cpu) +
                        ": use --precision fp32 or auto");
      if (!model.has_calibration)
        throw UserError("precision int8 needs a calibrated model: run `segmaker quantize --model IN --data DIR "
                        "--output OUT` and use its output, or use --precision bf16 / fp32 / auto");
      c.precision = Precision::int8;
      c.reason = "precision int8 (requested; " + describe(cpu) + ")";
      return c;
    case Precision::automatic:
      break;
  }
  if (model.cuda) {
    c.precision = Precision::fp32;
    c.reason = "precision auto -> fp32 on the GPU";
  } else if (model.has_calibration && cpu.vnni) {
    c.precision = Precision::int8;
    c.reason = "precision auto -> int8 (the model is calibrated and " + describe(cpu) + " with VNNI)";
  } else if (cpu.bf16) {
    c.precision = Precision::bf16;
    c.reason = "precision auto -> bf16 (" + describe(cpu) + " with native bf16" +
               (cpu.vnni ? "; int8 would need a calibrated model: segmaker quantize)" : ")");
  } else {
    c.precision = Precision::fp32;
    c.reason = "precision auto -> fp32 (" + describe(cpu) + ": no native bf16" +
               (model.has_calibration ? " and no VNNI)" : ", and the model is not calibrated for int8)");
  }
  return c;
}

PrecisionChoice choose_training_precision(Precision requested, const CpuFeatures& cpu, bool cuda) {
  PrecisionChoice c;
  switch (requested) {
    case Precision::int8:
      throw UserError("hyperparameter precision = int8 is an inference precision (segmaker quantize makes an int8 "
                      "model from a trained one): set precision = fp32, bf16 or auto");
    case Precision::fp32:
      c.reason = "precision = fp32 (requested)";
      return c;
    case Precision::bf16:
      if (!cuda && !cpu.bf16)
        throw UserError("hyperparameter precision = bf16 needs a CPU with native bf16 instructions (AVX512_BF16 or "
                        "AMX); this one offers oneDNN ISA '" + cpu.isa + "': set precision = fp32 or auto");
      c.precision = Precision::bf16;
      c.reason = "precision = bf16 (requested; " + (cuda ? std::string("GPU") : describe(cpu)) + ")";
      return c;
    case Precision::automatic:
      break;
  }
  c.precision = !cuda && cpu.bf16 ? Precision::bf16 : Precision::fp32;
  c.reason = std::string("chosen by precision = auto (") +
             (cuda ? "on a GPU; set precision = bf16 for bf16"
                   : cpu.bf16 ? "this CPU computes bf16 natively" : "this CPU has no native bf16") + ")";
  return c;
}

}  // namespace segmaker::inference
