#pragma once
// The control plane's request envelope (awsJson1_1 / 1_0), as pure functions of the bytes received, so
// that they can be fuzzed on their own:
//   POST /   X-Amz-Target: SageMaker.<Operation>   Content-Type: application/x-amz-json-1.1
//   body: a JSON object (botocore sends "{}" for an operation without parameters)
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace segmaker::api {

// The services that answer on the same listener with X-Amz-Target (JSON protocols).
enum class ApiService {
  SageMaker,   // "SageMaker.<Op>", awsJson1_1
  Logs,        // "Logs_20140328.<Op>" (CloudWatch Logs), awsJson1_1
  CloudWatch,  // "GraniteServiceVersion20100801.<Op>" (CloudWatch metrics), awsJson1_0
};

struct ApiTarget {
  ApiService service = ApiService::SageMaker;
  std::string operation;
};

// The service and operation named by X-Amz-Target ("Logs_20140328.GetLogEvents" → Logs, "GetLogEvents").
// Throws ApiError UnknownOperationException for a missing, malformed or foreign target.
ApiTarget target_of(std::string_view target);
// SageMaker's operation named by X-Amz-Target ("SageMaker.ListTrainingJobs" → "ListTrainingJobs").
std::string operation_of(std::string_view target);

// The request body as a JSON object; an empty body is {}. Members whose value is null are dropped
// at every level (AWS reads them as absent). Throws ApiError SerializationException for anything
// that is not a JSON object (malformed, too deeply nested, an array, …).
nlohmann::json parse_request_body(std::string_view body);

}  // namespace segmaker::api
