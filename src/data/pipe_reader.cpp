// SageMaker's Pipe input mode, the algorithm's side (see pipe_reader.h).
#include "data/pipe_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "io/error.h"

namespace segmaker::data {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxRecordBytes = 256u << 20;  // one encoded image
constexpr int kPollMs = 100;

}  // namespace

// One named pipe, opened for reading, its records read as they arrive.
struct PipePairReader::Pipe {
  Pipe(const fs::path& path, const std::atomic<bool>& stopping, std::chrono::seconds wait)
      : path(path), stopping(stopping),
        reader([this](char* to, std::size_t n) { return read_some(to, n); }, kMaxRecordBytes) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!stopping && !fs::exists(path)) {
      if (std::chrono::steady_clock::now() > deadline)
        throw DataError("the pipe " + path.string() + " did not appear within " + std::to_string(wait.count()) +
                        " s: is the channel in Pipe mode, and is the platform streaming it?");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (stopping) return;
    do fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // blocks until the platform opens it for writing
    while (fd < 0 && errno == EINTR);
    if (fd < 0) throw DataError("cannot open the pipe " + path.string() + ": " + std::strerror(errno));
  }
  ~Pipe() {
    if (fd >= 0) ::close(fd);
  }

  std::size_t read_some(char* to, std::size_t n) {
    while (!stopping && fd >= 0) {
      pollfd p{fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, kPollMs);
      if (ready < 0 && errno != EINTR) throw DataError("reading the pipe " + path.string() + ": " + std::strerror(errno));
      if (ready <= 0) continue;
      const ssize_t r = ::read(fd, to, n);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r < 0) throw DataError("reading the pipe " + path.string() + ": " + std::strerror(errno));
      return static_cast<std::size_t>(r);  // 0: the platform closed it, the pass is over
    }
    return 0;
  }

  bool next(std::string& payload) {
    try {
      return reader.next(payload);
    } catch (const DataError& e) {
      throw DataError("the pipe " + path.filename().string() + ": " + e.what());
    }
  }

  fs::path path;
  const std::atomic<bool>& stopping;
  int fd = -1;
  sagemaker::RecordIOReader reader;
};

PipePairReader::PipePairReader(const sagemaker::SageMakerLayout& layout, const std::string& channel, bool augmented, int pass,
                               const std::atomic<bool>& stopping, std::chrono::seconds wait)
    : name_(layout.pipe(channel, pass).filename().string()) {
  images_ = std::make_unique<Pipe>(layout.pipe(channel, pass), stopping, wait);
  if (!augmented) masks_ = std::make_unique<Pipe>(layout.pipe(channel + "_annotation", pass), stopping, wait);
}

PipePairReader::~PipePairReader() = default;

std::string PipePairReader::where(std::uint64_t index) const { return "pipe " + name_ + ", pair " + std::to_string(index); }

bool PipePairReader::next(RawPair& out) {
  Pipe& masks = masks_ ? *masks_ : *images_;
  if (!images_->next(out.image)) {
    if (masks_ && masks_->next(out.mask))
      throw DataError("the pipe " + masks_->path.filename().string() + " holds more records than " + name_ + " (" +
                      std::to_string(next_index_) + " images): the channels do not pair up");
    return false;
  }
  if (!masks.next(out.mask))
    throw DataError(masks_ ? "the pipe " + masks_->path.filename().string() + " ended after " + std::to_string(next_index_) +
                                 " annotations, but " + name_ + " has more images: the channels do not pair up"
                           : "the pipe " + name_ + " ends with an image without its annotation (pair " +
                                 std::to_string(next_index_) + "): an augmented manifest's pipe carries both");
  out.index = next_index_++;
  return true;
}

void PipePairReader::release(const sagemaker::SageMakerLayout& layout, const std::string& channel, bool augmented, int pass) {
  for (const fs::path& path : {layout.pipe(channel, pass), layout.pipe(channel + "_annotation", pass)}) {
    if (augmented && path != layout.pipe(channel, pass)) continue;
    const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
  }
}

}  // namespace segmaker::data
