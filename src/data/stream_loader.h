#pragma once
// Batches from SageMaker's Pipe input mode (data/pipe_reader.h): each epoch reads the channel's next pass
// as it arrives -- a reader thread takes the pairs from the pipe(s) (through a shuffle buffer when
// training), a batch thread decodes and augments them on `workers` threads -- so the first step starts
// once the first batch's objects are in, memory holds a bounded window of encoded pairs and ready
// batches, and nothing is written to disk. Training reads the batches num_training_samples makes
// (the pass's extra records are left unread: the pipe is closed); a pass that ends before is an error
// naming the pipe and the counts, never a short epoch. Validation reads the whole pass. Pairs that
// cannot be used (undecodable, image and mask sizes differ, a class id out of range) are skipped with a
// warning naming their position, as prepare reports bad pairs.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "data/batch_source.h"
#include "data/label_map.h"
#include "data/loader.h"
#include "data/pipe_reader.h"
#include "data/preprocessing.h"

namespace segmaker::data {

struct StreamOptions {
  sagemaker::SageMakerLayout layout;
  std::string channel;             // "train", "validation"
  bool augmented_manifest = false;  // one pipe with image and annotation records (else <channel>_annotation's pipe)
  std::size_t examples = 0;        // training: num_training_samples (batches = examples / batch); 0 = the whole pass
  std::size_t shuffle_buffer = 0;  // pairs held back to mix the stream's order (training)
  std::chrono::seconds pipe_wait{600};
};

class StreamLoader : public BatchSource {
 public:
  // `options`: mode, batch_size, workers, seed, augment, crop_size, prefetch as DataLoader takes them;
  // single process only (rank 0 of 1).
  StreamLoader(StreamOptions stream, LabelMap label_map, int num_classes, Preprocessing preprocessing, LoaderOptions options);
  ~StreamLoader() override;

  std::size_t examples_per_epoch() const override { return stream_.examples; }
  std::size_t batches_per_epoch() const override;
  void start_epoch(std::uint64_t epoch) override;
  bool next(Batch& out) override;

 private:
  void stop_threads();
  void read_loop();
  void batch_loop();
  // Takes up to `n` pairs from the reader; fewer only at the end of the pass.
  std::vector<RawPair> take(std::size_t n);
  void fail(std::exception_ptr error);

  StreamOptions stream_;
  LabelMap label_map_;
  int num_classes_;
  Preprocessing preprocessing_;
  LoaderOptions options_;

  std::uint64_t epoch_ = 0;
  int pass_ = -1;  // the pipe pass of the current epoch (0, 1, … in this process)
  std::chrono::steady_clock::time_point started_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<RawPair> raw_;     // read, not yet decoded (bounded)
  bool raw_done_ = false;       // the pass ended
  std::deque<Batch> ready_;     // decoded (bounded by prefetch)
  bool batches_done_ = false;
  std::size_t usable_ = 0, skipped_ = 0;
  std::exception_ptr error_;
  std::atomic<bool> stopping_{false};
  std::thread reader_, batcher_;
};

}  // namespace segmaker::data
