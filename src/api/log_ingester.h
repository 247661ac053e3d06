#pragma once
// Follows the log files the API's child processes write (a training job's, a transform job's, an
// endpoint instance's) into the log store, as CloudWatch's agent does: each complete line becomes an
// event stamped with the time it was read (a poll every `interval`, so within that of its writing;
// never earlier than the stream's previous event), and the lines that match a metric definition add
// a datapoint to the metric store (SageMaker's MetricDefinitions: the regex's first group is the
// value). A source resumes where the store says it was read up to, so a restarted service neither
// loses nor repeats lines. Thread-safe.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "api/log_store.h"
#include "api/metric_store.h"

namespace segmaker::api {

struct MetricRule {
  std::string name;
  std::regex regex;
};

struct LogSource {
  std::filesystem::path file;
  std::string group;
  std::string stream;
  std::vector<MetricRule> metrics;  // applied to every line
  MetricId metric_id;               // namespace and dimensions of those metrics (name from the rule)
};

class LogIngester {
 public:
  LogIngester(LogStore& logs, MetricStore& metrics, std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~LogIngester();
  LogIngester(const LogIngester&) = delete;
  LogIngester& operator=(const LogIngester&) = delete;

  // Starts following `source.file` (which need not exist yet); nothing when it is followed already.
  void follow(LogSource source);
  bool following(const std::filesystem::path& file);
  // Reads what the file holds now: call before publishing a status that readers of the log wait for.
  void flush(const std::filesystem::path& file);
  // Reads the rest (an unterminated last line too) and stops following the file.
  void stop_following(const std::filesystem::path& file);
  // Stops the polling thread (the sources stay where they were read up to).
  void stop();

 private:
  struct Follower;
  void poll(Follower& f, bool final);
  // The follower of `file` (null when none), taken off the list with `remove`.
  std::shared_ptr<Follower> find(const std::filesystem::path& file, bool remove);
  void loop();

  LogStore& logs_;
  MetricStore& metrics_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::filesystem::path, std::shared_ptr<Follower>> followers_;
  bool stopping_ = false;
  std::thread thread_;
};

// The rules of SageMaker metric definitions ([{Name, Regex}]); an invalid regex is a UserError naming it.
std::vector<MetricRule> metric_rules(const std::vector<std::pair<std::string, std::string>>& definitions);

}  // namespace segmaker::api
