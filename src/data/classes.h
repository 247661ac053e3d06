#pragma once
// classes.json, the names of a data set's class ids: the one reader and writer. `segmaker prepare`
// writes it; training (and through the artifact the Predictor, evaluate, predict and serve) and
// visualize read names through here, and name a class without one by default_class_name.
//
// Accepted shapes (SageMaker itself needs no classes file):
//   segmaker's object form  {"label_mode": "trimap", "num_classes": 3, "ignore_label": 255,
//                            "classes": {"0": "background", "1": "pet", "2": "boundary"}}
//                           (label_mode, num_classes and ignore_label optional)
//   a plain array of names  ["background", "aeroplane", …]
//   no file                 class_0, class_1, …
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

// The name of a class id nothing names: "class_<id>".
std::string default_class_name(int id);
// names[id] where `names` has one, else default_class_name(id).
std::string class_name(const std::vector<std::string>& names, int id);
// `names` completed with default names up to `count` entries (never shortened).
std::vector<std::string> with_default_names(std::vector<std::string> names, int count);

// One of the accepted shapes above; anything else throws UserError showing them.
ClassList classes_from_json(const nlohmann::json& j);
// Segmaker's object form.
nlohmann::json to_json(const ClassList& c);
// Throws UserError naming the file (unreadable, not JSON, or not an accepted shape).
ClassList read_classes(const std::filesystem::path& file);
void write_classes(const std::filesystem::path& file, const ClassList& c);

// The classes of a prepared data folder: <root>/classes.json when present, else `num_classes`
// default names. With num_classes > 0 a file naming another number of classes is a UserError naming
// both; num_classes = 0 takes the file as it is (no file: no names).
ClassList classes_of_data(const std::filesystem::path& root, int num_classes);

}  // namespace segmaker::data
