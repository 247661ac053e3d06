#pragma once
// Filesystem helpers shared by every workflow step.
#include <filesystem>
#include <string>
#include <vector>

namespace segmaker::io {


// The user's cache folder for segmaker: $SEGMAKER_CACHE_DIR, else $XDG_CACHE_HOME/segmaker,
// else ~/.cache/segmaker. Created on demand by the callers that write there.
std::filesystem::path cache_dir();

// Reads a whole file; throws UserError naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

// Writes a file atomically: to a temporary sibling (a unique name), then renamed over `path`.
// Not synced to the disk: io/durable_file.h for files that must survive a crash.
void write_file_atomic(const std::filesystem::path& path, const std::string& bytes);

// Files directly inside `dir` whose extension (lower-cased, with dot) is in `extensions`,
// sorted by name. An empty `extensions` lists every regular file.
std::vector<std::filesystem::path> list_files(const std::filesystem::path& dir, const std::vector<std::string>& extensions = {});

// True when `dir` does not exist or is an empty folder.
bool is_empty_dir(const std::filesystem::path& dir);

// Lower-cased extension with the dot (".jpg"), or "" when there is none.
std::string lower_extension(const std::filesystem::path& path);

}  // namespace segmaker::io
