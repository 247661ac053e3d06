// Request validation with SageMaker's wording (see validation.h).
#include "api/validation.h"

#include <algorithm>

#include "api/api_error.h"

namespace segmaker::api {

using json = nlohmann::json;

StringRule StringRule::length(std::size_t min_length, std::size_t max_length) {
  StringRule r;
  r.min_length = min_length;
  r.max_length = max_length;
  return r;
}

StringRule StringRule::matching(std::size_t min_length, std::size_t max_length, std::string pattern) {
  StringRule r = length(min_length, max_length);
  r.regex = std::make_shared<const std::regex>(pattern);
  r.pattern = std::move(pattern);
  return r;
}

StringRule StringRule::one_of(std::vector<std::string> values) {
  StringRule r;
  r.values = std::move(values);
  return r;
}

namespace rules {
const StringRule kResourceName = StringRule::matching(1, 63, "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
const StringRule kModelName = StringRule::matching(1, 63, "^[a-zA-Z0-9](-*[a-zA-Z0-9])*");
const StringRule kRoleArn = StringRule::matching(20, 2048, "^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$");
const StringRule kNameContains = StringRule::matching(0, 63, "[a-zA-Z0-9\\-]+");
const StringRule kChannelName = StringRule::matching(1, 64, "[A-Za-z0-9\\.\\-_]+");
const StringRule kNextToken = StringRule::length(0, 8192);
const StringRule kSortOrder = StringRule::one_of({"Ascending", "Descending"});
}  // namespace rules

namespace {

std::string join(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
  return out + "]";
}

std::string type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::object: return "a structure";
    case json::value_t::array: return "a list";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    default: return value.is_number() ? "a number" : "null";
  }
}

}  // namespace

std::string quote_value(const std::string& value) {
  constexpr std::size_t kShown = 200;
  return "'" + (value.size() > kShown ? value.substr(0, kShown) + "…" : value) + "'";
}

std::string member_path(const std::string& list_path, std::size_t index) {
  return list_path + "." + std::to_string(index + 1) + ".member";
}

void Validator::fail(const std::string& value_repr, const std::string& path, const std::string& constraint) {
  violations_.push_back("Value " + value_repr + " at '" + path + "' failed to satisfy constraint: " + constraint);
}

const json* Validator::field(const json& object, const std::string& key, const std::string& path, bool required) {
  const auto it = object.is_object() ? object.find(key) : object.end();
  if (!object.is_object() || it == object.end() || it->is_null()) {
    if (required) fail("null", path, "Member must not be null");
    return nullptr;
  }
  return &*it;
}

bool Validator::check(const std::string& value, const std::string& path, const StringRule& rule) {
  if (value.size() < rule.min_length) {
    fail(quote_value(value), path, "Member must have length greater than or equal to " + std::to_string(rule.min_length));
    return false;
  }
  if (rule.max_length && value.size() > rule.max_length) {
    fail(quote_value(value), path, "Member must have length less than or equal to " + std::to_string(rule.max_length));
    return false;
  }
  if (!rule.values.empty() && std::find(rule.values.begin(), rule.values.end(), value) == rule.values.end()) {
    fail(quote_value(value), path, "Member must satisfy enum value set: " + join(rule.values));
    return false;
  }
  if (rule.regex && !std::regex_match(value, *rule.regex)) {
    fail(quote_value(value), path, "Member must satisfy regular expression pattern: " + rule.pattern);
    return false;
  }
  return true;
}

std::optional<std::string> Validator::string(const json& object, const std::string& key, const std::string& path,
                                             const StringRule& rule, bool required) {
  const json* v = field(object, key, path, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    fail(v->dump(), path, "Member must be a string, got " + type_name(*v));
    return std::nullopt;
  }
  const std::string s = v->get<std::string>();
  if (!check(s, path, rule)) return std::nullopt;
  return s;
}

std::optional<std::int64_t> Validator::integer(const json& object, const std::string& key, const std::string& path,
                                               const IntRule& rule, bool required) {
  const json* v = field(object, key, path, required);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    fail(v->is_string() ? quote_value(v->get<std::string>()) : v->dump(), path,
         "Member must be an integer, got " + type_name(*v));
    return std::nullopt;
  }
  const std::int64_t n = v->is_number_unsigned() && v->get<std::uint64_t>() > INT64_MAX ? INT64_MAX : v->get<std::int64_t>();
  if (rule.min && n < *rule.min) {
    fail("'" + std::to_string(n) + "'", path, "Member must have value greater than or equal to " + std::to_string(*rule.min));
    return std::nullopt;
  }
  if (rule.max && n > *rule.max) {
    fail("'" + std::to_string(n) + "'", path, "Member must have value less than or equal to " + std::to_string(*rule.max));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> Validator::boolean(const json& object, const std::string& key, const std::string& path, bool required) {
  const json* v = field(object, key, path, required);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    fail(v->dump(), path, "Member must be a boolean, got " + type_name(*v));
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<double> Validator::timestamp(const json& object, const std::string& key, const std::string& path) {
  const json* v = field(object, key, path, false);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    fail(v->dump(), path, "Member must be a timestamp in epoch seconds, got " + type_name(*v));
    return std::nullopt;
  }
  return v->get<double>();
}

const json* Validator::object(const json& object, const std::string& key, const std::string& path, bool required) {
  const json* v = field(object, key, path, required);
  if (!v) return nullptr;
  if (!v->is_object()) {
    fail(v->dump().substr(0, 200), path, "Member must be a structure, got " + type_name(*v));
    return nullptr;
  }
  return v;
}

const json* Validator::array(const json& object, const std::string& key, const std::string& path, bool required,
                             std::size_t min_items, std::size_t max_items) {
  const json* v = field(object, key, path, required);
  if (!v) return nullptr;
  if (!v->is_array()) {
    fail(v->dump().substr(0, 200), path, "Member must be a list, got " + type_name(*v));
    return nullptr;
  }
  if (v->size() < min_items) {
    fail("'" + v->dump().substr(0, 200) + "'", path, "Member must have length greater than or equal to " + std::to_string(min_items));
    return nullptr;
  }
  if (max_items && v->size() > max_items) {
    fail("'[…]'", path, "Member must have length less than or equal to " + std::to_string(max_items));
    return nullptr;
  }
  return v;
}

void Validator::throw_if_invalid() const {
  if (violations_.empty()) return;
  std::string message = std::to_string(violations_.size()) + " validation error" + (violations_.size() > 1 ? "s" : "") +
                        " detected: ";
  for (std::size_t i = 0; i < violations_.size(); ++i) message += (i ? "; " : "") + violations_[i];
  throw validation_error(message);
}

}  // namespace segmaker::api
