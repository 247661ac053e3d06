#pragma once
// SageMaker's instance type enums (ResourceConfig.InstanceType, ProductionVariant.InstanceType,
// TransformResources.InstanceType), for validation with SageMaker's wording.
#include <string>
#include <vector>

namespace segmaker::api {

const std::vector<std::string>& training_instance_types();
const std::vector<std::string>& production_variant_instance_types();
const std::vector<std::string>& transform_instance_types();

}  // namespace segmaker::api
