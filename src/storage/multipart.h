#pragma once
// S3 multipart upload: CreateMultipartUpload, the parts in parallel (bounded), then
// CompleteMultipartUpload; any failure aborts the upload (AbortMultipartUpload) so that neither a
// partial object nor orphan parts remain. Torch-free.
#include <cstdint>
#include <functional>
#include <string>

#include "storage/s3_http.h"

namespace segmaker::storage {

// The part size for an object of `size` bytes: the configured one, at least 5 MiB, grown so that at
// most 10,000 parts are needed.
std::uint64_t multipart_part_size(std::uint64_t size, std::uint64_t configured);

// Uploads `size` bytes; `read_range(offset, length)` returns those bytes of the source (it may throw,
// e.g. when a file changed under us). `content_type` becomes the object's Content-Type.
void multipart_upload(S3Http& http, const Location& object, std::uint64_t size,
                      const std::function<std::string(std::uint64_t offset, std::size_t length)>& read_range,
                      const std::string& content_type);

}  // namespace segmaker::storage
