#pragma once
// SageMaker's Pipe input mode, the algorithm's side: the (image, annotation) pairs of one pass of a
// channel, read as they arrive from its named pipe(s) (sagemaker::SageMakerLayout::pipe), RecordIO
// framed. An augmented manifest's pipe carries each line's image then its annotation; an S3Prefix (or
// ManifestFile) image channel's pipe is read side by side with its <channel>_annotation pipe, record i
// of one with record i of the other (both in key order, as the folder channels pair by name). Torch-free.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "sagemaker/container_layout.h"
#include "sagemaker/recordio.h"

namespace segmaker::data {

struct RawPair {
  std::string image, mask;  // encoded
  std::uint64_t index = 0;  // position in the pass
};

class PipePairReader {
 public:
  // Opens pass `pass` of the channel: waits up to `wait` for its pipe to appear, then for the platform to
  // start writing. `stopping` (set by another thread) ends every wait: next() then returns false.
  PipePairReader(const sagemaker::SageMakerLayout& layout, const std::string& channel, bool augmented_manifest, int pass,
                 const std::atomic<bool>& stopping, std::chrono::seconds wait);
  ~PipePairReader();
  PipePairReader(const PipePairReader&) = delete;
  PipePairReader& operator=(const PipePairReader&) = delete;

  // The next pair; false at the end of the pass (or when stopped). Throws DataError naming the pipe and
  // the byte offset for a malformed stream, or an image whose annotation is missing.
  bool next(RawPair& out);
  // "pipe train_0, pair 17" for messages.
  std::string where(std::uint64_t index) const;
  // Unblocks a reader waiting in open() on pass `pass`'s pipes (call after setting `stopping`).
  static void release(const sagemaker::SageMakerLayout& layout, const std::string& channel, bool augmented_manifest, int pass);

 private:
  struct Pipe;
  std::unique_ptr<Pipe> images_, masks_;  // masks_ null: an augmented manifest's single pipe
  std::string name_;
  std::uint64_t next_index_ = 0;
};

}  // namespace segmaker::data
