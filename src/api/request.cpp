// The control plane's request envelope (see request.h).
#include "api/request.h"

#include <cctype>

#include "api/api_error.h"

namespace segmaker::api {

using json = nlohmann::json;

ApiTarget target_of(std::string_view target) {
  static const std::pair<std::string_view, ApiService> kServices[] = {
      {"SageMaker.", ApiService::SageMaker},
      {"Logs_20140328.", ApiService::Logs},
      {"GraniteServiceVersion20100801.", ApiService::CloudWatch},
  };
  for (const auto& [prefix, service] : kServices) {
    if (target.substr(0, prefix.size()) != prefix) continue;
    const std::string_view op = target.substr(prefix.size());
    if (op.empty() || target.size() > 128) break;
    for (char c : op)
      if (!std::isalnum(static_cast<unsigned char>(c))) throw unknown_operation(std::string(target));
    return {service, std::string(op)};
  }
  throw unknown_operation(std::string(target.substr(0, 128)));
}

std::string operation_of(std::string_view target) {
  const ApiTarget t = target_of(target);
  if (t.service != ApiService::SageMaker) throw unknown_operation(std::string(target));
  return t.operation;
}

namespace {

// AWS's JSON protocol reads a member whose value is null as absent (botocore never sends one).
// Dropped here, so that no operation meets a null where its validation saw an absent member.
void drop_null_members(json& value) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end();) {
      if (it->is_null()) {
        it = value.erase(it);
      } else {
        drop_null_members(*it);
        ++it;
      }
    }
  } else if (value.is_array()) {
    for (auto& item : value) drop_null_members(item);
  }
}

}  // namespace

json parse_request_body(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();
  // Requests are shallow (SageMaker's deepest structure is a few levels): refuse deep nesting
  // before the recursive parser sees it.
  constexpr int kMaxDepth = 64;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) throw serialization_error("The request body is nested more than 64 levels deep");
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  json request = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) throw serialization_error("The request body is not valid JSON");
  if (!request.is_object()) throw serialization_error("The request body must be a JSON object, got " + std::string(request.type_name()));
  drop_null_members(request);  // depth checked above
  return request;
}

}  // namespace segmaker::api
