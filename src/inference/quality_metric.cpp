// SageMaker's metric lines (inference/quality_metric.h).
#include "inference/quality_metric.h"

#include <cstdio>

namespace segmaker::inference {

void print_quality_metric(const std::string& host, int epoch, const std::string& name, double value) {
  if (epoch > 0)
    std::printf("#quality_metric: host=%s, epoch=%d, %s <score>=%.6f\n", host.c_str(), epoch, name.c_str(), value);
  else
    std::printf("#quality_metric: host=%s, %s <score>=%.6f\n", host.c_str(), name.c_str(), value);
  std::fflush(stdout);
}

}  // namespace segmaker::inference
