// SageMaker's ManifestFile (see manifest.h).
#include "sagemaker/manifest.h"

#include <set>

#include <nlohmann/json.hpp>

#include "io/error.h"

namespace segmaker::sagemaker {

using json = nlohmann::json;

namespace {

// Empty when `key` may name a file below the channel's folder, else why not.
std::string key_problem(const std::string& key) {
  if (key.empty()) return "is empty";
  if (key.size() > 1024) return "is longer than S3's 1024 characters";
  if (key.find('\0') != std::string::npos) return "holds a NUL character";
  if (key.front() == '/') return "is absolute (keys are relative to the prefix)";
  std::size_t start = 0;
  while (start <= key.size()) {
    const std::size_t end = std::min(key.find('/', start), key.size());
    const std::string segment = key.substr(start, end - start);
    if (segment.empty()) return "has an empty path segment";
    if (segment == "." || segment == "..") return "has a '" + segment + "' path segment";
    start = end + 1;
  }
  return "";
}

}  // namespace

ManifestFile parse_manifest_file(const std::string& text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array())
    throw UserError("the manifest is not a JSON array like [{\"prefix\": \"s3://bucket/path/\"}, \"key1\", \"key2\"]");
  if (doc.empty() || !doc.front().is_object() || !doc.front().contains("prefix") || !doc.front()["prefix"].is_string())
    throw UserError("the manifest's first element must be {\"prefix\": \"s3://bucket/path/\"}");
  ManifestFile m;
  m.prefix = doc.front()["prefix"].get<std::string>();
  if (m.prefix.rfind("s3://", 0) != 0 && m.prefix.rfind("file://", 0) != 0)
    throw UserError("the manifest's prefix '" + m.prefix.substr(0, 200) + "' is not an s3:// (or file://) URI");
  std::set<std::string> seen;
  for (std::size_t i = 1; i < doc.size(); ++i) {
    const std::string where = "the manifest's element " + std::to_string(i + 1);
    if (!doc[i].is_string()) throw UserError(where + " is not a key (a string): " + doc[i].dump().substr(0, 80));
    const std::string key = doc[i].get<std::string>();
    if (const auto problem = key_problem(key); !problem.empty()) throw UserError(where + " ('" + key.substr(0, 200) + "') " + problem);
    if (!seen.insert(key).second) throw UserError(where + " ('" + key.substr(0, 200) + "') is listed twice");
    m.keys.push_back(key);
  }
  if (m.keys.empty()) throw UserError("the manifest lists no object after its prefix");
  return m;
}

}  // namespace segmaker::sagemaker
