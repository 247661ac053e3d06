// CloudWatch Logs (X-Amz-Target: Logs_20140328.<Op>, awsJson1_1) over the log store: what the
// SageMaker Python SDK's fit(logs=True) / transform(logs=True), `aws logs` and boto3 call.
//   DescribeLogGroups, DescribeLogStreams: nextToken only when more remain (the SDK loops while one is
//     present); GetLogEvents: tokens "f/<event id>" and "b/<event id>" with CloudWatch's semantics (at
//     the end of a stream the same forward token comes back); FilterLogEvents: interleaved over the
//     streams by time, plain terms and "quoted phrases" in filterPattern (every one must occur).
#include <algorithm>
#include <sstream>

#include "api/api_error.h"
#include "api/log_store.h"
#include "api/names.h"
#include "api/operations.h"

namespace segmaker::api {

namespace {

using json = nlohmann::json;

ApiError invalid_parameter(const std::string& message) { return ApiError(400, "InvalidParameterException", message); }
ApiError no_such_group() { return ApiError(400, "ResourceNotFoundException", "The specified log group does not exist."); }
ApiError no_such_stream() { return ApiError(400, "ResourceNotFoundException", "The specified log stream does not exist."); }

std::string string_member(const json& r, const char* key, bool required) {
  if (!r.contains(key)) {
    if (required) throw invalid_parameter(std::string("1 validation error detected: Value null at '") + key +
                                          "' failed to satisfy constraint: Member must not be null");
    return "";
  }
  if (!r[key].is_string()) throw invalid_parameter(std::string("Member '") + key + "' must be a string");
  const std::string v = r[key];
  if (v.size() > 512) throw invalid_parameter(std::string("Member '") + key + "' must have length less than or equal to 512");
  return v;
}

std::optional<std::int64_t> integer_member(const json& r, const char* key, std::int64_t min, std::int64_t max) {
  if (!r.contains(key)) return std::nullopt;
  if (!r[key].is_number_integer()) throw invalid_parameter(std::string("Member '") + key + "' must be an integer");
  const std::int64_t v = r[key].get<std::int64_t>();
  if (v < min || v > max)
    throw invalid_parameter("1 validation error detected: Value '" + std::to_string(v) + "' at '" + key +
                            "' failed to satisfy constraint: Member must have value between " + std::to_string(min) +
                            " and " + std::to_string(max));
  return v;
}

bool bool_member(const json& r, const char* key) {
  if (!r.contains(key)) return false;
  if (!r[key].is_boolean()) throw invalid_parameter(std::string("Member '") + key + "' must be a boolean");
  return r[key].get<bool>();
}

// The group named by logGroupName or logGroupIdentifier (a name or an ARN).
std::string group_of(const json& r) {
  std::string group = string_member(r, "logGroupName", false);
  if (group.empty()) {
    group = string_member(r, "logGroupIdentifier", false);
    if (const auto at = group.find(":log-group:"); at != std::string::npos) {
      group = group.substr(at + 11);
      if (group.size() >= 2 && group.compare(group.size() - 2, 2, ":*") == 0) group.resize(group.size() - 2);
    }
  }
  if (group.empty()) throw invalid_parameter("Either logGroupName or logGroupIdentifier must be given");
  return group;
}

// "<prefix><n>" → n; InvalidParameterException for anything else.
std::int64_t token_number(const std::string& token, const std::string& prefix) {
  if (token.size() <= prefix.size() || token.compare(0, prefix.size(), prefix) != 0 || token.size() > prefix.size() + 19 ||
      !std::all_of(token.begin() + static_cast<long>(prefix.size()), token.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw invalid_parameter("The specified nextToken is invalid.");
  return std::stoll(token.substr(prefix.size()));
}

json group_json(const Context& c, const LogGroupInfo& g) {
  return {{"logGroupName", g.name},
          {"creationTime", g.creation_time},
          {"metricFilterCount", 0},
          {"storedBytes", g.stored_bytes},
          {"arn", "arn:aws:logs:" + c.region + ":" + c.account + ":log-group:" + g.name + ":*"},
          {"logGroupArn", "arn:aws:logs:" + c.region + ":" + c.account + ":log-group:" + g.name}};
}

json stream_json(const Context& c, const std::string& group, const LogStreamInfo& s) {
  json j = {{"logStreamName", s.name},
            {"creationTime", s.creation_time},
            {"storedBytes", 0},
            {"arn", "arn:aws:logs:" + c.region + ":" + c.account + ":log-group:" + group + ":log-stream:" + s.name}};
  if (s.first_event) j["firstEventTimestamp"] = *s.first_event;
  if (s.last_event) j["lastEventTimestamp"] = *s.last_event;
  if (s.last_ingestion) j["lastIngestionTime"] = *s.last_ingestion;
  return j;
}

// One page of `items` from the offset a "p/<n>" token names; the next token only when more remain.
template <class T>
std::pair<std::vector<T>, std::string> page(const std::vector<T>& items, const json& r, std::int64_t limit) {
  const std::string token = string_member(r, "nextToken", false);
  const std::size_t offset = token.empty() ? 0 : static_cast<std::size_t>(token_number(token, "p/"));
  std::vector<T> out;
  for (std::size_t i = offset; i < items.size() && out.size() < static_cast<std::size_t>(limit); ++i) out.push_back(items[i]);
  const std::size_t next = offset + out.size();
  return {out, next < items.size() ? "p/" + std::to_string(next) : ""};
}

json describe_log_groups(Context& c, const json& r) {
  const std::string prefix = string_member(r, "logGroupNamePrefix", false);
  const std::int64_t limit = integer_member(r, "limit", 1, 50).value_or(50);
  const auto [groups, next] = page(c.logs.groups(prefix), r, limit);
  json out = {{"logGroups", json::array()}};
  for (const auto& g : groups) out["logGroups"].push_back(group_json(c, g));
  if (!next.empty()) out["nextToken"] = next;
  return out;
}

json describe_log_streams(Context& c, const json& r) {
  const std::string group = group_of(r);
  const std::string prefix = string_member(r, "logStreamNamePrefix", false);
  const std::string order = string_member(r, "orderBy", false);
  if (!order.empty() && order != "LogStreamName" && order != "LastEventTime")
    throw invalid_parameter("1 validation error detected: Value '" + order +
                            "' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: "
                            "[LogStreamName, LastEventTime]");
  if (order == "LastEventTime" && !prefix.empty())
    throw invalid_parameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
  const std::int64_t limit = integer_member(r, "limit", 1, 50).value_or(50);
  if (!c.logs.group(group)) throw no_such_group();
  const auto [streams, next] = page(c.logs.streams(group, prefix, order == "LastEventTime", bool_member(r, "descending")), r, limit);
  json out = {{"logStreams", json::array()}};
  for (const auto& s : streams) out["logStreams"].push_back(stream_json(c, group, s));
  if (!next.empty()) out["nextToken"] = next;
  return out;
}

json event_json(const LogEvent& e) {
  return {{"timestamp", e.timestamp}, {"message", e.message}, {"ingestionTime", e.ingestion_time}};
}

json get_log_events(Context& c, const json& r) {
  EventQuery q;
  q.group = group_of(r);
  const std::string stream = string_member(r, "logStreamName", true);
  q.streams = {stream};
  q.start_time = integer_member(r, "startTime", 0, INT64_MAX);
  q.end_time = integer_member(r, "endTime", 0, INT64_MAX);
  q.limit = static_cast<std::size_t>(integer_member(r, "limit", 1, 10000).value_or(10000));
  const std::string token = string_member(r, "nextToken", false);
  if (token.rfind("f/", 0) == 0) {
    q.after_id = token_number(token, "f/");
  } else if (token.rfind("b/", 0) == 0) {
    q.before_id = token_number(token, "b/");
    q.newest_first = true;
  } else if (!token.empty()) {
    throw invalid_parameter("The specified nextToken is invalid.");
  } else {
    q.newest_first = !bool_member(r, "startFromHead");
  }
  if (!c.logs.group(q.group)) throw no_such_group();
  if (!c.logs.has_stream(q.group, stream)) throw no_such_stream();
  const auto events = c.logs.events(q);
  json out = {{"events", json::array()}};
  for (const auto& e : events) out["events"].push_back(event_json(e));
  // At the end (nothing more in that direction) the token given comes back, as CloudWatch does.
  const std::int64_t first = events.empty() ? 0 : events.front().id, last = events.empty() ? 0 : events.back().id;
  out["nextForwardToken"] = !events.empty() ? "f/" + std::to_string(last)
                            : token.rfind("f/", 0) == 0 ? token
                                                         : "f/" + std::to_string(q.before_id ? *q.before_id - 1 : 0);
  out["nextBackwardToken"] = !events.empty() ? "b/" + std::to_string(first)
                             : token.rfind("b/", 0) == 0 ? token
                                                          : "b/" + std::to_string(q.after_id ? *q.after_id + 1 : 0);
  return out;
}

// filterPattern: plain terms and "quoted phrases"; an event matches when it contains every one.
std::vector<std::string> pattern_terms(const std::string& pattern) {
  std::vector<std::string> terms;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == ' ' || pattern[i] == '\t') {
      ++i;
    } else if (pattern[i] == '"') {
      const std::size_t end = pattern.find('"', i + 1);
      if (end == std::string::npos) throw invalid_parameter("Invalid filter pattern: an unterminated quoted term");
      terms.push_back(pattern.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      const std::size_t end = pattern.find_first_of(" \t", i);
      terms.push_back(pattern.substr(i, end == std::string::npos ? std::string::npos : end - i));
      i = end == std::string::npos ? pattern.size() : end;
    }
  }
  for (const auto& t : terms)
    if (t.find_first_of("{}[]") != std::string::npos || t == "?" || t.rfind("-", 0) == 0)
      throw invalid_parameter("Invalid filter pattern '" + t + "': segmaker api matches plain terms and \"quoted phrases\" "
                              "(every one must occur); JSON, space-delimited and OR/NOT patterns are not supported");
  return terms;
}

json filter_log_events(Context& c, const json& r) {
  EventQuery q;
  q.group = group_of(r);
  if (r.contains("logStreamNames")) {
    if (!r["logStreamNames"].is_array() || r["logStreamNames"].empty() || r["logStreamNames"].size() > 100)
      throw invalid_parameter("logStreamNames must be a list of 1 to 100 stream names");
    for (const auto& n : r["logStreamNames"]) {
      if (!n.is_string()) throw invalid_parameter("logStreamNames must hold strings");
      q.streams.push_back(n.get<std::string>());
    }
  }
  q.stream_prefix = string_member(r, "logStreamNamePrefix", false);
  if (!q.streams.empty() && !q.stream_prefix.empty())
    throw invalid_parameter("logStreamNames and logStreamNamePrefix are mutually exclusive");
  q.start_time = integer_member(r, "startTime", 0, INT64_MAX);
  q.end_time = integer_member(r, "endTime", 0, INT64_MAX);
  const std::size_t limit = static_cast<std::size_t>(integer_member(r, "limit", 1, 10000).value_or(10000));
  const std::string token = string_member(r, "nextToken", false);
  if (!token.empty()) q.after_id = token_number(token, "e/");
  const auto terms = pattern_terms(string_member(r, "filterPattern", false));
  if (!c.logs.group(q.group)) throw no_such_group();
  // Scan in batches until `limit` matches; events are stored in time order, so id order interleaves them.
  json events = json::array();
  std::int64_t scanned_to = q.after_id.value_or(0);
  bool more = false;
  q.limit = 2000;
  while (events.size() < limit) {
    q.after_id = scanned_to;
    const auto batch = c.logs.events(q);
    if (batch.empty()) break;
    for (const auto& e : batch) {
      if (events.size() >= limit) {
        more = true;
        break;
      }
      scanned_to = e.id;
      const bool match = std::all_of(terms.begin(), terms.end(), [&](const std::string& t) { return e.message.find(t) != std::string::npos; });
      if (!match) continue;
      json j = event_json(e);
      j["logStreamName"] = e.stream;
      j["eventId"] = std::to_string(e.id);
      events.push_back(j);
    }
    if (more || batch.size() < q.limit) break;
  }
  if (!more && events.size() >= limit) {  // full page: is anything left after it?
    q.after_id = scanned_to;
    q.limit = 1;
    more = !c.logs.events(q).empty();
  }
  json out = {{"events", events}, {"searchedLogStreams", json::array()}};
  for (const auto& s : c.logs.streams(q.group, q.stream_prefix, false, false))
    if (q.streams.empty() || std::find(q.streams.begin(), q.streams.end(), s.name) != q.streams.end())
      out["searchedLogStreams"].push_back({{"logStreamName", s.name}, {"searchedCompletely", !more}});
  if (more) out["nextToken"] = "e/" + std::to_string(scanned_to);
  return out;
}

}  // namespace

void add_log_operations(OperationTable& t) {
  t.insert({{"DescribeLogGroups", describe_log_groups}, {"DescribeLogStreams", describe_log_streams},
            {"GetLogEvents", get_log_events}, {"FilterLogEvents", filter_log_events}});
}

}  // namespace segmaker::api
