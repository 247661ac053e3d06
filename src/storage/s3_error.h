#pragma once
// The error S3 calls throw: a UserError whose message names the operation, the bucket, the key, the
// S3 error code and S3's message, plus what to do about it; `transient()` says whether a retry may
// help (connection errors, timeouts, 5xx, 429/SlowDown). Torch-free.
#include <string>

#include "io/error.h"

namespace segmaker::storage {

class S3Error : public UserError {
 public:
  S3Error(const std::string& message, long http_status, std::string code, bool transient)
      : UserError(message), http_status_(http_status), code_(std::move(code)), transient_(transient) {}
  long http_status() const { return http_status_; }  // 0 when no answer came (connection error)
  const std::string& code() const { return code_; }  // "NoSuchKey", "SlowDown", or curl's error name
  bool transient() const { return transient_; }

 private:
  long http_status_;
  std::string code_;
  bool transient_;
};

// Whether an answer with this HTTP status and S3 error code is worth retrying.
bool is_transient_answer(long http_status, const std::string& code);

// The message for an S3 error answer: "<operation> s3://bucket/key failed: <Code> (HTTP <status>):
// <S3's message>" and a hint for the codes users hit (missing bucket/key, credentials, permissions).
std::string describe_s3_error(const std::string& operation, const std::string& bucket, const std::string& key,
                              long http_status, const std::string& code, const std::string& message,
                              const std::string& endpoint);

}  // namespace segmaker::storage
