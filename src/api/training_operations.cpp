// CreateTrainingJob, DescribeTrainingJob, ListTrainingJobs, StopTrainingJob.
#include <filesystem>

#include "api/api_error.h"
#include "api/listing.h"
#include "api/names.h"
#include "api/operations.h"
#include "api/store.h"
#include "api/training_job.h"
#include "api/training_runner.h"
#include "api/training_status.h"
#include "api/validation.h"

namespace segmaker::api {

using json = nlohmann::json;

namespace {

constexpr const char* kKind = "TrainingJob";

std::string job_name(const json& request) {
  Validator v;
  auto name = v.string(request, "TrainingJobName", "trainingJobName", rules::kResourceName, true);
  v.throw_if_invalid();
  return *name;
}

Resource existing_job(Context& c, const json& request) {
  auto r = c.store.get(kKind, job_name(request));
  if (!r) throw validation_error("Requested resource not found.");
  return *r;
}

json create(Context& c, const json& request) { return create_training_job(c, request, json::object()); }

}  // namespace

json create_training_job(Context& c, const json& request, const json& extra) {
  validate_create_training_job(request, c.local_access);
  c.training.check_placement(request);
  const std::string name = request.at("TrainingJobName");
  std::lock_guard lock(c.create_mutex);
  if (c.store.get(kKind, name)) throw resource_in_use("Training job names must be unique within an AWS account and region, and a training job with this name already exists (" + make_arn(c.region, c.account, "training-job", name) + ")");
  if (static_cast<int>(c.store.with_status(kKind, {"InProgress", "Stopping"}).size()) >= c.limits.max_waiting_jobs)
    throw resource_limit_exceeded("The account-level service limit 'Number of training jobs in progress' is " +
                                  std::to_string(c.limits.max_waiting_jobs) +
                                  " jobs; wait for some to finish or stop them (segmaker api --max-waiting-jobs)");
  Resource r;
  r.kind = kKind;
  r.name = name;
  r.arn = make_arn(c.region, c.account, "training-job", name);
  r.status = "InProgress";
  r.creation_time = r.last_modified_time = now_seconds();
  r.document = new_training_job_document(request, r.arn, r.creation_time);
  r.document.update(extra);
  std::filesystem::remove_all(c.training.job_dir(name));  // a leftover of a database that was reset
  write_container_config(c.training.job_dir(name), request);
  if (!c.store.insert(r)) throw resource_in_use("A training job named '" + name + "' already exists");
  c.training.wake();
  return {{"TrainingJobArn", r.arn}};
}

namespace {

json describe(Context& c, const json& request) { return public_document(existing_job(c, request).document); }

json list(Context& c, const json& request) {
  static const ListSpec spec{kKind,
                             "TrainingJobSummaries",
                             {"Name", "CreationTime", "Status"},
                             /*default_ascending=*/true,
                             {"InProgress", "Completed", "Failed", "Stopping", "Stopped"},
                             [](const Resource& r) {
                               json s = {{"TrainingJobName", r.name},
                                         {"TrainingJobArn", r.arn},
                                         {"CreationTime", r.creation_time},
                                         {"LastModifiedTime", r.last_modified_time},
                                         {"TrainingJobStatus", r.status}};
                               if (r.document.contains("TrainingEndTime")) s["TrainingEndTime"] = r.document["TrainingEndTime"];
                               return s;
                             }};
  return list_resources(c.store, request, spec);
}

json stop(Context& c, const json& request) {
  const Resource r = existing_job(c, request);
  if (r.status != "InProgress")
    throw validation_error("The request was rejected because the training job is in status " + r.status + ".");
  c.training.stop(r.name);
  return json::object();
}

}  // namespace

void add_training_operations(OperationTable& t) {
  t.insert({{"CreateTrainingJob", create}, {"DescribeTrainingJob", describe}, {"ListTrainingJobs", list},
            {"StopTrainingJob", stop}});
}

}  // namespace segmaker::api
