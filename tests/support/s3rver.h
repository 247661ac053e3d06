#pragma once
// A real S3 server for tests: the npm package s3rver 3.7.1 (installed by scripts/install-deps into
// segmaker's cache), started on a free loopback port with its own folder and buckets, stopped by the
// destructor. stop() / start() take it away and bring it back on the same port with the same data
// (the "server gone" tests). Credentials S3RVER / S3RVER; it does not verify signatures.
//
//   SEGMAKER_REQUIRE_S3RVER();               // skips the test, saying why, when node/s3rver is missing
//   segmaker::test::S3rver s3({"pets", "models"});
//   auto config = s3.config();               // a StorageConfig pointing at it
//   run_cli("--s3-endpoint " + s3.endpoint() + " prepare ...", log, s3.env());
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "io/free_port.h"
#include "io/paths.h"
#include "storage/storage.h"

namespace segmaker::test {

class S3rver {
 public:
  // The s3rver script ($SEGMAKER_S3RVER, else <segmaker cache>/node/node_modules/s3rver/bin/s3rver.js).
  static std::filesystem::path script() {
    if (const char* s = std::getenv("SEGMAKER_S3RVER"); s && *s) return s;
    return io::cache_dir() / "node" / "node_modules" / "s3rver" / "bin" / "s3rver.js";
  }
  static std::string node() {
    for (const char* dir : {"/usr/bin", "/usr/local/bin"}) {
      const auto path = std::filesystem::path(dir) / "node";
      if (::access(path.c_str(), X_OK) == 0) return path.string();
    }
    return "";
  }
  // "" when s3rver can run here, else why not (for GTEST_SKIP).
  static std::string unavailable_reason() {
    if (node().empty()) return "node is not installed (scripts/install-deps installs it)";
    if (!std::filesystem::exists(script()))
      return "s3rver is not installed at " + script().string() + " (scripts/install-deps installs s3rver@3.7.1)";
    return "";
  }

  explicit S3rver(std::vector<std::string> buckets) : buckets_(std::move(buckets)), port_(io::free_port()) {
    dir_ = std::filesystem::temp_directory_path() /
           ("segmaker-s3rver-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "data");
    start();
  }
  ~S3rver() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  S3rver(const S3rver&) = delete;
  S3rver& operator=(const S3rver&) = delete;

  // Starts the server (again) on the same port and data folder; returns once it accepts connections.
  void start() {
    if (pid_ > 0) return;
    std::vector<std::string> args{node(), script().string(), "-d", (dir_ / "data").string(), "-a", "127.0.0.1",
                                  "-p", std::to_string(port_), "--silent"};
    for (const auto& b : buckets_) {
      args.push_back("--configure-bucket");
      args.push_back(b);
    }
    const std::string log = (dir_ / "s3rver.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      // Without the legacy provider, Node >= 17 fails every truncated listing (DES continuation tokens).
      ::setenv("NODE_OPTIONS", "--openssl-legacy-provider", 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {
      if (accepts_connections()) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("s3rver exited at start; see " + log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    throw std::runtime_error("s3rver did not answer on port " + std::to_string(port_) + " within 30 s; see " + log);
  }

  // Kills the server (SIGKILL: as abrupt as a crash or a lost network); the data stays for start().
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Where s3rver keeps the objects (DIR/bucket/key._S3rver_object) and the multipart uploads.
  std::filesystem::path data_dir() const { return dir_ / "data"; }

  // A StorageConfig for this server: its endpoint and credentials, no cache, no progress bar, quick
  // retries (tests stop the server on purpose).
  storage::StorageConfig config() const {
    storage::StorageConfig c;
    c.endpoint = endpoint();
    c.access_key_id = "S3RVER";
    c.secret_access_key = "S3RVER";
    c.region = "us-east-1";
    c.profile = "default";
    c.max_attempts = 3;
    c.retry_base_seconds = 0.05;
    c.use_cache = false;
    c.progress = false;
    return c;
  }
  // The environment for child processes (segmaker, /usr/bin/aws) talking to this server.
  std::vector<std::pair<std::string, std::string>> env() const {
    return {{"AWS_ACCESS_KEY_ID", "S3RVER"},
            {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
            {"AWS_DEFAULT_REGION", "us-east-1"},
            {"AWS_REGION", "us-east-1"},
            {"AWS_ENDPOINT_URL", endpoint()},
            {"AWS_MAX_ATTEMPTS", "3"},
            {"AWS_PAGER", ""}};
  }
  // The same as "VAR=value VAR2=value2 " for a shell command line.
  std::string env_prefix() const {
    std::string out;
    for (const auto& [k, v] : env()) out += k + "='" + v + "' ";
    return out;
  }

 private:
  bool accepts_connections() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    return ok;
  }

  std::vector<std::string> buckets_;
  int port_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace segmaker::test

// Skips the calling test with the reason when s3rver cannot run here (never silently).
#define SEGMAKER_REQUIRE_S3RVER()                                                        \
  do {                                                                                  \
    if (const auto reason = ::segmaker::test::S3rver::unavailable_reason(); !reason.empty()) \
      GTEST_SKIP() << "s3rver unavailable: " << reason;                                 \
  } while (0)
