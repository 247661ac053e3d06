// CreateTransformJob, DescribeTransformJob, ListTransformJobs, StopTransformJob.
#include <filesystem>

#include "api/api_error.h"
#include "api/instance_types.h"
#include "api/listing.h"
#include "api/names.h"
#include "api/operations.h"
#include "api/store.h"
#include "api/transform_runner.h"
#include "api/validation.h"
#include "sagemaker/content_type.h"

namespace segmaker::api {

using json = nlohmann::json;

namespace {

constexpr const char* kKind = "TransformJob";

std::string job_name(const json& request) {
  Validator v;
  auto name = v.string(request, "TransformJobName", "transformJobName", rules::kResourceName, true);
  v.throw_if_invalid();
  return *name;
}

Resource existing_job(Context& c, const json& request) {
  const std::string name = job_name(request);
  auto r = c.store.get(kKind, name);
  if (!r) throw not_found("transform job", make_arn(c.region, c.account, "transform-job", name));
  return *r;
}

void validate(Context& c, const json& r) {
  static const StringRule data_types = StringRule::one_of({"ManifestFile", "S3Prefix", "AugmentedManifestFile"});
  static const StringRule splits = StringRule::one_of({"None", "Line", "RecordIO", "TFRecord"});
  static const StringRule compressions = StringRule::one_of({"None", "Gzip"});
  static const StringRule strategies = StringRule::one_of({"MultiRecord", "SingleRecord"});
  static const StringRule instance_types = StringRule::one_of(transform_instance_types());
  static const StringRule type_rule = StringRule::length(0, 256);
  Validator v;
  v.string(r, "TransformJobName", "transformJobName", rules::kResourceName, true);
  if (auto model = v.string(r, "ModelName", "modelName", rules::kModelName, true); model && !c.store.get("Model", *model))
    v.fail(quote_value(*model), "modelName", "Could not find model \"" + make_arn(c.region, c.account, "model", *model) + "\".");
  v.integer(r, "MaxConcurrentTransforms", "maxConcurrentTransforms", IntRule{0, {}}, false);
  v.integer(r, "MaxPayloadInMB", "maxPayloadInMB", IntRule{0, 100}, false);
  v.string(r, "BatchStrategy", "batchStrategy", strategies, false);
  if (const json* in = v.object(r, "TransformInput", "transformInput", true)) {
    v.string(*in, "ContentType", "transformInput.contentType", type_rule, false);
    if (auto s = v.string(*in, "SplitType", "transformInput.splitType", splits, false); s && *s != "None")
      v.fail(quote_value(*s), "transformInput.splitType", "images are transformed whole: use None");
    if (auto s = v.string(*in, "CompressionType", "transformInput.compressionType", compressions, false); s && *s != "None")
      v.fail(quote_value(*s), "transformInput.compressionType", "segmaker api reads uncompressed input only: use None");
    if (const json* ds = v.object(*in, "DataSource", "transformInput.dataSource", true))
      if (const json* s3 = v.object(*ds, "S3DataSource", "transformInput.dataSource.s3DataSource", true)) {
        const std::string p = "transformInput.dataSource.s3DataSource";
        if (auto t = v.string(*s3, "S3DataType", p + ".s3DataType", data_types, true); t && *t != "S3Prefix")
          v.fail(quote_value(*t), p + ".s3DataType", "segmaker api transforms S3Prefix inputs only (a folder of images)");
        if (auto uri = v.string(*s3, "S3Uri", p + ".s3Uri", StringRule::length(1, 1024), true)) check_uri(v, *uri, p + ".s3Uri", c.local_access);
      }
  }
  if (const json* out = v.object(r, "TransformOutput", "transformOutput", true)) {
    if (auto uri = v.string(*out, "S3OutputPath", "transformOutput.s3OutputPath", StringRule::length(1, 1024), true))
      check_uri(v, *uri, "transformOutput.s3OutputPath", c.local_access);
    if (auto accept = v.string(*out, "Accept", "transformOutput.accept", type_rule, false)) {
      try {
        sagemaker::answer_type_from_name(*accept);
      } catch (const std::exception& e) {
        v.fail(quote_value(*accept), "transformOutput.accept", e.what());
      }
    }
  }
  if (const json* res = v.object(r, "TransformResources", "transformResources", true)) {
    v.string(*res, "InstanceType", "transformResources.instanceType", instance_types, true);
    v.integer(*res, "InstanceCount", "transformResources.instanceCount", IntRule{1, {}}, true);
  }
  v.throw_if_invalid();
}

json create(Context& c, const json& request) {
  validate(c, request);
  c.transforms.check_placement(request);
  const std::string name = request.at("TransformJobName");
  std::lock_guard lock(c.create_mutex);
  const std::string arn = make_arn(c.region, c.account, "transform-job", name);
  if (c.store.get(kKind, name)) throw resource_in_use("Job name must be unique within an AWS account and region, and a job with this name already exists (" + arn + ")");
  if (static_cast<int>(c.store.with_status(kKind, {"InProgress", "Stopping"}).size()) >= c.limits.max_waiting_jobs)
    throw resource_limit_exceeded("The account-level service limit 'Number of transform jobs in progress' is " +
                                  std::to_string(c.limits.max_waiting_jobs) + " jobs");
  const auto model = c.store.get("Model", request.at("ModelName").get<std::string>());
  Resource r;
  r.kind = kKind;
  r.name = name;
  r.arn = arn;
  r.status = "InProgress";
  r.creation_time = r.last_modified_time = now_seconds();
  json doc = json::object();
  for (const char* key : {"TransformJobName", "ModelName", "MaxConcurrentTransforms", "MaxPayloadInMB", "BatchStrategy",
                          "Environment", "TransformInput", "TransformOutput", "TransformResources", "DataProcessing",
                          "ExperimentConfig", "ModelClientConfig"})
    if (request.contains(key)) doc[key] = request[key];
  doc["TransformJobArn"] = arn;
  doc["TransformJobStatus"] = "InProgress";
  doc["CreationTime"] = r.creation_time;
  doc["LastModifiedTime"] = r.creation_time;
  doc["_ModelDataUrl"] = model->document.at("PrimaryContainer").at("ModelDataUrl");
  r.document = doc;
  std::filesystem::remove_all(c.transforms.job_dir(name));  // a leftover of a database that was reset
  if (!c.store.insert(r)) throw resource_in_use("A transform job named '" + name + "' already exists");
  c.transforms.run(name);
  return {{"TransformJobArn", arn}};
}

json describe(Context& c, const json& request) { return public_document(existing_job(c, request).document); }

json list(Context& c, const json& request) {
  static const ListSpec spec{kKind,
                             "TransformJobSummaries",
                             {"Name", "CreationTime", "Status"},
                             false,
                             {"InProgress", "Completed", "Failed", "Stopping", "Stopped"},
                             [](const Resource& r) {
                               json s = {{"TransformJobName", r.name},
                                         {"TransformJobArn", r.arn},
                                         {"CreationTime", r.creation_time},
                                         {"LastModifiedTime", r.last_modified_time},
                                         {"TransformJobStatus", r.status}};
                               for (const char* key : {"TransformEndTime", "FailureReason"})
                                 if (r.document.contains(key)) s[key] = r.document[key];
                               return s;
                             }};
  return list_resources(c.store, request, spec);
}

json stop(Context& c, const json& request) {
  const Resource r = existing_job(c, request);
  if (r.status != "InProgress")
    throw validation_error("The request was rejected because the transform job is in status " + r.status + ".");
  c.transforms.stop(r.name);
  return json::object();
}

}  // namespace

void add_transform_operations(OperationTable& t) {
  t.insert({{"CreateTransformJob", create}, {"DescribeTransformJob", describe}, {"ListTransformJobs", list},
            {"StopTransformJob", stop}});
}

}  // namespace segmaker::api
