// The CloudWatch-style metric store (see metric_store.h).
#include "api/metric_store.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

namespace segmaker::api {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS metric_data (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  dimensions TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  sample_count REAL NOT NULL,
  sum REAL NOT NULL,
  minimum REAL NOT NULL,
  maximum REAL NOT NULL,
  unit TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metric_data_by_metric ON metric_data (namespace, name, dimensions, timestamp);
)sql";

std::string dimensions_key(const std::vector<Dimension>& dimensions) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& d : sorted_dimensions(dimensions)) j.push_back({d.name, d.value});
  return j.dump();
}

std::vector<Dimension> dimensions_of(const std::string& key) {
  std::vector<Dimension> out;
  const auto j = nlohmann::json::parse(key, nullptr, false);
  if (j.is_array())
    for (const auto& d : j) out.push_back({d[0].get<std::string>(), d[1].get<std::string>()});
  return out;
}

}  // namespace

std::vector<Dimension> sorted_dimensions(std::vector<Dimension> dimensions) {
  std::sort(dimensions.begin(), dimensions.end(),
            [](const Dimension& a, const Dimension& b) { return a.name != b.name ? a.name < b.name : a.value < b.value; });
  return dimensions;
}

MetricStore::MetricStore(const std::filesystem::path& database) : db_(database, "the metric database", kSchema) {}

void MetricStore::put(const MetricId& m, std::int64_t timestamp, double value, const std::string& unit) {
  put({{m, timestamp, {1, value, value, value}, unit}});
}

void MetricStore::put(const std::vector<MetricDatum>& data) {
  std::lock_guard lock(mutex_);
  db_.transaction([&] {
    for (const auto& d : data)
      Statement(db_, "INSERT INTO metric_data (namespace, name, dimensions, timestamp, sample_count, sum, minimum, maximum, unit) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .bind(d.metric.name_space).bind(d.metric.name).bind(dimensions_key(d.metric.dimensions))
          .bind(static_cast<long long>(d.timestamp)).bind(d.values.sample_count).bind(d.values.sum)
          .bind(d.values.minimum).bind(d.values.maximum).bind(d.unit).step();
  });
}

std::vector<PeriodStatistics> MetricStore::statistics(const MetricId& m, std::int64_t start, std::int64_t end,
                                                      int period_seconds) const {
  const std::int64_t period = std::max(1, period_seconds) * 1000LL;
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT (timestamp - ?) / ?, sum(sample_count), sum(sum), min(minimum), max(maximum), min(unit) FROM metric_data "
                   "WHERE namespace = ? AND name = ? AND dimensions = ? AND timestamp >= ? AND timestamp < ? "
                   "GROUP BY 1 ORDER BY 1");
  s.bind(static_cast<long long>(start)).bind(static_cast<long long>(period)).bind(m.name_space).bind(m.name)
      .bind(dimensions_key(m.dimensions)).bind(static_cast<long long>(start)).bind(static_cast<long long>(end));
  std::vector<PeriodStatistics> out;
  while (s.step()) {
    PeriodStatistics p;
    p.timestamp = start + s.integer(0) * period;
    p.sample_count = s.real(1);
    p.sum = s.real(2);
    p.minimum = s.real(3);
    p.maximum = s.real(4);
    p.unit = s.text(5);
    out.push_back(p);
  }
  return out;
}

std::vector<double> MetricStore::values(const MetricId& m) const {
  std::lock_guard lock(mutex_);
  Statement s(db_, "SELECT sum / sample_count FROM metric_data WHERE namespace = ? AND name = ? AND dimensions = ? "
                   "AND sample_count > 0 ORDER BY timestamp, rowid");
  s.bind(m.name_space).bind(m.name).bind(dimensions_key(m.dimensions));
  std::vector<double> out;
  while (s.step()) out.push_back(s.real(0));
  return out;
}

std::vector<MetricId> MetricStore::list(const std::string& name_space, const std::string& name,
                                        const std::vector<Dimension>& filter) const {
  std::vector<MetricId> out;
  {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT DISTINCT namespace, name, dimensions FROM metric_data WHERE (? = '' OR namespace = ?) AND "
                     "(? = '' OR name = ?) ORDER BY namespace, name, dimensions");
    s.bind(name_space).bind(name_space).bind(name).bind(name);
    while (s.step()) out.push_back({s.text(0), s.text(1), dimensions_of(s.text(2))});
  }
  out.erase(std::remove_if(out.begin(), out.end(),
                           [&](const MetricId& m) {
                             for (const auto& f : filter) {
                               const bool found = std::any_of(m.dimensions.begin(), m.dimensions.end(), [&](const Dimension& d) {
                                 return d.name == f.name && (f.value.empty() || d.value == f.value);
                               });
                               if (!found) return true;
                             }
                             return false;
                           }),
            out.end());
  return out;
}

}  // namespace segmaker::api
