// Log files into the log and metric stores (see log_ingester.h).
#include "api/log_ingester.h"

#include <fstream>

#include <spdlog/spdlog.h>

#include "io/error.h"

namespace segmaker::api {

namespace {
constexpr std::size_t kMaxEventBytes = 256 * 1024;  // CloudWatch's limit of one event
constexpr std::size_t kMaxReadBytes = 8 << 20;      // per poll and file
}  // namespace

struct LogIngester::Follower {
  LogSource source;
  std::mutex mutex;  // one poll at a time
  std::int64_t offset = 0;
  std::int64_t last_timestamp = 0;
  std::string partial;  // an unterminated last line, waiting for its end
};

std::vector<MetricRule> metric_rules(const std::vector<std::pair<std::string, std::string>>& definitions) {
  std::vector<MetricRule> rules;
  for (const auto& [name, regex] : definitions) {
    try {
      rules.push_back({name, std::regex(regex, std::regex::ECMAScript | std::regex::optimize)});
    } catch (const std::regex_error& e) {
      throw UserError("the Regex of metric definition '" + name + "' is not a regular expression: " + e.what());
    }
  }
  return rules;
}

LogIngester::LogIngester(LogStore& logs, MetricStore& metrics, std::chrono::milliseconds interval)
    : logs_(logs), metrics_(metrics), interval_(interval), thread_([this] { loop(); }) {}

LogIngester::~LogIngester() { stop(); }

bool LogIngester::following(const std::filesystem::path& file) {
  std::lock_guard lock(mutex_);
  return followers_.count(file) > 0;
}

void LogIngester::follow(LogSource source) {
  if (following(source.file)) return;
  auto f = std::make_shared<Follower>();
  f->offset = logs_.source_offset(source.group, source.stream);
  f->source = std::move(source);
  std::lock_guard lock(mutex_);
  followers_.emplace(f->source.file, f);
}

std::shared_ptr<LogIngester::Follower> LogIngester::find(const std::filesystem::path& file, bool remove) {
  std::lock_guard lock(mutex_);
  const auto it = followers_.find(file);
  if (it == followers_.end()) return nullptr;
  auto f = it->second;
  if (remove) followers_.erase(it);
  return f;
}

void LogIngester::flush(const std::filesystem::path& file) {
  if (const auto f = find(file, false)) poll(*f, false);
}

void LogIngester::stop_following(const std::filesystem::path& file) {
  if (const auto f = find(file, true)) poll(*f, true);
}

void LogIngester::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogIngester::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [&] { return stopping_; });
    std::vector<std::shared_ptr<Follower>> all;
    for (const auto& [file, f] : followers_) all.push_back(f);
    lock.unlock();
    for (const auto& f : all) {
      try {
        poll(*f, false);
      } catch (const std::exception& e) {
        spdlog::warn("log {}: {}", f->source.file.string(), e.what());
      }
    }
    lock.lock();
  }
}

void LogIngester::poll(Follower& f, bool final) {
  std::lock_guard lock(f.mutex);
  std::ifstream in(f.source.file, std::ios::binary);
  std::string chunk;
  if (in) {
    in.seekg(0, std::ios::end);
    const std::int64_t size = static_cast<std::int64_t>(in.tellg());
    if (size < f.offset) f.offset = 0;  // truncated or replaced: read it again from the start
    const std::int64_t n = std::min<std::int64_t>(size - f.offset, static_cast<std::int64_t>(kMaxReadBytes));
    if (n > 0) {
      chunk.resize(static_cast<std::size_t>(n));
      in.seekg(f.offset);
      in.read(chunk.data(), n);
      chunk.resize(static_cast<std::size_t>(in.gcount()));
    }
  }
  if (chunk.empty() && !(final && !f.partial.empty())) return;
  std::string text = f.partial + chunk;
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;  // CloudWatch events are never empty
    for (std::size_t at = 0; at < line.size(); at += kMaxEventBytes)
      lines.push_back(line.substr(at, kMaxEventBytes));
  }
  f.partial = text.substr(start);
  if (final && !f.partial.empty()) {
    lines.push_back(f.partial.substr(0, kMaxEventBytes));
    f.partial.clear();
  }
  f.offset += static_cast<std::int64_t>(chunk.size());
  const std::int64_t timestamp = std::max(now_milliseconds(), f.last_timestamp);
  f.last_timestamp = timestamp;
  // The stored offset counts only whole lines, so a restart reads an unfinished line again.
  logs_.append(f.source.group, f.source.stream, lines, timestamp, f.offset - static_cast<std::int64_t>(f.partial.size()));
  for (const auto& line : lines) {
    for (const auto& rule : f.source.metrics) {
      std::smatch m;
      if (!std::regex_search(line, m, rule.regex) || m.size() < 2) continue;
      try {
        MetricId id = f.source.metric_id;
        id.name = rule.name;
        metrics_.put(id, timestamp, std::stod(m[1].str()));
      } catch (const std::exception&) {
        // not a number: SageMaker skips such a match too
      }
    }
  }
}

}  // namespace segmaker::api
