#pragma once
// The API's SQLite databases (the resource store, the log and metric stores): one connection opened in
// WAL mode (a committed change survives the process being killed; readers never block the writer),
// prepared statements that bind by position, and a transaction that rolls back on an exception.
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>

struct sqlite3;
struct sqlite3_stmt;

namespace segmaker::api {

class Database {
 public:
  // Opens (creating when missing, with its folder) and runs `schema`. `what` names it in errors
  // ("the API database"). Throws UserError when it cannot.
  Database(const std::filesystem::path& file, const std::string& what, const char* schema);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const char* sql) const;
  sqlite3* handle() const { return db_.get(); }
  // Rows changed by the last statement.
  int changes() const;
  // Runs `body` in BEGIN IMMEDIATE … COMMIT (ROLLBACK and rethrow on an exception).
  template <class Body>
  auto transaction(Body&& body) const {
    exec("BEGIN IMMEDIATE");
    try {
      if constexpr (std::is_void_v<decltype(body())>) {
        body();
        exec("COMMIT");
      } else {
        auto result = body();
        exec("COMMIT");
        return result;
      }
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
  }

 private:
  std::unique_ptr<sqlite3, void (*)(sqlite3*)> db_;
  std::string what_;
};

// One prepared statement, finalized on scope exit; bind() chains values by position.
class Statement {
 public:
  Statement(const Database& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(const std::string& v);
  Statement& bind(double v);
  Statement& bind(long long v);
  // True while there is a row.
  bool step();
  std::string text(int column) const;
  double real(int column) const;
  long long integer(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int index_ = 0;
};

}  // namespace segmaker::api
