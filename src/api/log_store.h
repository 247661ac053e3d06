#pragma once
// Every log line of the API's jobs and endpoint instances, as CloudWatch Logs keeps them: log groups
// (/aws/sagemaker/TrainingJobs, /aws/sagemaker/TransformJobs, /aws/sagemaker/Endpoints/<endpoint>)
// holding streams (<job>/algo-1-<epoch seconds>, <variant>/<instance>) of events — one line each,
// with the time it was written (ms since the epoch, kept: the same on every read) and the time it was
// stored. One SQLite database (<root>/logs.db); the one owner of a job's log: the Logs API, `GET
// /logs/...` and `segmaker api logs` read it. Logs outlive the resources they came from; retention is
// the operator's (remove_older_than). Thread-safe.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/sqlite.h"

namespace segmaker::api {

struct LogEvent {
  std::int64_t id = 0;          // increasing in the order events were stored
  std::string stream;
  std::int64_t timestamp = 0;   // ms
  std::int64_t ingestion_time = 0;
  std::string message;
};

struct LogStreamInfo {
  std::string name;
  std::int64_t creation_time = 0;
  std::optional<std::int64_t> first_event, last_event, last_ingestion;
  std::int64_t stored_bytes = 0;
};

struct LogGroupInfo {
  std::string name;
  std::int64_t creation_time = 0;
  std::int64_t stored_bytes = 0;
};

// Which events of one stream (GetLogEvents) or of a group (FilterLogEvents).
struct EventQuery {
  std::string group;
  std::vector<std::string> streams;  // empty: every stream (with stream_prefix)
  std::string stream_prefix;
  std::optional<std::int64_t> start_time, end_time;  // [start, end)
  std::optional<std::int64_t> after_id, before_id;   // (after, before)
  bool newest_first = false;  // take the `limit` newest (still returned oldest first)
  std::size_t limit = 10000;
  std::size_t max_bytes = 1 << 20;  // at most this much message text (at least one event)
};

class LogStore {
 public:
  explicit LogStore(const std::filesystem::path& database);

  // Appends `lines` to a stream (creating its group and the stream when new), each event at
  // `timestamp` ms; `source_offset`: how far the stream's source file has been read (for resuming).
  void append(const std::string& group, const std::string& stream, const std::vector<std::string>& lines,
              std::int64_t timestamp, std::int64_t source_offset);
  // How far the stream's source file had been read (0 for a new stream).
  std::int64_t source_offset(const std::string& group, const std::string& stream) const;

  std::vector<LogGroupInfo> groups(const std::string& prefix) const;
  std::optional<LogGroupInfo> group(const std::string& name) const;
  // Ordered by name or by last event time.
  std::vector<LogStreamInfo> streams(const std::string& group, const std::string& prefix, bool by_last_event,
                                     bool descending) const;
  bool has_stream(const std::string& group, const std::string& stream) const;
  std::vector<LogEvent> events(const EventQuery& query) const;
  // The whole text of the streams of `group` whose names start with `prefix`, in the order stored.
  std::string text(const std::string& group, const std::string& prefix) const;
  // Drops events older than `cutoff` ms and the streams and groups left empty by it.
  void remove_older_than(std::int64_t cutoff);

 private:
  Database db_;
  mutable std::mutex mutex_;
};

// Milliseconds since the epoch, now.
std::int64_t now_milliseconds();

}  // namespace segmaker::api
