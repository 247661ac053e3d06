#include "io/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <memory>
#include <set>
#include <unistd.h>

#include "io/durable_file.h"
#include "io/error.h"

namespace segmaker::io {

namespace {

using ReadPtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

// "./a/b" → "a/b"; throws on names that could escape the extraction folder.
std::string safe_name(const std::string& raw, const std::string& what) {
  std::string name = raw;
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  if (name.empty()) return name;
  if (name.front() == '/' || name.find('\\') != std::string::npos || (name.size() > 1 && name[1] == ':'))
    throw DataError(what + ": entry '" + raw + "' has an absolute path; refusing to read it");
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0)
      throw DataError(what + ": entry '" + raw + "' contains '..' (path traversal); refusing to read it");
    start = end + 1;
  }
  return name;
}

// The checks every entry passes, read or skipped. Returns its safe name, "" for a folder.
std::string checked_entry(struct archive_entry* entry, const std::string& what, std::set<std::string>& seen,
                          std::size_t& count, const ArchiveLimits& limits) {
  const char* raw_name = archive_entry_pathname(entry);
  const std::string raw = raw_name ? raw_name : "";
  const std::string name = safe_name(raw, what);
  if (archive_entry_hardlink(entry) != nullptr)
    throw DataError(what + ": entry '" + raw + "' is a hard link; only regular files are allowed");
  const auto type = archive_entry_filetype(entry);
  if (type == AE_IFDIR) return "";
  if (type == AE_IFLNK) throw DataError(what + ": entry '" + raw + "' is a symbolic link; only regular files are allowed");
  if (type != AE_IFREG)
    throw DataError(what + ": entry '" + raw + "' is a device, FIFO or socket; only regular files are allowed");
  if (name.empty()) throw DataError(what + ": an entry has an empty name");
  if (!seen.insert(name).second) throw DataError(what + ": entry '" + name + "' appears twice");
  if (++count > limits.max_entries) throw DataError(what + " has more than " + std::to_string(limits.max_entries) + " entries");
  return name;
}

std::string archive_error(struct archive* a) {
  return archive_error_string(a) ? archive_error_string(a) : "unknown error";
}

// Reads the current entry's data, within `max_bytes` (and the archive's total), checking `magic`
// as soon as enough bytes are there.
std::string read_entry_data(struct archive* a, const std::string& what, const std::string& name, std::size_t max_bytes,
                            const std::string& magic, std::size_t& total, const ArchiveLimits& limits) {
  std::string data;
  char buf[1 << 16];
  bool magic_checked = magic.empty();
  for (;;) {
    const la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0)
      throw DataError(what + ": entry '" + name + "' cannot be read (truncated or corrupt archive): " + archive_error(a));
    data.append(buf, static_cast<std::size_t>(n));
    total += static_cast<std::size_t>(n);
    if (data.size() > max_bytes)
      throw DataError(what + ": entry '" + name + "' is over the limit of " + std::to_string(max_bytes) + " bytes");
    if (total > limits.max_total_bytes)
      throw DataError(what + " unpacks to more than " + std::to_string(limits.max_total_bytes) + " bytes");
    if (!magic_checked && data.size() >= magic.size()) {
      if (data.compare(0, magic.size(), magic) != 0)
        throw DataError(what + ": entry '" + name + "' does not start like one (wrong format); refusing to read the rest");
      magic_checked = true;
    }
  }
  if (!magic_checked) throw DataError(what + ": entry '" + name + "' is too short to be one");
  return data;
}

// Every regular entry when `members` is null, else only those (the rest skipped unbuffered).
std::vector<ArchiveEntry> read_entries(struct archive* a, const std::string& what, const ArchiveLimits& limits,
                                       const std::vector<ArchiveMember>* members) {
  std::vector<ArchiveEntry> out;
  std::set<std::string> seen;
  std::size_t total = 0, count = 0;
  struct archive_entry* entry = nullptr;
  for (;;) {
    const int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) throw DataError(what + " is not a readable tar archive (truncated or corrupt?): " + archive_error(a));
    const std::string name = checked_entry(entry, what, seen, count, limits);
    if (name.empty()) continue;
    std::size_t max_bytes = limits.max_entry_bytes;
    std::string magic;
    if (members) {
      const auto m = std::find_if(members->begin(), members->end(), [&](const ArchiveMember& x) { return x.name == name; });
      if (m == members->end()) {
        if (archive_read_data_skip(a) != ARCHIVE_OK)
          throw DataError(what + ": entry '" + name + "' cannot be skipped (truncated or corrupt archive): " + archive_error(a));
        continue;
      }
      max_bytes = std::min(max_bytes, m->max_bytes);
      magic = m->magic;
    }
    if (archive_entry_size_is_set(entry) && archive_entry_size(entry) >= 0 &&
        static_cast<std::size_t>(archive_entry_size(entry)) > max_bytes)
      throw DataError(what + ": entry '" + name + "' is " + std::to_string(archive_entry_size(entry)) +
                      " bytes, over the limit of " + std::to_string(max_bytes) + "; refused before reading it");
    out.push_back({name, read_entry_data(a, what, name, max_bytes, magic, total, limits)});
  }
  return out;
}

ReadPtr new_reader() {
  ReadPtr a(archive_read_new(), archive_read_free);
  if (!a) throw std::runtime_error("libarchive: out of memory");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_none(a.get());
  archive_read_support_format_tar(a.get());
  return a;
}

}  // namespace

void write_tar_gz(const std::filesystem::path& path, const std::vector<ArchiveEntry>& entries) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path tmp = unique_temp_path(path);
  std::unique_ptr<struct archive, int (*)(struct archive*)> a(archive_write_new(), archive_write_free);
  auto error_text = [&]() -> std::string {
    const char* e = archive_error_string(a.get());
    return e ? e : "libarchive error";
  };
  auto fail = [&](const std::string& why) {
    a.reset();
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw UserError("cannot write '" + path.string() + "': " + why);
  };
  if (archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK || archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK)
    fail(error_text());
  const std::time_t now = std::time(nullptr);
  for (const auto& e : entries) {
    bool good_name = !e.name.empty();
    try {
      good_name = good_name && safe_name(e.name, path.string()) == e.name;
    } catch (const DataError&) {
      good_name = false;
    }
    if (!good_name) fail("bad entry name '" + e.name + "' (relative, no '..', no leading './')");
    std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), e.name.c_str());
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.data.size()));
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), now, 0);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) fail(error_text());
    if (!e.data.empty() &&
        archive_write_data(a.get(), e.data.data(), e.data.size()) != static_cast<la_ssize_t>(e.data.size()))
      fail(error_text());
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) fail(error_text());
  a.reset();
  commit_file(tmp, path);  // on the disk before and after the rename: a crash leaves old or new
}

std::vector<ArchiveEntry> read_archive(const std::filesystem::path& path, const ArchiveLimits& limits) {
  if (!std::filesystem::is_regular_file(path)) throw UserError("'" + path.string() + "' is not a file");
  ReadPtr a = new_reader();
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    throw DataError("cannot open archive '" + path.string() + "' (truncated or corrupt?): " +
                    std::string(archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error"));
  return read_entries(a.get(), "archive '" + path.string() + "'", limits, nullptr);
}

std::vector<ArchiveEntry> read_archive_members(const std::filesystem::path& path, const std::vector<ArchiveMember>& members,
                                               const ArchiveLimits& limits) {
  if (!std::filesystem::is_regular_file(path)) throw UserError("'" + path.string() + "' is not a file");
  ReadPtr a = new_reader();
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    throw DataError("cannot open archive '" + path.string() + "' (truncated or corrupt?): " + archive_error(a.get()));
  return read_entries(a.get(), "archive '" + path.string() + "'", limits, &members);
}

std::vector<ArchiveEntry> read_archive_bytes(const std::string& bytes, const std::string& what, const ArchiveLimits& limits) {
  ReadPtr a = new_reader();
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK)
    throw DataError("cannot open archive " + what + " (truncated or corrupt?): " +
                    std::string(archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error"));
  return read_entries(a.get(), what, limits, nullptr);
}

}  // namespace segmaker::io

namespace segmaker::io {

std::vector<ZipEntryInfo> list_zip_bytes(const std::string& bytes, const std::string& what) {
  ReadPtr a(archive_read_new(), archive_read_free);
  if (!a) throw std::runtime_error("libarchive: out of memory");
  archive_read_support_format_zip_seekable(a.get());  // the central directory, as zip readers use it
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK)
    throw DataError(what + " is not a readable zip file: " + archive_error(a.get()));
  std::vector<ZipEntryInfo> out;
  struct archive_entry* entry = nullptr;
  for (;;) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) throw DataError(what + " is not a readable zip file: " + archive_error(a.get()));
    const char* name = archive_entry_pathname(entry);
    out.push_back({name ? name : "", archive_entry_size_is_set(entry) ? archive_entry_size(entry) : -1});
  }
  return out;
}

}  // namespace segmaker::io
