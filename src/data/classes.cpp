// classes.json: reading its accepted shapes, writing segmaker's (data/classes.h).
#include "data/classes.h"

#include <nlohmann/json.hpp>

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::data {

namespace {

constexpr const char* kAcceptedShapes =
    "classes.json may be segmaker's object form {\"classes\": {\"0\": \"background\", \"1\": \"pet\"}} (optionally with "
    "\"num_classes\", \"label_mode\", \"ignore_label\"), a plain JSON array of names [\"background\", \"pet\"], or "
    "absent (the classes are then named class_0, class_1, …)";

[[noreturn]] void refuse(const std::string& problem) { throw UserError(problem + "; " + kAcceptedShapes); }

std::vector<std::string> names_of_array(const nlohmann::json& array) {
  if (array.empty()) refuse("the array of class names is empty");
  std::vector<std::string> names;
  for (const auto& name : array) {
    if (!name.is_string()) refuse("class names must be strings, found " + name.dump());
    names.push_back(name.get<std::string>());
  }
  return names;
}

std::vector<std::string> names_of_object(const nlohmann::json& classes) {
  if (!classes.is_object() || classes.empty())
    refuse("\"classes\" must be a non-empty object {\"id\": \"name\"}, found " + classes.dump());
  std::vector<std::string> names(classes.size());
  for (const auto& [key, value] : classes.items()) {
    std::size_t used = 0;
    int id = -1;
    try {
      id = std::stoi(key, &used);
    } catch (const std::exception&) {
    }
    if (id < 0 || used != key.size() || id >= static_cast<int>(classes.size()))
      refuse("class ids must be 0..N-1 without gaps, found \"" + key + "\"");
    if (!value.is_string()) refuse("class names must be strings, found " + value.dump());
    names[static_cast<std::size_t>(id)] = value.get<std::string>();
  }
  return names;
}

}  // namespace

std::string default_class_name(int id) { return "class_" + std::to_string(id); }

std::string class_name(const std::vector<std::string>& names, int id) {
  return id >= 0 && id < static_cast<int>(names.size()) ? names[static_cast<std::size_t>(id)] : default_class_name(id);
}

std::vector<std::string> with_default_names(std::vector<std::string> names, int count) {
  for (int id = static_cast<int>(names.size()); id < count; ++id) names.push_back(default_class_name(id));
  return names;
}

namespace {

// The integer field `name` of `j` (`fallback` when absent): a JSON integer within [lo, hi]. A float or
// an out-of-range number is refused (converting 3.9e38 to an integer type is undefined behaviour).
long long integer_field(const nlohmann::json& j, const char* name, long long lo, long long hi, long long fallback) {
  if (!j.contains(name)) return fallback;
  const auto& v = j.at(name);
  const bool in_range = v.is_number_unsigned() ? v.get<unsigned long long>() <= static_cast<unsigned long long>(hi)
                                               : v.is_number_integer() && v.get<long long>() >= lo && v.get<long long>() <= hi;
  if (!in_range || v.get<long long>() < lo)
    refuse("\"" + std::string(name) + "\" must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
           ", found " + v.dump());
  return v.get<long long>();
}

}  // namespace

ClassList classes_from_json(const nlohmann::json& j) {
  ClassList c;
  if (j.is_array()) {
    c.names = names_of_array(j);
    return c;
  }
  if (!j.is_object() || !j.contains("classes")) refuse("found " + std::string(j.is_object() ? "an object without \"classes\"" : j.type_name()));
  c.names = names_of_object(j.at("classes"));
  try {
    const long long named = static_cast<long long>(c.names.size());
    if (integer_field(j, "num_classes", 1, 1 << 20, named) != named)
      refuse("\"num_classes\" is " + j.at("num_classes").dump() + " but " + std::to_string(c.names.size()) + " classes are named");
    c.label_mode = j.value("label_mode", "");
    c.ignore_label = static_cast<int>(integer_field(j, "ignore_label", 0, 255, 255));
  } catch (const nlohmann::json::exception& e) {
    refuse(std::string("malformed field: ") + e.what());
  }
  return c;
}

nlohmann::json to_json(const ClassList& c) {
  nlohmann::json j;
  if (!c.label_mode.empty()) j["label_mode"] = c.label_mode;
  j["num_classes"] = c.names.size();
  j["ignore_label"] = c.ignore_label;
  for (std::size_t i = 0; i < c.names.size(); ++i) j["classes"][std::to_string(i)] = c.names[i];
  return j;
}

ClassList read_classes(const std::filesystem::path& file) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(io::read_file(file));
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers like 4e2000000000
    throw UserError("'" + file.string() + "' is not valid JSON (" + e.what() + "); " + kAcceptedShapes);
  }
  try {
    return classes_from_json(j);
  } catch (const UserError& e) {
    throw UserError("'" + file.string() + "': " + e.what());
  }
}

void write_classes(const std::filesystem::path& file, const ClassList& c) {
  io::write_file_atomic(file, to_json(c).dump(2) + "\n");
}

ClassList classes_of_data(const std::filesystem::path& root, int num_classes) {
  const std::filesystem::path file = root / "classes.json";
  if (!std::filesystem::exists(file)) {
    ClassList c;
    c.names = with_default_names({}, num_classes);
    return c;
  }
  ClassList c = read_classes(file);
  if (num_classes > 0 && static_cast<int>(c.names.size()) != num_classes)
    throw UserError("hyperparameter num_classes = " + std::to_string(num_classes) + " but '" + file.string() + "' names " +
                    std::to_string(c.names.size()) + " classes; make them agree");
  return c;
}

}  // namespace segmaker::data
