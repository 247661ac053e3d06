#pragma once
// SageMaker's ManifestFile data source (S3DataType "ManifestFile"): a JSON array whose first element is
// {"prefix": "s3://bucket/path/"} and whose other elements are keys relative to it; the channel is
// exactly the objects prefix + key (SageMaker concatenates them), each saved under its key's name.
#include <string>
#include <vector>

namespace segmaker::sagemaker {

struct ManifestFile {
  std::string prefix;
  std::vector<std::string> keys;
  // prefix + keys[i], as SageMaker forms the object's URI.
  std::string uri(std::size_t i) const { return prefix + keys.at(i); }
};

// Throws UserError naming what is wrong: not a JSON array, no {"prefix": "<s3:// or file:// URI>"}
// first, a key that is not a string, is empty, absolute, has an empty or '..' segment or a NUL, or
// appears twice; a manifest with no key at all.
ManifestFile parse_manifest_file(const std::string& text);

}  // namespace segmaker::sagemaker
