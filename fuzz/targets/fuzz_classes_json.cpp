// Fuzz target: classes.json (data/classes). Invariants: only UserError escapes (JSON errors are
// turned into it); what parses serialises and parses back to the same list.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "data/classes.h"
#include "io/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace segmaker::data;
  const auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    const ClassList c = classes_from_json(j);
    const ClassList again = classes_from_json(to_json(c));
    if (again.names != c.names || again.label_mode != c.label_mode || again.ignore_label != c.ignore_label) __builtin_trap();
  } catch (const segmaker::UserError&) {
  }
  return 0;
}
