#pragma once
// The control plane's request envelope (awsJson1_1), as pure functions of the bytes received, so
// that they can be fuzzed on their own:
//   POST /   X-Amz-Target: SageMaker.<Operation>   Content-Type: application/x-amz-json-1.1
//   body: a JSON object (botocore sends "{}" for an operation without parameters)
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace segmaker::api {

// The operation named by X-Amz-Target ("SageMaker.ListTrainingJobs" → "ListTrainingJobs").
// Throws ApiError UnknownOperationException for a missing, malformed or foreign target.
std::string operation_of(std::string_view target);

// The request body as a JSON object; an empty body is {}. Members whose value is null are dropped
// at every level (AWS reads them as absent). Throws ApiError SerializationException for anything
// that is not a JSON object (malformed, too deeply nested, an array, …).
nlohmann::json parse_request_body(std::string_view body);

}  // namespace segmaker::api
