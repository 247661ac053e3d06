#pragma once
// SageMaker's metrics of the semantic segmentation algorithm: the #quality_metric lines a job writes
// to its log (the one place their format is written) and the metric definitions — name and the regex
// that finds its value in such a line — that DescribeTrainingJob's AlgorithmSpecification.MetricDefinitions
// lists and that turn the log into CloudWatch metrics (namespace /aws/sagemaker/TrainingJobs), as the
// built-in algorithm publishes them:
//   #quality_metric: host=algo-1, epoch=3, validation mIOU <score>=0.712345   → validation:mIOU
//   #quality_metric: host=algo-1, validation mIOU <score>=0.712345            (no epoch: evaluate)
#include <string>
#include <vector>

namespace segmaker::sagemaker {

struct MetricDefinition {
  std::string name;   // "validation:mIOU"
  std::string regex;  // ECMAScript / Python syntax; group 1 is the value
};

// train:loss, validation:loss, validation:mIOU, validation:pixel_accuracy (the objective metrics of
// tuning are validation:mIOU and validation:pixel_accuracy, both maximized).
const std::vector<MetricDefinition>& algorithm_metric_definitions();

// The line for `metric` (e.g. "validation mIOU", the definition's name with a space for the colon);
// `epoch` 0 leaves out the "epoch=" part.
std::string quality_metric_line(const std::string& host, int epoch, const std::string& metric, double value);

}  // namespace segmaker::sagemaker
