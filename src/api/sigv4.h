#pragma once
// AWS Signature Version 4 on the server side, as pure functions (fuzzable, no I/O): parsing the
// Authorization header, the canonical request built from the headers actually received, and the
// signature (OpenSSL HMAC-SHA256). auth.h applies them to a request with the service's keys.
// Reference: AWS's "Create a signed AWS API request" (SigV4) and botocore.auth.SigV4Auth.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace segmaker::api {

struct SigV4Authorization {
  std::string access_key;
  std::string date;     // yyyymmdd of the credential scope
  std::string region;
  std::string service;
  std::string terminal;  // "aws4_request"
  std::vector<std::string> signed_headers;  // lower case, as listed
  std::string signature;                    // 64 lower-case hex characters

  std::string scope() const { return date + "/" + region + "/" + service + "/" + terminal; }
};

// Parses "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sagemaker/aws4_request,
// SignedHeaders=content-type;host;x-amz-date, Signature=<hex>". Returns nothing and sets `error`
// (what is wrong, for the 403 message) when the header is malformed.
std::optional<SigV4Authorization> parse_authorization(std::string_view header, std::string* error = nullptr);

struct SignedRequest {
  std::string method;
  std::string raw_path;   // as on the wire (percent-encoded), without the query
  std::string raw_query;  // as on the wire, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // as received (any case, repeats allowed)
  std::string payload_sha256;  // hex digest of the body (or X-Amz-Content-SHA256's value)
};

// The canonical request over `signed_headers` (missing ones count as empty values).
std::string canonical_request(const SignedRequest& request, const std::vector<std::string>& signed_headers);
// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical_request>"
std::string string_to_sign(const std::string& amz_date, const std::string& scope, const std::string& canonical);
// hex(HMAC(signing key, string_to_sign)), the key derived from the secret and the credential scope.
std::string signature(const std::string& secret_key, const SigV4Authorization& credential, const std::string& to_sign);

// Helpers (exposed for tests and fuzzing).

std::string uri_encode(std::string_view text, bool keep_slash);
std::string percent_decode(std::string_view text);
// Seconds since the epoch for "20260101T120000Z"; nothing when malformed.
std::optional<long long> parse_amz_date(std::string_view amz_date);
// Constant-time comparison of two strings (signatures).
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace segmaker::api
