#include "storage/sqlite/sqlite_entity_store.h"
#include "storage/sqlite/sqlite_internal.h"

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <iterator>
#include <string>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

namespace dothi::storage::sqlite {

namespace {

// Schema steps: kMigrations[i] takes user_version i to i + 1. Append, never edit.
constexpr const char* kMigrations[] = {
    // 0 -> 1: entities and documents, keyed for point lookups and whole-table scans.
    "CREATE TABLE entities ("
    "  tenant TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  body BLOB NOT NULL,"
    "  PRIMARY KEY (tenant, id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE documents ("
    "  kind TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  body BLOB NOT NULL,"
    "  PRIMARY KEY (kind, key)"
    ") WITHOUT ROWID;",
    // 1 -> 2: entities in a rowid table with a unique (tenant, id) index. An update then
    // rewrites only the table page holding the row (in a clustered WITHOUT ROWID table the
    // key and the body share pages with every neighbour), and with 2 KiB pages (new
    // databases) each durable update writes half the WAL bytes: ~15% less CPU per update
    // (docs/decisions/0002).
    "CREATE TABLE entities_v2 ("
    "  tenant TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  body BLOB NOT NULL"
    ");"
    "INSERT INTO entities_v2 (tenant, id, body) SELECT tenant, id, body FROM entities;"
    "DROP TABLE entities;"
    "ALTER TABLE entities_v2 RENAME TO entities;"
    "CREATE UNIQUE INDEX entities_by_key ON entities (tenant, id);",
    // 2 -> 3: temporal history (sqlite_history.cc). Instances live in one table per month,
    // h_YYYYMM, created on first use; these tables name the series and entities.
    // Attribute IRIs once each (a series names its attribute by key: ~50 B less per series).
    "CREATE TABLE history_attrs ("
    "  key INTEGER PRIMARY KEY,"
    "  attr TEXT NOT NULL UNIQUE"
    ");"
    "CREATE TABLE history_series ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  entity TEXT NOT NULL,"
    "  attr INTEGER NOT NULL,"
    "  dataset TEXT NOT NULL"
    ");"
    "CREATE UNIQUE INDEX history_series_by_key ON history_series (tenant, entity, attr, dataset);"
    "CREATE INDEX history_series_by_tenant ON history_series (tenant, id);"
    "CREATE TABLE history_entities ("
    "  tenant TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  types BLOB NOT NULL,"
    "  deleted_at INTEGER,"
    "  PRIMARY KEY (tenant, id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE history_meta ("
    "  key TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    // Entities stored before history existed get their current state as first instances
    // (TemporalService::Backfill, run once at start).
    "INSERT INTO history_meta (key, value) SELECT 'backfill', 1 WHERE EXISTS (SELECT 1 FROM entities);",
    // 3 -> 4: new instances of existing series, appended in instance order with no index
    // until the writer merges them into their month tables (docs/decisions/0005).
    "CREATE TABLE history_recent ("
    "  instance INTEGER PRIMARY KEY,"
    "  series INTEGER NOT NULL,"
    "  t INTEGER NOT NULL,"
    "  num REAL,"
    "  body BLOB NOT NULL"
    ");",
    // 4 -> 5: each month's index becomes a table of its own, hx_YYYYMM, and a new instance
    // waits in its month's rows for its entry (docs/decisions/0006). MigrateHistoryToV5 runs
    // first: it rebuilds the months and indexes every row of history_recent; then nothing
    // waits and no merge is under way.
    "DROP TABLE history_recent;"
    "DELETE FROM history_meta WHERE key IN ('merge_bound', 'merge_through');"
    "INSERT OR REPLACE INTO history_meta (key, value)"
    "  SELECT 'indexed_through', value - 1 FROM history_meta WHERE key = 'next_instance';",
};
static_assert(std::size(kMigrations) == SqliteEntityStore::kSchemaVersion,
              "one migration step per schema version");

}  // namespace

SqliteEntityStore::SqliteEntityStore(SqliteOptions options) : options_(std::move(options)) {}

SqliteEntityStore::~SqliteEntityStore() { Close(); }

Status SqliteEntityStore::Open() {
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kClosed) return Status::Unavailable("store is closed", options_.path);
    if (state_ == State::kOpen) return Status::Internal("store already open", options_.path);
  }
  if (options_.path.empty()) return Status::Unavailable("cannot open database", "empty path");
  if (options_.checkpoint_pages == 0) {
    return Status::Unavailable("cannot open database", "checkpoint_pages must be positive");
  }
  if (options_.max_batch_writes == 0) {
    return Status::Unavailable("cannot open database", "max_batch_writes must be positive");
  }
  {
    // SQLite says only "unable to open database file"; name the real cause.
    std::filesystem::path dir = std::filesystem::path(options_.path).parent_path();
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
      return Status::Unavailable("cannot open database: directory does not exist", dir.string());
    }
  }

  auto conn = std::make_unique<Connection>();
  // With synchronous=FULL the writer's WAL writes of a transaction go out as one write
  // (sqlite_wal_buffer.h); that is safe only because each commit syncs the WAL.
  DOTHI_RETURN_IF_ERROR(OpenDatabase(options_.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                     options_.busy_timeout_ms, &conn->db,
                                     options_.synchronous_full ? WalBufferVfs() : nullptr));
  sqlite3* db = conn->db;

  // The first statement that reads the file: a corrupt or foreign file fails here.
  {
    // Smaller pages halve the bytes a one-row update writes to the WAL; sensor entities
    // (~600 B) still fit three to a page. Only a new, empty database takes it.
    StmtPtr page_size;
    Status s = Prepare(db, "PRAGMA page_size=2048", &page_size);
    if (!s.ok()) return Status::Unavailable("cannot use database " + options_.path, s.message());
    if (sqlite3_step(page_size.get()) != SQLITE_DONE) {
      return SqliteError(db, "cannot use database " + options_.path);
    }
    StmtPtr wal;
    s = Prepare(db, "PRAGMA journal_mode=WAL", &wal);
    if (!s.ok()) return Status::Unavailable("cannot use database " + options_.path, s.message());
    int rc = sqlite3_step(wal.get());
    if (rc != SQLITE_ROW) return SqliteError(db, "cannot enable WAL on " + options_.path);
    std::string_view mode = ColumnView(wal.get(), 0);
    if (mode != "wal") {
      return Status::Unavailable("cannot enable WAL on " + options_.path,
                                 "journal mode is " + std::string(mode));
    }
  }
  DOTHI_RETURN_IF_ERROR(Exec(db,
                             options_.synchronous_full ? "PRAGMA synchronous=FULL"
                                                       : "PRAGMA synchronous=NORMAL",
                             "cannot set synchronous mode"));
  // The writer keeps hot pages cached, but not many: with history growing the file at every
  // transaction, a 64 MiB cache cost ~25 us more CPU per durable update than 16 MiB (perf:
  // 8-12% of the process in SQLite's page-cache truncation loop; bench/updates.sh's load,
  // 2026-11-24), and 16 MiB did not slow updates without history.
  DOTHI_RETURN_IF_ERROR(Exec(db, "PRAGMA cache_size=-16384", "cannot set cache size"));  // KiB
  // Migrations run in one write transaction, so two processes cannot both apply them.
  DOTHI_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", "cannot start schema migration"));
  bool upgraded = false;  // an existing file migrated (not a new one created)
  Status migrated = [&]() -> Status {
    StmtPtr version_stmt;
    DOTHI_RETURN_IF_ERROR(Prepare(db, "PRAGMA user_version", &version_stmt));
    if (sqlite3_step(version_stmt.get()) != SQLITE_ROW) {
      return SqliteError(db, "cannot read schema version");
    }
    int version = sqlite3_column_int(version_stmt.get(), 0);
    version_stmt.reset();
    if (version < 0 || version > kSchemaVersion) {
      return Status::Unavailable("database schema is newer than this build",
                                 options_.path + ": version " + std::to_string(version) +
                                     ", known " + std::to_string(kSchemaVersion));
    }
    if (version != 0 && version != kSchemaVersion) {
      upgraded = true;
      spdlog::info("sqlite store: migrating {} from schema version {} to {}", options_.path,
                   version, kSchemaVersion);
    }
    for (int v = version; v < kSchemaVersion; ++v) {
      if (v == 4) DOTHI_RETURN_IF_ERROR(MigrateHistoryToV5(*conn));
      DOTHI_RETURN_IF_ERROR(Exec(db, kMigrations[v],
                                 "schema migration to version " + std::to_string(v + 1) +
                                     " failed"));
    }
    if (version != kSchemaVersion) {
      std::string sql = "PRAGMA user_version=" + std::to_string(kSchemaVersion);
      DOTHI_RETURN_IF_ERROR(Exec(db, sql.c_str(), "cannot write schema version"));
    }
    return Exec(db, "COMMIT", "cannot commit schema migration");
  }();
  if (!migrated.ok()) {
    if (sqlite3_get_autocommit(db) == 0) (void)Exec(db, "ROLLBACK", "rollback");
    return migrated;
  }
  if (upgraded) {
    // A migration may rewrite every history month in one transaction: a WAL as large as the
    // history. Copy it back and give the space back now, before any reader holds it.
    Status s = Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", "cannot checkpoint after migration");
    if (!s.ok()) spdlog::warn("sqlite store: {}", s.message());
    spdlog::info("sqlite store: {} is at schema version {}", options_.path, kSchemaVersion);
  }

  DOTHI_RETURN_IF_ERROR(Prepare(db, "BEGIN IMMEDIATE", &conn->begin));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "COMMIT", &conn->commit));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "ROLLBACK", &conn->rollback));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "SELECT rowid FROM entities WHERE tenant = ?1 AND id = ?2", &conn->entity_rowid));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "UPDATE entities SET body = ?3 WHERE rowid = ?4 AND tenant = ?1 AND id = ?2",
      &conn->update_entity_at));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "INSERT INTO entities (tenant, id, body) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (tenant, id) DO UPDATE SET body = excluded.body",
      &conn->put_entity));
  DOTHI_RETURN_IF_ERROR(
      Prepare(db, "DELETE FROM entities WHERE tenant = ?1 AND id = ?2", &conn->delete_entity));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "INSERT OR REPLACE INTO documents (kind, key, body) VALUES (?1, ?2, ?3)",
      &conn->put_document));
  DOTHI_RETURN_IF_ERROR(
      Prepare(db, "DELETE FROM documents WHERE kind = ?1 AND key = ?2", &conn->delete_document));

  DOTHI_RETURN_IF_ERROR(PrepareHistoryWriter(*conn));
  DOTHI_RETURN_IF_ERROR(LoadHistoryState(*conn));

  // One reader up front proves read connections work before we report success.
  Result<std::unique_ptr<Connection>> reader = OpenReadConnection();
  if (!reader.ok()) return reader.status();

  {
    std::lock_guard lock(read_mu_);
    idle_readers_.push_back(std::move(reader).value());
    reads_open_ = true;
  }
  {
    // Checkpoints run on their own connection (CheckpointerLoop); the writer's commits only
    // ask for one (WalHook replaces SQLite's wal_autocheckpoint). A first read opens the WAL,
    // which a checkpoint needs.
    sqlite3* ckpt = nullptr;
    DOTHI_RETURN_IF_ERROR(OpenDatabase(options_.path, SQLITE_OPEN_READWRITE,
                                       options_.busy_timeout_ms, &ckpt));
    Status s = Exec(ckpt,
                    options_.synchronous_full ? "PRAGMA synchronous=FULL; PRAGMA schema_version"
                                              : "PRAGMA synchronous=NORMAL; PRAGMA schema_version",
                    "cannot open the checkpoint connection");
    if (!s.ok()) {
      sqlite3_close_v2(ckpt);
      return s;
    }
    ckpt_db_ = ckpt;
    sqlite3_wal_hook(db, &SqliteEntityStore::WalHook, this);
    checkpointer_ = std::thread([this] { CheckpointerLoop(); });
  }
  std::lock_guard lock(mu_);
  write_conn_ = std::move(conn);
  state_ = State::kOpen;
  reporter_ = std::thread([this] { ReporterLoop(); });
  writer_ = std::thread([this] { WriterLoop(); });
  return Status::OK();
}

namespace {
// The checkpointer's passes before it leaves the rest to the writer, and how many WAL pages
// not yet copied it may leave.
constexpr int kCheckpointRounds = 8;
constexpr int kCatchUpPages = 256;
}  // namespace

// Runs on the writer thread, inside each commit, with the pages the WAL now holds.
int SqliteEntityStore::WalHook(void* self, sqlite3*, const char*, int pages) {
  auto* store = static_cast<SqliteEntityStore*>(self);
  const auto n = static_cast<std::size_t>(pages);
  store->wal_pages_.store(n, std::memory_order_relaxed);
  const std::size_t every = store->options_.checkpoint_pages;
  if (n < every) {
    store->ckpt_next_pages_ = every;  // the WAL started over
    return SQLITE_OK;
  }
  if (n < store->ckpt_next_pages_) return SQLITE_OK;
  // When a checkpoint cannot empty the WAL (a reader still needs its pages), the next one
  // waits for the WAL to grow by a quarter more, instead of running after every commit.
  store->ckpt_next_pages_ = n + std::max<std::size_t>(every / 4, 1);
  std::lock_guard lock(store->ckpt_mu_);
  if (store->ckpt_state_ == Checkpoint::kIdle) {
    store->ckpt_state_ = Checkpoint::kDue;
    store->ckpt_cv_.notify_one();
  }
  return SQLITE_OK;
}

int SqliteEntityStore::CheckpointRounds(bool* copied_any) {
  // A checkpoint copies up to the end of the WAL as it was when it started; the next one's
  // log size tells how much the writer committed meanwhile.
  int copied_before = -1;
  for (int round = 0; round < kCheckpointRounds; ++round) {
    int log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(ckpt_db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
    if (rc != SQLITE_OK) return rc;
    if (copied != ckpt_last_copied_) *copied_any = true;  // or the WAL started over: either way
    ckpt_last_copied_ = copied;
    const bool little_left = copied_before >= 0 && log - copied_before <= kCatchUpPages;
    copied_before = copied;
    if (little_left || log - copied > kCatchUpPages) break;  // caught up, or a reader holds the rest
  }
  return SQLITE_OK;
}

void SqliteEntityStore::CheckpointerLoop() {
  std::unique_lock lock(ckpt_mu_);
  for (;;) {
    ckpt_cv_.wait(lock, [&] { return ckpt_stopping_ || ckpt_state_ == Checkpoint::kDue; });
    if (ckpt_stopping_) break;
    ckpt_state_ = Checkpoint::kRunning;
    lock.unlock();
    // PASSIVE copies what no reader still needs, without waiting for (or holding up) the
    // writer. The writer commits meanwhile, mostly to the same hot pages, so go again until
    // little is left for the writer's part. SQLite syncs the database file only when a
    // checkpoint reaches the end of the WAL, which these rarely do; syncing it here makes
    // the writer's final sync cheap. Then once more for what came in during the sync.
    bool copied_any = false;
    int rc = CheckpointRounds(&copied_any);
    if (rc == SQLITE_OK && copied_any) {
      sqlite3_file* file = nullptr;
      if (sqlite3_file_control(ckpt_db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK &&
          file != nullptr && file->pMethods != nullptr) {
        rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
      }
      if (rc == SQLITE_OK) rc = CheckpointRounds(&copied_any);
    }
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("sqlite store: checkpoint failed: {} (code {})", sqlite3_errmsg(ckpt_db_), rc);
    }
    lock.lock();
    ckpt_state_ = Checkpoint::kCatchUp;
    ckpt_catch_up_.store(true, std::memory_order_release);
  }
  lock.unlock();
  sqlite3_close_v2(ckpt_db_);
  ckpt_db_ = nullptr;
}

void SqliteEntityStore::CatchUpCheckpoint() {
  if (!ckpt_catch_up_.exchange(false, std::memory_order_acquire)) return;
  // What the writer committed while the checkpointer ran: with it copied too (and the
  // database file synced), the next transaction finds the whole WAL copied and writes it
  // from the start again.
  int log = 0, copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(write_conn_->db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log,
                                     &copied);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    spdlog::warn("sqlite store: checkpoint failed: {}", sqlite3_errmsg(write_conn_->db));
  }
  if (rc == SQLITE_OK && log > 0 && copied == log) {
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
  }
  std::lock_guard lock(ckpt_mu_);
  ckpt_state_ = Checkpoint::kIdle;
}

Result<std::unique_ptr<SqliteEntityStore::Connection>> SqliteEntityStore::OpenReadConnection() {
  auto conn = std::make_unique<Connection>();
  DOTHI_RETURN_IF_ERROR(OpenDatabase(options_.path, SQLITE_OPEN_READONLY,
                                     options_.busy_timeout_ms, &conn->db));
  sqlite3* db = conn->db;
  if (options_.read_mmap_bytes > 0) {
    std::string sql = "PRAGMA mmap_size=" + std::to_string(options_.read_mmap_bytes);
    DOTHI_RETURN_IF_ERROR(Exec(db, sql.c_str(), "cannot set mmap size"));
  }
  DOTHI_RETURN_IF_ERROR(
      Prepare(db, "SELECT body FROM entities WHERE tenant = ?1 AND id = ?2", &conn->get_entity));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "SELECT tenant, id, body FROM entities", &conn->scan_entities));
  DOTHI_RETURN_IF_ERROR(
      Prepare(db, "SELECT key, body FROM documents WHERE kind = ?1", &conn->scan_documents));
  DOTHI_RETURN_IF_ERROR(PrepareHistoryReader(*conn));
  return conn;
}

Result<std::unique_ptr<SqliteEntityStore::Connection>> SqliteEntityStore::AcquireReader() {
  {
    std::lock_guard lock(read_mu_);
    if (!reads_open_) return Status::Unavailable("store is not open", options_.path);
    ++active_readers_;
    if (!idle_readers_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
  }
  // All pooled connections are busy (or a scan callback reads again): open one more.
  Result<std::unique_ptr<Connection>> conn = OpenReadConnection();
  if (!conn.ok()) {
    std::lock_guard lock(read_mu_);
    if (--active_readers_ == 0) readers_idle_cv_.notify_all();
  }
  return conn;
}

void SqliteEntityStore::ReleaseReader(std::unique_ptr<Connection> conn) {
  std::unique_ptr<Connection> surplus;
  {
    std::lock_guard lock(read_mu_);
    if (reads_open_ && idle_readers_.size() < options_.read_connections) {
      idle_readers_.push_back(std::move(conn));
    } else {
      surplus = std::move(conn);
    }
    if (--active_readers_ == 0) readers_idle_cv_.notify_all();
  }
  // surplus closes here, outside the lock.
}

void SqliteEntityStore::Submit(std::unique_ptr<Request> request) {
  std::unique_lock lock(mu_);
  if (state_ != State::kOpen || stopping_) {
    Status refused = Status::Unavailable(
        state_ == State::kNew ? "store is not open" : "store is closed", options_.path);
    lock.unlock();
    if (request->finish_on) {
      request->finish_on([done = std::move(request->done), refused]() mutable {
        done(std::move(refused));
      });
      return;
    }
    request->done(std::move(refused));
    return;
  }
  queue_.push_back(std::move(request));
  writer_cv_.notify_one();
  queued_cv_.notify_all();
}

Status SqliteEntityStore::SubmitAndWait(std::unique_ptr<Request> request) {
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> result = done->get_future();
  request->done = [done](Status s) { done->set_value(std::move(s)); };
  Submit(std::move(request));
  return result.get();
}

void SqliteEntityStore::CommitAsync(std::vector<EntityWrite> writes, CommitCallback done) {
  if (writes.empty()) {
    // Nothing to write, but a closed store still says so.
    Status s;
    {
      std::lock_guard lock(mu_);
      if (state_ != State::kOpen || stopping_) {
        s = Status::Unavailable(state_ == State::kNew ? "store is not open" : "store is closed",
                                options_.path);
      } else {
        commits_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    done(std::move(s));
    return;
  }
  auto request = std::make_unique<Request>();
  request->writes = std::move(writes);
  request->is_commit = true;
  request->done = std::move(done);
  Submit(std::move(request));
}

void SqliteEntityStore::CommitAsyncFinishingOn(std::vector<EntityWrite> writes,
                                               TaskRunner finish_on, CommitCallback done) {
  if (writes.empty() || !finish_on) {
    return EntityStore::CommitAsyncFinishingOn(std::move(writes), std::move(finish_on),
                                               std::move(done));
  }
  auto request = std::make_unique<Request>();
  request->writes = std::move(writes);
  request->is_commit = true;
  request->done = std::move(done);
  request->finish_on = std::move(finish_on);
  Submit(std::move(request));
}

Status SqliteEntityStore::PutDocument(std::string_view kind, std::string_view key,
                                      std::string_view bytes) {
  auto request = std::make_unique<Request>();
  request->document = DocumentWrite{false, std::string(kind), std::string(key), std::string(bytes)};
  return SubmitAndWait(std::move(request));
}

void SqliteEntityStore::PutDocumentAsync(std::string_view kind, std::string_view key, std::string_view bytes,
                                         CommitCallback done) {
  auto request = std::make_unique<Request>();
  request->document = DocumentWrite{false, std::string(kind), std::string(key), std::string(bytes)};
  request->done = std::move(done);
  Submit(std::move(request));
}

Status SqliteEntityStore::DeleteDocument(std::string_view kind, std::string_view key) {
  auto request = std::make_unique<Request>();
  request->document = DocumentWrite{true, std::string(kind), std::string(key), {}};
  return SubmitAndWait(std::move(request));
}

void SqliteEntityStore::WriterLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    // Stopping overrides a pause: Close() always drains the queue.
    writer_cv_.wait(lock, [&] {
      return stopping_ || (!paused_ && (!queue_.empty() || HistoryMergeDue()));
    });
    if (queue_.empty()) {
      if (stopping_) break;  // nothing left (Close() finishes a merge under way)
      // Idle: merge waiting history, one short transaction at a time so writes that arrive
      // meanwhile wait for one step at most.
      lock.unlock();
      (void)RunHistoryMergeStep(true);  // a failure is logged and waits for the next commit
      lock.lock();
      continue;
    }

    if (queue_.front()->merge_step) {
      std::vector<std::unique_ptr<Request>> step;
      step.push_back(std::move(queue_.front()));
      queue_.pop_front();
      lock.unlock();
      PostReport(std::move(step), RunHistoryMergeStep(false));
      lock.lock();
      continue;
    }
    // Take whole requests in arrival order; the first one goes even if it alone is too big.
    std::vector<std::unique_ptr<Request>> batch;
    std::size_t batch_writes = 0;
    while (!queue_.empty()) {
      const Request& next = *queue_.front();
      if (next.merge_step) break;
      std::size_t n = next.writes.size() + (next.document ? 1 : 0);
      if (!batch.empty() && batch_writes + n > options_.max_batch_writes) break;
      batch.push_back(std::move(queue_.front()));
      batch_writes += n;
      queue_.pop_front();
    }

    bool inject_failure = std::exchange(fail_next_, false);
    lock.unlock();
    auto start = std::chrono::steady_clock::now();
    Status s = ApplyBatch(batch, inject_failure);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    if (!s.ok()) spdlog::warn("sqlite store: transaction of {} requests failed: {}", batch.size(),
                              s.message());
    commit_micros_sum_.fetch_add(static_cast<std::uint64_t>(micros), std::memory_order_relaxed);
    if (s.ok()) {
      merge_paused_ = false;
      transactions_.fetch_add(1, std::memory_order_relaxed);
      std::uint64_t commits = 0;
      for (const auto& r : batch) commits += r->is_commit ? 1 : 0;
      commits_.fetch_add(commits, std::memory_order_relaxed);
    }
    PostReport(std::move(batch), std::move(s));
    CatchUpCheckpoint();
    // Under a steady load a merge step runs between group commits.
    if (HistoryMergeDue()) (void)RunHistoryMergeStep(true);
    lock.lock();
  }
}

void SqliteEntityStore::PostReport(std::vector<std::unique_ptr<Request>> batch, Status status) {
  std::size_t to_reporter = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i]->finish_on) {
      // The request goes along, so that its writes are freed on the runner's thread, which
      // allocated them, and not here between two transactions.
      std::shared_ptr<Request> r = std::move(batch[i]);
      const TaskRunner& finish_on = r->finish_on;
      finish_on([r, status]() { r->done(status); });
      continue;
    }
    if (i != to_reporter) batch[to_reporter] = std::move(batch[i]);
    ++to_reporter;
  }
  if (to_reporter == 0) return;
  batch.resize(to_reporter);
  {
    std::lock_guard report_lock(report_mu_);
    reports_.push_back({std::move(batch), std::move(status)});
  }
  report_cv_.notify_one();
}

void SqliteEntityStore::ReporterLoop() {
  std::unique_lock lock(report_mu_);
  for (;;) {
    report_cv_.wait(lock, [&] { return reports_closed_ || !reports_.empty(); });
    if (reports_.empty()) return;  // closed and drained
    Report report = std::move(reports_.front());
    reports_.pop_front();
    lock.unlock();
    // Outside the lock: a callback may queue the next write of the same entity.
    for (auto& r : report.batch) r->done(report.status);
    report.batch.clear();
    lock.lock();
  }
}

Status SqliteEntityStore::InWriteTransaction(const std::function<Status()>& body) {
  sqlite3* db = write_conn_->db;
  Status s = StepDone(db, write_conn_->begin.get(), "cannot begin transaction");
  if (s.ok()) s = body();
  if (s.ok()) s = StepDone(db, write_conn_->commit.get(), "cannot commit transaction");
  // A failed statement or COMMIT may leave the transaction open; undo all of it.
  if (!s.ok() && sqlite3_get_autocommit(db) == 0) {
    Status r = StepDone(db, write_conn_->rollback.get(), "cannot roll back transaction");
    if (!r.ok()) spdlog::error("sqlite store: {}", r.message());
  }
  HistoryTransactionEnded(s.ok());
  return s;
}

Status SqliteEntityStore::ApplyBatch(const std::vector<std::unique_ptr<Request>>& batch,
                                     bool inject_failure) {
  return InWriteTransaction([&]() -> Status {
    for (const auto& r : batch) DOTHI_RETURN_IF_ERROR(ApplyRequest(*r));
    DOTHI_RETURN_IF_ERROR(FinishHistoryTransaction());
    if (inject_failure) return Status::Unavailable("injected failure for testing");
    return Status::OK();
  });
}

Status SqliteEntityStore::ApplyRequest(const Request& request) {
  sqlite3* db = write_conn_->db;
  for (const EntityWrite& w : request.writes) {
    if (w.kind == EntityWrite::Kind::kPut) {
      DOTHI_RETURN_IF_ERROR(WriteEntity(w));
    } else {
      sqlite3_stmt* stmt = write_conn_->delete_entity.get();
      DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, w.tenant));
      DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, w.id));
      DOTHI_RETURN_IF_ERROR(StepDone(db, stmt, "cannot delete entity", w.id));
    }
    if (!w.history.empty() || w.history_types || w.kind == EntityWrite::Kind::kDelete) {
      DOTHI_RETURN_IF_ERROR(WriteHistory(w));
    }
  }
  if (request.custom) DOTHI_RETURN_IF_ERROR(request.custom());
  if (request.document) {
    const DocumentWrite& d = *request.document;
    sqlite3_stmt* stmt =
        d.is_delete ? write_conn_->delete_document.get() : write_conn_->put_document.get();
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, d.kind));
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, d.key));
    if (!d.is_delete) DOTHI_RETURN_IF_ERROR(BindBlob(db, stmt, 3, d.bytes));
    DOTHI_RETURN_IF_ERROR(StepDone(db, stmt, "cannot write document", d.kind + "/" + d.key));
  }
  return Status::OK();
}

namespace {

// Most entities the writer remembers the rowid of (~32 bytes each).
constexpr std::size_t kEntityRowidsMax = 200'000;

}  // namespace

Status SqliteEntityStore::WriteEntity(const EntityWrite& w) {
  sqlite3* db = write_conn_->db;
  const std::uint64_t key = std::hash<std::string_view>{}(w.id) ^
                            (std::hash<std::string_view>{}(w.tenant) * 0x9e3779b97f4a7c15ull);
  auto update_at = [&](std::int64_t rowid) -> Result<bool> {
    sqlite3_stmt* stmt = write_conn_->update_entity_at.get();
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, w.tenant));
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, w.id));
    DOTHI_RETURN_IF_ERROR(BindBlob(db, stmt, 3, w.bytes));
    if (sqlite3_bind_int64(stmt, 4, rowid) != SQLITE_OK) return SqliteError(db, "cannot bind rowid");
    DOTHI_RETURN_IF_ERROR(StepDone(db, stmt, "cannot write entity", w.id));
    return sqlite3_changes(db) > 0;
  };
  // Most writes change an existing entity. One written before: straight to its row.
  auto same_key = [key](const CachedRowid& c) { return c.key == key; };
  if (const CachedRowid* cached = entity_rowids_.Find(key, same_key)) {
    Result<bool> updated = update_at(cached->rowid);
    if (!updated.ok()) return updated.status();
    if (*updated) return Status::OK();
  }
  // Otherwise its rowid through the (tenant, id) index.
  std::optional<std::int64_t> rowid;
  {
    sqlite3_stmt* stmt = write_conn_->entity_rowid.get();
    ResetOnExit reset(stmt);
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, w.tenant));
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, w.id));
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) rowid = sqlite3_column_int64(stmt, 0);
    else if (rc != SQLITE_DONE) return SqliteError(db, "cannot find entity " + w.id);
  }
  if (rowid) {
    if (entity_rowids_.size() >= kEntityRowidsMax) entity_rowids_.Clear();
    if (CachedRowid* cached = entity_rowids_.Find(key, same_key)) {
      cached->rowid = *rowid;
    } else {
      entity_rowids_.Insert(key, CachedRowid{key, *rowid});
    }
    Result<bool> updated = update_at(*rowid);
    if (!updated.ok()) return updated.status();
    if (*updated) return Status::OK();
  }
  // A new entity (the upsert also covers a row that appeared in between, which cannot
  // happen on the one writer connection but costs nothing to allow).
  sqlite3_stmt* stmt = write_conn_->put_entity.get();
  DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, w.tenant));
  DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, w.id));
  DOTHI_RETURN_IF_ERROR(BindBlob(db, stmt, 3, w.bytes));
  return StepDone(db, stmt, "cannot write entity", w.id);
}

Result<std::optional<std::string>> SqliteEntityStore::Get(std::string_view tenant,
                                                          std::string_view id) {
  Result<std::unique_ptr<Connection>> acquired = AcquireReader();
  if (!acquired.ok()) return acquired.status();
  ReadLease conn(this, std::move(acquired).value());
  sqlite3* db = conn->db;
  sqlite3_stmt* stmt = conn->get_entity.get();
  ResetOnExit reset(stmt);
  DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, tenant));
  DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, id));
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return SqliteError(db, "cannot read entity " + std::string(id));
  return std::optional<std::string>(std::string(ColumnView(stmt, 0)));
}

Status SqliteEntityStore::ScanAll(const ScanFn& fn) {
  Result<std::unique_ptr<Connection>> acquired = AcquireReader();
  if (!acquired.ok()) return acquired.status();
  ReadLease conn(this, std::move(acquired).value());
  sqlite3_stmt* stmt = conn->scan_entities.get();
  ResetOnExit reset(stmt);
  // One statement is one read transaction: the scan sees a single snapshot.
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    fn(ColumnView(stmt, 0), ColumnView(stmt, 1), ColumnView(stmt, 2));
  }
  if (rc != SQLITE_DONE) return SqliteError(conn->db, "cannot scan entities");
  return Status::OK();
}

Status SqliteEntityStore::ScanDocuments(std::string_view kind, const DocFn& fn) {
  Result<std::unique_ptr<Connection>> acquired = AcquireReader();
  if (!acquired.ok()) return acquired.status();
  ReadLease conn(this, std::move(acquired).value());
  sqlite3_stmt* stmt = conn->scan_documents.get();
  ResetOnExit reset(stmt);
  DOTHI_RETURN_IF_ERROR(BindText(conn->db, stmt, 1, kind));
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    fn(ColumnView(stmt, 0), ColumnView(stmt, 1));
  }
  if (rc != SQLITE_DONE) {
    return SqliteError(conn->db, "cannot scan documents of kind " + std::string(kind));
  }
  return Status::OK();
}

StoreStats SqliteEntityStore::Stats() const {
  StoreStats stats;
  stats.commits = commits_.load(std::memory_order_relaxed);
  stats.transactions = transactions_.load(std::memory_order_relaxed);
  stats.commit_micros_sum = commit_micros_sum_.load(std::memory_order_relaxed);
  stats.checkpoints = checkpoints_.load(std::memory_order_relaxed);
  stats.wal_pages = wal_pages_.load(std::memory_order_relaxed);
  return stats;
}

void SqliteEntityStore::Close() {
  std::lock_guard close_lock(close_mu_);
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    stopping_ = true;
    writer_cv_.notify_all();
  }
  if (writer_.joinable()) writer_.join();  // the writer drains the queue before it exits
  {
    std::lock_guard lock(ckpt_mu_);
    ckpt_stopping_ = true;
  }
  ckpt_cv_.notify_one();
  if (checkpointer_.joinable()) checkpointer_.join();  // a checkpoint under way finishes
  {
    std::lock_guard lock(report_mu_);
    reports_closed_ = true;
  }
  report_cv_.notify_one();
  if (reporter_.joinable()) reporter_.join();  // every callback has run

  {
    std::unique_lock lock(read_mu_);
    reads_open_ = false;
    readers_idle_cv_.wait(lock, [&] { return active_readers_ == 0; });
    idle_readers_.clear();
  }
  if (write_conn_ != nullptr && options_.history_merge_on_close) {
    // The writer has stopped: its history state is this thread's now.
    while (recent_rows_ > 0 && !merge_paused_) {
      if (!RunHistoryMergeStep(true).ok()) break;  // logged; the next start goes on
    }
  }
  if (write_conn_ != nullptr) {
    // Readers are gone, so the checkpoint can copy the whole WAL back and truncate it.
    Status s = Exec(write_conn_->db, "PRAGMA wal_checkpoint(TRUNCATE)", "wal checkpoint failed");
    if (!s.ok()) spdlog::warn("sqlite store: {}: {}", options_.path, s.message());
    write_conn_.reset();
  }
}

void SqliteEntityStore::PauseWriterForTesting() {
  std::lock_guard lock(mu_);
  paused_ = true;
}

void SqliteEntityStore::ResumeWriterForTesting() {
  std::lock_guard lock(mu_);
  paused_ = false;
  writer_cv_.notify_all();
}

void SqliteEntityStore::FailNextTransactionForTesting() {
  std::lock_guard lock(mu_);
  fail_next_ = true;
}

Status SqliteEntityStore::MergeHistoryStepForTesting() {
  auto request = std::make_unique<Request>();
  request->merge_step = true;
  return SubmitAndWait(std::move(request));
}

void SqliteEntityStore::WaitUntilQueuedForTesting(std::size_t n) {
  std::unique_lock lock(mu_);
  queued_cv_.wait(lock, [&] { return queue_.size() >= n; });
}

}  // namespace dothi::storage::sqlite
