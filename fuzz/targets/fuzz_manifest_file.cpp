// Fuzz target: SageMaker's ManifestFile (sagemaker/manifest.h), the JSON a training channel of
// S3DataType "ManifestFile" names: [{"prefix": "s3://bucket/path/"}, "key1", ...].
// Invariants besides "no crash, no sanitizer report":
//   - parse_manifest_file returns a manifest or throws UserError (with a message) only;
//   - a manifest's prefix starts with s3:// or file://; it has at least one key; its keys are unique,
//     non-empty, at most 1024 bytes, without NUL, not absolute, and no '/'-separated segment of them is
//     empty, "." or ".." (so prefix + key never leaves the prefix, and key names a file below the
//     channel's folder); uri(i) is prefix + keys[i].
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>

#include "io/error.h"
#include "sagemaker/manifest.h"

namespace {

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz_manifest_file: invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

void check_key(const std::string& key) {
  if (key.empty() || key.size() > 1024 || key.find('\0') != std::string::npos || key.front() == '/')
    broken("a key that cannot name a file below the channel: '" + key + "'");
  std::size_t start = 0;
  while (start <= key.size()) {
    const std::size_t end = std::min(key.find('/', start), key.size());
    const std::string segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") broken("a key with segment '" + segment + "': '" + key + "'");
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  segmaker::sagemaker::ManifestFile m;
  try {
    m = segmaker::sagemaker::parse_manifest_file(text);
  } catch (const segmaker::UserError& e) {
    if (std::string(e.what()).empty()) broken("a UserError without a message");
    return 0;
  } catch (const std::exception& e) {
    broken(std::string("an exception other than UserError: ") + e.what());
  }
  if (m.prefix.rfind("s3://", 0) != 0 && m.prefix.rfind("file://", 0) != 0) broken("prefix '" + m.prefix + "'");
  if (m.keys.empty()) broken("a manifest without keys");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < m.keys.size(); ++i) {
    check_key(m.keys[i]);
    if (!seen.insert(m.keys[i]).second) broken("a duplicate key '" + m.keys[i] + "'");
    if (m.uri(i) != m.prefix + m.keys[i]) broken("uri(i) is not prefix + key");
  }
  return 0;
}
