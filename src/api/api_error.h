#pragma once
// The errors the SageMaker API answers, in the shapes the AWS CLI and boto3 parse
// (../shared/docs/sagemaker-api.md §1 and §3): the control plane answers
// 400 {"__type": "<Code>", "message": "…"}; the runtime adds the x-amzn-ErrorType header.
// A handler throws ApiError; the service turns it into the answer. Never a 5xx for a request that
// will fail again (the clients retry 5xx).
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace segmaker::api {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string type, const std::string& message)
      : std::runtime_error(message), status_(status), type_(std::move(type)) {}
  int status() const { return status_; }
  const std::string& type() const { return type_; }
  // {"__type": type, "message": what()}
  nlohmann::json body() const;

 private:
  int status_;
  std::string type_;
};

// 400 ValidationException: a bad field value, or an unknown job / model / endpoint (the waiters
// depend on the latter: `wait endpoint-deleted` succeeds on it).
ApiError validation_error(const std::string& message);
// 400 ValidationException with real SageMaker's wording for a resource that does not exist.
ApiError not_found(const std::string& what, const std::string& name_or_arn);
// 400 ResourceInUse: the name is taken.
ApiError resource_in_use(const std::string& message);
// 400 ResourceLimitExceeded: more than the service allows (queued jobs, serving instances).
ApiError resource_limit_exceeded(const std::string& message);
// 400 ResourceNotFound (declared by Stop/Describe: used only where SageMaker uses it).
ApiError resource_not_found(const std::string& message);
// 400 SerializationException: the body is not the JSON object the operation expects.
ApiError serialization_error(const std::string& message);
// 400 UnknownOperationException: X-Amz-Target names no operation this service offers.
ApiError unknown_operation(const std::string& target);

}  // namespace segmaker::api
