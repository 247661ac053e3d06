#pragma once
// `segmaker api --auth KEYFILE`: every request must carry a valid SigV4 signature made with one of
// the keys in KEYFILE, checked the way AWS checks it (the canonical request from the headers
// actually received, OpenSSL HMAC-SHA256, 15 minutes of clock skew). Failures are 403 with AWS's
// error codes: MissingAuthenticationToken (unsigned), IncompleteSignatureException (malformed
// Authorization header), UnrecognizedClientException (unknown access key), InvalidSignatureException
// (wrong signature, expired or future date, wrong scope).
//
// KEYFILE: one "ACCESS_KEY_ID SECRET_ACCESS_KEY" pair per line; blank lines and '#' comments ignored.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "api/sigv4.h"

namespace segmaker::api {

struct AccessKeys {
  std::map<std::string, std::string> secrets;  // access key id → secret access key

  // Reads KEYFILE. Throws UserError naming the file and the line when it is malformed or empty.
  static AccessKeys load(const std::filesystem::path& keyfile);
  // The same from text (tests, fuzzing); `what` names the source in errors.
  static AccessKeys parse(const std::string& text, const std::string& what);
};

struct HttpRequestView {
  std::string method;
  std::string target;  // the request target as received: raw path and optional "?query"
  std::vector<std::pair<std::string, std::string>> headers;
  const std::string* body = nullptr;
};

struct Caller {
  std::string access_key;
  std::string region;
};

// The first header `lower_name` of `request` (names compared case-insensitively); empty when absent.
std::string header_value(const HttpRequestView& request, const std::string& lower_name);

// What SigV4 signs of `request`: method, raw path and query, headers, and the payload hash
// (x-amz-content-sha256 when sent, else the body's SHA-256).
SignedRequest signed_request_of(const HttpRequestView& request);

// Verifies the request's signature against `keys` at time `now` (epoch seconds). Returns who signed
// it; throws ApiError 403 otherwise.
Caller verify_signature(const AccessKeys& keys, const HttpRequestView& request, long long now,
                        long long max_skew_seconds = 15 * 60);

// The access key and region a request claims in its Authorization header (no verification; for
// ARNs when --auth is off). Empty fields when the header is absent or malformed.
Caller claimed_caller(const HttpRequestView& request);

}  // namespace segmaker::api
