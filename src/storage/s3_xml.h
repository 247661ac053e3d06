#pragma once
// S3's XML answers and request bodies (ListObjectsV2, errors, multipart, DeleteObjects), read and
// written with pugixml. Torch-free.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/storage.h"

namespace segmaker::storage::xml {

struct ErrorAnswer {
  std::string code;
  std::string message;
};
// The <Error><Code/><Message/></Error> document, or nullopt-like empty code when `body` is not one.
ErrorAnswer parse_error(const std::string& body);

struct ListPage {
  std::vector<ObjectInfo> objects;  // full keys
  bool is_truncated = false;
  std::string next_continuation_token;
};
// A ListObjectsV2 answer (<ListBucketResult>). Throws S3Error-free UserError when it is not XML.
ListPage parse_list_objects_v2(const std::string& body);

// <InitiateMultipartUploadResult><UploadId/>.
std::string parse_upload_id(const std::string& body);

// <CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…</CompleteMultipartUpload> (ETags as S3
// gave them, with their quotes).
std::string complete_multipart_body(const std::vector<std::pair<int, std::string>>& parts);

// <Delete><Quiet>true</Quiet><Object><Key/></Object>…</Delete>, and the keys its answer says failed
// ("key: Code Message").
std::string delete_objects_body(const std::vector<std::string>& keys);
std::vector<std::string> parse_delete_errors(const std::string& body);

// True when the document's root element is <Error> (CompleteMultipartUpload may answer 200 with one).
bool is_error_document(const std::string& body);

}  // namespace segmaker::storage::xml
