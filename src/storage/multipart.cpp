// Multipart uploads in parallel parts, aborted on failure.
#include "storage/multipart.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>
#include <vector>

#include "io/error.h"
#include "io/parallel.h"
#include "storage/s3_error.h"
#include "storage/s3_xml.h"
#include "storage/transfer_limits.h"

namespace segmaker::storage {
namespace {

constexpr std::uint64_t kMinPart = 5ull << 20;
constexpr std::uint64_t kMaxParts = 10000;

std::string create_upload(S3Http& http, const Location& object, const std::string& content_type) {
  S3Request request{"CreateMultipartUpload", "POST", object.bucket, object.key, {{"uploads", ""}},
                    {{"Content-Type", content_type}}};
  return xml::parse_upload_id(http.call(request).body);
}

std::string upload_part(S3Http& http, const Location& object, const std::string& upload_id, int number,
                        const std::string& bytes) {
  S3Request request{"UploadPart", "PUT", object.bucket, object.key,
                    {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}}};
  request.body = bytes;
  const auto response = http.call(request);
  const std::string etag = response.header("ETag");
  if (etag.empty())
    throw UserError("UploadPart s3://" + object.bucket + "/" + object.key + ": S3 answered part " +
                    std::to_string(number) + " without an ETag");
  return etag;
}

void complete_upload(S3Http& http, const Location& object, const std::string& upload_id,
                     const std::vector<std::pair<int, std::string>>& parts) {
  const std::string body = xml::complete_multipart_body(parts);
  S3Request request{"CompleteMultipartUpload", "POST", object.bucket, object.key, {{"uploadId", upload_id}},
                    {{"Content-Type", "application/xml"}}};
  request.body = body;
  // S3 may answer 200 and still fail: the error is then the body.
  http.call(request, {}, [&](const S3Response& response) {
    if (!xml::is_error_document(response.body)) return;
    const auto answer = xml::parse_error(response.body);
    throw S3Error(describe_s3_error("CompleteMultipartUpload", object.bucket, object.key, 200, answer.code,
                                    answer.message, http.config().endpoint),
                  200, answer.code, is_transient_answer(500, answer.code) || answer.code == "InternalError");
  });
}

// Aborts; returns "" or what went wrong (the upload then stays, and the message says how to end it).
std::string abort_upload(S3Http& http, const Location& object, const std::string& upload_id) {
  try {
    http.call({"AbortMultipartUpload", "DELETE", object.bucket, object.key, {{"uploadId", upload_id}}});
    return "";
  } catch (const std::exception& e) {
    return std::string(" The incomplete multipart upload could not be aborted (") + e.what() +
           "); remove its parts with: aws s3api abort-multipart-upload --bucket " + object.bucket + " --key '" +
           object.key + "' --upload-id " + upload_id;
  }
}

}  // namespace

std::uint64_t multipart_part_size(std::uint64_t size, std::uint64_t configured) {
  std::uint64_t part = std::max(configured, kMinPart);
  if ((size + part - 1) / part > kMaxParts) part = (size + kMaxParts - 1) / kMaxParts;
  return part;
}

void multipart_upload(S3Http& http, const Location& object, std::uint64_t size,
                      const std::function<std::string(std::uint64_t, std::size_t)>& read_range,
                      const std::string& content_type) {
  const auto& config = http.config();
  const std::uint64_t part_size = multipart_part_size(size, config.part_size);
  const std::size_t count = static_cast<std::size_t>(std::max<std::uint64_t>(1, (size + part_size - 1) / part_size));
  const std::string upload_id = create_upload(http, object, content_type);
  spdlog::debug("multipart upload {} of s3://{}/{}: {} parts of {} bytes", upload_id, object.bucket, object.key, count,
                part_size);
  std::vector<std::pair<int, std::string>> parts(count);
  std::mutex progress_mutex;
  std::uint64_t done = 0;
  try {
    io::parallel_for(count, transfer_parallelism(config), [&](std::size_t i) {
      const std::uint64_t offset = i * part_size;
      const auto length = static_cast<std::size_t>(std::min(part_size, size - offset));
      const std::string bytes = read_range(offset, length);
      if (bytes.size() != length)
        throw UserError("the source of s3://" + object.bucket + "/" + object.key + " gave " +
                        std::to_string(bytes.size()) + " bytes at offset " + std::to_string(offset) + " where " +
                        std::to_string(length) + " were expected (did the file change during the upload?)");
      const int number = static_cast<int>(i + 1);
      parts[i] = {number, upload_part(http, object, upload_id, number, bytes)};
      if (config.on_bytes) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        done += length;
        config.on_bytes(done, size);
      }
    });
    complete_upload(http, object, upload_id, parts);
  } catch (const S3Error& e) {
    throw S3Error(std::string(e.what()) + abort_upload(http, object, upload_id), e.http_status(), e.code(),
                  e.transient());
  } catch (const std::exception& e) {
    throw UserError(std::string("upload to s3://") + object.bucket + "/" + object.key + " failed: " + e.what() +
                    abort_upload(http, object, upload_id));
  }
}

}  // namespace segmaker::storage
