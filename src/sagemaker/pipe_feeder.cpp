// SageMaker's Pipe input mode, the platform's side (see pipe_feeder.h).
#include "sagemaker/pipe_feeder.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>

#include "io/error.h"
#include "sagemaker/container_layout.h"
#include "sagemaker/recordio.h"

namespace segmaker::sagemaker {

namespace fs = std::filesystem;

namespace {

constexpr int kPollMs = 50;

std::string read_object(const std::string& uri, const storage::StorageConfig& config) {
  const storage::Location location = storage::parse_location(uri);
  return storage::open_storage(location, config)->read(location);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

PipeFeeder::PipeFeeder(SageMakerLayout layout, std::string channel, std::vector<std::string> object_uris, storage::StorageConfig config,
                       Log log)
    : layout_(std::move(layout)), channel_(std::move(channel)), uris_(std::move(object_uris)), config_(std::move(config)),
      log_(std::move(log)) {
  thread_ = std::thread([this] { run(); });
}

PipeFeeder::~PipeFeeder() { stop(); }

void PipeFeeder::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string PipeFeeder::error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

void PipeFeeder::run() {
  for (int n = 0; !stopping_; ++n) {
    if (!feed_pass(n)) {
      if (!error().empty()) return;  // a cut pass: the job fails with error()
    }
  }
}

int PipeFeeder::open_for_reader(const fs::path& pipe) {
  // Without a reader a non-blocking open for writing fails with ENXIO: poll until the algorithm opens it.
  while (!stopping_) {
    const int fd = ::open(pipe.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) return fd;
    if (errno != ENXIO) throw UserError("cannot open the pipe " + pipe.string() + ": " + std::strerror(errno));
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  return -1;
}

bool PipeFeeder::write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    if (stopping_) return false;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    if (p.revents & (POLLERR | POLLHUP)) return false;  // the reader closed its end
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return false;  // EPIPE: the reader is gone (SIGPIPE is ignored by the service)
    }
    done += static_cast<std::size_t>(w);
  }
  return true;
}

bool PipeFeeder::feed_pass(int n) {
  const fs::path pipe = layout_.pipe(channel_, n);
  std::error_code ec;
  fs::remove(pipe, ec);
  if (::mkfifo(pipe.c_str(), 0600) != 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = "channel '" + channel_ + "': cannot create the pipe " + pipe.string() + ": " + std::strerror(errno);
    return false;
  }
  const int fd = open_for_reader(pipe);
  if (fd < 0) {
    fs::remove(pipe, ec);
    return false;
  }
  const auto start = std::chrono::steady_clock::now();
  log_("pipe " + pipe.filename().string() + ": streaming " + std::to_string(uris_.size()) + " objects");
  std::uint64_t bytes = 0;
  std::size_t sent = 0;
  std::string failure;
  std::future<std::string> next;
  if (!uris_.empty()) next = std::async(std::launch::async, read_object, uris_[0], config_);
  for (std::size_t i = 0; i < uris_.size(); ++i) {
    std::string object;
    try {
      object = next.get();
    } catch (const std::exception& e) {
      failure = "channel '" + channel_ + "': " + uris_[i] + " cannot be read: " + e.what();
      break;
    }
    if (i + 1 < uris_.size()) next = std::async(std::launch::async, read_object, uris_[i + 1], config_);
    std::string record;
    append_recordio(record, object);
    if (!write_all(fd, record)) break;
    bytes += object.size();
    ++sent;
  }
  if (next.valid()) next.wait();
  ::close(fd);
  fs::remove(pipe, ec);  // the reader keeps its open end; a new pass gets a new pipe
  if (!failure.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = failure + " (pass " + std::to_string(n) + " cut after " + std::to_string(sent) + " objects)";
    log_("pipe " + pipe.filename().string() + ": " + error_);
    return false;
  }
  char line[160];
  std::snprintf(line, sizeof line, ": %zu of %zu objects streamed (%.1f MB) in %.2f s", sent, uris_.size(), bytes / 1e6,
                seconds_since(start));
  log_("pipe " + pipe.filename().string() + line + (sent < uris_.size() && !stopping_ ? ", the reader closed it" : ""));
  if (sent == uris_.size()) ++completed_;
  return sent == uris_.size();
}

}  // namespace segmaker::sagemaker
