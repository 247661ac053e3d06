// The storage configuration the global flags ask for (--s3-endpoint, --no-cache).
#include "commands.h"

namespace segmaker::app {

storage::StorageConfig storage_config(const GlobalOptions& global) {
  storage::StorageConfig explicit_values;
  explicit_values.endpoint = global.s3_endpoint;
  explicit_values.use_cache = !global.no_cache;
  return storage::StorageConfig::from_environment(explicit_values);
}

}  // namespace segmaker::app
