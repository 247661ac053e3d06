// Parsing paths and URIs into storage locations: local paths, file:// URIs and s3://bucket/key.
// Anything else that looks like a URI (gs://, s3:/typo, S3 without a bucket) is refused here, so a
// typo never silently becomes a local folder named "s3:".
#include <cctype>
#include <string>

#include "io/error.h"
#include "storage/storage.h"

namespace fs = std::filesystem;

namespace segmaker::storage {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The scheme of "<scheme>:..." (RFC 3986: a letter, then letters, digits, '+', '-', '.'), or "".
std::string scheme_of(const std::string& text) {
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return "";
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ':') return text.substr(0, i);
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return "";
  }
  return "";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// file:// paths are percent-encoded (file:///data/my%20pets).
std::string percent_decode(const std::string& text, const std::string& uri) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
    const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (hi < 0 || lo < 0) throw UserError("malformed URI '" + uri + "': '%' must be followed by two hex digits");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// S3's bucket naming rules (3-63 characters: lower-case letters, digits, '.', '-'; starts and ends
// with a letter or digit). Returns what is wrong, or "".
std::string bucket_problem(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return "a bucket name has 3 to 63 characters";
  for (char c : bucket) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
          c == '-'))
      return "a bucket name has only lower-case letters, digits, '.' and '-'";
  }
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) return "a bucket name starts and ends with a letter or digit";
  if (bucket.find("..") != std::string::npos) return "a bucket name has no two adjacent dots";
  return "";
}

Location parse_s3(const std::string& uri) {
  const std::string rest = uri.substr(5);  // after "s3://"
  const auto slash = rest.find('/');
  Location location;
  location.scheme = Location::Scheme::S3;
  location.bucket = rest.substr(0, slash);
  location.key = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (location.bucket.empty())
    throw UserError("malformed S3 URI '" + uri + "': expected s3://bucket/key (the bucket is missing)");
  if (const auto problem = bucket_problem(location.bucket); !problem.empty())
    throw UserError("malformed S3 URI '" + uri + "': '" + location.bucket + "' is not a valid bucket name (" + problem +
                    ")");
  if (!location.key.empty() && location.key.front() == '/') {
    const auto first = location.key.find_first_not_of('/');
    throw UserError("malformed S3 URI '" + uri + "': the key starts with '/' (write s3://" + location.bucket + "/" +
                    (first == std::string::npos ? std::string() : location.key.substr(first)) + ")");
  }
  return location;
}

Location parse_file(const std::string& uri) {
  std::string rest = uri.substr(7);  // after "file://"
  if (rest.rfind("localhost/", 0) == 0) rest = rest.substr(9);
  if (rest.empty() || rest.front() != '/')
    throw UserError("malformed file URI '" + uri + "': expected file:///absolute/path (three slashes)");
  Location location;
  location.local = percent_decode(rest, uri);
  return location;
}

}  // namespace

std::string Location::uri() const {
  if (is_s3()) return "s3://" + bucket + "/" + key;
  return local.string();
}

Location Location::child(const std::string& relative) const {
  Location out = *this;
  if (relative.empty()) return out;
  if (is_s3()) {
    if (!out.key.empty() && out.key.back() != '/') out.key += '/';
    out.key += relative;
  } else {
    out.local = local / fs::path(relative);
  }
  return out;
}

Location parse_location(const std::string& path_or_uri) {
  if (path_or_uri.empty()) throw UserError("empty path: expected a local path or an s3://bucket/key URI");
  const std::string scheme = lower(scheme_of(path_or_uri));
  if (scheme.empty()) {
    Location location;
    location.local = path_or_uri;
    return location;
  }
  const std::string after = path_or_uri.substr(scheme.size() + 1);
  const bool has_authority = after.rfind("//", 0) == 0;
  if (scheme == "s3" || scheme == "file") {
    if (!has_authority)
      throw UserError("malformed URI '" + path_or_uri + "': expected " +
                      (scheme == "s3" ? std::string("s3://bucket/key") : std::string("file:///absolute/path")) +
                      " (two slashes after '" + scheme + ":')");
    const std::string normalised = scheme + ":" + after;
    return scheme == "s3" ? parse_s3(normalised) : parse_file(normalised);
  }
  // "name:rest" without "//" is a legal local file name (e.g. "run:1"); with "//" it is a URI.
  if (!has_authority && after.rfind("/", 0) != 0) {
    Location location;
    location.local = path_or_uri;
    return location;
  }
  throw UserError("unsupported storage scheme '" + scheme + "' in '" + path_or_uri +
                  "': use a local path, file:///path or s3://bucket/key (S3 and S3-compatible stores such as "
                  "MinIO or Ceph; set --s3-endpoint for those)");
}

bool is_remote(const std::string& path_or_uri) {
  return lower(scheme_of(path_or_uri)) == "s3";
}

}  // namespace segmaker::storage
