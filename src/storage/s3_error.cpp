// Classifying S3's error answers (retry or not) and turning them into messages a user can act on.
#include "storage/s3_error.h"

#include <set>

namespace segmaker::storage {

bool is_transient_answer(long http_status, const std::string& code) {
  static const std::set<std::string> transient_codes = {
      "SlowDown", "RequestTimeout", "Throttling", "ThrottlingException", "InternalError", "ServiceUnavailable",
      "RequestLimitExceeded", "TooManyRequestsException", "OperationAborted"};
  if (http_status >= 500 || http_status == 429) return true;
  return transient_codes.count(code) > 0;
}

std::string describe_s3_error(const std::string& operation, const std::string& bucket, const std::string& key,
                              long http_status, const std::string& code, const std::string& message,
                              const std::string& endpoint) {
  const std::string where = "s3://" + bucket + (key.empty() ? "" : "/" + key);
  std::string text = operation + " " + where + " failed: " + code + " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) text += ": " + message;
  const std::string at = endpoint.empty() ? "AWS" : endpoint;
  if (code == "NoSuchBucket") {
    text += ". Bucket '" + bucket + "' does not exist at " + at + ": check the name or create it (aws s3 mb s3://" +
            bucket + ")";
  } else if (code == "NoSuchKey" || code == "NotFound") {
    text += ". There is no object '" + key + "' in bucket '" + bucket + "': check the path (aws s3 ls " + where + ")";
  } else if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "InvalidToken" ||
             code == "ExpiredToken") {
    text += ". The credentials were refused by " + at +
            ": check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or the AWS_PROFILE in ~/.aws";
  } else if (code == "AccessDenied" || code == "Forbidden") {
    text += ". Access to bucket '" + bucket + "' was denied: check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) "
            "and that they may " + operation;
  } else if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed") {
    text += ". The bucket is in another region: set AWS_REGION to the bucket's region";
  }
  return text;
}

}  // namespace segmaker::storage
