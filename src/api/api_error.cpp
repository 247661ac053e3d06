// The SageMaker error shapes (see api_error.h).
#include "api/api_error.h"

namespace segmaker::api {

nlohmann::json ApiError::body() const { return {{"__type", type_}, {"message", what()}}; }

ApiError validation_error(const std::string& message) { return ApiError(400, "ValidationException", message); }

ApiError not_found(const std::string& what, const std::string& name_or_arn) {
  return ApiError(400, "ValidationException", "Could not find " + what + " \"" + name_or_arn + "\".");
}

ApiError resource_in_use(const std::string& message) { return ApiError(400, "ResourceInUse", message); }

ApiError resource_limit_exceeded(const std::string& message) { return ApiError(400, "ResourceLimitExceeded", message); }

ApiError resource_not_found(const std::string& message) { return ApiError(400, "ResourceNotFound", message); }

ApiError serialization_error(const std::string& message) { return ApiError(400, "SerializationException", message); }

ApiError unknown_operation(const std::string& target) {
  return ApiError(400, "UnknownOperationException",
                  target.empty() ? "Missing X-Amz-Target header: expected SageMaker.<Operation>"
                                 : "The operation '" + target + "' is not supported by segmaker api");
}

}  // namespace segmaker::api
