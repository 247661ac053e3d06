// AWS Signature Version 4, server side (see sigv4.h).
#include "api/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "io/sha256.h"

namespace segmaker::api {

namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Header value as SigV4 canonicalises it: trimmed, inner runs of spaces collapsed to one.
std::string canonical_value(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : trim(value)) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Removes "." and ".." segments and empty segments (botocore's normalize_url_path).
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (auto p : parts) out += "/" + std::string(p);
  if (out.empty()) out = "/";
  else if (path.back() == '/') out += "/";
  return out;
}

std::string canonical_query(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start < raw.size()) {
    std::size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    std::string_view pair = raw.substr(start, end - start);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      const std::string_view k = pair.substr(0, eq);
      const std::string_view v = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      pairs.emplace_back(uri_encode(percent_decode(k), false), uri_encode(percent_decode(v), false));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) && std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<SigV4Authorization> parse_authorization(std::string_view header, std::string* error) {
  auto fail = [error](const std::string& why) -> std::optional<SigV4Authorization> {
    if (error) *error = why;
    return std::nullopt;
  };
  constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
  header = trim(header);
  if (header.substr(0, algorithm.size()) != algorithm || header.size() == algorithm.size() ||
      header[algorithm.size()] != ' ')
    return fail("Authorization header must start with 'AWS4-HMAC-SHA256 ' (only Signature Version 4 is supported)");
  std::map<std::string, std::string> params;
  std::string_view rest = header.substr(algorithm.size() + 1);
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view part = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) return fail("Authorization header: '" + std::string(part.substr(0, 64)) + "' is not key=value");
    params[std::string(trim(part.substr(0, eq)))] = std::string(trim(part.substr(eq + 1)));
  }
  for (const char* key : {"Credential", "SignedHeaders", "Signature"})
    if (!params.count(key)) return fail(std::string("Authorization header requires '") + key + "' parameter");

  SigV4Authorization a;
  std::vector<std::string> scope;
  std::string_view credential = params["Credential"];
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = credential.find('/', start);
    scope.emplace_back(credential.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (scope.size() != 5 || scope[0].empty())
    return fail("Credential should be scoped to a valid region: '<access key>/<date>/<region>/<service>/aws4_request'");
  a.access_key = scope[0];
  a.date = scope[1];
  a.region = scope[2];
  a.service = scope[3];
  a.terminal = scope[4];
  if (a.terminal != "aws4_request") return fail("Credential should be scoped with a valid terminator: 'aws4_request'");
  if (a.date.size() != 8 || !std::all_of(a.date.begin(), a.date.end(), ::isdigit))
    return fail("Credential should be scoped to a date in the form yyyymmdd, got '" + a.date.substr(0, 32) + "'");

  std::string_view names = params["SignedHeaders"];
  start = 0;
  while (start <= names.size()) {
    std::size_t semi = names.find(';', start);
    if (semi == std::string_view::npos) semi = names.size();
    if (semi > start) a.signed_headers.push_back(lower(names.substr(start, semi - start)));
    start = semi + 1;
  }
  if (a.signed_headers.empty()) return fail("SignedHeaders must list at least 'host'");
  a.signature = lower(params["Signature"]);
  if (a.signature.size() != 64 || !std::all_of(a.signature.begin(), a.signature.end(), ::isxdigit))
    return fail("Signature must be 64 hexadecimal characters");
  return a;
}

std::string canonical_request(const SignedRequest& request, const std::vector<std::string>& signed_headers) {
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : request.headers) {
    const std::string key = lower(name);
    auto& slot = values[key];
    slot += (slot.empty() ? "" : ",") + canonical_value(value);
  }
  std::vector<std::string> names = signed_headers;
  std::sort(names.begin(), names.end());
  std::string headers, list;
  for (const auto& n : names) {
    headers += n + ":" + values[n] + "\n";
    list += (list.empty() ? "" : ";") + n;
  }
  std::string method = request.method;
  for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string path = uri_encode(normalize_path(request.raw_path.empty() ? "/" : request.raw_path), true);
  return method + "\n" + path + "\n" + canonical_query(request.raw_query) + "\n" + headers + "\n" + list + "\n" +
         request.payload_sha256;
}

std::string string_to_sign(const std::string& amz_date, const std::string& scope, const std::string& canonical) {
  return "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + io::sha256_hex(canonical);
}

std::string signature(const std::string& secret_key, const SigV4Authorization& c, const std::string& to_sign) {
  std::string key = hmac("AWS4" + secret_key, c.date);
  key = hmac(key, c.region);
  key = hmac(key, c.service);
  key = hmac(key, c.terminal);
  const std::string mac = hmac(key, to_sign);
  return to_hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
}

std::optional<long long> parse_amz_date(std::string_view d) {
  if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14})
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) { return std::stoi(std::string(d.substr(pos, len))); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return std::nullopt;
  return static_cast<long long>(timegm(&tm));
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace segmaker::api
