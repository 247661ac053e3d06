#include "io/paths.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "io/durable_file.h"
#include "io/error.h"

namespace fs = std::filesystem;

namespace segmaker::io {

fs::path cache_dir() {
  if (const char* dir = std::getenv("SEGMAKER_CACHE_DIR"); dir && *dir) return fs::path(dir);
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "segmaker";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "segmaker";
  return fs::temp_directory_path() / "segmaker-cache";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot open '" + path.string() + "' for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw UserError("error while reading '" + path.string() + "'");
  return ss.str();
}

void write_file_atomic(const fs::path& path, const std::string& bytes) {
  fs::rename(write_unique_temp(path, bytes), path);
}

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

std::vector<fs::path> list_files(const fs::path& dir, const std::vector<std::string>& extensions) {
  if (!fs::is_directory(dir)) throw UserError("'" + dir.string() + "' is not a folder");
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (!extensions.empty() &&
        std::find(extensions.begin(), extensions.end(), lower_extension(entry.path())) == extensions.end())
      continue;
    out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_empty_dir(const fs::path& dir) {
  if (!fs::exists(dir)) return true;
  return fs::is_directory(dir) && fs::directory_iterator(dir) == fs::directory_iterator();
}

}  // namespace segmaker::io
