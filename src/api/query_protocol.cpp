// awsQuery requests and answers (see query_protocol.h).
#include "api/query_protocol.h"

#include <cctype>
#include <cmath>
#include <ctime>
#include <sstream>

#include <pugixml.hpp>

namespace segmaker::api {

namespace {

using json = nlohmann::json;

ApiError invalid(const std::string& message) { return ApiError(400, "InvalidParameterValue", message); }

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos && s[0] != '0';
}

// A member name as AWS's models spell them (a letter, then letters, digits and '_'): what becomes a
// JSON member here may become an XML element name in an answer.
bool member_name(const std::string& s) {
  if (s.empty() || s.size() > 128 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (const char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::vector<std::string> split(const std::string& name) {
  std::vector<std::string> parts;
  std::stringstream in(name);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  return parts;
}

// Places `value` at the path of `parts` (from index i) under `node`: "member", N → the N-th list item.
void place(json& node, const std::vector<std::string>& parts, std::size_t i, const std::string& value, const std::string& name) {
  if (i == parts.size()) {
    if (!node.is_null()) throw invalid("The parameter " + name + " is given twice or inside another parameter.");
    node = value;
    return;
  }
  const std::string& part = parts[i];
  if (part != "member" && !member_name(part)) throw invalid("The parameter name " + name.substr(0, 256) + " is malformed.");
  if (part == "member") {
    if (i + 1 >= parts.size() || !all_digits(parts[i + 1])) throw invalid("The parameter name " + name + " is malformed.");
    if (node.is_null()) node = json::array();
    if (!node.is_array()) throw invalid("The parameter " + name + " mixes a list and a value.");
    const std::size_t index = std::stoul(parts[i + 1]) - 1;
    if (index > 1000) throw invalid("The parameter " + name + " has a list index over 1000.");
    while (node.size() <= index) node.push_back(nullptr);
    place(node[index], parts, i + 2, value, name);
    return;
  }
  if (node.is_null()) node = json::object();
  if (!node.is_object()) throw invalid("The parameter " + name + " mixes a structure and a value.");
  place(node[part], parts, i + 1, value, name);
}

void drop_holes(json& node) {
  if (node.is_array()) {
    json kept = json::array();
    for (auto& item : node)
      if (!item.is_null()) {
        drop_holes(item);
        kept.push_back(std::move(item));
      }
    node = std::move(kept);
  } else if (node.is_object()) {
    for (auto& [key, item] : node.items()) drop_holes(item);
  }
}

std::string iso8601(double seconds) {
  const std::time_t t = static_cast<std::time_t>(std::floor(seconds));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const int millis = static_cast<int>(std::llround((seconds - std::floor(seconds)) * 1000)) % 1000;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

std::string scalar_text(const json& v, bool time) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (time && v.is_number()) return iso8601(v.get<double>());
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    std::ostringstream out;
    out.precision(17);
    out << v.get<double>();
    return out.str();
  }
  return "";
}

// Members named Timestamp / Timestamps (and *Time) hold times: ISO 8601 in XML.
bool is_time(const std::string& key) {
  return key == "Timestamp" || key == "Timestamps" || (key.size() > 4 && key.compare(key.size() - 4, 4, "Time") == 0);
}

void append(pugi::xml_node parent, const std::string& name, const json& value, bool time) {
  pugi::xml_node node = parent.append_child(name.c_str());
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) append(node, key, item, is_time(key));
  } else if (value.is_array()) {
    for (const auto& item : value) append(node, "member", item, time);
  } else {
    node.text().set(scalar_text(value, time).c_str());
  }
}

std::string to_string(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

}  // namespace

QueryRequest query_request(const std::multimap<std::string, std::string>& params) {
  QueryRequest q;
  json tree = json::object();
  for (const auto& [name, value] : params) {
    if (name == "Action") {
      q.action = value;
    } else if (name == "Version") {
      q.version = value;
    } else {
      if (name.size() > 256) throw invalid("A parameter name is longer than 256 characters.");
      place(tree, split(name), 0, value, name);
    }
  }
  if (q.action.empty()) throw ApiError(400, "MissingAction", "The request must contain the parameter Action.");
  if (q.action.size() > 64 || q.action.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != std::string::npos)
    throw ApiError(400, "InvalidAction", "The action " + q.action.substr(0, 64) + " is not valid for this web service.");
  drop_holes(tree);
  q.request = std::move(tree);
  return q;
}

std::string query_namespace(const std::string& version) {
  if (version == "2010-08-01") return "http://monitoring.amazonaws.com/doc/2010-08-01/";
  if (version == "2011-06-15") return "https://sts.amazonaws.com/doc/2011-06-15/";
  return "";
}

std::string query_answer_xml(const std::string& action, const std::string& xml_namespace, const json& answer,
                             const std::string& request_id) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child((action + "Response").c_str());
  root.append_attribute("xmlns").set_value(xml_namespace.c_str());
  pugi::xml_node result = root.append_child((action + "Result").c_str());
  for (const auto& [key, value] : answer.items()) append(result, key, value, is_time(key));
  root.append_child("ResponseMetadata").append_child("RequestId").text().set(request_id.c_str());
  return to_string(doc);
}

std::string query_error_xml(const ApiError& error, const std::string& xml_namespace, const std::string& request_id) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("ErrorResponse");
  if (!xml_namespace.empty()) root.append_attribute("xmlns").set_value(xml_namespace.c_str());
  pugi::xml_node e = root.append_child("Error");
  e.append_child("Type").text().set(error.status() >= 500 ? "Receiver" : "Sender");
  e.append_child("Code").text().set(error.type().c_str());
  e.append_child("Message").text().set(error.what());
  root.append_child("RequestId").text().set(request_id.c_str());
  return to_string(doc);
}

}  // namespace segmaker::api
