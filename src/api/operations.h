#pragma once
// The control plane's operations: one handler per SageMaker operation name, grouped by resource in
// training_operations.cpp, model_operations.cpp, endpoint_operations.cpp and
// transform_operations.cpp; CloudWatch's and STS's in log_operations.cpp and metric_operations.cpp. A handler validates the request (ApiError on anything wrong), changes
// the store and tells the runner or manager; it never runs a step itself.
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "storage/local_access.h"

namespace segmaker::api {

class Store;
class LogStore;
class MetricStore;
class TrainingRunner;
class EndpointManager;
class TransformRunner;
class TuningRunner;
class HyperparameterCatalog;

struct ApiLimits {
  int max_waiting_jobs = 100;      // training + transform jobs in progress or waiting
  int max_serving_instances = 8;   // serving processes over all endpoints
};

struct Context {
  Store& store;
  TrainingRunner& training;
  EndpointManager& endpoints;
  TransformRunner& transforms;
  TuningRunner& tuning;
  const HyperparameterCatalog& hyperparameters;  // the algorithm's, for tuning jobs' ranges
  LogStore& logs;
  MetricStore& metrics;
  std::string region = "us-east-1";
  std::string account = "000000000000";
  ApiLimits limits;
  storage::LocalAccess local_access;  // the local folders requests may name (--allow-local-path)
  std::mutex create_mutex;  // a name check and the folder it guards happen together
};

using Operation = std::function<nlohmann::json(Context&, const nlohmann::json& request)>;
using OperationTable = std::map<std::string, Operation>;

void add_training_operations(OperationTable& table);
void add_model_operations(OperationTable& table);
void add_endpoint_operations(OperationTable& table);
void add_transform_operations(OperationTable& table);
void add_tuning_operations(OperationTable& table);  // hyperparameter tuning jobs (tuning_operations.cpp)

// CreateTrainingJob: validates, stores the job (its document also holding `extra`, e.g. a trial's
// TuningJobArn) and wakes the runner. Throws ApiError. Tuning jobs create their trials with it.
nlohmann::json create_training_job(Context& c, const nlohmann::json& request, const nlohmann::json& extra);
void add_log_operations(OperationTable& table);     // CloudWatch Logs (log_operations.cpp)
void add_metric_operations(OperationTable& table);  // CloudWatch metrics (metric_operations.cpp)
void add_sts_operations(OperationTable& table);     // STS GetCallerIdentity (metric_operations.cpp)

// Every SageMaker operation this service offers.
const OperationTable& operations();
// CloudWatch Logs', CloudWatch metrics' and STS's.
const OperationTable& log_operations();
const OperationTable& metric_operations();
const OperationTable& sts_operations();

// The document as Describe answers it (internal fields, which start with '_', removed).
nlohmann::json public_document(const nlohmann::json& document);

}  // namespace segmaker::api
