#pragma once
// AWS's query protocol (awsQuery), which Debian's AWS CLI v2 and boto3 1.26 speak to CloudWatch and every
// client speaks to STS: POST / with a form-encoded body (Action, Version, and the parameters flattened:
// `Dimensions.member.1.Name=…`, `Statistics.member.1=Average`), answered in XML. Pure functions, fuzzed
// on their own: the form becomes the JSON request the operation's handler reads (lists from `member.N`,
// every value a string), and the handler's JSON answer becomes the XML the clients parse (lists as
// <member> elements, timestamps as ISO 8601).
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "api/api_error.h"

namespace segmaker::api {

struct QueryRequest {
  std::string action;   // "GetMetricStatistics"
  std::string version;  // "2010-08-01" (CloudWatch), "2011-06-15" (STS)
  nlohmann::json request = nlohmann::json::object();
};

// The request of `params` (the decoded form). Throws ApiError (MissingAction, InvalidParameterValue) on a
// form without an Action or with a malformed parameter name.
QueryRequest query_request(const std::multimap<std::string, std::string>& params);

// The XML namespace of a query API version ("" when unknown).
std::string query_namespace(const std::string& version);

// <ActionResponse xmlns=…><ActionResult>…</ActionResult><ResponseMetadata><RequestId>…</…></…>
std::string query_answer_xml(const std::string& action, const std::string& xml_namespace, const nlohmann::json& answer,
                             const std::string& request_id);
// <ErrorResponse xmlns=…><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</…>
std::string query_error_xml(const ApiError& error, const std::string& xml_namespace, const std::string& request_id);

}  // namespace segmaker::api
