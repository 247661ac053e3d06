#pragma once
// tar.gz archives through libarchive, holding whole files in memory (model artifacts are a few files).
// Reading is defensive: an archive from elsewhere may be hostile or damaged.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace segmaker::io {

struct ArchiveEntry {
  std::string name;  // relative path inside the archive, '/'-separated
  std::string data;
};

struct ArchiveLimits {
  std::size_t max_entry_bytes = std::size_t(4) << 30;  // per file
  std::size_t max_total_bytes = std::size_t(8) << 30;  // all files together
  std::size_t max_entries = 10000;
};

// Writes regular files (mode 0644) to a gzip-compressed POSIX tar, atomically
// (a temporary sibling renamed over `path`). Throws UserError on a bad name or an I/O failure.
void write_tar_gz(const std::filesystem::path& path, const std::vector<ArchiveEntry>& entries);

// Reads every regular file of a tar (gzip-compressed or not). Folders are skipped. Throws DataError,
// naming the archive and the entry, on: an absolute path or a ".." component, a symbolic or hard link,
// a device / FIFO / socket, a duplicate name, an entry or total over `limits`, and a truncated or
// corrupt archive.
std::vector<ArchiveEntry> read_archive(const std::filesystem::path& path, const ArchiveLimits& limits = {});
// A member read_archive_members() looks for.
struct ArchiveMember {
  std::string name;         // its path in the archive
  std::size_t max_bytes;    // larger: refused from the size its header declares, before reading it
  std::string magic = "";   // its first bytes must be these ("" = anything); checked as they arrive
};

// Reads only `members` of a tar (gzip-compressed or not), each within its limits; every other
// entry is skipped without being buffered (still decompressed to reach the next one, and still
// refused when it is hostile, as read_archive refuses it). Returns name → bytes of the members
// present (the caller decides which are required). Throws DataError naming the archive and entry.
std::vector<ArchiveEntry> read_archive_members(const std::filesystem::path& path, const std::vector<ArchiveMember>& members,
                                               const ArchiveLimits& limits = {});

// One entry of a zip's central directory: its name and the uncompressed size it declares.
struct ZipEntryInfo {
  std::string name;
  std::int64_t size = -1;  // -1: not declared
};
// The entries a zip held in memory declares (PyTorch's weight container), read from its central
// directory without extracting anything. Throws DataError naming `what` when it is not a zip.
std::vector<ZipEntryInfo> list_zip_bytes(const std::string& bytes, const std::string& what);

// The same from bytes in memory (`what` names the source in errors).
std::vector<ArchiveEntry> read_archive_bytes(const std::string& bytes, const std::string& what,
                                             const ArchiveLimits& limits = {});

}  // namespace segmaker::io
