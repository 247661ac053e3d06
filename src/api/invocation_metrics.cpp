// An endpoint's invocation metrics (see invocation_metrics.h).
#include "api/invocation_metrics.h"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "api/log_store.h"

namespace segmaker::api {

InvocationMetrics::InvocationMetrics(MetricStore& store, std::chrono::milliseconds flush_interval)
    : store_(store), interval_(flush_interval) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, interval_, [this] { return stopping_; });
      lock.unlock();
      flush();
      lock.lock();
    }
  });
}

InvocationMetrics::~InvocationMetrics() { stop(); }

void InvocationMetrics::add(const ServedInvocation& in, const char* metric, double value, const char* unit, std::int64_t now) {
  Pending& p = pending_[Key{in.endpoint, in.variant, metric}];
  if (p.values.sample_count == 0) {
    p.timestamp = now;
    p.unit = unit;
    p.values = {1, value, value, value};
    return;
  }
  p.values.sample_count += 1;
  p.values.sum += value;
  p.values.minimum = std::min(p.values.minimum, value);
  p.values.maximum = std::max(p.values.maximum, value);
}

void InvocationMetrics::record(const ServedInvocation& in) {
  const std::int64_t now = now_milliseconds();
  const double model = std::max(0.0, in.model_microseconds);
  std::lock_guard lock(mutex_);
  add(in, "Invocations", 1, "None", now);
  add(in, "InvocationsPerInstance", 1.0 / std::max(1, in.variant_instances), "None", now);
  add(in, "Invocation4XXErrors", in.model_status >= 400 && in.model_status < 500 ? 1 : 0, "None", now);
  add(in, "Invocation5XXErrors", in.model_status >= 500 ? 1 : 0, "None", now);
  add(in, "ModelLatency", model, "Microseconds", now);
  add(in, "OverheadLatency", std::max(0.0, in.total_microseconds - model), "Microseconds", now);
}

void InvocationMetrics::flush() {
  std::vector<MetricDatum> data;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, p] : pending_) {
      const auto& [endpoint, variant, metric] = key;
      data.push_back({{kEndpointMetricsNamespace, metric, sorted_dimensions({{"EndpointName", endpoint}, {"VariantName", variant}})},
                      p.timestamp, p.values, p.unit});
    }
    pending_.clear();
  }
  if (data.empty()) return;
  try {
    store_.put(data);
  } catch (const std::exception& e) {
    spdlog::error("endpoint metrics: {} data lost: {}", data.size(), e.what());
  }
}

void InvocationMetrics::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  flush();
}

}  // namespace segmaker::api
