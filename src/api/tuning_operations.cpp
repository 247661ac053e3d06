// CreateHyperParameterTuningJob, DescribeHyperParameterTuningJob, ListHyperParameterTuningJobs,
// ListTrainingJobsForHyperParameterTuningJob, StopHyperParameterTuningJob.
#include <algorithm>

#include "api/api_error.h"
#include "api/hyperparameter_catalog.h"
#include "api/listing.h"
#include "api/names.h"
#include "api/operations.h"
#include "api/store.h"
#include "api/tuning_job.h"
#include "api/tuning_runner.h"
#include "api/tuning_trials.h"
#include "api/validation.h"

namespace segmaker::api {

using json = nlohmann::json;

namespace {

const StringRule& name_rule() {
  static const StringRule rule = StringRule::matching(1, 32, "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}");
  return rule;
}

Resource existing_job(Context& c, const json& request) {
  Validator v;
  const auto name = v.string(request, "HyperParameterTuningJobName", "hyperParameterTuningJobName", name_rule(), true);
  v.throw_if_invalid();
  auto r = c.store.get(kTuningJobKind, *name);
  if (!r) throw resource_not_found("Amazon SageMaker can't find a tuning job with name " + *name);
  return *r;
}

int default_epochs(const HyperparameterCatalog& catalog) {
  const auto epochs = catalog.find("epochs");
  if (!epochs || !epochs->default_value.is_number_integer())
    throw validation_error("the algorithm's hyperparameter table has no default for epochs: give it in StaticHyperParameters");
  return epochs->default_value.get<int>();
}

json create(Context& c, const json& request) {
  validate_create_tuning_job(request, c.local_access, c.hyperparameters, c.store);
  const std::string name = request.at("HyperParameterTuningJobName");
  std::lock_guard lock(c.create_mutex);
  const std::string arn = make_arn(c.region, c.account, "hyper-parameter-tuning-job", name);
  if (c.store.get(kTuningJobKind, name))
    throw resource_in_use("Hyperparameter tuning job names must be unique within an AWS account and region, and a tuning job with this name already exists (" + arn + ")");
  Resource r;
  r.kind = kTuningJobKind;
  r.name = name;
  r.arn = arn;
  r.status = "InProgress";
  r.creation_time = r.last_modified_time = now_seconds();
  r.document = new_tuning_job_document(request, arn, r.creation_time, default_epochs(c.hyperparameters));
  if (!c.store.insert(r)) throw resource_in_use("A tuning job named '" + name + "' already exists");
  c.tuning.wake();
  return {{"HyperParameterTuningJobArn", arn}};
}

json describe(Context& c, const json& request) { return public_document(existing_job(c, request).document); }

json list(Context& c, const json& request) {
  static const ListSpec spec{kTuningJobKind,
                             "HyperParameterTuningJobSummaries",
                             {"Name", "CreationTime", "Status"},
                             /*default_ascending=*/false,
                             {"Completed", "InProgress", "Failed", "Stopped", "Stopping"},
                             [](const Resource& r) {
                               const json& d = r.document;
                               json s = {{"HyperParameterTuningJobName", r.name},
                                         {"HyperParameterTuningJobArn", r.arn},
                                         {"HyperParameterTuningJobStatus", r.status},
                                         {"Strategy", d["HyperParameterTuningJobConfig"]["Strategy"]},
                                         {"CreationTime", r.creation_time},
                                         {"LastModifiedTime", r.last_modified_time},
                                         {"TrainingJobStatusCounters", d["TrainingJobStatusCounters"]},
                                         {"ObjectiveStatusCounters", d["ObjectiveStatusCounters"]},
                                         {"ResourceLimits", d["HyperParameterTuningJobConfig"]["ResourceLimits"]}};
                               if (d.contains("HyperParameterTuningEndTime")) s["HyperParameterTuningEndTime"] = d["HyperParameterTuningEndTime"];
                               return s;
                             }};
  return list_resources(c.store, request, spec);
}

json list_trials(Context& c, const json& request) {
  static const StringRule statuses = StringRule::one_of({"InProgress", "Completed", "Failed", "Stopping", "Stopped"});
  static const StringRule sort_keys = StringRule::one_of({"Name", "CreationTime", "Status", "FinalObjectiveMetricValue"});
  const Resource job = existing_job(c, request);
  Validator v;
  const auto token = v.string(request, "NextToken", "nextToken", rules::kNextToken, false);
  const auto max_results = v.integer(request, "MaxResults", "maxResults", IntRule{1, 100}, false);
  const auto status = v.string(request, "StatusEquals", "statusEquals", statuses, false);
  const std::string sort_by = v.string(request, "SortBy", "sortBy", sort_keys, false).value_or("Name");
  const bool ascending = v.string(request, "SortOrder", "sortOrder", rules::kSortOrder, false).value_or("Ascending") == "Ascending";
  v.throw_if_invalid();
  const TuningSpec spec = tuning_spec(job.document);
  std::vector<TrialState> trials;
  for (auto& t : load_trials(c.store, c.metrics, job, spec)) {
    if (!t.job || (status && t.job->status != *status)) continue;
    // SageMaker leaves out the trials without an objective when sorting by it
    if (sort_by == "FinalObjectiveMetricValue" && !t.final_objective()) continue;
    trials.push_back(std::move(t));
  }
  auto key_less = [&](const TrialState& a, const TrialState& b) {
    if (sort_by == "CreationTime") return a.job->creation_time < b.job->creation_time;
    if (sort_by == "Status") return a.job->status < b.job->status;
    if (sort_by == "FinalObjectiveMetricValue") return *a.final_objective() < *b.final_objective();
    return a.name < b.name;
  };
  std::stable_sort(trials.begin(), trials.end(), [&](const TrialState& a, const TrialState& b) {
    return ascending ? key_less(a, b) : key_less(b, a);
  });
  const std::string kind = "TuningTrials-" + job.name;
  const std::size_t offset = token ? read_token(kind, *token) : 0;
  const std::size_t limit = max_results ? static_cast<std::size_t>(*max_results) : 10;
  json summaries = json::array();
  for (std::size_t i = offset; i < trials.size() && i < offset + limit; ++i)
    summaries.push_back(trial_summary(trials[i], job.name, spec));
  json answer = {{"TrainingJobSummaries", summaries}};
  if (offset + limit < trials.size()) answer["NextToken"] = make_token(kind, offset + limit);
  return answer;
}

json stop(Context& c, const json& request) {
  const Resource r = existing_job(c, request);
  if (r.status != "InProgress")
    throw validation_error("The request was rejected because the tuning job is in status " + r.status + ".");
  c.store.update(kTuningJobKind, r.name, [](Resource& t) {
    if (t.status != "InProgress") return;
    t.status = "Stopping";
    t.document["HyperParameterTuningJobStatus"] = "Stopping";
    t.last_modified_time = t.document["LastModifiedTime"] = now_seconds();
  });
  c.tuning.wake();
  return json::object();
}

}  // namespace

void add_tuning_operations(OperationTable& t) {
  t.insert({{"CreateHyperParameterTuningJob", create},
            {"DescribeHyperParameterTuningJob", describe},
            {"ListHyperParameterTuningJobs", list},
            {"ListTrainingJobsForHyperParameterTuningJob", list_trials},
            {"StopHyperParameterTuningJob", stop}});
}

}  // namespace segmaker::api
