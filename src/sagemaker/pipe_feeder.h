#pragma once
// SageMaker's Pipe input mode, the platform's side: a channel's objects streamed into the named pipes
// <data>/<channel>_0, <channel>_1, … (sagemaker::SageMakerLayout::pipe), one per pass the algorithm
// reads, each object one RecordIO record (sagemaker/recordio.h), in the order given. A pass's pipe is
// created when the previous pass ended -- read to its end, or closed by the reader once it had what it
// needed -- and filled as the reader takes the bytes: one object in memory, the next one fetched while it
// is written, nothing on disk. An object that cannot be read cuts the pass (the reader sees the stream
// end early) and error() says which object and why. Torch-free.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sagemaker/container_layout.h"
#include "storage/storage.h"

namespace segmaker::sagemaker {

class PipeFeeder {
 public:
  using Log = std::function<void(const std::string& line)>;
  // Starts feeding pass 0 at once. `log` gets a line when a pass starts and when it ends.
  PipeFeeder(SageMakerLayout layout, std::string channel, std::vector<std::string> object_uris,
             storage::StorageConfig config, Log log);
  ~PipeFeeder();
  PipeFeeder(const PipeFeeder&) = delete;
  PipeFeeder& operator=(const PipeFeeder&) = delete;

  // Stops feeding and removes the pipe waiting for a reader; returns once the feeding thread ended.
  void stop();
  // "channel 'train': s3://… cannot be read: …" once a pass was cut, else "".
  std::string error() const;
  // Passes whose every object reached the reader.
  int passes_completed() const { return completed_; }

 private:
  void run();
  // Opens pass n's pipe for writing once a reader opened it; -1 when stopped.
  int open_for_reader(const std::filesystem::path& pipe);
  // Writes all of `bytes`, waiting while the pipe is full; false when the reader left or stop() was called.
  bool write_all(int fd, const std::string& bytes);
  // One pass; false when it could not be completed (stopped, reader gone, object unreadable).
  bool feed_pass(int n);

  SageMakerLayout layout_;
  std::string channel_;
  std::vector<std::string> uris_;
  storage::StorageConfig config_;
  Log log_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> completed_{0};
  mutable std::mutex mutex_;
  std::string error_;
  std::thread thread_;
};

}  // namespace segmaker::sagemaker
