#pragma once

// Internals shared by the SQLite store's source files: statement RAII, error helpers and
// the connection type. Not part of the storage interface.

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/status.h"
#include "storage/sqlite/sqlite_entity_store.h"
#include "storage/sqlite/sqlite_page_cache.h"
#include "storage/sqlite/sqlite_wal_buffer.h"

namespace dothi::storage::sqlite {

struct StmtDeleter {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// "what: sqlite message (extended code)" as kUnavailable: the store cannot do what was asked.
inline Status SqliteError(sqlite3* db, std::string_view what) {
  if (db == nullptr) return Status::Unavailable(what, "out of memory");
  std::string detail = sqlite3_errmsg(db);
  detail += " (code " + std::to_string(sqlite3_extended_errcode(db)) + ")";
  return Status::Unavailable(what, detail);
}

inline Status Exec(sqlite3* db, const char* sql, std::string_view what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string detail = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    detail += " (code " + std::to_string(rc) + ")";
    return Status::Unavailable(what, detail);
  }
  return Status::OK();
}

inline Status Prepare(sqlite3* db, const char* sql, StmtPtr* out) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db, std::string("cannot prepare statement: ") + sql);
  }
  out->reset(stmt);
  return Status::OK();
}

inline Status BindText(sqlite3* db, sqlite3_stmt* stmt, int index, std::string_view text) {
  if (sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8) !=
      SQLITE_OK) {
    return SqliteError(db, "cannot bind text parameter");
  }
  return Status::OK();
}

inline Status BindBlob(sqlite3* db, sqlite3_stmt* stmt, int index, std::string_view bytes) {
  // A non-null pointer with length 0 binds an empty blob, not NULL.
  static const char kEmpty = 0;
  const char* data = bytes.empty() ? &kEmpty : bytes.data();
  if (sqlite3_bind_blob64(stmt, index, data, bytes.size(), SQLITE_STATIC) != SQLITE_OK) {
    return SqliteError(db, "cannot bind blob parameter");
  }
  return Status::OK();
}

// Runs a statement that returns no rows, then resets it and drops its bindings.
// what + subject names the failure; the message is built only when there is one.
inline Status StepDone(sqlite3* db, sqlite3_stmt* stmt, std::string_view what,
                std::string_view subject = {}) {
  int rc = sqlite3_step(stmt);
  Status s = rc == SQLITE_DONE ? Status::OK()
             : subject.empty() ? SqliteError(db, what)
                               : SqliteError(db, std::string(what) + " " + std::string(subject));
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return s;
}

// Column bytes as a view; SQLite returns nullptr for an empty value.
inline std::string_view ColumnView(sqlite3_stmt* stmt, int col) {
  const void* p = sqlite3_column_blob(stmt, col);
  int n = sqlite3_column_bytes(stmt, col);
  if (p == nullptr || n <= 0) return {};
  return {static_cast<const char*>(p), static_cast<std::size_t>(n)};
}

// Resets a read statement on every exit path, so a pooled connection never keeps a read open.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~ResetOnExit() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Process-wide SQLite settings, which only take effect before SQLite's first use in the
// process: the page cache wrapper (sqlite_page_cache.h), and no memory statistics. The
// statistics (on by default) take a global mutex at every sqlite3_malloc and sqlite3_free,
// about 1.2k instructions of the writer's per durable update; nothing here reads them.
inline void ConfigureSqliteOnce() {
  static const bool configured = [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)InstallPageCacheWrapper();
    return true;
  }();
  (void)configured;
}

// Opens a connection, converting the failure into a Status that names the file. vfs:
// nullptr for SQLite's default.
inline Status OpenDatabase(const std::string& path, int flags, int busy_timeout_ms, sqlite3** out,
                           const char* vfs = nullptr) {
  ConfigureSqliteOnce();  // before SQLite's first use in this process, or never
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    std::string detail = path + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return Status::Unavailable("cannot open database", detail);
  }
  sqlite3_extended_result_codes(db, 1);
  if (sqlite3_busy_timeout(db, busy_timeout_ms) != SQLITE_OK) {
    Status s = SqliteError(db, "cannot set busy timeout");
    sqlite3_close(db);
    return s;
  }
  *out = db;
  return Status::OK();
}

// One sqlite3 handle with the statements prepared on it. Used by one thread at a time.
struct SqliteEntityStore::Connection {
  sqlite3* db = nullptr;
  // Writer statements.
  StmtPtr begin, commit, rollback;
  StmtPtr entity_rowid, update_entity_at, put_entity, delete_entity, put_document, delete_document;
  // Reader statements.
  StmtPtr get_entity, scan_entities, scan_documents;
  // History (sqlite_history.cc): series and entity records, prepared on open.
  StmtPtr series_get, series_put, attr_get, attr_put, history_entity_put, history_entity_deleted,
      meta_put;
  StmtPtr series_list, history_entity_get, history_entities_scan, read_begin, read_end;
  StmtPtr indexed_put, merge_state_put, merge_state_clear;
  // Per time partition (yyyymm) and statement kind, prepared on first use; cleared when
  // partitions are dropped (partition_generation differs from the store's).
  std::map<std::pair<int, int>, StmtPtr> partition_stmts;
  std::uint64_t partition_generation = 0;
  // sql(partition, kind) is called only when the statement is not prepared yet.
  template <typename SqlFn>
  sqlite3_stmt* PartitionStmt(int partition, int kind, SqlFn sql, Status* status) {
    StmtPtr& slot = partition_stmts[{partition, kind}];
    if (slot == nullptr) {
      Status s = Prepare(db, sql(partition, kind).c_str(), &slot);
      if (!s.ok()) {
        partition_stmts.erase({partition, kind});
        *status = std::move(s);
        return nullptr;
      }
    }
    return slot.get();
  }

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    // Statements first: sqlite3_close refuses a handle with live statements.
    begin.reset();
    commit.reset();
    rollback.reset();
    entity_rowid.reset();
    update_entity_at.reset();
    put_entity.reset();
    delete_entity.reset();
    put_document.reset();
    delete_document.reset();
    get_entity.reset();
    scan_entities.reset();
    scan_documents.reset();
    for (StmtPtr* p : {&series_get, &series_put, &attr_get, &attr_put, &history_entity_put, &history_entity_deleted,
                       &meta_put, &series_list, &history_entity_get, &history_entities_scan,
                       &read_begin, &read_end, &indexed_put, &merge_state_put, &merge_state_clear}) {
      p->reset();
    }
    partition_stmts.clear();
    if (db != nullptr && sqlite3_close(db) != SQLITE_OK) {
      spdlog::warn("sqlite store: close failed: {}", sqlite3_errmsg(db));
      sqlite3_close_v2(db);  // closes once the stray statements are finalized
    }
  }
};

// A read connection borrowed from the pool; returned on destruction.
class SqliteEntityStore::ReadLease {
 public:
  ReadLease(SqliteEntityStore* store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~ReadLease() { store_->ReleaseReader(std::move(conn_)); }
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;
  Connection* operator->() const { return conn_.get(); }

 private:
  SqliteEntityStore* store_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace dothi::storage::sqlite
