#pragma once
// classes.json, written by `segmaker prepare` and reused by training and serving:
//   {"label_mode": "trimap", "num_classes": 3, "ignore_label": 255,
//    "classes": {"0": "background", "1": "pet", "2": "boundary"}}
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace segmaker::data {

struct ClassList {
  std::vector<std::string> names;  // index = class id
  std::string label_mode;          // may be empty for data not made by prepare
  int ignore_label = 255;
};

ClassList classes_from_json(const nlohmann::json& j);  // throws UserError
nlohmann::json to_json(const ClassList& c);
ClassList read_classes(const std::filesystem::path& file);
// <root>/classes.json when present, else `fallback_count` names "class 0", "class 1", ….
ClassList read_classes_or_default(const std::filesystem::path& root, int fallback_count);

}  // namespace segmaker::data
