// SageMaker's AugmentedManifestFile (see augmented_manifest.h).
#include "sagemaker/augmented_manifest.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/error.h"

namespace segmaker::sagemaker {

using json = nlohmann::json;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_object_uri(const std::string& s) { return s.rfind("s3://", 0) == 0 || s.rfind("file://", 0) == 0; }

std::string line_name(std::size_t line) { return "line " + std::to_string(line); }

// "#2CA02C" → "#2ca02c"; empty when it is not "#" and six hex digits.
std::string normal_hex(const std::string& s) {
  if (s.size() != 7 || s[0] != '#') return "";
  std::string out = "#";
  for (std::size_t i = 1; i < 7; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return "";
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  }
  return out;
}

// Ground Truth's internal-color-map: {"<class id>": {"class-name": …, "hex-color": "#rrggbb"}, …}.
std::map<int, std::string> read_color_map(const json& map, std::size_t line) {
  const std::string where = line_name(line) + ": internal-color-map";
  if (!map.is_object() || map.empty()) throw UserError(where + " must be an object {\"<class id>\": {\"hex-color\": \"#rrggbb\"}}");
  std::map<int, std::string> colors;
  std::map<std::string, int> class_of;
  for (const auto& [key, entry] : map.items()) {
    if (key.empty() || key.size() > 3 || !std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoi(key) > 254)
      throw UserError(where + ": class id \"" + key.substr(0, 40) + "\" must be a decimal integer in 0..254");
    const std::string hex = entry.is_object() && entry.contains("hex-color") && entry["hex-color"].is_string()
                                ? normal_hex(entry["hex-color"].get<std::string>())
                                : "";
    if (hex.empty()) throw UserError(where + ": class " + key + " needs \"hex-color\": \"#rrggbb\"");
    const int id = std::stoi(key);
    if (auto [it, fresh] = class_of.emplace(hex, id); !fresh)
      throw UserError(where + ": classes " + std::to_string(it->second) + " and " + key + " share the colour " + hex);
    colors[id] = hex;
  }
  return colors;
}

// "source-ref" and the one other "-ref" attribute of the first non-empty line.
std::vector<std::string> default_attribute_names(const std::string& text) {
  std::istringstream in(text);
  std::string raw;
  while (std::getline(in, raw) && std::all_of(raw.begin(), raw.end(), [](unsigned char c) { return std::isspace(c); })) {
  }
  const json first = json::parse(raw, nullptr, false);
  std::vector<std::string> names{"source-ref"};
  if (first.is_object())
    for (const auto& [key, value] : first.items())
      if (key != "source-ref" && ends_with(key, "-ref")) names.push_back(key);
  if (names.size() != 2 || !first.is_object() || !first.contains("source-ref"))
    throw UserError("cannot tell the image and annotation attributes from the manifest's first line (Ground Truth writes "
                    "\"source-ref\" and one \"<labels>-ref\"): name them, e.g. source-ref,my-labels-ref");
  return names;
}

}  // namespace

std::string augmented_manifest_line(const std::string& image_uri, const std::string& annotation_uri,
                                    const std::string& label_attribute, const json& metadata) {
  json line = json::object();
  line["source-ref"] = image_uri;
  line[label_attribute] = annotation_uri;
  line[label_attribute + "-metadata"] = metadata;
  return line.dump();
}

AugmentedManifest parse_augmented_manifest(const std::string& text, std::vector<std::string> names) {
  if (names.empty()) names = default_attribute_names(text);
  if (names.size() != 2 || !ends_with(names[0], "-ref") || !ends_with(names[1], "-ref") || names[0] == names[1])
    throw UserError("AttributeNames must name two S3 reference attributes, the image's then the annotation's, e.g. "
                    "[\"source-ref\", \"my-labels-ref\"]");
  AugmentedManifest m;
  const std::string metadata = names[1] + "-metadata";
  std::size_t seen[2] = {0, 0};
  std::size_t color_line = 0;
  std::istringstream in(text);
  std::string raw;
  for (std::size_t number = 1; std::getline(in, raw); ++number) {
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (std::all_of(raw.begin(), raw.end(), [](unsigned char c) { return std::isspace(c); })) continue;
    ++m.lines;
    const json line = json::parse(raw, nullptr, false);
    if (line.is_discarded() || !line.is_object())
      throw UserError(line_name(number) + " is not a JSON object (an augmented manifest holds one object per line): " +
                      raw.substr(0, 80));
    AugmentedManifestRecord record{number, "", ""};
    std::string problem;
    for (int a = 0; a < 2; ++a) {
      if (!line.contains(names[a])) {
        if (problem.empty()) problem = "has no attribute '" + names[a] + "'";
        continue;
      }
      ++seen[a];
      const json& value = line[names[a]];
      if (!value.is_string() || !is_object_uri(value.get<std::string>())) {
        if (problem.empty()) problem = "'" + names[a] + "' is not an s3:// URI: " + value.dump().substr(0, 80);
        continue;
      }
      (a == 0 ? record.image_uri : record.annotation_uri) = value.get<std::string>();
    }
    if (problem.empty() && line.contains(metadata) && line[metadata].is_object() && line[metadata].contains("internal-color-map")) {
      auto colors = read_color_map(line[metadata]["internal-color-map"], number);
      if (color_line == 0) {
        m.colors = std::move(colors);
        color_line = number;
      } else if (colors != m.colors) {
        problem = "its internal-color-map differs from " + line_name(color_line) + "'s";
      }
    }
    if (!problem.empty()) {
      m.skipped.push_back({number, problem});
      continue;
    }
    m.records.push_back(std::move(record));
  }
  for (int a = 0; a < 2; ++a)
    if (m.lines > 0 && seen[a] == 0)
      throw UserError("no line of the manifest has the attribute '" + names[a] + "' named in AttributeNames");
  if (m.records.empty())
    throw UserError(m.lines == 0 ? std::string("the augmented manifest is empty")
                                 : "no line of the augmented manifest is usable (" + std::to_string(m.skipped.size()) +
                                       " skipped; first: " + line_name(m.skipped.front().line) + " " + m.skipped.front().reason + ")");
  return m;
}

}  // namespace segmaker::sagemaker
