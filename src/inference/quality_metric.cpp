// SageMaker's metric lines (inference/quality_metric.h).
#include "inference/quality_metric.h"

#include <cstdio>

#include "sagemaker/metrics.h"

namespace segmaker::inference {

void print_quality_metric(const std::string& host, int epoch, const std::string& name, double value) {
  std::printf("%s\n", sagemaker::quality_metric_line(host, epoch, name, value).c_str());
  std::fflush(stdout);
}

}  // namespace segmaker::inference
