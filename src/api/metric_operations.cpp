// CloudWatch metrics over the metric store: GetMetricStatistics, GetMetricData, ListMetrics — the
// handlers take the JSON form of a request (awsJson1_0, `X-Amz-Target: GraniteServiceVersion20100801.<Op>`:
// botocore >= 1.42) and the awsQuery form is converted to it first (query_protocol.h: the AWS CLI v2 of
// Debian 12, boto3 1.26); STS GetCallerIdentity, which only awsQuery clients send, is here too. Numbers and
// booleans are taken as JSON values or as the strings awsQuery sends; timestamps as epoch seconds or ISO 8601.
#include <cmath>
#include <ctime>

#include "api/api_error.h"
#include "api/metric_store.h"
#include "api/operations.h"

namespace segmaker::api {

namespace {

using json = nlohmann::json;

ApiError invalid_value(const std::string& message) { return ApiError(400, "InvalidParameterValue", message); }
ApiError missing(const std::string& name) {
  return ApiError(400, "MissingParameter", "The parameter " + name + " is required.");
}

const json* member(const json& r, const char* key, bool required) {
  if (!r.contains(key)) {
    if (required) throw missing(key);
    return nullptr;
  }
  return &r[key];
}

std::string text(const json& r, const char* key, bool required, std::size_t max_length = 255) {
  const json* v = member(r, key, required);
  if (!v) return "";
  if (!v->is_string()) throw invalid_value(std::string("The parameter ") + key + " must be a string.");
  const std::string s = *v;
  if (s.empty() || s.size() > max_length)
    throw invalid_value(std::string("The parameter ") + key + " must be 1 to " + std::to_string(max_length) + " characters long.");
  return s;
}

double number(const json& v, const char* key) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string s = v;
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0' && std::isfinite(d)) return d;
  }
  throw invalid_value(std::string("The parameter ") + key + " must be a number.");
}

// Epoch seconds (a number) or ISO 8601 ("2026-12-07T08:00:00Z", fractions and offsets allowed).
double timestamp(const json& r, const char* key) {
  const json* v = member(r, key, true);
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    const std::string s = *v;
    std::tm tm{};
    int consumed = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                    &tm.tm_sec, &consumed) == 6) {
      tm.tm_year -= 1900;
      tm.tm_mon -= 1;
      double seconds = static_cast<double>(timegm(&tm));
      const char* rest = s.c_str() + consumed;
      if (*rest == '.') {
        char* end = nullptr;
        seconds += std::strtod(rest, &end);
        rest = end;
      }
      int hours = 0, minutes = 0;
      if ((*rest == '+' || *rest == '-') && std::sscanf(rest + 1, "%2d:%2d", &hours, &minutes) == 2) {
        seconds -= (*rest == '+' ? 1 : -1) * (hours * 3600 + minutes * 60);
        rest += 6;
      } else if (*rest == 'Z') {
        ++rest;
      }
      if (*rest == '\0' && std::isfinite(seconds)) return seconds;
    } else {
      return number(*v, key);
    }
  }
  throw invalid_value(std::string("The parameter ") + key + " must be a timestamp (epoch seconds or ISO 8601).");
}

std::vector<Dimension> dimensions(const json& r, bool values_required) {
  std::vector<Dimension> out;
  const json* list = member(r, "Dimensions", false);
  if (!list) return out;
  if (!list->is_array() || list->size() > 30) throw invalid_value("The parameter Dimensions must be a list of at most 30 dimensions.");
  for (const auto& d : *list) {
    if (!d.is_object()) throw invalid_value("Each dimension must have a Name and a Value.");
    Dimension dim{text(d, "Name", true), text(d, "Value", values_required, 1024)};
    out.push_back(dim);
  }
  return sorted_dimensions(out);
}

MetricId metric_of(const json& r) {
  return {text(r, "Namespace", true), text(r, "MetricName", true), dimensions(r, true)};
}

int period_of(const json& r) {
  const double p = number(*member(r, "Period", true), "Period");
  if (p < 1 || p != std::floor(p) || p > 86400 * 455)
    throw invalid_value("The parameter Period must be a positive whole number of seconds (1, 5, 10, 30 or a multiple of 60).");
  return static_cast<int>(p);
}

const std::vector<std::string> kStatistics{"SampleCount", "Average", "Sum", "Minimum", "Maximum"};

double statistic(const PeriodStatistics& p, const std::string& name) {
  if (name == "SampleCount") return p.sample_count;
  if (name == "Sum") return p.sum;
  if (name == "Minimum") return p.minimum;
  if (name == "Maximum") return p.maximum;
  return p.average();
}

std::int64_t ms(double seconds) { return static_cast<std::int64_t>(std::llround(seconds * 1000)); }

json get_metric_statistics(Context& c, const json& r) {
  const MetricId metric = metric_of(r);
  const double start = timestamp(r, "StartTime"), end = timestamp(r, "EndTime");
  const int period = period_of(r);
  if (end <= start) throw invalid_value("The parameter StartTime must be less than the parameter EndTime.");
  if (r.contains("ExtendedStatistics"))
    throw invalid_value("ExtendedStatistics (percentiles) are not served by segmaker api; ask for Statistics.");
  const json* stats = member(r, "Statistics", true);
  if (!stats->is_array() || stats->empty() || stats->size() > 5)
    throw invalid_value("The parameter Statistics must list 1 to 5 of SampleCount, Average, Sum, Minimum, Maximum.");
  for (const auto& s : *stats)
    if (!s.is_string() || std::find(kStatistics.begin(), kStatistics.end(), s.get<std::string>()) == kStatistics.end())
      throw invalid_value("The parameter Statistics must list 1 to 5 of SampleCount, Average, Sum, Minimum, Maximum; got " + s.dump() + ".");
  if ((end - start) / period > 1440)
    throw ApiError(400, "InvalidParameterCombination",
                   "You have requested up to " + std::to_string(static_cast<long long>((end - start) / period)) +
                       " datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.");
  json points = json::array();
  for (const auto& p : c.metrics.statistics(metric, ms(start), ms(end), period)) {
    json point = {{"Timestamp", static_cast<double>(p.timestamp) / 1000}, {"Unit", p.unit}};
    for (const auto& s : *stats) point[s.get<std::string>()] = statistic(p, s.get<std::string>());
    points.push_back(point);
  }
  return {{"Label", metric.name}, {"Datapoints", points}};
}

json get_metric_data(Context& c, const json& r) {
  const double start = timestamp(r, "StartTime"), end = timestamp(r, "EndTime");
  if (end <= start) throw invalid_value("The parameter StartTime must be less than the parameter EndTime.");
  if (r.contains("NextToken")) throw invalid_value("The parameter NextToken is invalid (every answer of segmaker api is one page).");
  const bool ascending = r.value("ScanBy", std::string("TimestampDescending")) == "TimestampAscending";
  const json* queries = member(r, "MetricDataQueries", true);
  if (!queries->is_array() || queries->empty() || queries->size() > 500)
    throw invalid_value("The parameter MetricDataQueries must list 1 to 500 queries.");
  json results = json::array();
  for (const auto& q : *queries) {
    if (!q.is_object()) throw invalid_value("Each of MetricDataQueries must be a structure.");
    const std::string id = text(q, "Id", true);
    if (q.contains("Expression"))
      throw invalid_value("MetricDataQuery '" + id + "': metric math Expressions are not served by segmaker api; use MetricStat.");
    const json* stat_spec = member(q, "MetricStat", true);
    if (!stat_spec->is_object()) throw invalid_value("MetricDataQuery '" + id + "': MetricStat must be a structure.");
    const json* metric_json = member(*stat_spec, "Metric", true);
    if (!metric_json->is_object()) throw invalid_value("MetricDataQuery '" + id + "': Metric must be a structure.");
    const MetricId metric = metric_of(*metric_json);
    const int period = period_of(*stat_spec);
    const std::string stat = text(*stat_spec, "Stat", true);
    if (std::find(kStatistics.begin(), kStatistics.end(), stat) == kStatistics.end())
      throw invalid_value("MetricDataQuery '" + id + "': Stat must be one of SampleCount, Average, Sum, Minimum, Maximum.");
    auto points = c.metrics.statistics(metric, ms(start), ms(end), period);
    if (!ascending) std::reverse(points.begin(), points.end());
    const json* return_data = member(q, "ReturnData", false);
    if (return_data && (*return_data == false || *return_data == "false")) continue;
    json result = {{"Id", id}, {"Label", q.value("Label", metric.name)}, {"Timestamps", json::array()},
                   {"Values", json::array()}, {"StatusCode", "Complete"}};
    for (const auto& p : points) {
      result["Timestamps"].push_back(static_cast<double>(p.timestamp) / 1000);
      result["Values"].push_back(statistic(p, stat));
    }
    results.push_back(result);
  }
  return {{"MetricDataResults", results}, {"Messages", json::array()}};
}

json list_metrics(Context& c, const json& r) {
  if (r.contains("NextToken")) throw invalid_value("The parameter NextToken is invalid (every answer of segmaker api is one page).");
  const std::string name_space = r.contains("Namespace") ? text(r, "Namespace", false) : "";
  const std::string name = r.contains("MetricName") ? text(r, "MetricName", false) : "";
  json metrics = json::array();
  for (const auto& m : c.metrics.list(name_space, name, dimensions(r, false))) {
    json dims = json::array();
    for (const auto& d : m.dimensions) dims.push_back({{"Name", d.name}, {"Value", d.value}});
    metrics.push_back({{"Namespace", m.name_space}, {"MetricName", m.name}, {"Dimensions", dims}});
  }
  return {{"Metrics", metrics}};
}

json get_caller_identity(Context& c, const json& r) {
  return {{"UserId", r.value("_CallerAccessKey", std::string("segmaker"))},
          {"Account", c.account},
          {"Arn", "arn:aws:iam::" + c.account + ":user/segmaker"}};
}

}  // namespace

void add_metric_operations(OperationTable& t) {
  t.insert({{"GetMetricStatistics", get_metric_statistics}, {"GetMetricData", get_metric_data},
            {"ListMetrics", list_metrics}});
}

void add_sts_operations(OperationTable& t) { t["GetCallerIdentity"] = get_caller_identity; }

}  // namespace segmaker::api
