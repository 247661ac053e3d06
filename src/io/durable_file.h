#pragma once
// Files that must survive a crash whole or not at all (data sets, checkpoints, model artifacts):
// unique temporary names (two writers of one path never share a temporary), fsync of the data
// before the rename and of the folder after it, and a directory swap for a whole data set.
#include <filesystem>
#include <string>

namespace segmaker::io {


// A sibling of `path` no other writer uses: "<name>.tmp.<pid>.<random>".
std::filesystem::path unique_temp_path(const std::filesystem::path& path);
// Writes `bytes` to a new unique_temp_path(path) (creating the parent folder) and returns it; nothing
// is left behind when the write fails (UserError naming `path`).
std::filesystem::path write_unique_temp(const std::filesystem::path& path, const std::string& bytes);

// Flushes a file's data to the disk (fsync). Throws UserError naming the path.
void fsync_file(const std::filesystem::path& path);
// Makes a creation or rename inside `dir` durable (fsync of the folder). Throws UserError.
void fsync_directory(const std::filesystem::path& dir);
// Flushes every file of the filesystem holding `path` (syncfs): one call after writing many files.
void sync_filesystem(const std::filesystem::path& path);

// Like write_file_atomic, and durable: the data is on the disk before the rename, the rename
// before the function returns. After a crash `path` holds the old bytes or the new ones.
void write_file_durable(const std::filesystem::path& path, const std::string& bytes);
// The same for a file already written in full at `tmp` (a sibling of `path`): fsync, rename, fsync.
void commit_file(const std::filesystem::path& tmp, const std::filesystem::path& path);

// Puts the folder `fresh` in the place of `target` (which may not exist) in one step: a crash
// leaves `target` with the old content or the new, never a mix. Linux renameat2(RENAME_EXCHANGE)
// swaps the two; the old content ends up at `fresh`, which the caller removes. Where the
// filesystem cannot exchange, two renames (old aside to `fresh`, then new in place). Both folders
// must be on one filesystem. Throws UserError.
void swap_directories(const std::filesystem::path& fresh, const std::filesystem::path& target);

}  // namespace segmaker::io
