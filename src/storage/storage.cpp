// open_storage: the backend for a location's scheme.
#include "storage/storage.h"

#include "storage/local_storage.h"
#include "storage/s3_storage.h"

namespace segmaker::storage {

std::unique_ptr<Storage> open_storage(const Location& location, const StorageConfig& config) {
  if (location.is_s3()) return std::make_unique<S3Storage>(config);
  return std::make_unique<LocalStorage>(config.local_access);
}

}  // namespace segmaker::storage
