// The instance-type table (see instance_resources.h).
#include "api/instance_resources.h"

#include <set>

#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/instance_types.h"
#include "io/error.h"
#include "io/paths.h"

namespace segmaker::api {

using json = nlohmann::json;

InstanceResourceTable::InstanceResourceTable() {
  std::set<std::string> all;
  for (const auto* list : {&training_instance_types(), &production_variant_instance_types(), &transform_instance_types()})
    all.insert(list->begin(), list->end());
  for (const auto& type : all) types_[type].exclusive = true;
}

namespace {

long long integer_field(const json& entry, const char* field, long long max, const std::string& where) {
  if (!entry.contains(field)) return 0;
  const json& v = entry.at(field);
  if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > max)
    throw UserError(where + ": \"" + field + "\" must be a whole number from 0 to " + std::to_string(max) + ", got " +
                    v.dump().substr(0, 40));
  return v.get<long long>();
}

InstanceResources parse_entry(const json& entry, const std::string& where) {
  if (!entry.is_object()) throw UserError(where + " must be an object like {\"cpus\": 4, \"memory_mib\": 8000}");
  static const std::set<std::string> fields{"partition", "cpus", "memory_mib", "gpus", "exclusive"};
  for (const auto& [key, value] : entry.items())
    if (!fields.count(key))
      throw UserError(where + ": unknown field \"" + key + "\" (known: partition, cpus, memory_mib, gpus, exclusive)");
  InstanceResources r;
  if (entry.contains("partition")) {
    const json& p = entry.at("partition");
    if (!p.is_string() || p.get<std::string>().empty() ||
        p.get<std::string>().find_first_of(" \t\n,'\"\\$`") != std::string::npos)
      throw UserError(where + ": \"partition\" must be a Slurm partition name");
    r.partition = p.get<std::string>();
  }
  r.cpus = static_cast<int>(integer_field(entry, "cpus", 4096, where));
  r.memory_mib = integer_field(entry, "memory_mib", 1ll << 30, where);
  r.gpus = static_cast<int>(integer_field(entry, "gpus", 64, where));
  if (entry.contains("exclusive")) {
    if (!entry.at("exclusive").is_boolean()) throw UserError(where + ": \"exclusive\" must be true or false");
    r.exclusive = entry.at("exclusive").get<bool>();
  }
  return r;
}

}  // namespace

InstanceResourceTable InstanceResourceTable::parse(const std::string& text, const std::string& source) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.empty())
    throw UserError(source + " must be a JSON object from instance type to resources, e.g. "
                             "{\"ml.c5.xlarge\": {\"cpus\": 4, \"memory_mib\": 8000}}");
  InstanceResourceTable table;
  table.types_.clear();
  for (const auto& [type, entry] : doc.items()) {
    if (type.rfind("ml.", 0) != 0 || type.size() > 64)
      throw UserError(source + ": \"" + type.substr(0, 64) + "\" is not a SageMaker instance type (ml.<family>.<size>)");
    table.types_[type] = parse_entry(entry, source + " \"" + type + "\"");
  }
  return table;
}

InstanceResourceTable InstanceResourceTable::load(const std::filesystem::path& file) {
  if (!std::filesystem::is_regular_file(file)) throw UserError("instance type mapping file '" + file.string() + "' does not exist");
  return parse(io::read_file(file), "instance type mapping file '" + file.string() + "'");
}

const InstanceResources& InstanceResourceTable::resolve(const std::string& type) const {
  const auto it = types_.find(type);
  if (it != types_.end()) return it->second;
  std::string names;
  for (const auto& k : known()) names += (names.empty() ? "" : ", ") + k;
  throw validation_error("Instance type '" + type + "' is not available on this cluster; the known instance types are: " +
                         names + " (segmaker api --instance-types)");
}

std::vector<std::string> InstanceResourceTable::known() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : types_) out.push_back(k);
  return out;
}

}  // namespace segmaker::api
