// The operation table (see operations.h).
#include "api/operations.h"

namespace segmaker::api {

const OperationTable& operations() {
  static const OperationTable table = [] {
    OperationTable t;
    add_training_operations(t);
    add_model_operations(t);
    add_endpoint_operations(t);
    add_transform_operations(t);
    add_tuning_operations(t);
    return t;
  }();
  return table;
}

namespace {
OperationTable table_of(void (*add)(OperationTable&)) {
  OperationTable t;
  add(t);
  return t;
}
}  // namespace

const OperationTable& log_operations() {
  static const OperationTable table = table_of(add_log_operations);
  return table;
}

const OperationTable& metric_operations() {
  static const OperationTable table = table_of(add_metric_operations);
  return table;
}

const OperationTable& sts_operations() {
  static const OperationTable table = table_of(add_sts_operations);
  return table;
}

nlohmann::json public_document(const nlohmann::json& document) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : document.items())
    if (key.empty() || key[0] != '_') out[key] = value;
  return out;
}

}  // namespace segmaker::api
