#pragma once
// Where each process of the API logs to in CloudWatch's terms, named as SageMaker names them — the one
// owner of these names (the runners follow their files into the log store under them; `GET /logs/...`
// reads them back):
//   training job     /aws/sagemaker/TrainingJobs        <job>/algo-1-<creation epoch seconds>
//                    with the job's MetricDefinitions → namespace /aws/sagemaker/TrainingJobs, TrainingJobName
//   transform job    /aws/sagemaker/TransformJobs       <job>/algo-1-<creation epoch seconds>
//   endpoint         /aws/sagemaker/Endpoints/<name>    <variant>/instance-<k>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "api/log_ingester.h"

namespace segmaker::api {

inline constexpr const char* kTrainingJobsLogGroup = "/aws/sagemaker/TrainingJobs";
inline constexpr const char* kTransformJobsLogGroup = "/aws/sagemaker/TransformJobs";
inline constexpr const char* kTrainingMetricsNamespace = "/aws/sagemaker/TrainingJobs";

std::string endpoint_log_group(const std::string& endpoint);

// A job's stream: "<job>/algo-1-<creation_time as whole seconds>".
std::string job_log_stream(const std::string& job, double creation_time);

// A training job's log file under its stream, with the metric rules of its document's
// AlgorithmSpecification.MetricDefinitions.
LogSource training_log_source(const std::filesystem::path& file, const std::string& job, double creation_time,
                              const nlohmann::json& document);
LogSource transform_log_source(const std::filesystem::path& file, const std::string& job, double creation_time);
LogSource endpoint_log_source(const std::filesystem::path& file, const std::string& endpoint, const std::string& variant,
                              int instance);

// The algorithm's metric definitions followed by the request's own (AlgorithmSpecification.MetricDefinitions,
// at most 40 in all); a UserError names a definition without a Name or whose Regex does not compile.
nlohmann::json training_metric_definitions(const nlohmann::json& request_definitions);

// The log of a training job, transform job or endpoint as text ("" when there is none); an endpoint's
// streams each under a "==> <stream> <==" line. kind: "training-jobs", "transform-jobs" or "endpoints".
std::string log_text(const LogStore& logs, const std::string& kind, const std::string& name);

}  // namespace segmaker::api
