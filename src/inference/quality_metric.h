#pragma once
// SageMaker's metric lines on stdout, the one function that prints them (training after every
// epoch, `segmaker evaluate` at the end). SageMaker's metric definitions read them from the log:
//   #quality_metric: host=algo-1, epoch=3, validation mIOU <score>=0.712345
//   #quality_metric: host=algo-1, validation mIOU <score>=0.712345          (no epoch: evaluate)
#include <string>

namespace segmaker::inference {

// `epoch` 0 leaves out the "epoch=" part. Flushes stdout (the line must reach a log tail at once).
void print_quality_metric(const std::string& host, int epoch, const std::string& name, double value);

}  // namespace segmaker::inference
