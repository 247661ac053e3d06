// Fuzz target: the SageMaker control plane's request envelope and validation (src/api, torch-,
// SQLite- and process-free parts). The input is split at its first newline into the X-Amz-Target
// header and the body. The body goes through parse_request_body, then through every validation
// reachable without the store: CreateTrainingJob's (and, when it passes, what CreateTrainingJob and
// the runner do with the request: the job document, the container config files, the fields the
// runner and the channel download read), and the Validator with the shared rules the other
// operations use (names, List paging and filters, production variants, containers, URIs, images).
// Invariants: only ApiError escapes (anything else is a 500 InternalFailure the clients retry),
// always a 4xx of the expected type whose body serialises; a parsed body is an object without null
// members (read as absent) that serialises and parses back equal; a validated CreateTrainingJob
// never fails afterwards and its channel names are single folder names (the download writes
// input/data/<ChannelName>).
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/names.h"
#include "api/request.h"
#include "api/training_job.h"
#include "api/validation.h"
#include "io/error.h"

namespace {

using json = nlohmann::json;
using namespace segmaker::api;

// What `segmaker api --allow-local-path /tmp` admits: local paths are checked (resolved, refused
// outside), so the fuzzer reaches the refusals as well as the accepted paths.
const segmaker::storage::LocalAccess& local_access() {
  static const auto access = segmaker::storage::LocalAccess::only_under({"/tmp"}, "--allow-local-path");
  return access;
}
namespace fs = std::filesystem;

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz_api_request: invariant broken: %s\n", what.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

// The answer the service sends for `e` (service.cpp: 4xx, {"__type", "message"}, serialised with
// invalid UTF-8 replaced).
void check_answer(const ApiError& e, const std::string& type) {
  if (e.status() < 400 || e.status() > 499) broken("status " + std::to_string(e.status()) + " for bad input");
  if (e.type() != type) broken("error type " + e.type() + ", expected " + type);
  const std::string body = e.body().dump(-1, ' ', false, json::error_handler_t::replace);
  const json back = json::parse(body, nullptr, false);
  if (!back.is_object() || back.value("__type", "") != type || !back["message"].is_string()) broken("error body " + body);
}

void check_target(const std::string& target) {
  try {
    const std::string op = operation_of(target);
    if (op.empty() || "SageMaker." + op != target) broken("operation '" + op + "' of '" + target + "'");
    for (char c : op)
      if (!std::isalnum(static_cast<unsigned char>(c))) broken("operation '" + op + "'");
  } catch (const ApiError& e) {
    check_answer(e, "UnknownOperationException");
  }
}

// The string rules hold for what the Validator returns.
void check_string(const std::optional<std::string>& s, const json& object, const std::string& key,
                  const StringRule& rule) {
  if (!s) return;
  if (!object.is_object() || !object.contains(key) || !object[key].is_string() || object[key] != *s)
    broken("Validator::string returned a value the request does not hold at " + key);
  if (s->size() < rule.min_length || (rule.max_length && s->size() > rule.max_length))
    broken("Validator::string returned '" + *s + "' outside its length bounds");
  if (!rule.values.empty() && std::find(rule.values.begin(), rule.values.end(), *s) == rule.values.end())
    broken("Validator::string returned '" + *s + "' outside its enum");
}

// What Describe*, Delete*, List*, CreateModel and CreateEndpointConfig read with the shared rules
// (their handlers need the store; the rules and the Validator are the same).
void validate_shared_fields(const json& r) {
  Validator v;
  for (const auto& [key, path] : {std::pair{"TrainingJobName", "trainingJobName"}, {"EndpointName", "endpointName"},
                                  {"EndpointConfigName", "endpointConfigName"}, {"TransformJobName", "transformJobName"}})
    check_string(v.string(r, key, path, rules::kResourceName, false), r, key, rules::kResourceName);
  check_string(v.string(r, "ModelName", "modelName", rules::kModelName, false), r, "ModelName", rules::kModelName);
  check_string(v.string(r, "NextToken", "nextToken", rules::kNextToken, false), r, "NextToken", rules::kNextToken);
  check_string(v.string(r, "NameContains", "nameContains", rules::kNameContains, false), r, "NameContains",
               rules::kNameContains);
  check_string(v.string(r, "SortOrder", "sortOrder", rules::kSortOrder, false), r, "SortOrder", rules::kSortOrder);
  if (const auto n = v.integer(r, "MaxResults", "maxResults", IntRule{1, 100}, false); n && (*n < 1 || *n > 100))
    broken("MaxResults " + std::to_string(*n) + " outside [1, 100]");
  for (const char* key : {"CreationTimeAfter", "CreationTimeBefore", "LastModifiedTimeAfter", "LastModifiedTimeBefore"})
    v.timestamp(r, key, key);
  v.boolean(r, "RetainAllVariantProperties", "retainAllVariantProperties", false);
  if (const json* list = v.array(r, "ProductionVariants", "productionVariants", false, 1, 10)) {
    if (list->empty() || list->size() > 10) broken("ProductionVariants outside [1, 10] accepted");
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string path = member_path("productionVariants", i);
      const json& pv = (*list)[i];
      check_string(v.string(pv, "VariantName", path + ".variantName", rules::kResourceName, true), pv, "VariantName",
                   rules::kResourceName);
      v.string(pv, "ModelName", path + ".modelName", rules::kModelName, true);
      v.integer(pv, "InitialInstanceCount", path + ".initialInstanceCount", IntRule{1, 16}, true);
      v.field(pv, "InitialVariantWeight", path + ".initialVariantWeight", false);
    }
  }
  for (const char* key : {"PrimaryContainer", "TransformOutput", "OutputDataConfig"})
    if (const json* c = v.object(r, key, key, false)) {
      for (const char* uri_key : {"ModelDataUrl", "S3OutputPath"})
        if (const auto uri = v.string(*c, uri_key, uri_key, StringRule::length(1, 1024), false)) check_uri(v, *uri, uri_key, local_access());
      if (const auto image = v.string(*c, "Image", "image", StringRule::matching(0, 255, "[\\S]+"), false))
        (void)is_supported_training_image(*image);
    }
  const bool ok = v.ok();
  try {
    v.throw_if_invalid();
    if (!ok) broken("Validator not ok but throw_if_invalid did not throw");
  } catch (const ApiError& e) {
    if (ok) broken("Validator ok but throw_if_invalid threw");
    check_answer(e, "ValidationException");
  }
}

bool has_null_member(const json& value) {
  if (value.is_object())
    for (const auto& [key, member] : value.items())
      if (member.is_null() || has_null_member(member)) return true;
  if (value.is_array())
    for (const auto& item : value)
      if (has_null_member(item)) return true;
  return false;
}

fs::path scratch_folder() {
  const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  return base / ("segmaker-fuzz_api_request-" + std::to_string(::getpid()));
}

// What training_operations.cpp, training_runner.cpp and training_outputs.cpp do with a request
// that passed validate_create_training_job: none of it may throw (it would be a 500, or a job that
// fails in the runner without a reason).
void check_validated_training_job(const json& r) {
  const std::string name = r.at("TrainingJobName").get<std::string>();
  const json doc = new_training_job_document(r, "arn:aws:sagemaker:us-east-1:000000000000:training-job/" + name, 1.0);
  const int instances = doc.at("ResourceConfig").at("InstanceCount").get<int>();
  if (instances < 1 || instances > 16) broken("InstanceCount " + std::to_string(instances));
  (void)doc.at("StoppingCondition").value("MaxRuntimeInSeconds", 86400.0);
  if (doc.contains("CheckpointConfig") && doc["CheckpointConfig"].is_object())
    (void)doc["CheckpointConfig"].value("S3Uri", "");
  (void)join_uri(doc.at("OutputDataConfig").at("S3OutputPath").get<std::string>(), name + "/output/model.tar.gz");
  for (const auto& channel : doc.at("InputDataConfig")) {
    const std::string channel_name = channel.at("ChannelName");
    (void)channel.at("DataSource").at("S3DataSource").at("S3Uri").get<std::string>();
    const fs::path folder = fs::path("input/data") / channel_name;
    if (channel_name == "." || channel_name == ".." || folder.parent_path() != "input/data" ||
        folder.filename() != channel_name)
      broken("channel name '" + channel_name + "' is not a folder name under input/data");
  }
  static const fs::path scratch = scratch_folder();
  fs::remove_all(scratch);
  write_container_config(scratch / "job", r);
  fs::remove_all(scratch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  check_target(input.substr(0, newline));
  const std::string body = newline == std::string::npos ? "" : input.substr(newline + 1);

  json request;
  try {
    request = parse_request_body(body);
  } catch (const ApiError& e) {
    check_answer(e, "SerializationException");
    return 0;
  }
  if (!request.is_object()) broken("parse_request_body returned a " + std::string(request.type_name()));
  if (has_null_member(request)) broken("a null member left in " + request.dump());
  if (parse_request_body(request.dump()) != request) broken("body does not parse back equal: " + request.dump());

  validate_shared_fields(request);
  bool valid = false;
  try {
    validate_create_training_job(request, local_access());
    valid = true;
  } catch (const ApiError& e) {
    check_answer(e, "ValidationException");
  }
  if (valid) {
    try {
      check_validated_training_job(request);
    } catch (const segmaker::UserError& e) {
      broken(std::string("a validated CreateTrainingJob failed: ") + e.what());
    }
  }
  return 0;
}
