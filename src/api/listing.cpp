// The List operations' paging, filters and sorting (see listing.h).
#include "api/listing.h"

#include "api/api_error.h"

namespace segmaker::api {

using json = nlohmann::json;

// Tokens are "<kind>:<offset>": opaque to the clients, checked here.
std::string make_token(const std::string& kind, std::size_t offset) { return kind + ":" + std::to_string(offset); }

std::size_t read_token(const std::string& kind, const std::string& token) {
  const std::string prefix = kind + ":";
  if (token.rfind(prefix, 0) == 0 && token.size() > prefix.size() && token.size() < prefix.size() + 10 &&
      token.find_first_not_of("0123456789", prefix.size()) == std::string::npos)
    return static_cast<std::size_t>(std::stoull(token.substr(prefix.size())));
  throw validation_error("Invalid pagination token: '" + token.substr(0, 100) + "' was not returned by this List operation");
}

json list_resources(const Store& store, const json& request, const ListSpec& spec) {
  Validator v;
  ListQuery q;
  q.ascending = spec.default_ascending;
  const auto token = v.string(request, "NextToken", "nextToken", rules::kNextToken, false);
  const auto max_results = v.integer(request, "MaxResults", "maxResults", IntRule{1, 100}, false);
  q.limit = max_results ? static_cast<std::size_t>(*max_results) : 10;
  if (auto s = v.string(request, "NameContains", "nameContains", rules::kNameContains, false)) q.name_contains = *s;
  if (!spec.statuses.empty()) {
    if (auto s = v.string(request, "StatusEquals", "statusEquals", StringRule::one_of(spec.statuses), false))
      q.status_equals = *s;
  }
  q.created_after = v.timestamp(request, "CreationTimeAfter", "creationTimeAfter");
  q.created_before = v.timestamp(request, "CreationTimeBefore", "creationTimeBefore");
  q.modified_after = v.timestamp(request, "LastModifiedTimeAfter", "lastModifiedTimeAfter");
  q.modified_before = v.timestamp(request, "LastModifiedTimeBefore", "lastModifiedTimeBefore");
  if (auto s = v.string(request, "SortBy", "sortBy", StringRule::one_of(spec.sort_keys), false))
    q.sort_by = *s == "Name" ? SortBy::Name : *s == "Status" ? SortBy::Status : SortBy::CreationTime;
  if (auto s = v.string(request, "SortOrder", "sortOrder", rules::kSortOrder, false)) q.ascending = *s == "Ascending";
  v.throw_if_invalid();
  if (token) q.offset = read_token(spec.kind, *token);

  std::size_t total = 0;
  const auto page = store.list(spec.kind, q, &total);
  json answer = json::object();
  json summaries = json::array();
  for (const auto& r : page) summaries.push_back(spec.summary(r));
  answer[spec.summaries_key] = std::move(summaries);
  if (q.offset + page.size() < total) answer["NextToken"] = make_token(spec.kind, q.offset + page.size());
  return answer;
}

}  // namespace segmaker::api
