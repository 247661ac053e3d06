// Fuzz target: hyperparameters.json (SageMaker's strings or JSON types) through THE table.
// Invariants: only UserError escapes; what parses serialises and parses back to the same values,
// and every value is within its documented range and sanity limit.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "io/error.h"
#include "train/hyperparameters.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace segmaker::train;
  const auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  for (bool require : {true, false}) {
    try {
      const Hyperparameters h = parse_hyperparameters(j, require);
      const Hyperparameters again = parse_hyperparameters(to_json(h), require);
      if (to_json(h) != to_json(again)) __builtin_trap();
      if (h.crop_size > 2048 + 7 || h.base_size > 4096 || h.epochs > 10000 || h.mini_batch_size > 1024) __builtin_trap();
    } catch (const segmaker::UserError&) {
    }
  }
  return 0;
}
