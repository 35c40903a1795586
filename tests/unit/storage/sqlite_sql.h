#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

// Raw SQL on a test's own SQLite connection (tests of the SQLite shims below the store).
namespace dothi::storage::sqlite::testing {

// Runs sql; a failure fails the test with SQLite's message.
inline void ExecSql(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err != nullptr ? err : "");
  sqlite3_free(err);
}

// The first column of the first row as text ("" when there is no row or it is NULL).
inline std::string QueryText(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  return out;
}

}  // namespace dothi::storage::sqlite::testing
