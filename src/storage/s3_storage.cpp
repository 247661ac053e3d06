// The S3 operations: GetObject (into memory or streamed into a file), PutObject or multipart,
// ListObjectsV2 with continuation tokens, HeadObject, DeleteObjects.
#include "storage/s3_storage.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "io/error.h"
#include "io/paths.h"
#include "storage/multipart.h"
#include "storage/s3_error.h"
#include "storage/s3_xml.h"
#include "storage/transfer_limits.h"

namespace fs = std::filesystem;

namespace segmaker::storage {
namespace {

std::string strip_quotes(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

// Content-MD5 (base64 of the MD5 digest), which DeleteObjects requires.
std::string content_md5(const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(body.data(), body.size(), digest, &length, EVP_md5(), nullptr);
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
  return std::string(reinterpret_cast<char*>(encoded), static_cast<std::size_t>(n));
}

fs::path temporary_sibling(const fs::path& path) {
  fs::path tmp = path;
  tmp += ".part." + std::to_string(::getpid()) + "." + std::to_string(std::random_device{}());
  return tmp;
}

std::string folder_prefix(const std::string& key) {
  return key.empty() || key.back() == '/' ? key : key + "/";
}

}  // namespace

S3Storage::S3Storage(const StorageConfig& config) : http_(config) {}

std::string S3Storage::read(const Location& object) {
  return http_.call({"GetObject", "GET", object.bucket, object.key}).body;
}

std::string S3Storage::download(const Location& object, const fs::path& file, std::uint64_t expected_size) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  const fs::path tmp = temporary_sibling(file);
  std::ofstream out;
  std::uint64_t received = 0;
  const auto& on_bytes = http_.config().on_bytes;
  S3Request request{"GetObject", "GET", object.bucket, object.key};
  request.on_body = [&](const char* data, std::size_t size) {
    out.write(data, static_cast<std::streamsize>(size));
    if (!out) throw UserError("cannot write '" + tmp.string() + "' (disk full?)");
    received += size;
    if (on_bytes) on_bytes(received, expected_size);
  };
  S3Response response;
  try {
    response = http_.call(request, [&] {  // every attempt starts the file afresh
      out.close();
      out.clear();
      out.open(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw UserError("cannot open '" + tmp.string() + "' for writing");
      received = 0;
    });
    out.close();
    if (!out) throw UserError("cannot write '" + tmp.string() + "' (disk full?)");
    fs::rename(tmp, file);
  } catch (...) {
    out.close();
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
  return strip_quotes(response.header("ETag"));
}

void S3Storage::read_to_file(const Location& object, const fs::path& file) { download(object, file, 0); }

void S3Storage::write(const Location& object, const std::string& bytes) {
  const auto& config = http_.config();
  const std::string type = content_type_for(object.key);
  if (bytes.size() >= config.multipart_threshold) {
    multipart_upload(http_, object, bytes.size(),
                     [&](std::uint64_t offset, std::size_t length) { return bytes.substr(offset, length); }, type);
    return;
  }
  S3Request request{"PutObject", "PUT", object.bucket, object.key, {}, {{"Content-Type", type}}};
  request.body = bytes;
  http_.call(request);
  if (config.on_bytes) config.on_bytes(bytes.size(), bytes.size());
}

void S3Storage::write_from_file(const Location& object, const fs::path& file) {
  std::error_code ec;
  const std::uint64_t size = fs::file_size(file, ec);
  if (ec) throw UserError("cannot read '" + file.string() + "': " + ec.message());
  if (size < http_.config().multipart_threshold) {
    write(object, io::read_file(file));
    return;
  }
  multipart_upload(
      http_, object, size,
      [&](std::uint64_t offset, std::size_t length) {
        std::ifstream in(file, std::ios::binary);
        if (!in) throw UserError("cannot open '" + file.string() + "' for reading");
        in.seekg(static_cast<std::streamoff>(offset));
        std::string bytes(length, '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(length));
        bytes.resize(static_cast<std::size_t>(in.gcount()));
        return bytes;
      },
      content_type_for(object.key));
}

std::vector<ObjectInfo> S3Storage::list(const Location& prefix) {
  std::vector<ObjectInfo> objects;
  std::string token;
  do {
    S3Request request{"ListObjectsV2", "GET", prefix.bucket, "", {{"list-type", "2"}, {"prefix", prefix.key}}};
    request.about = prefix.key;
    if (!token.empty()) request.query.emplace_back("continuation-token", token);
    auto page = xml::parse_list_objects_v2(http_.call(request).body);
    for (auto& o : page.objects) objects.push_back(std::move(o));
    if (page.is_truncated && page.next_continuation_token.empty())
      throw UserError("ListObjectsV2 s3://" + prefix.bucket + "/" + prefix.key +
                      ": S3 said the listing is truncated but gave no continuation token");
    token = page.is_truncated ? page.next_continuation_token : "";
  } while (!token.empty());
  std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return objects;
}

std::optional<ObjectInfo> S3Storage::stat(const Location& object) {
  S3Response response;
  try {
    response = http_.call({"HeadObject", "HEAD", object.bucket, object.key});
  } catch (const S3Error& e) {
    if (e.http_status() != 404 && e.http_status() != 403) throw;
    // HEAD answers carry no error body: ask GET for S3's code (NoSuchKey vs NoSuchBucket, AccessDenied
    // vs InvalidAccessKeyId), reading at most one byte.
    try {
      http_.call({"GetObject", "GET", object.bucket, object.key, {}, {{"Range", "bytes=0-0"}}});
    } catch (const S3Error& detail) {
      if (detail.code() == "NoSuchKey") return std::nullopt;
      throw;
    }
    return e.http_status() == 404 ? std::nullopt : stat(object);  // it appeared meanwhile
  }
  ObjectInfo info;
  info.key = object.key;
  info.size = std::stoull(response.header("Content-Length").empty() ? "0" : response.header("Content-Length"));
  info.etag = strip_quotes(response.header("ETag"));
  info.last_modified = 0;
  if (const std::string date = response.header("Last-Modified"); !date.empty()) {
    std::tm tm{};
    if (strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S", &tm)) info.last_modified = timegm(&tm);
  }
  return info;
}

void S3Storage::remove_prefix(const Location& prefix) {
  std::vector<std::string> keys;
  Location folder = prefix;
  folder.key = folder_prefix(prefix.key);
  for (const auto& o : list(folder)) keys.push_back(o.key);
  if (!prefix.key.empty() && prefix.key.back() != '/' && stat(prefix)) keys.push_back(prefix.key);
  for (std::size_t start = 0; start < keys.size(); start += 1000) {
    const std::vector<std::string> batch(keys.begin() + static_cast<std::ptrdiff_t>(start),
                                         keys.begin() + static_cast<std::ptrdiff_t>(std::min(keys.size(), start + 1000)));
    const std::string body = xml::delete_objects_body(batch);
    S3Request request{"DeleteObjects", "POST", prefix.bucket, "", {{"delete", ""}},
                      {{"Content-Type", "application/xml"}, {"Content-MD5", content_md5(body)}}};
    request.about = prefix.key;
    request.body = body;
    const auto errors = xml::parse_delete_errors(http_.call(request).body);
    if (!errors.empty())
      throw UserError("DeleteObjects s3://" + prefix.bucket + "/" + prefix.key + ": " + std::to_string(errors.size()) +
                      " objects could not be deleted, first: " + errors.front());
  }
}

}  // namespace segmaker::storage
