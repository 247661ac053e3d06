#pragma once
// CloudWatch metrics as the API's jobs and endpoints publish them: datapoints of a metric (namespace,
// name, dimensions) at a time (ms), with the statistics GetMetricStatistics and GetMetricData answer
// per period. One SQLite database (<root>/metrics.db). Thread-safe.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "api/sqlite.h"

namespace segmaker::api {

struct Dimension {
  std::string name;
  std::string value;
  bool operator==(const Dimension& o) const { return name == o.name && value == o.value; }
};

struct MetricId {
  std::string name_space;
  std::string name;
  std::vector<Dimension> dimensions;  // sorted by name
};

struct PeriodStatistics {
  std::int64_t timestamp = 0;  // ms: the period's start
  double sample_count = 0, sum = 0, minimum = 0, maximum = 0;
  std::string unit;
  double average() const { return sample_count > 0 ? sum / sample_count : 0; }
};

// CloudWatch's StatisticValues: several samples summarized.
struct StatisticSet {
  double sample_count = 0, sum = 0, minimum = 0, maximum = 0;
};

struct MetricDatum {
  MetricId metric;
  std::int64_t timestamp = 0;  // ms
  StatisticSet values;
  std::string unit = "None";
};

class MetricStore {
 public:
  explicit MetricStore(const std::filesystem::path& database);

  void put(const MetricId& metric, std::int64_t timestamp, double value, const std::string& unit = "None");
  // Several data, in one transaction.
  void put(const std::vector<MetricDatum>& data);
  // The datapoints of the metric with exactly these dimensions in [start, end), one per `period_seconds`
  // that has any (periods counted from `start`), oldest first.
  std::vector<PeriodStatistics> statistics(const MetricId& metric, std::int64_t start, std::int64_t end,
                                           int period_seconds) const;
  // Every datapoint's value (its average, for a statistic set) of the metric with exactly these
  // dimensions, oldest first: a training job's validation:mIOU after each epoch.
  std::vector<double> values(const MetricId& metric) const;
  // The metrics that match: an empty namespace or name matches any; every filter dimension must be
  // among the metric's (an empty value matches any value of that name).
  std::vector<MetricId> list(const std::string& name_space, const std::string& name,
                             const std::vector<Dimension>& filter) const;

 private:
  Database db_;
  mutable std::mutex mutex_;
};

// The dimensions sorted by name, as the store keys them.
std::vector<Dimension> sorted_dimensions(std::vector<Dimension> dimensions);

}  // namespace segmaker::api
