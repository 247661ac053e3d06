#pragma once
// What a SageMaker instance type (ResourceConfig.InstanceType, ProductionVariant.InstanceType,
// TransformResources.InstanceType) asks of a cluster: one table, read from the operator's mapping
// file (`segmaker api --instance-types FILE`), for the schedulers that place instances on machines.
//
// The file is a JSON object: instance type -> {"partition": "gpu", "cpus": 8, "memory_mib": 61000,
// "gpus": 1, "exclusive": false}; every field is optional. Without a file every SageMaker instance type
// is known and asks for a whole node (`exclusive`: one instance = one machine, SageMaker's promise),
// in the service's default partition. With a file, the types it lists are the known ones.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace segmaker::api {

struct InstanceResources {
  std::string partition;  // "" = the scheduler's default (segmaker api --slurm-partition, else Slurm's)
  int cpus = 0;           // per instance (Slurm --cpus-per-task); 0 = not asked
  long long memory_mib = 0;  // per instance (Slurm --mem); 0 = not asked
  int gpus = 0;           // per instance (Slurm --gres=gpu:N)
  bool exclusive = false; // the whole node (Slurm --exclusive)
};

class InstanceResourceTable {
 public:
  // Every SageMaker instance type, each a whole node.
  InstanceResourceTable();
  // The mapping file's text (`source` names it in errors). Throws UserError naming the entry and field.
  static InstanceResourceTable parse(const std::string& text, const std::string& source);
  static InstanceResourceTable load(const std::filesystem::path& file);

  // The resources of `type`; ApiError ValidationException naming the known types when it is unknown.
  const InstanceResources& resolve(const std::string& type) const;
  std::vector<std::string> known() const;

 private:
  std::map<std::string, InstanceResources> types_;
};

}  // namespace segmaker::api
