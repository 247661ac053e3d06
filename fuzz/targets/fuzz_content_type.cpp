// Fuzz target: Accept negotiation and request Content-Type checks (sagemaker/content_type). The input
// is split at its first newline into an Accept header and a Content-Type. Invariants: nothing
// throws except sagemaker::answer_type_from_name's UserError; a negotiated type is one we produce.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/error.h"
#include "sagemaker/content_type.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace segmaker;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string accept = input.substr(0, newline);
  const std::string content_type = newline == std::string::npos ? "" : input.substr(newline + 1);
  if (const auto answer = sagemaker::negotiate_accept(accept)) {
    const auto& types = sagemaker::supported_accept_types();
    if (answer->content_type != "application/json" &&
        std::find(types.begin(), types.end(), answer->content_type) == types.end())
      __builtin_trap();
    if (sagemaker::answer_file_extension(answer->format).empty()) __builtin_trap();
  }
  (void)sagemaker::is_supported_request_type(content_type);
  try {
    (void)sagemaker::answer_type_from_name(content_type);
  } catch (const segmaker::UserError&) {
  }
  return 0;
}
