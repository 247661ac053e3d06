#pragma once
// Where every resource of the API lives: one SQLite database (<root>/segmaker-api.db) holding each
// training job, model, endpoint config, endpoint and transform job as its Describe document plus
// the columns the List operations filter and sort on. Every change is one transaction, so a service
// killed at any moment restarts with what it had acknowledged. Thread-safe. Names are unique per
// kind, case-insensitively (as SageMaker's ARNs are lower case).
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/sqlite.h"


namespace segmaker::api {

struct Resource {
  std::string kind;  // "TrainingJob", "Model", "EndpointConfig", "Endpoint", "TransformJob"
  std::string name;
  std::string arn;
  std::string status;  // TrainingJobStatus, EndpointStatus, … ("" for models and configs)
  double creation_time = 0;
  double last_modified_time = 0;
  nlohmann::json document = nlohmann::json::object();  // the Describe answer
};

enum class SortBy { Name, CreationTime, Status };

struct ListQuery {
  std::string name_contains;  // case-insensitive
  std::string status_equals;
  std::optional<double> created_after, created_before, modified_after, modified_before;
  SortBy sort_by = SortBy::CreationTime;
  bool ascending = false;
  std::size_t offset = 0;
  std::size_t limit = 100;
};

class Store {
 public:
  // Opens (creating when missing) the database. Throws UserError when it cannot.
  explicit Store(const std::filesystem::path& database);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Adds a resource; false when one of that kind and name exists.
  bool insert(const Resource& resource);
  std::optional<Resource> get(const std::string& kind, const std::string& name) const;
  // Reads, changes and writes back in one transaction; nothing when it does not exist.
  std::optional<Resource> update(const std::string& kind, const std::string& name,
                                 const std::function<void(Resource&)>& change);
  // Deletes; false when it did not exist.
  bool remove(const std::string& kind, const std::string& name);
  // One page matching `query`, and how many match in all.
  std::vector<Resource> list(const std::string& kind, const ListQuery& query, std::size_t* total = nullptr) const;
  // Every resource of a kind with one of `statuses` (all when empty), oldest first.
  std::vector<Resource> with_status(const std::string& kind, const std::vector<std::string>& statuses = {}) const;

 private:
  Database db_;
  mutable std::mutex mutex_;
};

}  // namespace segmaker::api
