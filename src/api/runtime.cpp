// InvokeEndpoint (see runtime.h).
#include "api/runtime.h"

#include <httplib.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "api/endpoint_manager.h"
#include "api/store.h"
#include "api/validation.h"

namespace segmaker::api {

using json = nlohmann::json;

namespace {

constexpr int kAttempts = 3;  // another instance when one refuses (restarted, or drained by an update)

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// The model's own error message: our serving process answers {"error": {"code", "message"}}.
std::string original_message(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("message") &&
      j["error"]["message"].is_string())
    return j["error"]["message"];
  return body.substr(0, 1024);
}

RuntimeAnswer model_error(const std::string& endpoint, const std::string& variant, int status, const std::string& body) {
  const bool client = status < 500;
  const std::string original = original_message(body);
  RuntimeAnswer a;
  a.status = 424;
  a.content_type = "application/json";
  a.headers.emplace_back("x-amzn-ErrorType", "ModelError:http://internal.amazon.com/coral/com.amazon.sagemaker/");
  a.body = dump({{"ErrorCode", client ? "CLIENT_ERROR_FROM_MODEL" : "SERVER_ERROR_FROM_MODEL"},
                 {"Message", std::string("Received ") + (client ? "client" : "server") + " error (" + std::to_string(status) +
                                 ") from primary with message \"" + original + "\". See the logs of endpoint " + endpoint +
                                 " (variant " + variant + ") for more information."},
                 {"OriginalMessage", original},
                 {"OriginalStatusCode", status},
                 {"LogStreamArn", "segmaker:endpoints/" + endpoint + "/logs/" + variant}});
  return a;
}

// An answer from `target` with what the endpoint's metrics need.
RuntimeAnswer served(const InstanceTarget& target, int status, std::chrono::steady_clock::time_point sent) {
  RuntimeAnswer a;
  a.variant = target.variant;
  a.variant_instances = target.variant_instances;
  a.model_status = status;
  a.model_microseconds = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - sent).count();
  return a;
}

}  // namespace

RuntimeAnswer runtime_error(int status, const std::string& code, const std::string& message) {
  RuntimeAnswer a;
  a.status = status;
  a.content_type = "application/json";
  a.headers.emplace_back("x-amzn-ErrorType", code);
  a.body = dump({{"message", message}});
  return a;
}

RuntimeAnswer invoke_endpoint(Store& store, EndpointManager& endpoints, const Invocation& in, const std::string& account) {
  Validator v;
  v.check(in.endpoint, "endpointName", rules::kResourceName);
  if (!v.ok()) {
    try {
      v.throw_if_invalid();
    } catch (const std::exception& e) {
      return runtime_error(400, "ValidationError", e.what());
    }
  }
  const auto endpoint = store.get("Endpoint", in.endpoint);
  if (!endpoint) return runtime_error(400, "ValidationError", "Endpoint " + in.endpoint + " of account " + account + " not found.");
  const std::string& status = endpoint->status;
  if (status == "Failed" || status == "Deleting" || status == "OutOfService")
    return runtime_error(400, "ValidationError", "Endpoint " + in.endpoint + " of account " + account + " is " + status +
                                                     (status == "Failed" ? ": " + endpoint->document.value("FailureReason", std::string()) : ""));

  const std::string content_type = in.content_type.empty() ? "image/jpeg" : in.content_type;
  const std::string accept = in.accept.empty() ? "image/png" : in.accept;
  httplib::Headers headers{{"Accept", accept}};
  if (!in.custom_attributes.empty()) headers.emplace("X-Amzn-SageMaker-Custom-Attributes", in.custom_attributes);
  std::string last_error;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto target = endpoints.route(in.endpoint, in.target_variant);
    if (!target)
      return runtime_error(429, "ModelNotReadyException",
                           "Model for endpoint " + in.endpoint + (in.target_variant.empty() ? "" : " variant " + in.target_variant) +
                               " is not ready (endpoint status " + status + "). Try again when the endpoint is InService.");
    httplib::Client client(target->host, target->port);
    client.set_connection_timeout(std::chrono::seconds(2));
    client.set_read_timeout(std::chrono::seconds(60));  // SageMaker's invocation limit
    client.set_write_timeout(std::chrono::seconds(60));
    client.set_tcp_nodelay(true);  // the body's segment must not wait for the ACK of the head's
    const auto sent = std::chrono::steady_clock::now();
    const auto answer = client.Post("/invocations", headers, in.body, content_type);
    if (!answer) {
      last_error = httplib::to_string(answer.error());
      continue;  // the instance is restarting or draining: another one answers
    }
    RuntimeAnswer a = served(*target, answer->status, sent);
    if (answer->status == 200) {
      a.content_type = answer->get_header_value("Content-Type");
      a.body = answer->body;
      a.headers.emplace_back("X-Amzn-Invoked-Production-Variant", target->variant);
      if (answer->has_header("X-Amzn-SageMaker-Custom-Attributes"))
        a.headers.emplace_back("X-Amzn-SageMaker-Custom-Attributes", answer->get_header_value("X-Amzn-SageMaker-Custom-Attributes"));
      return a;
    }
    RuntimeAnswer error = answer->status == 503
                              ? runtime_error(503, "ServiceUnavailable", "The model is busy (" + original_message(answer->body) + "); retry later")
                              : model_error(in.endpoint, target->variant, answer->status, answer->body);
    error.variant = a.variant;
    error.variant_instances = a.variant_instances;
    error.model_status = a.model_status;
    error.model_microseconds = a.model_microseconds;
    return error;
  }
  return runtime_error(503, "ServiceUnavailable", "No instance of endpoint " + in.endpoint + " accepted the request: " + last_error);
}

}  // namespace segmaker::api
