#pragma once
// A progress reporter: a redrawn bar on a terminal, plain log lines otherwise
// (every `log_every` percent), so that CI logs and files stay readable.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>

namespace segmaker::io {

class Progress {
 public:
  // `total` units of work, described by `label` ("prepare", "epoch 3").
  Progress(std::string label, std::size_t total, bool enabled = true);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Adds `n` finished units; `status` (e.g. "loss 0.41") is shown after the bar. Thread-safe.
  void advance(std::size_t n = 1, const std::string& status = "");
  // Ends the bar (prints the final line). Called by the destructor if not called before.
  void finish(const std::string& status = "");

  std::size_t done() const;
  double elapsed_seconds() const;

 private:
  void draw(const std::string& status, bool final_line);

  std::string label_;
  std::size_t total_;
  std::size_t done_ = 0;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  int last_logged_percent_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  mutable std::mutex mutex_;
};

}  // namespace segmaker::io
