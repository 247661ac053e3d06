#pragma once
// How many transfers run at once, and the Content-Type an uploaded file gets. Torch-free.
#include <string>

#include "storage/storage.h"

namespace segmaker::storage {

// config.parallel, or (0) 4 per core, between 4 and 16: transfers wait on the network, not the CPU.
int transfer_parallelism(const StorageConfig& config);

// image/jpeg, image/png, application/json, application/gzip, … by extension; else application/octet-stream.
std::string content_type_for(const std::string& name);

}  // namespace segmaker::storage
