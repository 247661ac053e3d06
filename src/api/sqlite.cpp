// The API's SQLite connection and statements (see sqlite.h).
#include "api/sqlite.h"

#include <sqlite3.h>

#include "io/error.h"

namespace segmaker::api {

namespace {
void close_db(sqlite3* db) { sqlite3_close_v2(db); }
}  // namespace

Database::Database(const std::filesystem::path& file, const std::string& what, const char* schema)
    : db_(nullptr, close_db), what_(what + " '" + file.string() + "'") {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  db_.reset(db);
  if (rc != SQLITE_OK) throw UserError("cannot open " + what_ + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
  sqlite3_busy_timeout(db, 5000);
  exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  exec(schema);
}

Database::~Database() = default;

void Database::exec(const char* sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw UserError(what_ + ": " + message);
  }
}

int Database::changes() const { return sqlite3_changes(db_.get()); }

Statement::Statement(const Database& db, const std::string& sql) : db_(db.handle()) {
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    throw UserError(std::string("database: ") + sqlite3_errmsg(db_));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(const std::string& v) {
  sqlite3_bind_text(stmt_, ++index_, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(double v) {
  sqlite3_bind_double(stmt_, ++index_, v);
  return *this;
}

Statement& Statement::bind(long long v) {
  sqlite3_bind_int64(stmt_, ++index_, v);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw UserError(std::string("database: ") + sqlite3_errmsg(db_));
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

long long Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

}  // namespace segmaker::api
