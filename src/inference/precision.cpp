// Parsing the precision, reading oneDNN's ISA, and the choice rule (see precision.h).
#include "inference/precision.h"

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cctype>

#include "io/error.h"

namespace segmaker::inference {
namespace {

// oneDNN's ISA values are bit sets: an ISA "contains" another when it has all of its bits.
bool contains(unsigned isa, unsigned feature) { return (isa & feature) == feature; }

std::string isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "isa_0x" + [&] {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%x", static_cast<unsigned>(isa));
      return std::string(buf);
    }();
  }
}

std::string describe(const CpuFeatures& cpu) { return "oneDNN reports ISA " + cpu.isa; }

}  // namespace

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> names{"fp32", "bf16", "int8", "auto"};
  return names;
}

Precision parse_precision(const std::string& text) {
  std::string key = text;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  if (key == "fp32") return Precision::fp32;
  if (key == "bf16") return Precision::bf16;
  if (key == "int8") return Precision::int8;
  if (key == "auto") return Precision::automatic;
  throw UserError("precision must be one of fp32, bf16, int8, auto, got \"" + text + "\"");
}

std::string to_string(Precision precision) {
  switch (precision) {
    case Precision::fp32: return "fp32";
    case Precision::bf16: return "bf16";
    case Precision::int8: return "int8";
    case Precision::automatic: return "auto";
  }
  return "?";
}

CpuFeatures detect_cpu_features() {
  const unsigned isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
  CpuFeatures f;
  f.isa = isa_name(static_cast<dnnl_cpu_isa_t>(isa));
  f.avx512 = contains(isa, dnnl_cpu_isa_avx512_core);
  f.vnni = contains(isa, dnnl_cpu_isa_avx512_core_vnni) || contains(isa, dnnl_cpu_isa_avx2_vnni);
  f.bf16 = contains(isa, dnnl_cpu_isa_avx512_core_bf16);
  f.amx = contains(isa, dnnl_cpu_isa_avx512_core_amx);
  return f;
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

}  // namespace segmaker::inference
