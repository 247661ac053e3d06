// SageMaker's log group, stream and metric names of the API's processes (see log_sources.h).
#include "api/log_sources.h"

#include <cmath>

#include "io/error.h"
#include "sagemaker/metrics.h"

namespace segmaker::api {

using json = nlohmann::json;

std::string endpoint_log_group(const std::string& endpoint) { return "/aws/sagemaker/Endpoints/" + endpoint; }

std::string job_log_stream(const std::string& job, double creation_time) {
  return job + "/algo-1-" + std::to_string(static_cast<long long>(std::floor(creation_time)));
}

LogSource training_log_source(const std::filesystem::path& file, const std::string& job, double creation_time,
                              const json& document) {
  LogSource s{file, kTrainingJobsLogGroup, job_log_stream(job, creation_time), {}, {}};
  std::vector<std::pair<std::string, std::string>> definitions;
  const json spec = document.value("AlgorithmSpecification", json::object());
  for (const auto& d : spec.value("MetricDefinitions", json::array()))
    if (d.is_object() && d.contains("Name") && d.contains("Regex") && d["Name"].is_string() && d["Regex"].is_string())
      definitions.emplace_back(d["Name"], d["Regex"]);
  s.metrics = metric_rules(definitions);
  s.metric_id = MetricId{kTrainingMetricsNamespace, "", {{"TrainingJobName", job}}};
  return s;
}

LogSource transform_log_source(const std::filesystem::path& file, const std::string& job, double creation_time) {
  return LogSource{file, kTransformJobsLogGroup, job_log_stream(job, creation_time), {}, {}};
}

LogSource endpoint_log_source(const std::filesystem::path& file, const std::string& endpoint, const std::string& variant,
                              int instance) {
  return LogSource{file, endpoint_log_group(endpoint), variant + "/instance-" + std::to_string(instance), {}, {}};
}

json training_metric_definitions(const json& request_definitions) {
  json out = json::array();
  for (const auto& d : sagemaker::algorithm_metric_definitions()) out.push_back({{"Name", d.name}, {"Regex", d.regex}});
  if (!request_definitions.is_array()) return out;
  std::vector<std::pair<std::string, std::string>> own;
  for (const auto& d : request_definitions) {
    if (!d.is_object() || !d.contains("Name") || !d["Name"].is_string() || !d.contains("Regex") || !d["Regex"].is_string())
      throw UserError("each of AlgorithmSpecification.MetricDefinitions needs a Name and a Regex (strings)");
    const std::string name = d["Name"];
    bool known = false;
    for (const auto& o : out) known = known || o["Name"] == name;
    if (known) continue;  // the algorithm's own definition of that metric stands
    own.emplace_back(name, d["Regex"]);
    out.push_back({{"Name", name}, {"Regex", d["Regex"]}});
  }
  metric_rules(own);  // every Regex compiles
  if (out.size() > 40) throw UserError("AlgorithmSpecification.MetricDefinitions: at most 40 metric definitions");
  return out;
}

std::string log_text(const LogStore& logs, const std::string& kind, const std::string& name) {
  if (kind == "training-jobs") return logs.text(kTrainingJobsLogGroup, name + "/");
  if (kind == "transform-jobs") return logs.text(kTransformJobsLogGroup, name + "/");
  if (kind != "endpoints") return {};
  std::string all;
  const std::string group = endpoint_log_group(name);
  for (const auto& stream : logs.streams(group, "", false, false)) {
    all += "==> " + stream.name + " <==\n";
    EventQuery q;
    q.group = group;
    q.streams = {stream.name};
    q.limit = q.max_bytes = std::size_t(1) << 40;
    for (const auto& e : logs.events(q)) all += e.message + "\n";
  }
  return all;
}

}  // namespace segmaker::api
