#include "data/classes.h"

#include <nlohmann/json.hpp>

#include "io/error.h"
#include "io/paths.h"

namespace segmaker::data {

ClassList classes_from_json(const nlohmann::json& j) {
  try {
    ClassList c;
    const auto& classes = j.at("classes");
    if (!classes.is_object() || classes.empty()) throw UserError("\"classes\" must be a non-empty object {\"id\": \"name\"}");
    c.names.resize(classes.size());
    for (const auto& [key, value] : classes.items()) {
      std::size_t used = 0;
      int id = -1;
      try {
        id = std::stoi(key, &used);
      } catch (const std::exception&) {
      }
      if (id < 0 || used != key.size() || id >= static_cast<int>(classes.size()))
        throw UserError("class ids must be 0..N-1 without gaps, got \"" + key + "\"");
      c.names[static_cast<std::size_t>(id)] = value.get<std::string>();
    }
    if (j.contains("num_classes") && j["num_classes"].get<std::size_t>() != c.names.size())
      throw UserError("num_classes disagrees with the number of class names");
    c.label_mode = j.value("label_mode", "");
    c.ignore_label = j.value("ignore_label", 255);
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw UserError(std::string("malformed classes.json: ") + e.what());
  }
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
  try {
    return classes_from_json(nlohmann::json::parse(io::read_file(file)));
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for numbers like 4e2000000000
    throw UserError(file.string() + " is not valid JSON: " + e.what());
  } catch (const UserError& e) {
    throw UserError(file.string() + ": " + e.what());
  }
}

ClassList read_classes_or_default(const std::filesystem::path& root, int fallback_count) {
  if (std::filesystem::exists(root / "classes.json")) return read_classes(root / "classes.json");
  ClassList c;
  for (int i = 0; i < fallback_count; ++i) c.names.push_back("class " + std::to_string(i));
  return c;
}

}  // namespace segmaker::data
