// The CloudWatch-style log store (see log_store.h).
#include "api/log_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace segmaker::api {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS log_groups (
  name TEXT PRIMARY KEY,
  creation_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log_streams (
  log_group TEXT NOT NULL,
  name TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  first_event INTEGER,
  last_event INTEGER,
  last_ingestion INTEGER,
  stored_bytes INTEGER NOT NULL DEFAULT 0,
  source_offset INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (log_group, name)
);
CREATE TABLE IF NOT EXISTS log_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  log_group TEXT NOT NULL,
  stream TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  ingestion_time INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_by_stream ON log_events (log_group, stream, id);
CREATE INDEX IF NOT EXISTS log_events_by_time ON log_events (timestamp);
)sql";

// "name starts with ?" without LIKE's wildcards and case folding.
constexpr const char* kPrefix = "substr(%s, 1, length(?)) = ?";

std::string prefix_clause(const std::string& column) {
  char buf[96];
  std::snprintf(buf, sizeof buf, kPrefix, column.c_str());
  return buf;
}

std::optional<std::int64_t> optional_integer(const Statement& s, int column, bool null) {
  if (null) return std::nullopt;
  return s.integer(column);
}

}  // namespace

std::int64_t now_milliseconds() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

LogStore::LogStore(const std::filesystem::path& database) : db_(database, "the log database", kSchema) {}

void LogStore::append(const std::string& group, const std::string& stream, const std::vector<std::string>& lines,
                      std::int64_t timestamp, std::int64_t source_offset) {
  const std::int64_t now = now_milliseconds();
  std::lock_guard lock(mutex_);
  db_.transaction([&] {
    Statement(db_, "INSERT OR IGNORE INTO log_groups (name, creation_time) VALUES (?, ?)").bind(group).bind(static_cast<long long>(now)).step();
    Statement(db_, "INSERT OR IGNORE INTO log_streams (log_group, name, creation_time) VALUES (?, ?, ?)")
        .bind(group).bind(stream).bind(static_cast<long long>(now)).step();
    long long bytes = 0;
    for (const auto& line : lines) {
      Statement(db_, "INSERT INTO log_events (log_group, stream, timestamp, ingestion_time, message) VALUES (?, ?, ?, ?, ?)")
          .bind(group).bind(stream).bind(static_cast<long long>(timestamp)).bind(static_cast<long long>(now)).bind(line).step();
      bytes += static_cast<long long>(line.size());
    }
    Statement u(db_, lines.empty()
                         ? "UPDATE log_streams SET source_offset = ? WHERE log_group = ? AND name = ?"
                         : "UPDATE log_streams SET source_offset = ?, first_event = coalesce(first_event, ?), last_event = ?, "
                           "last_ingestion = ?, stored_bytes = stored_bytes + ? WHERE log_group = ? AND name = ?");
    u.bind(static_cast<long long>(source_offset));
    if (!lines.empty())
      u.bind(static_cast<long long>(timestamp)).bind(static_cast<long long>(timestamp)).bind(static_cast<long long>(now)).bind(bytes);
    u.bind(group).bind(stream).step();
  });
}

std::int64_t LogStore::source_offset(const std::string& group, const std::string& stream) const {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT source_offset FROM log_streams WHERE log_group = ? AND name = ?");
  s.bind(group).bind(stream);
  return s.step() ? s.integer(0) : 0;
}

std::vector<LogGroupInfo> LogStore::groups(const std::string& prefix) const {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT g.name, g.creation_time, (SELECT coalesce(sum(stored_bytes), 0) FROM log_streams WHERE log_group = g.name) "
                   "FROM log_groups g WHERE " + prefix_clause("g.name") + " ORDER BY g.name");
  s.bind(prefix).bind(prefix);
  std::vector<LogGroupInfo> out;
  while (s.step()) out.push_back({s.text(0), s.integer(1), s.integer(2)});
  return out;
}

std::optional<LogGroupInfo> LogStore::group(const std::string& name) const {
  for (auto& g : groups(name))
    if (g.name == name) return g;
  return std::nullopt;
}

std::vector<LogStreamInfo> LogStore::streams(const std::string& group, const std::string& prefix, bool by_last_event,
                                             bool descending) const {
  const std::string direction = descending ? " DESC" : " ASC";
  const std::string order = by_last_event ? " ORDER BY coalesce(last_event, 0)" + direction + ", name" + direction
                                          : " ORDER BY name" + direction;
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT name, creation_time, first_event IS NULL, first_event, last_event, last_ingestion, stored_bytes "
                   "FROM log_streams WHERE log_group = ? AND " + prefix_clause("name") + order);
  s.bind(group).bind(prefix).bind(prefix);
  std::vector<LogStreamInfo> out;
  while (s.step()) {
    const bool empty = s.integer(2) != 0;
    out.push_back({s.text(0), s.integer(1), optional_integer(s, 3, empty), optional_integer(s, 4, empty),
                   optional_integer(s, 5, empty), s.integer(6)});
  }
  return out;
}

bool LogStore::has_stream(const std::string& group, const std::string& stream) const {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT 1 FROM log_streams WHERE log_group = ? AND name = ?");
  s.bind(group).bind(stream);
  return s.step();
}

std::vector<LogEvent> LogStore::events(const EventQuery& q) const {
  std::string where = " FROM log_events WHERE log_group = ?";
  if (!q.streams.empty()) {
    where += " AND stream IN (";
    for (std::size_t i = 0; i < q.streams.size(); ++i) where += i ? ", ?" : "?";
    where += ")";
  }
  if (!q.stream_prefix.empty()) where += " AND " + prefix_clause("stream");
  if (q.start_time) where += " AND timestamp >= ?";
  if (q.end_time) where += " AND timestamp < ?";
  if (q.after_id) where += " AND id > ?";
  if (q.before_id) where += " AND id < ?";
  const std::string order = q.newest_first ? " ORDER BY id DESC" : " ORDER BY id ASC";
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT id, stream, timestamp, ingestion_time, message" + where + order + " LIMIT ?");
  s.bind(q.group);
  for (const auto& name : q.streams) s.bind(name);
  if (!q.stream_prefix.empty()) s.bind(q.stream_prefix).bind(q.stream_prefix);
  for (const auto& v : {q.start_time, q.end_time, q.after_id, q.before_id})
    if (v) s.bind(static_cast<long long>(*v));
  s.bind(static_cast<long long>(q.limit));
  std::vector<LogEvent> out;
  std::size_t bytes = 0;
  while (s.step()) {
    LogEvent e{s.integer(0), s.text(1), s.integer(2), s.integer(3), s.text(4)};
    bytes += e.message.size() + 26;  // CloudWatch counts 26 bytes per event besides the message
    if (!out.empty() && bytes > q.max_bytes) break;
    out.push_back(std::move(e));
  }
  if (q.newest_first) std::reverse(out.begin(), out.end());
  return out;
}

std::string LogStore::text(const std::string& group, const std::string& prefix) const {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT message FROM log_events WHERE log_group = ? AND " + prefix_clause("stream") + " ORDER BY id");
  s.bind(group).bind(prefix).bind(prefix);
  std::string out;
  while (s.step()) out += s.text(0) + "\n";
  return out;
}

void LogStore::remove_older_than(std::int64_t cutoff) {
  std::lock_guard lock(mutex_);
  db_.transaction([&] {
    Statement(db_, "DELETE FROM log_events WHERE timestamp < ?").bind(static_cast<long long>(cutoff)).step();
    Statement(db_, "DELETE FROM log_streams WHERE coalesce(last_event, creation_time) < ? AND NOT EXISTS "
                   "(SELECT 1 FROM log_events e WHERE e.log_group = log_streams.log_group AND e.stream = log_streams.name)")
        .bind(static_cast<long long>(cutoff)).step();
    Statement(db_, "DELETE FROM log_groups WHERE creation_time < ? AND NOT EXISTS "
                   "(SELECT 1 FROM log_streams s WHERE s.log_group = log_groups.name)")
        .bind(static_cast<long long>(cutoff)).step();
  });
}

}  // namespace segmaker::api
