#pragma once
// Streaming SHA-256 (OpenSSL EVP), lower-case hex digest. Torch-free.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace segmaker::io {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t size);
  // The digest of everything updated so far, as 64 hex characters. Call once.
  std::string hex();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

// Lower-case hex SHA-256 of `data` (SigV4's payload and canonical-request hashes, cache keys).
std::string sha256_hex(std::string_view data);

// Lower-case hex SHA-256 of a file's bytes. Throws UserError when it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace segmaker::io
