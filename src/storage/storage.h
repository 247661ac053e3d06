#pragma once
// One storage interface for every path segmaker reads or writes: local paths, file:// URIs and
// s3://bucket/key URIs (any S3-compatible store). Torch-free.
//
//   auto store = storage::open("s3://pets/data/train/", config);   // or a local folder
//   for (const auto& o : store->list("s3://pets/data/train/")) ...
//
// Every command takes a URI wherever it takes a path and goes through here; the high-level
// transfers (download a prefix into a folder, upload a folder to a prefix) live in transfer.h.
// Errors: UserError for a malformed URI, an unknown scheme, wrong credentials, a missing bucket or
// key (the message names the bucket, the key, the S3 error code and its message); DataError never.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/local_access.h"

namespace segmaker::storage {


// A parsed location. Local paths (and file:// URIs) have `bucket` empty and `local` set;
// s3://bucket/key has `bucket` and `key` (key without a leading '/', may be empty or end in '/').
struct Location {
  enum class Scheme { Local, S3 };
  Scheme scheme = Scheme::Local;
  std::string bucket;
  std::string key;
  std::filesystem::path local;

  bool is_s3() const { return scheme == Scheme::S3; }
  // "s3://bucket/key" or the local path, for messages and logs.
  std::string uri() const;
  // The location of `relative` ('/'-separated) below this one, treating this one as a folder/prefix.
  Location child(const std::string& relative) const;
};

// Parses a path or URI. Anything with "<scheme>://" other than s3 and file is a UserError naming the
// scheme and the supported ones; "s3://" without a bucket or with an invalid bucket name is a UserError.
Location parse_location(const std::string& path_or_uri);
// True for s3:// URIs (cheap check for callers that only need to know whether to stage files).
bool is_remote(const std::string& path_or_uri);

struct ObjectInfo {
  std::string key;        // full key (S3) or path relative to the listed folder (local), '/'-separated
  std::uint64_t size = 0;
  std::string etag;       // S3 ETag without quotes; local: size-mtime
  std::int64_t last_modified = 0;  // epoch seconds
};

// Where credentials, region and endpoint come from: the AWS variables and files users already have
// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION,
// AWS_PROFILE with ~/.aws/credentials and ~/.aws/config, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL),
// with explicit values (the global --s3-endpoint flag) taking precedence.
struct StorageConfig {
  std::string endpoint;        // "" = from the environment, else AWS (https://s3.<region>.amazonaws.com)
  std::string region;          // "" = from the environment, else us-east-1
  std::string profile;         // "" = AWS_PROFILE, else "default"
  bool virtual_host_style = false;  // path style unless asked (custom endpoints need path style)
  int parallel = 0;            // concurrent transfers; 0 = number of cores (bounded)
  bool progress = true;        // bar on a terminal, log lines otherwise
  bool use_cache = true;       // download cache keyed by bucket/key/ETag (--no-cache turns it off)

  // Credentials ("" = from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or the profile;
  // none at all = anonymous requests, as `aws --no-sign-request`).
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  // Retries on connection errors, timeouts, 5xx and 429/SlowDown (never on other 4xx): attempts in all
  // (0 = AWS_MAX_ATTEMPTS, else 5), exponential backoff from `retry_base_seconds` with full jitter.
  int max_attempts = 0;
  double retry_base_seconds = 0.25;
  // Objects of at least `multipart_threshold` bytes go as multipart uploads of `part_size` parts
  // (S3's limits apply: parts of at least 5 MiB, at most 10,000 of them; part_size grows to fit).
  std::uint64_t multipart_threshold = 64ull << 20;
  std::uint64_t part_size = 16ull << 20;
  std::filesystem::path cache_dir;          // "" = io::cache_dir()/s3
  // Called (from worker threads, serialised) as bytes move: bytes done so far and the total of the
  // current transfer. For callers that report progress themselves; may throw to cancel a transfer.
  std::function<void(std::uint64_t done, std::uint64_t total)> on_bytes;

  // Set by from_environment when the AWS settings are unusable (an unknown profile, a key id without
  // its secret, an endpoint without http(s)://): S3 access throws it as a UserError, while commands on
  // local paths are not held up by a broken ~/.aws.
  std::string problem;

  // The local folders plain paths and file:// URIs may name (default: any; segmaker api narrows it).
  LocalAccess local_access;

  // Fills the empty fields from the environment and ~/.aws files.
  static StorageConfig from_environment(StorageConfig explicit_values);
  static StorageConfig from_environment();
};

class Storage {
 public:
  virtual ~Storage() = default;
  // Whole object into memory. UserError (NoSuchKey, AccessDenied, …) when it cannot be read.
  virtual std::string read(const Location& object) = 0;
  // Streams an object into a local file (atomically: a temporary sibling renamed into place).
  virtual void read_to_file(const Location& object, const std::filesystem::path& file) = 0;
  // Writes an object; after it returns the object is whole, before it the old one (or none) is visible.
  virtual void write(const Location& object, const std::string& bytes) = 0;
  // Uploads a local file (multipart in parallel parts above the threshold; aborted on failure).
  virtual void write_from_file(const Location& object, const std::filesystem::path& file) = 0;
  // Every object under a prefix (all pages), sorted by key.
  virtual std::vector<ObjectInfo> list(const Location& prefix) = 0;
  // The object's metadata, or nullopt when it does not exist.
  virtual std::optional<ObjectInfo> stat(const Location& object) = 0;
  // Deletes every object under a prefix (a local folder: recursively).
  virtual void remove_prefix(const Location& prefix) = 0;
};

// The storage for a location's scheme (local folders need no configuration).
std::unique_ptr<Storage> open_storage(const Location& location, const StorageConfig& config = StorageConfig::from_environment());

}  // namespace segmaker::storage
