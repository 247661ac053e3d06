// CreateModel, DescribeModel, ListModels, DeleteModel; CreateEndpointConfig,
// DescribeEndpointConfig, DeleteEndpointConfig. A model names the artifact (ModelDataUrl: S3, file://
// or a local path) and the image; an endpoint config names models and instance counts.
#include <set>

#include "api/api_error.h"
#include "api/instance_types.h"
#include "api/listing.h"
#include "api/names.h"
#include "api/endpoint_manager.h"
#include "api/operations.h"
#include "api/store.h"
#include "api/training_job.h"
#include "api/validation.h"

namespace segmaker::api {

using json = nlohmann::json;

namespace {

std::string required_name(const json& request, const char* key, const char* path, const StringRule& rule) {
  Validator v;
  auto name = v.string(request, key, path, rule, true);
  v.throw_if_invalid();
  return *name;
}

Resource insert_new(Context& c, const std::string& kind, const std::string& type, const std::string& name,
                    json document, const std::string& what) {
  Resource r;
  r.kind = kind;
  r.name = name;
  r.arn = make_arn(c.region, c.account, type, name);
  r.creation_time = r.last_modified_time = now_seconds();
  document["CreationTime"] = r.creation_time;
  r.document = std::move(document);
  if (!c.store.insert(r)) throw resource_in_use("Cannot create already existing " + what + " \"" + r.arn + "\".");
  return r;
}

void validate_container(Validator& v, const json& container, const std::string& path,
                        const storage::LocalAccess& local) {
  static const StringRule image_rule = StringRule::matching(0, 255, "[\\S]+");
  static const StringRule env_key = StringRule::matching(1, 1024, "[a-zA-Z_][a-zA-Z0-9_]*");
  static const StringRule env_value = StringRule::length(0, 1024);
  if (auto image = v.string(container, "Image", path + ".image", image_rule, false); image && !is_supported_training_image(*image))
    v.fail(quote_value(*image), path + ".image",
           "segmaker api serves the built-in Semantic Segmentation algorithm: use its image (e.g. "
           "811284229777.dkr.ecr.us-east-1.amazonaws.com/semantic-segmentation:1), 'semantic-segmentation' or 'segmaker'");
  if (auto url = v.string(container, "ModelDataUrl", path + ".modelDataUrl", StringRule::length(1, 1024), true))
    check_uri(v, *url, path + ".modelDataUrl", local);
  if (const json* env = v.object(container, "Environment", path + ".environment", false)) {
    if (env->size() > 16) v.fail("'{…}'", path + ".environment", "Member must have length less than or equal to 16");
    for (const auto& [key, value] : env->items()) {
      v.check(key, path + ".environment.key", env_key);
      if (!value.is_string()) v.fail(value.dump().substr(0, 100), path + ".environment." + key, "Member must be a string");
      else v.check(value.get<std::string>(), path + ".environment." + key, env_value);
    }
  }
}

json create_model(Context& c, const json& request) {
  Validator v;
  const auto name = v.string(request, "ModelName", "modelName", rules::kModelName, true);
  v.string(request, "ExecutionRoleArn", "executionRoleArn", rules::kRoleArn, true);
  json container;
  if (const json* primary = v.object(request, "PrimaryContainer", "primaryContainer", false)) {
    validate_container(v, *primary, "primaryContainer", c.local_access);
    container = *primary;
  } else if (const json* containers = v.array(request, "Containers", "containers", false, 1, 1)) {
    validate_container(v, (*containers)[0], member_path("containers", 0), c.local_access);
    container = (*containers)[0];
  } else if (!request.contains("Containers")) {
    v.fail("null", "primaryContainer", "Member must not be null (give the model's ModelDataUrl in PrimaryContainer)");
  }
  v.throw_if_invalid();
  json doc = {{"ModelName", *name}, {"PrimaryContainer", container}, {"ExecutionRoleArn", request["ExecutionRoleArn"]}};
  if (request.contains("EnableNetworkIsolation")) doc["EnableNetworkIsolation"] = request["EnableNetworkIsolation"];
  const std::string arn = make_arn(c.region, c.account, "model", *name);
  doc["ModelArn"] = arn;
  insert_new(c, "Model", "model", *name, doc, "model");
  return {{"ModelArn", arn}};
}

Resource existing(Context& c, const char* kind, const char* type, const char* what, const std::string& name) {
  auto r = c.store.get(kind, name);
  if (!r) throw not_found(what, make_arn(c.region, c.account, type, name));
  return *r;
}

json describe_model(Context& c, const json& request) {
  return public_document(existing(c, "Model", "model", "model", required_name(request, "ModelName", "modelName", rules::kModelName)).document);
}

json list_models(Context& c, const json& request) {
  static const ListSpec spec{"Model", "Models", {"Name", "CreationTime"}, false, {}, [](const Resource& r) {
                               return json{{"ModelName", r.name}, {"ModelArn", r.arn}, {"CreationTime", r.creation_time}};
                             }};
  return list_resources(c.store, request, spec);
}

json delete_model(Context& c, const json& request) {
  const std::string name = required_name(request, "ModelName", "modelName", rules::kModelName);
  if (!c.store.remove("Model", name)) throw not_found("model", make_arn(c.region, c.account, "model", name));
  return json::object();
}

json create_endpoint_config(Context& c, const json& request) {
  static const StringRule instance_types = StringRule::one_of(production_variant_instance_types());
  Validator v;
  const auto name = v.string(request, "EndpointConfigName", "endpointConfigName", rules::kResourceName, true);
  json variants = json::array();
  if (const json* list = v.array(request, "ProductionVariants", "productionVariants", true, 1, 10)) {
    std::set<std::string> names;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& pv = (*list)[i];
      const std::string path = member_path("productionVariants", i);
      auto variant = v.string(pv, "VariantName", path + ".variantName", rules::kResourceName, true);
      if (variant && !names.insert(*variant).second) v.fail(quote_value(*variant), path + ".variantName", "Variant names must be unique");
      auto model = v.string(pv, "ModelName", path + ".modelName", rules::kModelName, true);
      if (pv.contains("ServerlessConfig"))
        v.fail("'ServerlessConfig'", path + ".serverlessConfig", "segmaker api runs instance-based variants: give InitialInstanceCount and InstanceType");
      auto count = v.integer(pv, "InitialInstanceCount", path + ".initialInstanceCount", IntRule{1, 16}, true);
      auto type = v.string(pv, "InstanceType", path + ".instanceType", instance_types, true);
      if (type) c.endpoints.check_placement(*type);  // the cluster's instance table (--scheduler slurm)
      double weight = 1.0;
      if (const json* w = v.field(pv, "InitialVariantWeight", path + ".initialVariantWeight", false)) {
        if (!w->is_number() || w->get<double>() < 0) v.fail(w->dump(), path + ".initialVariantWeight", "Member must have value greater than or equal to 0");
        else weight = w->get<double>();
      }
      if (model && !c.store.get("Model", *model))
        v.fail(quote_value(*model), path + ".modelName", "Could not find model \"" + make_arn(c.region, c.account, "model", *model) + "\".");
      if (variant && model && count && type)
        variants.push_back({{"VariantName", *variant}, {"ModelName", *model}, {"InitialInstanceCount", *count},
                            {"InstanceType", *type}, {"InitialVariantWeight", weight}});
    }
  }
  v.throw_if_invalid();
  const std::string arn = make_arn(c.region, c.account, "endpoint-config", *name);
  insert_new(c, "EndpointConfig", "endpoint-config", *name,
             {{"EndpointConfigName", *name}, {"EndpointConfigArn", arn}, {"ProductionVariants", variants}},
             "endpoint configuration");
  return {{"EndpointConfigArn", arn}};
}

json describe_endpoint_config(Context& c, const json& request) {
  const std::string name = required_name(request, "EndpointConfigName", "endpointConfigName", rules::kResourceName);
  return public_document(existing(c, "EndpointConfig", "endpoint-config", "endpoint configuration", name).document);
}

json delete_endpoint_config(Context& c, const json& request) {
  const std::string name = required_name(request, "EndpointConfigName", "endpointConfigName", rules::kResourceName);
  if (!c.store.remove("EndpointConfig", name))
    throw not_found("endpoint configuration", make_arn(c.region, c.account, "endpoint-config", name));
  return json::object();
}

}  // namespace

void add_model_operations(OperationTable& t) {
  t.insert({{"CreateModel", create_model}, {"DescribeModel", describe_model}, {"ListModels", list_models},
            {"DeleteModel", delete_model}, {"CreateEndpointConfig", create_endpoint_config},
            {"DescribeEndpointConfig", describe_endpoint_config}, {"DeleteEndpointConfig", delete_endpoint_config}});
}

}  // namespace segmaker::api
