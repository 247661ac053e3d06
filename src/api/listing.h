#pragma once
// The List operations' shared request fields and paging, SageMaker style: NextToken / MaxResults
// (1–100, default 10), NameContains, StatusEquals, CreationTime{After,Before},
// LastModifiedTime{After,Before}, SortBy, SortOrder. A NextToken is returned while more results
// remain; the CLI keeps paging while it gets one.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/store.h"
#include "api/validation.h"

namespace segmaker::api {

struct ListSpec {
  std::string kind;                    // the Store kind
  std::string summaries_key;           // "TrainingJobSummaries"
  std::vector<std::string> sort_keys;  // allowed SortBy values ("Name", "CreationTime", "Status")
  bool default_ascending = false;      // SortOrder when none is given
  std::vector<std::string> statuses;   // StatusEquals enum; empty = no StatusEquals filter
  std::function<nlohmann::json(const Resource&)> summary;
};

// A NextToken for the page of `kind` starting at `offset`, and back (ValidationException for a token
// this service did not issue for the same kind).
std::string make_token(const std::string& kind, std::size_t offset);
std::size_t read_token(const std::string& kind, const std::string& token);

// Answers a List request from the store. Throws ApiError (ValidationException) for bad fields or a
// NextToken this service did not issue for the same kind.
nlohmann::json list_resources(const Store& store, const nlohmann::json& request, const ListSpec& spec);

}  // namespace segmaker::api
