// Fuzz target: RecordIO framing and the aialgs.data.Record answer, both ways. Invariants: only
// DataError escapes the reader; framing any payload and reading it back gives the payload; a
// Record with a consistent probability tensor re-encodes to the same values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aialgs_data.pb.h"
#include "io/error.h"
#include "serve/codecs.h"
#include "sagemaker/recordio.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace segmaker::serve;
  using namespace segmaker::sagemaker;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  // Any payload frames and reads back.
  const auto framed = read_recordio(frame_recordio(bytes));
  if (framed.size() != 1 || framed[0] != bytes) __builtin_trap();
  std::vector<std::string> records;
  try {
    records = read_recordio(bytes);
  } catch (const segmaker::DataError&) {
    return 0;
  }
  for (const auto& payload : records) {
    aialgs::data::Record record;
    if (!record.ParseFromString(payload)) continue;
    const auto& features = record.features();
    const auto shape = features.find("shape");
    const auto target = features.find("target");
    if (shape == features.end() || target == features.end() || !shape->second.has_int32_tensor() ||
        !target->second.has_float32_tensor())
      continue;
    const auto& dims = shape->second.int32_tensor().values();
    if (dims.size() != 4 || dims[0] != 1) continue;
    const auto& values = target->second.float32_tensor().values();
    const std::vector<float> probabilities(values.begin(), values.end());
    try {
      const std::string again = encode_probabilities_recordio(probabilities, dims[1], dims[2], dims[3]);
      aialgs::data::Record back;
      if (!back.ParseFromString(read_recordio(again).at(0))) __builtin_trap();
      const auto& v = back.features().at("target").float32_tensor().values();
      if (v.size() != values.size()) __builtin_trap();
    } catch (const segmaker::DataError&) {
    }
  }
  return 0;
}
