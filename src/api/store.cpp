// The SQLite store of the API's resources (see store.h).
#include "api/store.h"

#include "io/error.h"

namespace segmaker::api {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS resources (
  kind TEXT NOT NULL,
  name TEXT NOT NULL COLLATE NOCASE,
  arn TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT '',
  creation_time REAL NOT NULL,
  last_modified_time REAL NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (kind, name)
);
CREATE INDEX IF NOT EXISTS resources_by_time ON resources (kind, creation_time);
)sql";

constexpr const char* kColumns = "kind, name, arn, status, creation_time, last_modified_time, document";

Resource read_row(const Statement& s) {
  Resource r;
  r.kind = s.text(0);
  r.name = s.text(1);
  r.arn = s.text(2);
  r.status = s.text(3);
  r.creation_time = s.real(4);
  r.last_modified_time = s.real(5);
  r.document = json::parse(s.text(6), nullptr, false);
  if (r.document.is_discarded()) r.document = json::object();
  return r;
}

}  // namespace

Store::Store(const fs::path& database) : db_(database, "the API database", kSchema) {}

Store::~Store() = default;

bool Store::insert(const Resource& r) {
  std::lock_guard lock(mutex_);
  Statement s(db_, std::string("INSERT OR IGNORE INTO resources (") + kColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?)");
  s.bind(r.kind).bind(r.name).bind(r.arn).bind(r.status).bind(r.creation_time).bind(r.last_modified_time).bind(r.document.dump());
  s.step();
  return db_.changes() == 1;
}

std::optional<Resource> Store::get(const std::string& kind, const std::string& name) const {
  std::lock_guard lock(mutex_);
  Statement s(db_, std::string("SELECT ") + kColumns + " FROM resources WHERE kind = ? AND name = ?");
  s.bind(kind).bind(name);
  if (!s.step()) return std::nullopt;
  return read_row(s);
}

std::optional<Resource> Store::update(const std::string& kind, const std::string& name,
                                      const std::function<void(Resource&)>& change) {
  std::lock_guard lock(mutex_);
  return db_.transaction([&] {
    std::optional<Resource> r;
    {
      Statement s(db_, std::string("SELECT ") + kColumns + " FROM resources WHERE kind = ? AND name = ?");
      s.bind(kind).bind(name);
      if (s.step()) r = read_row(s);
    }
    if (r) {
      change(*r);
      Statement u(db_, "UPDATE resources SET status = ?, last_modified_time = ?, document = ? WHERE kind = ? AND name = ?");
      u.bind(r->status).bind(r->last_modified_time).bind(r->document.dump()).bind(kind).bind(name);
      u.step();
    }
    return r;
  });
}

bool Store::remove(const std::string& kind, const std::string& name) {
  std::lock_guard lock(mutex_);
  Statement s(db_, "DELETE FROM resources WHERE kind = ? AND name = ?");
  s.bind(kind).bind(name);
  s.step();
  return db_.changes() == 1;
}

std::vector<Resource> Store::list(const std::string& kind, const ListQuery& q, std::size_t* total) const {
  std::string where = " FROM resources WHERE kind = ?";
  if (!q.name_contains.empty()) where += " AND instr(lower(name), lower(?)) > 0";
  if (!q.status_equals.empty()) where += " AND status = ?";
  if (q.created_after) where += " AND creation_time > ?";
  if (q.created_before) where += " AND creation_time < ?";
  if (q.modified_after) where += " AND last_modified_time > ?";
  if (q.modified_before) where += " AND last_modified_time < ?";
  auto bind_filters = [&](Statement& s) {
    s.bind(kind);
    if (!q.name_contains.empty()) s.bind(q.name_contains);
    if (!q.status_equals.empty()) s.bind(q.status_equals);
    for (const auto& t : {q.created_after, q.created_before, q.modified_after, q.modified_before})
      if (t) s.bind(*t);
  };
  const std::string direction = q.ascending ? " ASC" : " DESC";
  std::string order;
  switch (q.sort_by) {
    case SortBy::Name: order = " ORDER BY name COLLATE NOCASE" + direction; break;
    case SortBy::Status: order = " ORDER BY status" + direction + ", creation_time" + direction; break;
    case SortBy::CreationTime: order = " ORDER BY creation_time" + direction + ", name" + direction; break;
  }
  std::lock_guard lock(mutex_);
  if (total) {
    Statement c(db_, "SELECT count(*)" + where);
    bind_filters(c);
    *total = c.step() ? static_cast<std::size_t>(c.integer(0)) : 0;
  }
  Statement s(db_, std::string("SELECT ") + kColumns + where + order + " LIMIT ? OFFSET ?");
  bind_filters(s);
  s.bind(static_cast<long long>(q.limit)).bind(static_cast<long long>(q.offset));
  std::vector<Resource> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

std::vector<Resource> Store::with_status(const std::string& kind, const std::vector<std::string>& statuses) const {
  std::string sql = std::string("SELECT ") + kColumns + " FROM resources WHERE kind = ?";
  if (!statuses.empty()) {
    sql += " AND status IN (";
    for (std::size_t i = 0; i < statuses.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
  }
  sql += " ORDER BY creation_time ASC";
  std::lock_guard lock(mutex_);
  Statement s(db_, sql);
  s.bind(kind);
  for (const auto& st : statuses) s.bind(st);
  std::vector<Resource> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

}  // namespace segmaker::api
