#pragma once
// Helpers for the storage tests: file trees to compare, random files, a shell command's output
// (file digests: io::sha256_file_hex).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "io/paths.h"

namespace segmaker::test {

namespace fs = std::filesystem;

// relative path -> contents, for every file below `dir`.
inline std::map<std::string, std::string> read_tree(const fs::path& dir) {
  std::map<std::string, std::string> tree;
  if (!fs::exists(dir)) return tree;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) tree[fs::relative(e.path(), dir).generic_string()] = io::read_file(e.path());
  return tree;
}

inline void write_text(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

// `size` pseudo-random bytes (deterministic for a seed) written to `file`.
inline void write_random_file(const fs::path& file, std::uint64_t size, unsigned seed) {
  fs::create_directories(file.parent_path());
  std::mt19937_64 rng(seed);
  std::ofstream out(file, std::ios::binary);
  std::vector<std::uint64_t> block(1 << 16);
  for (std::uint64_t written = 0; written < size;) {
    for (auto& v : block) v = rng();
    const auto n = std::min<std::uint64_t>(size - written, block.size() * sizeof(std::uint64_t));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    written += n;
  }
}

// Runs a shell command; its exit code, with stdout+stderr in `output`.
inline int run_shell(const std::string& command, std::string* output = nullptr) {
  std::string text;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe)) text += buffer;
  const int status = ::pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace segmaker::test
