#pragma once
// SQLite helpers shared by the plugins that keep durable state in a database file (sink.mqtt's
// outbox, risk.declaration's declaration store): a prepared statement that finalises itself,
// and opening a database with WAL and the errors a user can act on.
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "oi/error.hpp"
#include "oi/files.hpp"

namespace oi::sqlite {

/// A prepared statement; `stmt` is null when the SQL did not prepare (sqlite3_errmsg says why).
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  Statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) stmt = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
};

/// Opens (creating it and its folder) the database `file` with a 5 s busy timeout (other
/// processes may share it) and runs `schema` (WAL and the tables). @throws oi::Error saying
/// "cannot open the <what> FILE ..." or "<what> FILE is not usable ...", naming `param` as the
/// parameter to change.
inline sqlite3* open_database(const std::filesystem::path& file, const std::string& what,
                              const std::string& param, const char* schema) {
  if (auto problem = make_output_folder(file.parent_path()))
    throw Error("cannot open the " + what + " " + file.string() + ": " + *problem + "; set `" + param + "`");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw Error("cannot open the " + what + " " + file.string() + ": " + why + "; set `" + param +
                "` to a writable file");
  }
  sqlite3_busy_timeout(db, 5000);
  char* message = nullptr;
  if (sqlite3_exec(db, schema, nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string why = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    sqlite3_close(db);
    throw Error(what + " " + file.string() + " is not usable: " + why +
                " (is it a file OpenInspect wrote?); set `" + param + "` to another file");
  }
  return db;
}

}  // namespace oi::sqlite
