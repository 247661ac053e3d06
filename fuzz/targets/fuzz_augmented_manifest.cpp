// Fuzz target: SageMaker's AugmentedManifestFile (sagemaker/augmented_manifest.h), the JSON Lines an
// AugmentedManifestFile channel names (Ground Truth's output), read for the attributes
// ["source-ref", "pets-ref"].
// Invariants besides "no crash, no sanitizer report":
//   - parse_augmented_manifest returns a manifest or throws UserError (with a message) only;
//   - it has at least one record; every record's and skipped line's number is within the lines of the
//     input, in increasing order, and no line is both a record and skipped; records' URIs start with
//     s3:// or file://; every skipped line has a reason;
//   - colour-map class ids are 0..254 and their colours "#rrggbb" (lower case), each colour once.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>

#include "io/error.h"
#include "sagemaker/augmented_manifest.h"

namespace {

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz_augmented_manifest: invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

bool object_uri(const std::string& s) { return s.rfind("s3://", 0) == 0 || s.rfind("file://", 0) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  segmaker::sagemaker::AugmentedManifest m;
  try {
    m = segmaker::sagemaker::parse_augmented_manifest(text, {"source-ref", "pets-ref"});
  } catch (const segmaker::UserError& e) {
    if (std::string(e.what()).empty()) broken("a UserError without a message");
    return 0;
  } catch (const std::exception& e) {
    broken(std::string("an exception other than UserError: ") + e.what());
  }
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  if (m.records.empty()) broken("a manifest without records");
  std::set<std::size_t> used;
  std::size_t last = 0;
  for (const auto& r : m.records) {
    if (r.line == 0 || r.line > lines || r.line <= last) broken("record line number " + std::to_string(r.line));
    last = r.line;
    used.insert(r.line);
    if (!object_uri(r.image_uri) || !object_uri(r.annotation_uri)) broken("a record URI that is not s3:// or file://");
  }
  last = 0;
  for (const auto& s : m.skipped) {
    if (s.line == 0 || s.line > lines || s.line <= last || used.count(s.line)) broken("skipped line number " + std::to_string(s.line));
    last = s.line;
    if (s.reason.empty()) broken("a skipped line without a reason");
  }
  std::set<std::string> colors;
  for (const auto& [id, hex] : m.colors) {
    if (id < 0 || id > 254) broken("class id " + std::to_string(id));
    if (hex.size() != 7 || hex[0] != '#' || hex.find_first_not_of("0123456789abcdef", 1) != std::string::npos) broken("colour " + hex);
    if (!colors.insert(hex).second) broken("colour " + hex + " twice");
  }
  return 0;
}
