#include "io/progress.h"

#include <cstdio>
#include <unistd.h>

namespace segmaker::io {

Progress::Progress(std::string label, std::size_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_) finish();
}

std::size_t Progress::done() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(std::size_t n, const std::string& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += n;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ < std::chrono::milliseconds(100) && done_ < total_) return;
    last_draw_ = now;
    draw(status, false);
  } else {
    int percent = total_ ? static_cast<int>(100 * done_ / total_) : 100;
    if (percent / 10 == last_logged_percent_ / 10 && done_ < total_) return;
    last_logged_percent_ = percent;
    draw(status, true);
  }
}

void Progress::finish(const std::string& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  if (tty_) {
    draw(status, false);
    std::fputc('\n', stderr);
  } else if (last_logged_percent_ < 100 || !status.empty()) {
    draw(status, true);
  }
}

void Progress::draw(const std::string& status, bool line) {
  double secs = elapsed_seconds();
  double rate = secs > 0 ? static_cast<double>(done_) / secs : 0.0;
  double frac = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  if (frac > 1) frac = 1;
  if (line) {
    std::fprintf(stderr, "%s: %zu/%zu (%3.0f%%) %.1f/s %.1fs %s\n", label_.c_str(), done_, total_, 100 * frac,
                 rate, secs, status.c_str());
    return;
  }
  constexpr int width = 30;
  int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  double eta = rate > 0 && total_ > done_ ? static_cast<double>(total_ - done_) / rate : 0.0;
  std::fprintf(stderr, "\r%s [%s] %zu/%zu %.1f/s eta %.0fs %s\x1b[K", label_.c_str(), bar.c_str(), done_, total_,
               rate, eta, status.c_str());
  std::fflush(stderr);
}

}  // namespace segmaker::io
