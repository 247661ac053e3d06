// What the CPU offers the inference kernels, asked from oneDNN (inference/engine/precision.h).
#include <oneapi/dnnl/dnnl.h>

#include <cstdio>

#include "inference/engine/precision.h"

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
    default: {
      char buf[24];
      std::snprintf(buf, sizeof buf, "isa_0x%x", static_cast<unsigned>(isa));
      return buf;
    }
  }
}

}  // namespace

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

}  // namespace segmaker::inference
