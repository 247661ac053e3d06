// CreateEndpoint, DescribeEndpoint, ListEndpoints, UpdateEndpoint, DeleteEndpoint. The handlers
// resolve an endpoint config into variants (model URL, image, environment, instance count) and hand
// them to the EndpointManager, which runs the instances.
#include "api/api_error.h"
#include "api/endpoint_manager.h"
#include "api/listing.h"
#include "api/names.h"
#include "api/operations.h"
#include "api/store.h"
#include "api/validation.h"

namespace segmaker::api {

using json = nlohmann::json;

namespace {

constexpr const char* kKind = "Endpoint";

std::string required_name(const json& request, const char* key, const char* path) {
  Validator v;
  auto name = v.string(request, key, path, rules::kResourceName, true);
  v.throw_if_invalid();
  return *name;
}

std::string endpoint_arn(Context& c, const std::string& name) { return make_arn(c.region, c.account, "endpoint", name); }

Resource existing_endpoint(Context& c, const std::string& name) {
  auto r = c.store.get(kKind, name);
  if (!r) throw not_found("endpoint", endpoint_arn(c, name));
  return *r;
}

// The config's variants with what the instances need from their models.
json resolve_variants(Context& c, const std::string& config_name) {
  const auto config = c.store.get("EndpointConfig", config_name);
  if (!config) throw not_found("endpoint configuration", make_arn(c.region, c.account, "endpoint-config", config_name));
  json variants = json::array();
  for (json v : config->document.at("ProductionVariants")) {
    const std::string model_name = v.at("ModelName");
    const auto model = c.store.get("Model", model_name);
    if (!model) throw not_found("model", make_arn(c.region, c.account, "model", model_name));
    const json& container = model->document.at("PrimaryContainer");
    c.endpoints.check_placement(v.value("InstanceType", ""));
    v["ModelDataUrl"] = container.at("ModelDataUrl");
    v["Image"] = container.value("Image", "semantic-segmentation");
    v["Environment"] = container.value("Environment", json::object());
    variants.push_back(v);
  }
  return variants;
}

void check_capacity(Context& c, const json& variants) {
  int wanted = 0;
  for (const auto& v : variants) wanted += v["InitialInstanceCount"].get<int>();
  const int running = c.endpoints.instance_count();
  if (running + wanted > c.limits.max_serving_instances)
    throw resource_limit_exceeded("The account-level service limit 'Number of serving instances' is " +
                                  std::to_string(c.limits.max_serving_instances) + " instances, with " +
                                  std::to_string(running) + " running, and this request needs " + std::to_string(wanted) +
                                  " more; delete an endpoint or raise segmaker api --max-instances");
}

json create(Context& c, const json& request) {
  const std::string name = required_name(request, "EndpointName", "endpointName");
  const std::string config = required_name(request, "EndpointConfigName", "endpointConfigName");
  std::lock_guard lock(c.create_mutex);
  if (c.store.get(kKind, name)) throw resource_in_use("Cannot create already existing endpoint \"" + endpoint_arn(c, name) + "\".");
  const json variants = resolve_variants(c, config);
  check_capacity(c, variants);
  Resource r;
  r.kind = kKind;
  r.name = name;
  r.arn = endpoint_arn(c, name);
  r.status = "Creating";
  r.creation_time = r.last_modified_time = now_seconds();
  r.document = {{"EndpointName", name}, {"EndpointArn", r.arn},           {"EndpointConfigName", config},
                {"EndpointStatus", "Creating"}, {"CreationTime", r.creation_time}, {"LastModifiedTime", r.creation_time},
                {"_Variants", variants}};
  if (!c.store.insert(r)) throw resource_in_use("Cannot create already existing endpoint \"" + r.arn + "\".");
  c.endpoints.create(name);
  return {{"EndpointArn", r.arn}};
}

json describe(Context& c, const json& request) {
  return public_document(existing_endpoint(c, required_name(request, "EndpointName", "endpointName")).document);
}

json list(Context& c, const json& request) {
  static const ListSpec spec{
      kKind,
      "Endpoints",
      {"Name", "CreationTime", "Status"},
      false,
      {"OutOfService", "Creating", "Updating", "SystemUpdating", "RollingBack", "InService", "Deleting", "Failed"},
      [](const Resource& r) {
        return json{{"EndpointName", r.name},
                    {"EndpointArn", r.arn},
                    {"CreationTime", r.creation_time},
                    {"LastModifiedTime", r.last_modified_time},
                    {"EndpointStatus", r.status}};
      }};
  return list_resources(c.store, request, spec);
}

json update(Context& c, const json& request) {
  const std::string name = required_name(request, "EndpointName", "endpointName");
  const std::string config = required_name(request, "EndpointConfigName", "endpointConfigName");
  std::lock_guard lock(c.create_mutex);
  const Resource r = existing_endpoint(c, name);
  if (r.status != "InService")
    throw validation_error("Cannot update endpoint \"" + r.arn + "\" while it is " + r.status + ": wait until it is InService.");
  const json variants = resolve_variants(c, config);
  check_capacity(c, variants);  // the new instances start before the old ones stop
  c.store.update(kKind, name, [&](Resource& x) {
    x.status = "Updating";
    x.last_modified_time = now_seconds();
    x.document["EndpointStatus"] = "Updating";
    x.document["LastModifiedTime"] = x.last_modified_time;
  });
  c.endpoints.update(name, config, variants);
  return {{"EndpointArn", r.arn}};
}

json remove(Context& c, const json& request) {
  const std::string name = required_name(request, "EndpointName", "endpointName");
  existing_endpoint(c, name);
  c.store.update(kKind, name, [&](Resource& x) {
    x.status = "Deleting";
    x.last_modified_time = now_seconds();
    x.document["EndpointStatus"] = "Deleting";
    x.document["LastModifiedTime"] = x.last_modified_time;
  });
  c.endpoints.remove(name);
  return json::object();
}

}  // namespace

void add_endpoint_operations(OperationTable& t) {
  t.insert({{"CreateEndpoint", create}, {"DescribeEndpoint", describe}, {"ListEndpoints", list},
            {"UpdateEndpoint", update}, {"DeleteEndpoint", remove}});
}

}  // namespace segmaker::api
