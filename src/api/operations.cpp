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
    return t;
  }();
  return table;
}

nlohmann::json public_document(const nlohmann::json& document) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : document.items())
    if (key.empty() || key[0] != '_') out[key] = value;
  return out;
}

}  // namespace segmaker::api
