// Durable writes (fsync before and after rename), unique temporary names and the folder swap.
#include "io/durable_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "io/error.h"

namespace fs = std::filesystem;

namespace segmaker::io {
namespace {

std::string errno_text() { return std::strerror(errno); }

void fsync_path(const fs::path& path, int flags, const char* what) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw UserError("cannot open " + std::string(what) + " '" + path.string() + "' to sync it: " + errno_text());
  const int rc = ::fsync(fd);
  const std::string error = rc == 0 ? "" : errno_text();
  ::close(fd);
  if (rc != 0) throw UserError("cannot sync '" + path.string() + "' to the disk: " + error);
}

fs::path parent_of(const fs::path& path) {
  const fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

}  // namespace

fs::path unique_temp_path(const fs::path& path) {
  std::random_device rd;
  const unsigned long long r = (static_cast<unsigned long long>(rd()) << 32) ^ rd();
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(r);
  return tmp;
}

void fsync_file(const fs::path& path) { fsync_path(path, O_RDONLY, "file"); }

void fsync_directory(const fs::path& dir) { fsync_path(dir, O_RDONLY | O_DIRECTORY, "folder"); }

void sync_filesystem(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw UserError("cannot open '" + path.string() + "' to sync it: " + errno_text());
  const int rc = ::syncfs(fd);
  const std::string error = rc == 0 ? "" : errno_text();
  ::close(fd);
  if (rc != 0) throw UserError("cannot sync the filesystem of '" + path.string() + "': " + error);
}

void commit_file(const fs::path& tmp, const fs::path& path) {
  fsync_file(tmp);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw UserError("cannot rename '" + tmp.string() + "' to '" + path.string() + "'");
  }
  fsync_directory(parent_of(path));
}

fs::path write_unique_temp(const fs::path& path, const std::string& bytes) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path tmp = unique_temp_path(path);  // concurrent writers of one path never share it
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw UserError("cannot open '" + tmp.string() + "' for writing");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw UserError("cannot write '" + path.string() + "' (disk full?)");
    }
  }
  return tmp;
}

void write_file_durable(const fs::path& path, const std::string& bytes) {
  commit_file(write_unique_temp(path, bytes), path);
}

void swap_directories(const fs::path& fresh, const fs::path& target) {
  if (!fs::exists(target)) {
    std::error_code ec;
    fs::rename(fresh, target, ec);
    if (ec) throw UserError("cannot move '" + fresh.string() + "' to '" + target.string() + "': " + ec.message());
    fsync_directory(parent_of(target));
    return;
  }
#ifdef SYS_renameat2
  constexpr unsigned kExchange = 2;  // RENAME_EXCHANGE
  if (::syscall(SYS_renameat2, AT_FDCWD, fresh.c_str(), AT_FDCWD, target.c_str(), kExchange) == 0) {
    fsync_directory(parent_of(target));
    return;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
    throw UserError("cannot swap '" + fresh.string() + "' into '" + target.string() + "': " + errno_text());
#endif
  // No exchange on this filesystem: the old folder aside (at a temporary name), the new in place.
  const fs::path aside = unique_temp_path(target);
  std::error_code ec;
  fs::rename(target, aside, ec);
  if (ec) throw UserError("cannot move '" + target.string() + "' aside: " + ec.message());
  fs::rename(fresh, target, ec);
  if (ec) {
    fs::rename(aside, target, ec);
    throw UserError("cannot move '" + fresh.string() + "' to '" + target.string() + "'");
  }
  fs::rename(aside, fresh, ec);  // the caller removes the old content at `fresh`
  fsync_directory(parent_of(target));
}

}  // namespace segmaker::io
