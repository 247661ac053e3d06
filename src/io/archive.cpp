#include "io/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <ctime>
#include <functional>
#include <memory>
#include <set>
#include <unistd.h>

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

std::vector<ArchiveEntry> read_all(struct archive* a, const std::string& what, const ArchiveLimits& limits) {
  std::vector<ArchiveEntry> out;
  std::set<std::string> seen;
  std::size_t total = 0;
  struct archive_entry* entry = nullptr;
  for (;;) {
    int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      throw DataError(what + " is not a readable tar archive (truncated or corrupt?): " +
                      std::string(archive_error_string(a) ? archive_error_string(a) : "unknown error"));
    const char* raw_name = archive_entry_pathname(entry);
    std::string raw = raw_name ? raw_name : "";
    std::string name = safe_name(raw, what);
    if (archive_entry_hardlink(entry) != nullptr)
      throw DataError(what + ": entry '" + raw + "' is a hard link; only regular files are allowed");
    auto type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) continue;
    if (type == AE_IFLNK) throw DataError(what + ": entry '" + raw + "' is a symbolic link; only regular files are allowed");
    if (type != AE_IFREG)
      throw DataError(what + ": entry '" + raw + "' is a device, FIFO or socket; only regular files are allowed");
    if (name.empty()) throw DataError(what + ": an entry has an empty name");
    if (!seen.insert(name).second) throw DataError(what + ": entry '" + name + "' appears twice");
    if (out.size() >= limits.max_entries)
      throw DataError(what + " has more than " + std::to_string(limits.max_entries) + " entries");
    if (archive_entry_size_is_set(entry) && archive_entry_size(entry) >= 0 &&
        static_cast<std::size_t>(archive_entry_size(entry)) > limits.max_entry_bytes)
      throw DataError(what + ": entry '" + name + "' is " + std::to_string(archive_entry_size(entry)) +
                      " bytes, over the limit of " + std::to_string(limits.max_entry_bytes));
    ArchiveEntry e;
    e.name = name;
    char buf[1 << 16];
    for (;;) {
      la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
      if (n == 0) break;
      if (n < 0)
        throw DataError(what + ": entry '" + name + "' cannot be read (truncated or corrupt archive): " +
                        std::string(archive_error_string(a) ? archive_error_string(a) : "unknown error"));
      e.data.append(buf, static_cast<std::size_t>(n));
      total += static_cast<std::size_t>(n);
      if (e.data.size() > limits.max_entry_bytes)
        throw DataError(what + ": entry '" + name + "' is over the limit of " + std::to_string(limits.max_entry_bytes) + " bytes");
      if (total > limits.max_total_bytes)
        throw DataError(what + " unpacks to more than " + std::to_string(limits.max_total_bytes) + " bytes");
    }
    out.push_back(std::move(e));
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
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
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
  std::filesystem::rename(tmp, path);
}

std::vector<ArchiveEntry> read_archive(const std::filesystem::path& path, const ArchiveLimits& limits) {
  if (!std::filesystem::is_regular_file(path)) throw UserError("'" + path.string() + "' is not a file");
  ReadPtr a = new_reader();
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    throw DataError("cannot open archive '" + path.string() + "' (truncated or corrupt?): " +
                    std::string(archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error"));
  return read_all(a.get(), "archive '" + path.string() + "'", limits);
}

std::vector<ArchiveEntry> read_archive_bytes(const std::string& bytes, const std::string& what, const ArchiveLimits& limits) {
  ReadPtr a = new_reader();
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK)
    throw DataError("cannot open archive " + what + " (truncated or corrupt?): " +
                    std::string(archive_error_string(a.get()) ? archive_error_string(a.get()) : "unknown error"));
  return read_all(a.get(), what, limits);
}

}  // namespace segmaker::io
