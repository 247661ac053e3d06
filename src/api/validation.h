#pragma once
// Request validation with SageMaker's wording. botocore checks only required fields, types and
// minimum values on the client; patterns, maximum lengths and enums are the server's job. Violations
// are collected and reported together, as AWS does:
//   1 validation error detected: Value 'x y' at 'trainingJobName' failed to satisfy constraint:
//   Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
// Paths are AWS's member paths: lower camel case, list items as 'inputDataConfig.1.member.channelName'.
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace segmaker::api {

struct StringRule {
  std::size_t min_length = 0;
  std::size_t max_length = 0;  // 0 = no limit
  std::string pattern;         // whole-string match (ECMAScript syntax), "" = any
  std::shared_ptr<const std::regex> regex;  // compiled `pattern`
  std::vector<std::string> values;          // an enum, empty = any

  // Rules are built once (static const) and shared by every request.
  static StringRule length(std::size_t min_length, std::size_t max_length);
  static StringRule matching(std::size_t min_length, std::size_t max_length, std::string pattern);
  static StringRule one_of(std::vector<std::string> values);
};

struct IntRule {
  std::optional<std::int64_t> min, max;
};

// Name patterns and enums shared by several operations (from SageMaker's service model).
namespace rules {
extern const StringRule kResourceName;   // TrainingJobName, EndpointName, …: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}
extern const StringRule kModelName;      // ^[a-zA-Z0-9](-*[a-zA-Z0-9])*, max 63
extern const StringRule kRoleArn;
extern const StringRule kNameContains;
extern const StringRule kChannelName;
extern const StringRule kNextToken;
extern const StringRule kSortOrder;
}  // namespace rules

class Validator {
 public:
  // The member `key` of `object` (nullptr when absent or null; then "Member must not be null" if required).
  const nlohmann::json* field(const nlohmann::json& object, const std::string& key, const std::string& path,
                              bool required);
  // A string member checked against `rule`; nullopt when absent or invalid (the violation is recorded).
  std::optional<std::string> string(const nlohmann::json& object, const std::string& key, const std::string& path,
                                    const StringRule& rule, bool required);
  std::optional<std::int64_t> integer(const nlohmann::json& object, const std::string& key, const std::string& path,
                                      const IntRule& rule, bool required);
  std::optional<bool> boolean(const nlohmann::json& object, const std::string& key, const std::string& path,
                              bool required);
  // A timestamp member (epoch seconds, integer or fraction, as botocore sends them).
  std::optional<double> timestamp(const nlohmann::json& object, const std::string& key, const std::string& path);
  // An object member (structure or map); nullptr when absent or not an object.
  const nlohmann::json* object(const nlohmann::json& object, const std::string& key, const std::string& path,
                               bool required);
  // An array member; nullptr when absent or not an array. Checks its length.
  const nlohmann::json* array(const nlohmann::json& object, const std::string& key, const std::string& path,
                              bool required, std::size_t min_items = 0, std::size_t max_items = 0);

  // Checks a string value already read (e.g. a map value).
  bool check(const std::string& value, const std::string& path, const StringRule& rule);
  // Records a violation: "Value <value> at '<path>' failed to satisfy constraint: <constraint>".
  void fail(const std::string& value_repr, const std::string& path, const std::string& constraint);

  bool ok() const { return violations_.empty(); }
  // Throws ValidationException with every violation (AWS reports them together), when there is one.
  void throw_if_invalid() const;

 private:
  std::vector<std::string> violations_;
};

// 'value' quoted as AWS quotes it in messages (long values shortened).
std::string quote_value(const std::string& value);
// "inputDataConfig.2.member" for the item at zero-based `index`.
std::string member_path(const std::string& list_path, std::size_t index);

}  // namespace segmaker::api
