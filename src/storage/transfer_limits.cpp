// Transfer concurrency and Content-Types.
#include "storage/transfer_limits.h"

#include <algorithm>
#include <map>

#include "io/paths.h"
#include "io/threads.h"

namespace segmaker::storage {

int transfer_parallelism(const StorageConfig& config) {
  if (config.parallel > 0) return config.parallel;
  return std::clamp(4 * io::available_cores(), 4, 16);
}

std::string content_type_for(const std::string& name) {
  static const std::map<std::string, std::string> types = {
      {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"},       {".png", "image/png"},
      {".json", "application/json"}, {".jsonl", "application/jsonl"}, {".gz", "application/gzip"},
      {".tgz", "application/gzip"},  {".tar", "application/x-tar"},   {".txt", "text/plain"},
      {".tsv", "text/tab-separated-values"}, {".csv", "text/csv"},    {".html", "text/html"}};
  auto it = types.find(io::lower_extension(name));
  return it == types.end() ? "application/octet-stream" : it->second;
}

}  // namespace segmaker::storage
