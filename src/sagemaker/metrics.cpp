// The algorithm's metric lines and definitions (see metrics.h).
#include "sagemaker/metrics.h"

#include <cstdio>

namespace segmaker::sagemaker {

const std::vector<MetricDefinition>& algorithm_metric_definitions() {
  static const std::vector<MetricDefinition> definitions{
      {"train:loss", R"(#quality_metric: host=\S+, epoch=\S+, train loss <score>=(\S+))"},
      {"validation:loss", R"(#quality_metric: host=\S+, epoch=\S+, validation loss <score>=(\S+))"},
      {"validation:mIOU", R"(#quality_metric: host=\S+, epoch=\S+, validation mIOU <score>=(\S+))"},
      {"validation:pixel_accuracy", R"(#quality_metric: host=\S+, epoch=\S+, validation pixel_accuracy <score>=(\S+))"},
  };
  return definitions;
}

std::string quality_metric_line(const std::string& host, int epoch, const std::string& metric, double value) {
  char line[512];
  if (epoch > 0)
    std::snprintf(line, sizeof line, "#quality_metric: host=%s, epoch=%d, %s <score>=%.6f", host.c_str(), epoch, metric.c_str(), value);
  else
    std::snprintf(line, sizeof line, "#quality_metric: host=%s, %s <score>=%.6f", host.c_str(), metric.c_str(), value);
  return line;
}

}  // namespace segmaker::sagemaker
