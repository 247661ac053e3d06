// SigV4 verification of incoming requests (see auth.h).
#include "api/auth.h"

#include <ctime>
#include <sstream>

#include "api/api_error.h"
#include "api/sigv4.h"
#include "io/error.h"
#include "io/paths.h"
#include "io/sha256.h"

namespace segmaker::api {

namespace {

ApiError denied(const std::string& type, const std::string& message) { return ApiError(403, type, message); }

std::string amz_format(long long t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[20];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

AccessKeys AccessKeys::parse(const std::string& text, const std::string& what) {
  AccessKeys keys;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::string id, secret, extra;
    if (!(fields >> id)) continue;
    if (!(fields >> secret) || (fields >> extra))
      throw UserError(what + " line " + std::to_string(number) +
                      ": expected 'ACCESS_KEY_ID SECRET_ACCESS_KEY' (two fields separated by spaces)");
    keys.secrets[id] = secret;
  }
  if (keys.secrets.empty())
    throw UserError(what + " holds no key: write one 'ACCESS_KEY_ID SECRET_ACCESS_KEY' pair per line");
  return keys;
}

AccessKeys AccessKeys::load(const std::filesystem::path& keyfile) {
  return parse(io::read_file(keyfile), "key file '" + keyfile.string() + "'");
}

Caller claimed_caller(const HttpRequestView& request) {
  const auto a = parse_authorization(header_value(request, "authorization"));
  if (!a) return {};
  return {a->access_key, a->region};
}

std::string header_value(const HttpRequestView& request, const std::string& lower_name) {
  for (const auto& [name, value] : request.headers) {
    if (name.size() != lower_name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(name[i])) == lower_name[i];
    if (same) return value;
  }
  return {};
}

SignedRequest signed_request_of(const HttpRequestView& request) {
  SignedRequest s;
  s.method = request.method;
  const auto q = request.target.find('?');
  s.raw_path = request.target.substr(0, q);
  s.raw_query = q == std::string::npos ? "" : request.target.substr(q + 1);
  s.headers = request.headers;
  const std::string content_sha = header_value(request, "x-amz-content-sha256");
  s.payload_sha256 = content_sha.empty() ? io::sha256_hex(request.body ? *request.body : "") : content_sha;
  return s;
}

Caller verify_signature(const AccessKeys& keys, const HttpRequestView& request, long long now, long long max_skew) {
  const std::string authorization = header_value(request, "authorization");
  if (authorization.empty()) throw denied("MissingAuthenticationToken", "Missing Authentication Token");
  std::string why;
  const auto a = parse_authorization(authorization, &why);
  if (!a) throw denied("IncompleteSignatureException", why);
  const auto secret = keys.secrets.find(a->access_key);
  if (secret == keys.secrets.end())
    throw denied("UnrecognizedClientException", "The security token included in the request is invalid.");
  if (a->service != "sagemaker")
    throw denied("InvalidSignatureException", "Credential should be scoped to correct service: 'sagemaker'.");

  const std::string amz_date = header_value(request, "x-amz-date");
  const auto signed_at = parse_amz_date(amz_date);
  if (!signed_at)
    throw denied("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (amz_date.substr(0, 8) != a->date)
    throw denied("InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                                                  a->date + "' != '" + amz_date.substr(0, 8) + "'");
  if (*signed_at < now - max_skew)
    throw denied("InvalidSignatureException", "Signature expired: " + amz_date + " is now earlier than " +
                                                  amz_format(now - max_skew) + " (" + amz_format(now) + " - 15 min.)");
  if (*signed_at > now + max_skew)
    throw denied("InvalidSignatureException", "Signature not yet current: " + amz_date + " is still later than " +
                                                  amz_format(now + max_skew) + " (" + amz_format(now) + " + 15 min.)");
  bool host_signed = false;
  for (const auto& h : a->signed_headers) host_signed = host_signed || h == "host";
  if (!host_signed) throw denied("InvalidSignatureException", "'Host' must be a signed header.");

  const std::string content_sha = header_value(request, "x-amz-content-sha256");
  if (!content_sha.empty() && content_sha != "UNSIGNED-PAYLOAD" && content_sha != io::sha256_hex(request.body ? *request.body : ""))
    throw denied("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  const SignedRequest signed_request = signed_request_of(request);
  const std::string canonical = canonical_request(signed_request, a->signed_headers);
  const std::string expected = signature(secret->second, *a, string_to_sign(amz_date, a->scope(), canonical));
  if (!equal_constant_time(expected, a->signature))
    throw denied("InvalidSignatureException",
                 "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
                 "Access Key and signing method. Consult the service documentation for details.");
  return {a->access_key, a->region};
}

}  // namespace segmaker::api
