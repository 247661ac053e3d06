#pragma once
// One S3 request over libcurl, signed with curl's built-in SigV4 (CURLOPT_AWS_SIGV4), covering the
// gaps of curl 7.88 ourselves: an explicit x-amz-content-sha256, the query string sorted and
// RFC 3986-encoded, the key path encoded segment by segment. Path-style addressing (custom endpoints)
// or virtual-host style (AWS, when asked). Connections are reused from a pool of curl handles.
// Torch-free; curl types stay in the .cpp.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/storage.h"

namespace segmaker::storage {

struct S3Request {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  S3Request(std::string operation_, std::string method_, std::string bucket_, std::string key_, Pairs query_ = {},
            Pairs headers_ = {})
      : operation(std::move(operation_)),
        method(std::move(method_)),
        bucket(std::move(bucket_)),
        key(std::move(key_)),
        query(std::move(query_)),
        headers(std::move(headers_)) {}

  std::string operation;  // "GetObject", "PutObject", … (for messages)
  std::string method;     // GET, HEAD, PUT, POST, DELETE
  std::string bucket;
  std::string key;        // raw key, "" for bucket-level requests
  std::string about;      // the key or prefix messages name when it is not `key` (a listing's prefix)
  std::vector<std::pair<std::string, std::string>> query;  // raw names and values (encoded here)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // PUT/POST body; hashed into x-amz-content-sha256
  // When set, a successful (2xx) answer's body is streamed here instead of collected; it may throw to
  // abort the transfer (the exception then propagates from perform()).
  std::function<void(const char* data, std::size_t size)> on_body;
};

struct S3Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;                            // empty when streamed
  std::string header(const std::string& name) const;
};

class S3Http {
 public:
  explicit S3Http(StorageConfig config);
  ~S3Http();
  S3Http(const S3Http&) = delete;
  S3Http& operator=(const S3Http&) = delete;

  // One attempt. Throws S3Error for an error answer or a connection failure (transient() says
  // whether a retry may help).
  S3Response perform(const S3Request& request);
  // perform() with retries (RetryPolicy from the config). `before_attempt` runs before every attempt
  // (to rewind a file being written, …).
  // `check` runs on every successful answer and may throw S3Error (e.g. CompleteMultipartUpload's
  // 200 answer that carries an <Error>), which is retried like any other.
  S3Response call(const S3Request& request, const std::function<void()>& before_attempt = {},
                  const std::function<void(const S3Response&)>& check = {});

  // The URL a request goes to (query sorted and encoded), and the endpoint in use.
  std::string url(const S3Request& request) const;
  std::string endpoint() const;
  const StorageConfig& config() const { return config_; }

 private:
  void* acquire();
  void release(void* handle);

  StorageConfig config_;
  std::mutex mutex_;
  std::vector<void*> idle_;
};

// RFC 3986 encoding of one query name/value or key segment (unreserved characters kept).
std::string uri_encode(std::string_view text);
// An S3 key as a URL path: every '/'-separated segment encoded, the slashes kept.
std::string encode_key_path(std::string_view key);
// The canonical query string: names and values encoded, pairs sorted, "name=value" joined with '&'.
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);

}  // namespace segmaker::storage
