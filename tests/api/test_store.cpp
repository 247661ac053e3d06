// The SQLite store: unique names (case-insensitive), atomic updates, List filters / sorting /
// paging, and persistence across a reopen (what a service restart sees).
#include <gtest/gtest.h>

#include "api/store.h"
#include "support/test_util.h"

namespace segmaker::api {
namespace {

using json = nlohmann::json;

Resource job(const std::string& name, double created, const std::string& status) {
  Resource r;
  r.kind = "TrainingJob";
  r.name = name;
  r.arn = "arn:" + name;
  r.status = status;
  r.creation_time = r.last_modified_time = created;
  r.document = {{"TrainingJobName", name}, {"TrainingJobStatus", status}};
  return r;
}

std::vector<std::string> names(const std::vector<Resource>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(r.name);
  return out;
}

TEST(Store, NamesAreUniquePerKindCaseInsensitively) {
  test::TempDir dir;
  Store store(dir / "db");
  EXPECT_TRUE(store.insert(job("Pets-1", 1, "InProgress")));
  EXPECT_FALSE(store.insert(job("pets-1", 2, "InProgress")));
  Resource model = job("pets-1", 3, "");
  model.kind = "Model";
  EXPECT_TRUE(store.insert(model));
  ASSERT_TRUE(store.get("TrainingJob", "PETS-1"));
  EXPECT_EQ(store.get("TrainingJob", "PETS-1")->name, "Pets-1");
  EXPECT_TRUE(store.remove("Model", "pets-1"));
  EXPECT_FALSE(store.remove("Model", "pets-1"));
  EXPECT_FALSE(store.get("Model", "pets-1"));
}

TEST(Store, UpdatesAreAtomicAndSurviveAReopen) {
  test::TempDir dir;
  {
    Store store(dir / "db");
    store.insert(job("a", 1, "InProgress"));
    auto updated = store.update("TrainingJob", "a", [](Resource& r) {
      r.status = "Completed";
      r.last_modified_time = 5;
      r.document["TrainingJobStatus"] = "Completed";
    });
    ASSERT_TRUE(updated);
    EXPECT_FALSE(store.update("TrainingJob", "missing", [](Resource&) { FAIL() << "called for a missing resource"; }));
    EXPECT_THROW(store.update("TrainingJob", "a", [](Resource& r) {
      r.status = "Failed";
      throw std::runtime_error("change failed half-way");
    }), std::runtime_error);
  }
  Store reopened(dir / "db");
  const auto r = reopened.get("TrainingJob", "a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, "Completed");  // the failed change was rolled back
  EXPECT_EQ(r->document["TrainingJobStatus"], "Completed");
  EXPECT_EQ(r->last_modified_time, 5);
}

TEST(Store, ListFiltersSortsAndPages) {
  test::TempDir dir;
  Store store(dir / "db");
  store.insert(job("cat-b", 10, "Completed"));
  store.insert(job("dog-a", 20, "Failed"));
  store.insert(job("cat-c", 30, "InProgress"));
  store.insert(job("cat-a", 40, "Completed"));
  ListQuery q;
  std::size_t total = 0;
  EXPECT_EQ(names(store.list("TrainingJob", q, &total)), (std::vector<std::string>{"cat-a", "cat-c", "dog-a", "cat-b"}));
  EXPECT_EQ(total, 4u);
  q.ascending = true;
  q.sort_by = SortBy::Name;
  EXPECT_EQ(names(store.list("TrainingJob", q)), (std::vector<std::string>{"cat-a", "cat-b", "cat-c", "dog-a"}));
  q.name_contains = "CAT";
  q.limit = 2;
  EXPECT_EQ(names(store.list("TrainingJob", q, &total)), (std::vector<std::string>{"cat-a", "cat-b"}));
  EXPECT_EQ(total, 3u);
  q.offset = 2;
  EXPECT_EQ(names(store.list("TrainingJob", q)), (std::vector<std::string>{"cat-c"}));
  q = ListQuery();
  q.status_equals = "Completed";
  q.created_after = 15;
  EXPECT_EQ(names(store.list("TrainingJob", q)), (std::vector<std::string>{"cat-a"}));
  q = ListQuery();
  q.created_before = 25;
  q.sort_by = SortBy::Status;
  q.ascending = true;
  EXPECT_EQ(names(store.list("TrainingJob", q)), (std::vector<std::string>{"cat-b", "dog-a"}));
  EXPECT_EQ(names(store.with_status("TrainingJob", {"Completed", "InProgress"})),
            (std::vector<std::string>{"cat-b", "cat-c", "cat-a"}));
}

}  // namespace
}  // namespace segmaker::api
