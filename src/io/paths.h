#pragma once
// Filesystem helpers shared by every workflow step.
#include <filesystem>
#include <string>
#include <vector>

namespace segmaker::io {

namespace fs = std::filesystem;

// The user's cache folder for segmaker: $SEGMAKER_CACHE_DIR, else $XDG_CACHE_HOME/segmaker,
// else ~/.cache/segmaker. Created on demand by the callers that write there.
fs::path cache_dir();

// Reads a whole file; throws UserError naming the path when it cannot.
std::string read_file(const fs::path& path);

// Writes a file atomically: to a temporary sibling (a unique name), then renamed over `path`.
// Not synced to the disk: io/durable_file.h for files that must survive a crash.
void write_file_atomic(const fs::path& path, const std::string& bytes);

// Files directly inside `dir` whose extension (lower-cased, with dot) is in `extensions`,
// sorted by name. An empty `extensions` lists every regular file.
std::vector<fs::path> list_files(const fs::path& dir, const std::vector<std::string>& extensions = {});

// True when `dir` does not exist or is an empty folder.
bool is_empty_dir(const fs::path& dir);

// Lower-cased extension with the dot (".jpg"), or "" when there is none.
std::string lower_extension(const fs::path& path);

}  // namespace segmaker::io
