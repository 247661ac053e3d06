#pragma once
// The runtime API (sagemaker-runtime, restJson1): POST /endpoints/{EndpointName}/invocations,
// routed to one of the endpoint's serving instances. SageMaker's headers: Content-Type and Accept
// (defaults image/jpeg and image/png: the AWS CLI sends neither unless asked),
// X-Amzn-SageMaker-Custom-Attributes and -Target-Variant in; Content-Type,
// X-Amzn-Invoked-Production-Variant and custom attributes out. Errors, with the x-amzn-ErrorType
// header the clients read the code from: unknown endpoint → 400 ValidationError; endpoint not
// serving yet → 429 ModelNotReadyException; the model's 4xx/5xx → 424 ModelError with
// OriginalStatusCode and OriginalMessage; the model's 503 (queue full) → 503 ServiceUnavailable.
#include <string>
#include <utility>
#include <vector>

namespace segmaker::api {

class Store;
class EndpointManager;

struct Invocation {
  std::string endpoint;
  std::string body;
  std::string content_type;       // "" = image/jpeg
  std::string accept;             // "" = image/png
  std::string custom_attributes;  // X-Amzn-SageMaker-Custom-Attributes
  std::string target_variant;     // X-Amzn-SageMaker-Target-Variant
};

struct RuntimeAnswer {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set when a serving instance answered (what the endpoint's metrics record): its variant, the
  // variant's ready instances, the instance's HTTP status and its answer time.
  std::string variant;
  int variant_instances = 0;
  int model_status = 0;
  double model_microseconds = 0;
};

RuntimeAnswer invoke_endpoint(Store& store, EndpointManager& endpoints, const Invocation& invocation,
                              const std::string& account);

// An error answer in the runtime's shape (x-amzn-ErrorType header, {"message"} body).
RuntimeAnswer runtime_error(int status, const std::string& code, const std::string& message);

}  // namespace segmaker::api
