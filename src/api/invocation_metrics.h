#pragma once
// The metrics SageMaker publishes for an endpoint (namespace AWS/SageMaker, dimensions EndpointName and
// VariantName): per request that reached a variant, Invocations, Invocation4XXErrors and
// Invocation5XXErrors (the model's own answer status), ModelLatency (the serving instance's time) and
// OverheadLatency (the rest of the API's time), both in microseconds, and InvocationsPerInstance
// (1 / the variant's instances: its Sum is the invocations per instance). Requests are summarized in
// memory and written to the metric store as statistic sets every `flush_interval` (a thread), so a
// request costs no database write; stop() writes what is left.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

#include "api/metric_store.h"

namespace segmaker::api {

inline constexpr const char* kEndpointMetricsNamespace = "AWS/SageMaker";

struct ServedInvocation {
  std::string endpoint;
  std::string variant;
  int variant_instances = 1;
  int model_status = 200;          // the serving instance's HTTP status
  double model_microseconds = 0;   // the instance's answer time, as the API measured it
  double total_microseconds = 0;   // the API's whole request
};

class InvocationMetrics {
 public:
  explicit InvocationMetrics(MetricStore& store, std::chrono::milliseconds flush_interval = std::chrono::seconds(1));
  ~InvocationMetrics();
  InvocationMetrics(const InvocationMetrics&) = delete;
  InvocationMetrics& operator=(const InvocationMetrics&) = delete;

  void record(const ServedInvocation& invocation);
  // Writes the summaries so far (the thread does it every flush_interval).
  void flush();
  // Flushes and ends the thread.
  void stop();

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // endpoint, variant, metric
  struct Pending {
    std::int64_t timestamp = 0;  // the first sample's
    StatisticSet values;
    std::string unit;
  };
  void add(const ServedInvocation& in, const char* metric, double value, const char* unit, std::int64_t now);

  MetricStore& store_;
  std::chrono::milliseconds interval_;
  std::map<Key, Pending> pending_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace segmaker::api
