// Temporal history of the SQLite store: series and entity records, and per calendar month a
// table of instances (h_YYYYMM) and its index (hx_YYYYMM), so that retention drops whole
// months and a window query touches only the months it overlaps. A new instance of an
// existing series waits for its index entry, which merges add in large batches
// (docs/decisions/0005, 0006).
// See sqlite_entity_store.h.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <limits>
#include <string>
#include <utility>

#include "core/hash.h"
#include "core/time.h"
#include "storage/sqlite/sqlite_entity_store.h"
#include "storage/sqlite/sqlite_internal.h"

namespace dothi::storage::sqlite {

namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// yyyymm of an instance time, clamped to years 0..9999 so the table name stays 6 digits.
int PartitionOf(std::int64_t micros) {
  std::int64_t days = micros / kMicrosPerDay;
  if (micros % kMicrosPerDay < 0) --days;
  std::int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  if (y < 0) return 1;
  if (y > 9999) return 999912;
  return static_cast<int>(y) * 100 + static_cast<int>(m);
}

// First microsecond of the partition's month, and of the month after.
std::int64_t PartitionStart(int partition) {
  const std::int64_t days = DaysFromCivil(partition / 100, static_cast<unsigned>(partition % 100), 1);
  return days * kMicrosPerDay;
}
std::int64_t PartitionEnd(int partition) {
  int y = partition / 100, m = partition % 100 + 1;
  if (m > 12) {
    m = 1;
    ++y;
  }
  return y > 9999 ? std::numeric_limits<std::int64_t>::max() : PartitionStart(y * 100 + m);
}

// A month's rows, h_YYYYMM(instance INTEGER PRIMARY KEY, series, t, num, body), in instance
// order, and its index, hx_YYYYMM(series, t, instance, num) WITHOUT ROWID (docs/decisions/0006).
std::string TableName(int partition) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "h_%06d", partition);
  return buf;
}
std::string IndexName(int partition) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "hx_%06d", partition);
  return buf;
}

std::string PartitionDdl(int partition) {
  return "CREATE TABLE IF NOT EXISTS " + TableName(partition) +
         " (instance INTEGER PRIMARY KEY, series INTEGER NOT NULL,"
         " t INTEGER NOT NULL, num REAL, body BLOB NOT NULL);"
         "CREATE TABLE IF NOT EXISTS " + IndexName(partition) +
         " (series INTEGER NOT NULL, t INTEGER NOT NULL, instance INTEGER NOT NULL,"
         " num REAL, PRIMARY KEY (series, t, instance)) WITHOUT ROWID";
}

// Statement kinds cached per partition.
enum StmtKind : int {
  kInsertRow,       // a row, waiting for the index until a merge
  kInsertIndex,     // its index entry (new series, replaced instances)
  kGetRow,          // a waiting row by instance
  kRangeRows,       // with bodies
  kRangeNumbers,    // time and number only
  kLastRows,        // newest first, limited
  kLastNumbers,
  kDeleteRow,       // one instance's row
  kDeleteIndexed,   // one instance's index entry
  kDeleteSeriesRows,   // a series' indexed rows before a time
  kDeleteSeriesIndex,  // and their entries
  kAny,
  kMerge,  // index waiting rows
};

// A series' window [?2, ?3): with bodies, the index range drives and each body is one rowid
// lookup (CROSS JOIN keeps that order); numbers only, the index alone.
std::string WindowRows(const std::string& t, const std::string& x) {
  return "SELECT x.t, x.instance, x.num, r.body FROM " + x + " AS x CROSS JOIN " + t +
         " AS r ON r.instance = x.instance WHERE x.series = ?1 AND x.t >= ?2 AND x.t < ?3";
}
std::string WindowNumbers(const std::string& x) {
  return "SELECT t, instance, num FROM " + x + " WHERE series = ?1 AND t >= ?2 AND t < ?3";
}

std::string PartitionSql(int partition, int kind) {
  const std::string t = TableName(partition), x = IndexName(partition);
  switch (kind) {
    case kInsertRow:
      return "INSERT INTO " + t + " (instance, series, t, num, body) VALUES (?1, ?2, ?3, ?4, ?5)";
    case kInsertIndex:
      return "INSERT OR IGNORE INTO " + x + " (series, t, instance, num) VALUES (?2, ?3, ?1, ?4)";
    case kGetRow:
      return "SELECT t, instance, num, body FROM " + t + " WHERE instance = ?1";
    case kRangeRows:
      return WindowRows(t, x) + " ORDER BY x.t, x.instance";
    case kRangeNumbers:
      return WindowNumbers(x) + " ORDER BY t, instance";
    case kLastRows:
      return WindowRows(t, x) + " ORDER BY x.t DESC, x.instance DESC LIMIT ?4";
    case kLastNumbers:
      return WindowNumbers(x) + " ORDER BY t DESC, instance DESC LIMIT ?4";
    case kDeleteRow:
      return "DELETE FROM " + t + " WHERE instance = ?2 AND series = ?1";
    case kDeleteIndexed:
      return "DELETE FROM " + x + " WHERE series = ?1 AND instance = ?2";
    case kDeleteSeriesRows:
      return "DELETE FROM " + t + " WHERE instance IN (SELECT instance FROM " + x +
             " WHERE series = ?1 AND t < ?2)";
    case kDeleteSeriesIndex:
      return "DELETE FROM " + x + " WHERE series = ?1 AND t < ?2";
    case kMerge:
      // ?1: a JSON array of waiting instance ids, indexed in its order (CROSS JOIN keeps
      // json_each the outer loop). OR IGNORE: a merge step redone after a crash, or a row
      // indexed already, adds nothing.
      return "INSERT OR IGNORE INTO " + x + " (series, t, instance, num) "
             "SELECT r.series, r.t, r.instance, r.num FROM json_each(?1) AS j "
             "CROSS JOIN " + t + " AS r ON r.instance = j.value";
    default:
      return "SELECT 1 FROM " + t + " LIMIT 1";
  }
}

void SeriesKey(std::string_view tenant, std::string_view entity, std::string_view attr,
               std::string_view dataset, std::string& key) {
  key.clear();
  key.append(tenant).push_back('\0');
  key.append(entity).push_back('\0');
  key.append(attr).push_back('\0');
  key.append(dataset);
}

Status BindInt(sqlite3* db, sqlite3_stmt* stmt, int index, std::int64_t v) {
  if (sqlite3_bind_int64(stmt, index, v) != SQLITE_OK) return SqliteError(db, "cannot bind integer");
  return Status::OK();
}

// The months (yyyymm) that have a table, in name order.
Status ListPartitions(sqlite3* db, std::vector<int>* out) {
  StmtPtr list;
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'h_[0-9][0-9][0-9][0-9][0-9][0-9]' ORDER BY name",
      &list));
  int rc;
  while ((rc = sqlite3_step(list.get())) == SQLITE_ROW) {
    out->push_back(std::stoi(std::string(ColumnView(list.get(), 0).substr(2))));
  }
  if (rc != SQLITE_DONE) return SqliteError(db, "cannot list history partitions");
  return Status::OK();
}

// history_meta's value for key into *value; *value stays as it is when there is none.
Status ReadMeta(sqlite3* db, const char* key, std::int64_t* value) {
  StmtPtr stmt;
  DOTHI_RETURN_IF_ERROR(Prepare(db, "SELECT value FROM history_meta WHERE key = ?1", &stmt));
  if (sqlite3_bind_text(stmt.get(), 1, key, -1, SQLITE_STATIC) != SQLITE_OK) {
    return SqliteError(db, "cannot bind history state key");
  }
  const int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) *value = sqlite3_column_int64(stmt.get(), 0);
  else if (rc != SQLITE_DONE) return SqliteError(db, "cannot read history state");
  return Status::OK();
}

// Most series ids the writer remembers; beyond it the cache starts over (a miss is one
// index lookup).
constexpr std::size_t kSeriesCacheMax = 200'000;

}  // namespace

Status SqliteEntityStore::MigrateHistoryToV5(Connection& conn) {
  sqlite3* db = conn.db;
  std::vector<int> months;
  DOTHI_RETURN_IF_ERROR(ListPartitions(db, &months));
  // Both older layouts (the instance as rowid, or a rid beside it) name the same columns.
  for (int p : months) {
    const std::string t = TableName(p), x = IndexName(p), old = t + "_v4";
    const std::string sql =
        "ALTER TABLE " + t + " RENAME TO " + old + ";" + PartitionDdl(p) + ";" +
        "INSERT OR IGNORE INTO " + t + " (instance, series, t, num, body)"
        " SELECT instance, series, t, num, body FROM " + old + " ORDER BY instance;" +
        "INSERT OR IGNORE INTO " + x + " (series, t, instance, num)"
        " SELECT series, t, instance, num FROM " + old + " ORDER BY series, t, instance;" +
        "DROP TABLE " + old + ";";
    DOTHI_RETURN_IF_ERROR(Exec(db, sql.c_str(), "cannot convert history month " + t));
  }
  // Waiting rows join their months, indexed (a half-done merge had copied some already).
  StmtPtr recent;
  DOTHI_RETURN_IF_ERROR(
      Prepare(db, "SELECT instance, series, t, num, body FROM history_recent ORDER BY instance", &recent));
  std::map<int, std::pair<StmtPtr, StmtPtr>> puts;
  int rc;
  while ((rc = sqlite3_step(recent.get())) == SQLITE_ROW) {
    const int p = PartitionOf(sqlite3_column_int64(recent.get(), 2));
    auto [it, created] = puts.try_emplace(p);
    if (created) {
      DOTHI_RETURN_IF_ERROR(Exec(db, PartitionDdl(p).c_str(), "cannot create history partition"));
      DOTHI_RETURN_IF_ERROR(Prepare(
          db, ("INSERT OR IGNORE INTO " + TableName(p) +
               " (instance, series, t, num, body) VALUES (?1, ?2, ?3, ?4, ?5)").c_str(),
          &it->second.first));
      DOTHI_RETURN_IF_ERROR(Prepare(db, PartitionSql(p, kInsertIndex).c_str(), &it->second.second));
    }
    for (sqlite3_stmt* put : {it->second.first.get(), it->second.second.get()}) {
      const int columns = put == it->second.first.get() ? 5 : 4;
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_bind_value(put, c + 1, sqlite3_column_value(recent.get(), c)) != SQLITE_OK) {
          return SqliteError(db, "cannot bind history row");
        }
      }
      DOTHI_RETURN_IF_ERROR(StepDone(db, put, "cannot move a waiting history row"));
    }
  }
  if (rc != SQLITE_DONE) return SqliteError(db, "cannot read recent history");
  return Status::OK();
}

Status SqliteEntityStore::PrepareHistoryWriter(Connection& conn) {
  sqlite3* db = conn.db;
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "SELECT id FROM history_series WHERE tenant = ?1 AND entity = ?2 AND attr = ?3 AND dataset = ?4",
      &conn.series_get));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "SELECT key FROM history_attrs WHERE attr = ?1", &conn.attr_get));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "INSERT INTO history_attrs (attr) VALUES (?1)", &conn.attr_put));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "INSERT INTO history_series (tenant, entity, attr, dataset) VALUES (?1, ?2, ?3, ?4)",
      &conn.series_put));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "INSERT INTO history_entities (tenant, id, types, deleted_at) VALUES (?1, ?2, ?3, NULL) "
          "ON CONFLICT (tenant, id) DO UPDATE SET types = excluded.types, deleted_at = NULL",
      &conn.history_entity_put));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "UPDATE history_entities SET deleted_at = ?3 WHERE tenant = ?1 AND id = ?2",
      &conn.history_entity_deleted));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "INSERT OR REPLACE INTO history_meta (key, value) VALUES ('next_instance', ?1)",
      &conn.meta_put));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "INSERT OR REPLACE INTO history_meta (key, value) VALUES ('indexed_through', ?1)",
      &conn.indexed_put));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "INSERT OR REPLACE INTO history_meta (key, value) VALUES ('merge_bound', ?1), "
          "('merge_through', ?2)",
      &conn.merge_state_put));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "DELETE FROM history_meta WHERE key IN ('merge_bound', 'merge_through')",
      &conn.merge_state_clear));
  return PrepareHistoryReader(conn);
}

Status SqliteEntityStore::PrepareHistoryReader(Connection& conn) {
  sqlite3* db = conn.db;
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "SELECT s.id, a.attr, s.dataset FROM history_series s JOIN history_attrs a ON a.key = s.attr "
          "WHERE s.tenant = ?1 AND s.entity = ?2 ORDER BY a.attr, s.dataset",
      &conn.series_list));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "SELECT types, deleted_at FROM history_entities WHERE tenant = ?1 AND id = ?2",
      &conn.history_entity_get));
  DOTHI_RETURN_IF_ERROR(Prepare(
      db, "SELECT id, types, deleted_at FROM history_entities WHERE tenant = ?1 ORDER BY id",
      &conn.history_entities_scan));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "BEGIN", &conn.read_begin));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "COMMIT", &conn.read_end));
  return Status::OK();
}

Status SqliteEntityStore::LoadHistoryState(Connection& conn) {
  sqlite3* db = conn.db;
  DOTHI_RETURN_IF_ERROR(ReadMeta(db, "next_instance", &next_instance_));
  std::vector<int> months;
  DOTHI_RETURN_IF_ERROR(ListPartitions(db, &months));
  std::lock_guard lock(partitions_mu_);
  partitions_.insert(months.begin(), months.end());

  // The rows waiting for the index: after indexed_through, those without an index entry
  // (a new series' rows and replaced instances were indexed as they were written).
  DOTHI_RETURN_IF_ERROR(ReadMeta(db, "indexed_through", &indexed_through_));
  std::lock_guard recent_lock(recent_mu_);
  recent_.clear();
  recent_rows_ = 0;
  for (int p : partitions_) {
    StmtPtr waiting;
    const std::string sql = "SELECT instance, series, t FROM " + TableName(p) +
                            " AS r WHERE instance > ?1 AND NOT EXISTS (SELECT 1 FROM " +
                            IndexName(p) +
                            " AS x WHERE x.series = r.series AND x.t = r.t AND x.instance = r.instance)";
    DOTHI_RETURN_IF_ERROR(Prepare(db, sql.c_str(), &waiting));
    DOTHI_RETURN_IF_ERROR(BindInt(db, waiting.get(), 1, indexed_through_));
    int rc;
    while ((rc = sqlite3_step(waiting.get())) == SQLITE_ROW) {
      recent_[sqlite3_column_int64(waiting.get(), 1)].push_back(
          {sqlite3_column_int64(waiting.get(), 0), sqlite3_column_int64(waiting.get(), 2)});
      ++recent_rows_;
    }
    if (rc != SQLITE_DONE) return SqliteError(db, "cannot read waiting history");
  }
  // One series' rows may sit in several months: instance order, as appends keep it.
  for (auto& [series, entries] : recent_) {
    std::sort(entries.begin(), entries.end(),
              [](const RecentEntry& a, const RecentEntry& b) { return a.instance < b.instance; });
  }

  // A merge cut short (by a crash, or a close told not to finish it) goes on after the last
  // series it had indexed.
  std::int64_t bound = 0, through = 0;
  DOTHI_RETURN_IF_ERROR(ReadMeta(db, "merge_bound", &bound));
  DOTHI_RETURN_IF_ERROR(ReadMeta(db, "merge_through", &through));
  merge_bound_ = bound;
  merge_series_.clear();
  merge_next_ = 0;
  if (bound != 0) {
    merge_series_ = WaitingSeriesAfter(through);
    merge_automatic_ = true;
  }
  return Status::OK();
}

std::vector<int> SqliteEntityStore::PartitionsSnapshot(std::uint64_t* generation) const {
  std::lock_guard lock(partitions_mu_);
  if (generation != nullptr) *generation = partition_generation_.load();
  return {partitions_.begin(), partitions_.end()};
}

std::vector<int> SqliteEntityStore::HistoryPartitionsForTesting() const {
  return PartitionsSnapshot(nullptr);
}

std::size_t SqliteEntityStore::HistoryRecentRowsForTesting() const {
  std::lock_guard lock(recent_mu_);
  return recent_rows_;
}

SqliteEntityStore::HistoryMergeStats SqliteEntityStore::MergeStats() const {
  HistoryMergeStats st;
  {
    std::lock_guard lock(recent_mu_);
    st.waiting = recent_rows_;
  }
  st.merged = merged_rows_.load(std::memory_order_relaxed);
  st.merge_micros = merge_micros_.load(std::memory_order_relaxed);
  return st;
}

Status SqliteEntityStore::EnsurePartition(int partition) {
  if (partition == last_partition_) return Status::OK();  // the usual case: this month
  {
    std::lock_guard lock(partitions_mu_);
    if (partitions_.count(partition)) {
      last_partition_ = partition;
      return Status::OK();
    }
  }
  if (std::find(txn_new_partitions_.begin(), txn_new_partitions_.end(), partition) !=
      txn_new_partitions_.end()) {
    return Status::OK();
  }
  // Rows in instance order (an insert appends at the table's end and shares its page with
  // the inserts before it); the index clusters each series by time (in the order reads want)
  // and carries the number, so a numeric aggregation reads the index alone. Clustering the
  // rows themselves by series made every update split a leaf in the middle of the tree: 89
  // instead of 57 us of CPU per durable update (docs/decisions/0003). The index is a table of
  // its own so that a row can wait for its entry (docs/decisions/0006).
  const std::string sql = PartitionDdl(partition);
  DOTHI_RETURN_IF_ERROR(Exec(write_conn_->db, sql.c_str(), "cannot create history partition"));
  txn_new_partitions_.push_back(partition);
  return Status::OK();
}

Result<std::int64_t> SqliteEntityStore::AttrKey(std::string_view attr, bool create) {
  auto it = attr_keys_.find(attr);
  if (it != attr_keys_.end()) return it->second;
  sqlite3* db = write_conn_->db;
  std::int64_t key = 0;
  {
    sqlite3_stmt* get = write_conn_->attr_get.get();
    ResetOnExit reset(get);
    DOTHI_RETURN_IF_ERROR(BindText(db, get, 1, attr));
    int rc = sqlite3_step(get);
    if (rc == SQLITE_ROW) key = sqlite3_column_int64(get, 0);
    else if (rc != SQLITE_DONE) return SqliteError(db, "cannot read history attribute");
  }
  if (key == 0) {
    if (!create) return std::int64_t{0};
    sqlite3_stmt* put = write_conn_->attr_put.get();
    DOTHI_RETURN_IF_ERROR(BindText(db, put, 1, attr));
    DOTHI_RETURN_IF_ERROR(StepDone(db, put, "cannot write history attribute"));
    key = sqlite3_last_insert_rowid(db);
    txn_new_attrs_.emplace_back(attr);
  }
  attr_keys_.emplace(std::string(attr), key);
  return key;
}

Result<std::int64_t> SqliteEntityStore::SeriesId(std::string_view tenant, std::string_view entity,
                                                 std::string_view attr, std::string_view dataset,
                                                 bool create) {
  SeriesKey(tenant, entity, attr, dataset, series_key_);
  const SeriesDigest key{HashBytes(series_key_), std::hash<std::string_view>{}(series_key_)};
  if (const CachedSeries* hit = series_cache_.Find(
          key.a, [&](const CachedSeries& c) { return c.b == key.b; })) {
    return hit->id;
  }
  sqlite3* db = write_conn_->db;
  Result<std::int64_t> attr_key = AttrKey(attr, create);
  if (!attr_key.ok()) return attr_key.status();
  if (*attr_key == 0) return std::int64_t{0};
  sqlite3_stmt* get = write_conn_->series_get.get();
  std::int64_t id = 0;
  {
    ResetOnExit reset(get);
    DOTHI_RETURN_IF_ERROR(BindText(db, get, 1, tenant));
    DOTHI_RETURN_IF_ERROR(BindText(db, get, 2, entity));
    DOTHI_RETURN_IF_ERROR(BindInt(db, get, 3, *attr_key));
    DOTHI_RETURN_IF_ERROR(BindText(db, get, 4, dataset));
    int rc = sqlite3_step(get);
    if (rc == SQLITE_ROW) id = sqlite3_column_int64(get, 0);
    else if (rc != SQLITE_DONE) return SqliteError(db, "cannot read history series");
  }
  if (id == 0) {
    if (!create) return std::int64_t{0};
    sqlite3_stmt* put = write_conn_->series_put.get();
    DOTHI_RETURN_IF_ERROR(BindText(db, put, 1, tenant));
    DOTHI_RETURN_IF_ERROR(BindText(db, put, 2, entity));
    DOTHI_RETURN_IF_ERROR(BindInt(db, put, 3, *attr_key));
    DOTHI_RETURN_IF_ERROR(BindText(db, put, 4, dataset));
    DOTHI_RETURN_IF_ERROR(StepDone(db, put, "cannot write history series"));
    id = sqlite3_last_insert_rowid(db);
    txn_new_series_.push_back(key);
    // Ids are one more than the largest so far: every series from here on is new.
    if (txn_first_new_series_ == 0) txn_first_new_series_ = id;
  }
  // Past its bound the cache starts over when the transaction ends (the keys of this
  // transaction's new series must stay forgettable until then).
  series_cache_.Insert(key.a, CachedSeries{key.b, id});
  return id;
}

Status SqliteEntityStore::AppendInstance(std::string_view tenant, std::string_view entity,
                                         const HistoryInstance& inst) {
  Result<std::int64_t> series = SeriesId(tenant, entity, inst.attr, inst.dataset_id, true);
  if (!series.ok()) return series.status();
  const std::int64_t instance = next_instance_++;
  const int partition = PartitionOf(inst.time);
  DOTHI_RETURN_IF_ERROR(EnsurePartition(partition));
  // The row appends to its month's table (instances only grow).
  DOTHI_RETURN_IF_ERROR(PutInstance(partition, kInsertRow, *series, instance, inst));
  if (txn_first_new_series_ == 0 || *series < txn_first_new_series_) {
    // An existing series: its index entry would land in the middle of the month's index
    // (one random page written per update), so the row waits for a merge.
    std::lock_guard lock(recent_mu_);
    recent_[*series].push_back({instance, inst.time});
    ++recent_rows_;
    txn_recent_series_.push_back(*series);
    return Status::OK();
  }
  // A series new in this transaction sorts after every older one: its entries append to
  // the index's end.
  return PutInstance(partition, kInsertIndex, *series, instance, inst);
}

Status SqliteEntityStore::PutInstance(int partition, int kind, std::int64_t series,
                                      std::int64_t instance, const HistoryInstance& inst) {
  sqlite3* db = write_conn_->db;
  Status s;
  sqlite3_stmt* put = write_conn_->PartitionStmt(partition, kind, PartitionSql, &s);
  if (put == nullptr) return s;
  // kInsertRow and kInsertIndex take the same parameters; only the row has the body.
  DOTHI_RETURN_IF_ERROR(BindInt(db, put, 1, instance));
  DOTHI_RETURN_IF_ERROR(BindInt(db, put, 2, series));
  DOTHI_RETURN_IF_ERROR(BindInt(db, put, 3, inst.time));
  if (inst.number && sqlite3_bind_double(put, 4, *inst.number) != SQLITE_OK) {
    return SqliteError(db, "cannot bind number");
  }
  if (kind == kInsertRow) DOTHI_RETURN_IF_ERROR(BindBlob(db, put, 5, inst.bytes));
  return StepDone(db, put, "cannot write history instance");
}

Status SqliteEntityStore::WriteHistory(const EntityWrite& w) {
  sqlite3* db = write_conn_->db;
  if (w.history_types) {
    sqlite3_stmt* stmt = write_conn_->history_entity_put.get();
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, w.tenant));
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, w.id));
    DOTHI_RETURN_IF_ERROR(BindBlob(db, stmt, 3, *w.history_types));
    DOTHI_RETURN_IF_ERROR(StepDone(db, stmt, "cannot write history entity", w.id));
  }
  for (const HistoryInstance& inst : w.history) {
    DOTHI_RETURN_IF_ERROR(AppendInstance(w.tenant, w.id, inst));
  }
  if (w.kind == EntityWrite::Kind::kDelete && w.history_time != 0) {
    sqlite3_stmt* stmt = write_conn_->history_entity_deleted.get();
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, w.tenant));
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, w.id));
    DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 3, w.history_time));
    DOTHI_RETURN_IF_ERROR(StepDone(db, stmt, "cannot mark history entity deleted", w.id));
  }
  return Status::OK();
}

Status SqliteEntityStore::FinishHistoryTransaction() {
  if (next_instance_ == txn_first_instance_) return Status::OK();
  sqlite3* db = write_conn_->db;
  sqlite3_stmt* stmt = write_conn_->meta_put.get();
  DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 1, next_instance_));
  DOTHI_RETURN_IF_ERROR(StepDone(db, stmt, "cannot write history state"));
  if (recent_rows_ != 0 || merge_bound_ != 0) return Status::OK();
  // Nothing waits: every instance so far is indexed (or gone), and a restart need not look
  // at them (a load of new entities keeps this moving; the row shares the page above).
  return SetIndexedThrough(next_instance_ - 1);
}

Status SqliteEntityStore::SetIndexedThrough(std::int64_t instance) {
  if (instance <= indexed_through_) return Status::OK();
  sqlite3* db = write_conn_->db;
  sqlite3_stmt* stmt = write_conn_->indexed_put.get();
  DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 1, instance));
  DOTHI_RETURN_IF_ERROR(StepDone(db, stmt, "cannot write history state"));
  txn_indexed_through_ = instance;
  return Status::OK();
}

void SqliteEntityStore::HistoryTransactionEnded(bool committed) {
  if (committed && txn_indexed_through_ != 0) indexed_through_ = txn_indexed_through_;
  txn_indexed_through_ = 0;
  if (committed) {
    if (!txn_new_partitions_.empty()) {
      std::lock_guard lock(partitions_mu_);
      partitions_.insert(txn_new_partitions_.begin(), txn_new_partitions_.end());
    }
    if (!txn_recent_deleted_.empty()) {
      // One pass over each series' entries (a retention step may delete thousands of one).
      std::sort(txn_recent_deleted_.begin(), txn_recent_deleted_.end());
      std::lock_guard lock(recent_mu_);
      for (auto group = txn_recent_deleted_.begin(); group != txn_recent_deleted_.end();) {
        const std::int64_t series = group->first;
        auto end = std::find_if(group, txn_recent_deleted_.end(),
                                [&](const auto& d) { return d.first != series; });
        if (auto it = recent_.find(series); it != recent_.end()) {
          auto& entries = it->second;
          auto gone = std::remove_if(entries.begin(), entries.end(), [&](const RecentEntry& e) {
            return std::binary_search(group, end, std::make_pair(series, e.instance));
          });
          recent_rows_ -= static_cast<std::size_t>(entries.end() - gone);
          entries.erase(gone, entries.end());
          if (entries.empty()) recent_.erase(it);
        }
        group = end;
      }
    }
  } else {
    if (!txn_recent_series_.empty()) {
      // This transaction's instances are the newest entries of their series.
      std::lock_guard lock(recent_mu_);
      for (std::int64_t series : txn_recent_series_) {
        auto it = recent_.find(series);
        if (it == recent_.end()) continue;
        auto& entries = it->second;
        while (!entries.empty() && entries.back().instance >= txn_first_instance_) {
          entries.pop_back();
          --recent_rows_;
        }
        if (entries.empty()) recent_.erase(it);
      }
    }
    // The rolled-back tables and series do not exist: forget their statements and ids.
    // Instance ids are not reused (a gap is harmless).
    for (int p : txn_new_partitions_) {
      for (auto it = write_conn_->partition_stmts.begin(); it != write_conn_->partition_stmts.end();) {
        it = it->first.first == p ? write_conn_->partition_stmts.erase(it) : std::next(it);
      }
    }
    for (const SeriesDigest& key : txn_new_series_) {
      series_cache_.Erase(key.a, [&](const CachedSeries& c) { return c.b == key.b; });
    }
    for (const std::string& attr : txn_new_attrs_) attr_keys_.erase(attr);
  }
  txn_new_attrs_.clear();
  txn_new_partitions_.clear();
  txn_new_series_.clear();
  txn_recent_series_.clear();
  txn_recent_deleted_.clear();
  txn_first_new_series_ = 0;
  if (series_cache_.size() > kSeriesCacheMax) {
    series_cache_.Clear();  // gives its memory back too
  }
  txn_first_instance_ = next_instance_;
}

Status SqliteEntityStore::DeleteWaiting(std::int64_t series, const std::vector<RecentEntry>& entries,
                                        std::size_t* deleted) {
  *deleted = 0;
  sqlite3* db = write_conn_->db;
  for (const RecentEntry& e : entries) {
    Status s;
    sqlite3_stmt* del = write_conn_->PartitionStmt(PartitionOf(e.time), kDeleteRow, PartitionSql, &s);
    if (del == nullptr) return s;
    DOTHI_RETURN_IF_ERROR(BindInt(db, del, 1, series));
    DOTHI_RETURN_IF_ERROR(BindInt(db, del, 2, e.instance));
    DOTHI_RETURN_IF_ERROR(StepDone(db, del, "cannot delete history instance"));
    if (sqlite3_changes(db) == 0) continue;
    ++*deleted;
    txn_recent_deleted_.emplace_back(series, e.instance);
  }
  return Status::OK();
}

Status SqliteEntityStore::DeleteIndexed(int partition, std::int64_t series, std::int64_t before,
                                        std::size_t* rows) {
  sqlite3* db = write_conn_->db;
  for (int kind : {kDeleteSeriesRows, kDeleteSeriesIndex}) {  // rows first: they need the index
    Status s;
    sqlite3_stmt* del = write_conn_->PartitionStmt(partition, kind, PartitionSql, &s);
    if (del == nullptr) return s;
    DOTHI_RETURN_IF_ERROR(BindInt(db, del, 1, series));
    DOTHI_RETURN_IF_ERROR(BindInt(db, del, 2, before));
    DOTHI_RETURN_IF_ERROR(StepDone(db, del, "cannot delete history instances"));
    if (kind == kDeleteSeriesRows) *rows = static_cast<std::size_t>(sqlite3_changes(db));
  }
  return Status::OK();
}

bool SqliteEntityStore::HistoryMergeDue() const {
  if (merge_paused_) return false;
  if (merge_bound_ != 0) return merge_automatic_;
  return recent_rows_ >= options_.history_merge_rows;
}

Status SqliteEntityStore::RunHistoryMergeStep(bool automatic) {
  if (merge_bound_ == 0) {
    if (recent_rows_ == 0) return Status::OK();
    merge_automatic_ = automatic;
    // No transaction is open: every instance below next_instance_ is committed (or was
    // rolled back and has no row).
    merge_bound_ = next_instance_ - 1;
    merge_series_ = WaitingSeriesAfter(0);
    merge_next_ = 0;
  }
  const std::size_t resume = merge_next_;
  bool last = false;
  std::size_t rows = 0;
  const auto start = std::chrono::steady_clock::now();
  Status s = InWriteTransaction([&] { return MergeChunk(&last, &rows); });
  merge_micros_.fetch_add(static_cast<std::uint64_t>(
                              std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count()),
                          std::memory_order_relaxed);
  if (s.ok()) merged_rows_.fetch_add(rows, std::memory_order_relaxed);
  if (!s.ok()) {
    spdlog::warn("sqlite store: history merge step failed (retried after the next commit): {}",
                 s.message());
    merge_next_ = resume;
    merge_paused_ = true;
    return s;
  }
  if (!last) return Status::OK();
  // Nothing up to the bound waits any more.
  {
    std::lock_guard lock(recent_mu_);
    for (auto it = recent_.begin(); it != recent_.end();) {
      auto& entries = it->second;
      auto keep = std::find_if(entries.begin(), entries.end(),
                               [&](const RecentEntry& e) { return e.instance > merge_bound_; });
      recent_rows_ -= static_cast<std::size_t>(keep - entries.begin());
      entries.erase(entries.begin(), keep);
      if (entries.empty()) {
        it = recent_.erase(it);
      } else {
        entries.shrink_to_fit();
        ++it;
      }
    }
  }
  spdlog::debug("sqlite store: merged history up to instance {} ({} series)", merge_bound_,
                merge_series_.size());
  merge_bound_ = 0;
  merge_series_.clear();
  merge_series_.shrink_to_fit();
  merge_next_ = 0;
  return Status::OK();
}

std::vector<std::int64_t> SqliteEntityStore::WaitingSeriesAfter(std::int64_t after) const {
  std::vector<std::int64_t> out;
  out.reserve(recent_.size());
  for (const auto& [series, entries] : recent_) {
    if (series > after) out.push_back(series);
  }
  // Series ids are given out in order, so each series' rows sit next to its neighbours'
  // in the month index: in id order the merge walks the index once.
  std::sort(out.begin(), out.end());
  return out;
}

Status SqliteEntityStore::MergeChunk(bool* last, std::size_t* merged) {
  sqlite3* db = write_conn_->db;
  // The chunk's instance ids by month, in series order: one statement per month.
  std::vector<std::pair<int, std::string>> months;
  std::size_t& rows = *merged;
  while (merge_next_ < merge_series_.size() && rows < options_.history_merge_chunk) {
    // recent_ changes only on this thread, so reading it needs no lock.
    auto it = recent_.find(merge_series_[merge_next_++]);
    if (it == recent_.end()) continue;  // deleted meanwhile
    for (const RecentEntry& e : it->second) {
      if (e.instance > merge_bound_) break;
      const int partition = PartitionOf(e.time);
      auto m = std::find_if(months.begin(), months.end(),
                            [&](const auto& p) { return p.first == partition; });
      if (m == months.end()) m = months.insert(months.end(), {partition, "["});
      if (m->second.size() > 1) m->second.push_back(',');
      m->second += std::to_string(e.instance);
      ++rows;
    }
  }
  for (auto& [partition, ids] : months) {
    ids.push_back(']');
    DOTHI_RETURN_IF_ERROR(EnsurePartition(partition));
    Status s;
    sqlite3_stmt* stmt = write_conn_->PartitionStmt(partition, kMerge, PartitionSql, &s);
    if (stmt == nullptr) return s;
    DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, ids));
    DOTHI_RETURN_IF_ERROR(StepDone(db, stmt, "cannot merge history instances"));
  }
  *last = merge_next_ == merge_series_.size();
  if (!*last) {
    // Where to go on after a crash, committed with the rows it describes.
    sqlite3_stmt* put = write_conn_->merge_state_put.get();
    DOTHI_RETURN_IF_ERROR(BindInt(db, put, 1, merge_bound_));
    DOTHI_RETURN_IF_ERROR(BindInt(db, put, 2, merge_series_[merge_next_ - 1]));
    return StepDone(db, put, "cannot write history state");
  }
  DOTHI_RETURN_IF_ERROR(
      StepDone(db, write_conn_->merge_state_clear.get(), "cannot write history state"));
  // Every row up to the bound is indexed now, except rows appended during the merge (above
  // the bound) and ones that were waiting when it started and still do: none can.
  return SetIndexedThrough(merge_bound_);
}

Status SqliteEntityStore::DeleteSeries(std::int64_t series) {
  sqlite3* db = write_conn_->db;
  if (auto it = recent_.find(series); it != recent_.end()) {
    std::size_t deleted = 0;
    DOTHI_RETURN_IF_ERROR(DeleteWaiting(series, it->second, &deleted));
  }
  std::vector<int> parts = PartitionsSnapshot(nullptr);
  parts.insert(parts.end(), txn_new_partitions_.begin(), txn_new_partitions_.end());
  for (int p : parts) {
    std::size_t rows = 0;
    DOTHI_RETURN_IF_ERROR(
        DeleteIndexed(p, series, std::numeric_limits<std::int64_t>::max(), &rows));
  }
  StmtPtr del;
  DOTHI_RETURN_IF_ERROR(Prepare(db, "DELETE FROM history_series WHERE id = ?1", &del));
  DOTHI_RETURN_IF_ERROR(BindInt(db, del.get(), 1, series));
  DOTHI_RETURN_IF_ERROR(StepDone(db, del.get(), "cannot delete history series"));
  // The cache may still name it; drop every entry with this id.
  series_cache_.EraseIf([&](const CachedSeries& c) { return c.id == series; });
  return Status::OK();
}

Status SqliteEntityStore::ApplyEdit(const HistoryEdit& edit, std::size_t* affected) {
  sqlite3* db = write_conn_->db;
  *affected = 0;
  switch (edit.kind) {
    case HistoryEdit::Kind::kAppend: {
      if (edit.types) {
        sqlite3_stmt* stmt = write_conn_->history_entity_put.get();
        DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, edit.tenant));
        DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, edit.entity));
        DOTHI_RETURN_IF_ERROR(BindBlob(db, stmt, 3, *edit.types));
        DOTHI_RETURN_IF_ERROR(StepDone(db, stmt, "cannot write history entity", edit.entity));
      }
      for (const HistoryInstance& inst : edit.instances) {
        DOTHI_RETURN_IF_ERROR(AppendInstance(edit.tenant, edit.entity, inst));
        ++*affected;
      }
      return Status::OK();
    }
    case HistoryEdit::Kind::kReplaceInstance:
    case HistoryEdit::Kind::kDeleteInstance: {
      // The instance may belong to any dataset of the attribute.
      StmtPtr list;
      DOTHI_RETURN_IF_ERROR(Prepare(
          db, "SELECT s.id, s.dataset FROM history_series s JOIN history_attrs a ON a.key = s.attr "
              "WHERE s.tenant = ?1 AND s.entity = ?2 AND a.attr = ?3",
          &list));
      DOTHI_RETURN_IF_ERROR(BindText(db, list.get(), 1, edit.tenant));
      DOTHI_RETURN_IF_ERROR(BindText(db, list.get(), 2, edit.entity));
      DOTHI_RETURN_IF_ERROR(BindText(db, list.get(), 3, edit.attr));
      std::vector<std::pair<std::int64_t, std::string>> series;
      int rc;
      while ((rc = sqlite3_step(list.get())) == SQLITE_ROW) {
        series.emplace_back(sqlite3_column_int64(list.get(), 0), std::string(ColumnView(list.get(), 1)));
      }
      if (rc != SQLITE_DONE) return SqliteError(db, "cannot list history series");
      list.reset();
      std::vector<int> parts = PartitionsSnapshot(nullptr);
      parts.insert(parts.end(), txn_new_partitions_.begin(), txn_new_partitions_.end());
      for (const auto& [id, dataset] : series) {
        // The instance waits for the index, is indexed, or both while a merge that has
        // indexed it has not yet ended: delete the row and any index entry.
        std::size_t found = 0;
        if (auto it = recent_.find(id); it != recent_.end()) {
          for (const RecentEntry& e : it->second) {
            if (e.instance != edit.instance) continue;
            DOTHI_RETURN_IF_ERROR(DeleteWaiting(id, {e}, &found));
            break;
          }
        }
        for (int p : parts) {
          std::size_t changes = 0;
          for (int kind : {kDeleteRow, kDeleteIndexed}) {
            Status s;
            sqlite3_stmt* del = write_conn_->PartitionStmt(p, kind, PartitionSql, &s);
            if (del == nullptr) return s;
            DOTHI_RETURN_IF_ERROR(BindInt(db, del, 1, id));
            DOTHI_RETURN_IF_ERROR(BindInt(db, del, 2, edit.instance));
            DOTHI_RETURN_IF_ERROR(StepDone(db, del, "cannot delete history instance"));
            changes += static_cast<std::size_t>(sqlite3_changes(db));
          }
          if (changes == 0) continue;
          found = 1;
          break;
        }
        if (found == 0) continue;
        *affected = 1;
        if (edit.kind == HistoryEdit::Kind::kReplaceInstance && !edit.instances.empty()) {
          // Same instance id, possibly a new time (and so another partition), indexed at
          // once (an edit is rare), so it never waits.
          HistoryInstance inst = edit.instances.front();
          inst.attr = edit.attr;
          inst.dataset_id = dataset;
          const int target = PartitionOf(inst.time);
          DOTHI_RETURN_IF_ERROR(EnsurePartition(target));
          for (int kind : {kInsertRow, kInsertIndex}) {
            DOTHI_RETURN_IF_ERROR(PutInstance(target, kind, id, edit.instance, inst));
          }
        }
        return Status::OK();
      }
      return Status::OK();
    }
    case HistoryEdit::Kind::kDeleteAttr:
    case HistoryEdit::Kind::kDeleteEntity: {
      const bool whole = edit.kind == HistoryEdit::Kind::kDeleteEntity;
      StmtPtr list;
      DOTHI_RETURN_IF_ERROR(Prepare(
          db, "SELECT s.id, a.attr, s.dataset FROM history_series s JOIN history_attrs a ON a.key = s.attr "
              "WHERE s.tenant = ?1 AND s.entity = ?2", &list));
      DOTHI_RETURN_IF_ERROR(BindText(db, list.get(), 1, edit.tenant));
      DOTHI_RETURN_IF_ERROR(BindText(db, list.get(), 2, edit.entity));
      std::vector<std::int64_t> doomed;
      int rc;
      while ((rc = sqlite3_step(list.get())) == SQLITE_ROW) {
        if (!whole) {
          if (ColumnView(list.get(), 1) != edit.attr) continue;
          if (!edit.all_datasets && ColumnView(list.get(), 2) != edit.dataset_id) continue;
        }
        doomed.push_back(sqlite3_column_int64(list.get(), 0));
      }
      if (rc != SQLITE_DONE) return SqliteError(db, "cannot list history series");
      list.reset();
      for (std::int64_t id : doomed) DOTHI_RETURN_IF_ERROR(DeleteSeries(id));
      *affected = doomed.size();
      if (whole) {
        StmtPtr del;
        DOTHI_RETURN_IF_ERROR(
            Prepare(db, "DELETE FROM history_entities WHERE tenant = ?1 AND id = ?2", &del));
        DOTHI_RETURN_IF_ERROR(BindText(db, del.get(), 1, edit.tenant));
        DOTHI_RETURN_IF_ERROR(BindText(db, del.get(), 2, edit.entity));
        DOTHI_RETURN_IF_ERROR(StepDone(db, del.get(), "cannot delete history entity"));
        *affected += static_cast<std::size_t>(sqlite3_changes(db));
      }
      return Status::OK();
    }
  }
  return Status::OK();
}

Result<std::vector<std::size_t>> SqliteEntityStore::EditHistory(std::vector<HistoryEdit> edits) {
  auto affected = std::make_shared<std::vector<std::size_t>>(edits.size(), 0);
  auto request = std::make_unique<Request>();
  request->is_commit = true;
  request->custom = [this, edits = std::move(edits), affected]() -> Status {
    for (std::size_t i = 0; i < edits.size(); ++i) {
      DOTHI_RETURN_IF_ERROR(ApplyEdit(edits[i], &(*affected)[i]));
    }
    return Status::OK();
  };
  DOTHI_RETURN_IF_ERROR(SubmitAndWait(std::move(request)));
  return std::move(*affected);
}

Result<PruneStep> SqliteEntityStore::PruneHistory(std::string_view tenant, std::int64_t cutoff,
                                                  std::int64_t after_series,
                                                  std::size_t max_series) {
  auto step = std::make_shared<PruneStep>();
  auto request = std::make_unique<Request>();
  request->custom = [this, tenant = std::string(tenant), cutoff, after_series, max_series,
                     step]() -> Status {
    sqlite3* db = write_conn_->db;
    StmtPtr list;
    DOTHI_RETURN_IF_ERROR(Prepare(
        db, "SELECT id FROM history_series WHERE tenant = ?1 AND id > ?2 ORDER BY id LIMIT ?3", &list));
    DOTHI_RETURN_IF_ERROR(BindText(db, list.get(), 1, tenant));
    DOTHI_RETURN_IF_ERROR(BindInt(db, list.get(), 2, after_series));
    DOTHI_RETURN_IF_ERROR(BindInt(db, list.get(), 3, static_cast<std::int64_t>(max_series)));
    std::vector<std::int64_t> ids;
    int rc;
    while ((rc = sqlite3_step(list.get())) == SQLITE_ROW) ids.push_back(sqlite3_column_int64(list.get(), 0));
    if (rc != SQLITE_DONE) return SqliteError(db, "cannot list history series");
    list.reset();
    std::vector<int> parts;
    for (int p : PartitionsSnapshot(nullptr)) {
      if (PartitionStart(p) < cutoff) parts.push_back(p);
    }
    for (std::int64_t id : ids) {
      if (auto it = recent_.find(id); it != recent_.end()) {
        std::vector<RecentEntry> old;
        for (const RecentEntry& e : it->second) {
          if (e.time < cutoff) old.push_back(e);
        }
        std::size_t deleted = 0;
        DOTHI_RETURN_IF_ERROR(DeleteWaiting(id, old, &deleted));
        step->rows_deleted += deleted;
      }
      for (int p : parts) {
        std::size_t rows = 0;
        DOTHI_RETURN_IF_ERROR(DeleteIndexed(p, id, cutoff, &rows));
        step->rows_deleted += rows;
      }
    }
    step->next_series = ids.empty() ? after_series : ids.back();
    step->done = ids.size() < max_series;
    if (!step->done) return Status::OK();
    // Months wholly before the cutoff that no tenant still has rows in go away as a whole.
    std::vector<int> dropped;
    for (int p : parts) {
      if (PartitionEnd(p) > cutoff) continue;
      Status s;
      sqlite3_stmt* any = write_conn_->PartitionStmt(p, kAny, PartitionSql, &s);
      if (any == nullptr) return s;
      rc = sqlite3_step(any);
      sqlite3_reset(any);
      if (rc == SQLITE_ROW) continue;
      if (rc != SQLITE_DONE) return SqliteError(db, "cannot read history partition");
      dropped.push_back(p);
    }
    for (int p : dropped) {
      for (auto it = write_conn_->partition_stmts.begin(); it != write_conn_->partition_stmts.end();) {
        it = it->first.first == p ? write_conn_->partition_stmts.erase(it) : std::next(it);
      }
      const std::string sql = "DROP TABLE " + TableName(p) + "; DROP TABLE " + IndexName(p);
      DOTHI_RETURN_IF_ERROR(Exec(db, sql.c_str(), "cannot drop history partition"));
    }
    if (!dropped.empty()) {
      last_partition_ = 0;
      // Readers stop using the dropped tables before the DROP commits: they re-check the
      // generation at each read. (A reader that snapshotted just before sees "no such
      // table" and retries.)
      std::lock_guard lock(partitions_mu_);
      for (int p : dropped) partitions_.erase(p);
      partition_generation_.fetch_add(1);
    }
    return Status::OK();
  };
  DOTHI_RETURN_IF_ERROR(SubmitAndWait(std::move(request)));
  return *step;
}

Result<std::optional<HistoryEntity>> SqliteEntityStore::GetHistoryEntity(std::string_view tenant,
                                                                         std::string_view id) {
  Result<std::unique_ptr<Connection>> acquired = AcquireReader();
  if (!acquired.ok()) return acquired.status();
  ReadLease conn(this, std::move(acquired).value());
  sqlite3* db = conn->db;
  sqlite3_stmt* stmt = conn->history_entity_get.get();
  ResetOnExit reset(stmt);
  DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, tenant));
  DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, id));
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::optional<HistoryEntity>();
  if (rc != SQLITE_ROW) return SqliteError(db, "cannot read history entity");
  HistoryEntity e;
  e.id = std::string(id);
  e.types = std::string(ColumnView(stmt, 0));
  if (sqlite3_column_type(stmt, 1) != SQLITE_NULL) e.deleted_at = sqlite3_column_int64(stmt, 1);
  return std::optional<HistoryEntity>(std::move(e));
}

Status SqliteEntityStore::ScanHistoryEntities(std::string_view tenant, const HistoryEntityFn& fn) {
  Result<std::unique_ptr<Connection>> acquired = AcquireReader();
  if (!acquired.ok()) return acquired.status();
  ReadLease conn(this, std::move(acquired).value());
  sqlite3* db = conn->db;
  sqlite3_stmt* stmt = conn->history_entities_scan.get();
  ResetOnExit reset(stmt);
  DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, tenant));
  int rc;
  HistoryEntity e;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    e.id = std::string(ColumnView(stmt, 0));
    e.types = std::string(ColumnView(stmt, 1));
    e.deleted_at.reset();
    if (sqlite3_column_type(stmt, 2) != SQLITE_NULL) e.deleted_at = sqlite3_column_int64(stmt, 2);
    fn(e);
  }
  if (rc != SQLITE_DONE) return SqliteError(db, "cannot scan history entities");
  return Status::OK();
}

Result<std::vector<HistorySeries>> SqliteEntityStore::ListSeries(std::string_view tenant,
                                                                 std::string_view entity) {
  Result<std::unique_ptr<Connection>> acquired = AcquireReader();
  if (!acquired.ok()) return acquired.status();
  ReadLease conn(this, std::move(acquired).value());
  sqlite3* db = conn->db;
  sqlite3_stmt* stmt = conn->series_list.get();
  ResetOnExit reset(stmt);
  DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 1, tenant));
  DOTHI_RETURN_IF_ERROR(BindText(db, stmt, 2, entity));
  std::vector<HistorySeries> out;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int64(stmt, 0), std::string(ColumnView(stmt, 1)),
                   std::string(ColumnView(stmt, 2))});
  }
  if (rc != SQLITE_DONE) return SqliteError(db, "cannot list history series");
  return out;
}

Status SqliteEntityStore::ReadSeries(std::string_view /*tenant*/, std::int64_t series,
                                     const HistoryRange& range, const HistoryRowFn& fn) {
  if (range.from >= range.to) return Status::OK();
  // The series' instances waiting for the index, as the writer knows them now. Taken
  // before the read snapshot: an entry is added before its row commits and dropped only
  // after its row is gone, so the list names every row the snapshot can hold there.
  std::vector<RecentEntry> waiting;
  {
    std::lock_guard lock(recent_mu_);
    if (auto it = recent_.find(series); it != recent_.end()) {
      for (const RecentEntry& e : it->second) {
        if (e.time >= range.from && e.time < range.to) waiting.push_back(e);
      }
    }
  }
  Result<std::unique_ptr<Connection>> acquired = AcquireReader();
  if (!acquired.ok()) return acquired.status();
  ReadLease conn(this, std::move(acquired).value());
  sqlite3* db = conn->db;
  std::uint64_t generation = 0;
  std::vector<int> parts = PartitionsSnapshot(&generation);
  if (conn->partition_generation != generation) {
    conn->partition_stmts.clear();
    conn->partition_generation = generation;
  }
  const int first = PartitionOf(range.from), last = PartitionOf(range.to - 1);
  parts.erase(std::remove_if(parts.begin(), parts.end(),
                             [&](int p) { return p < first || p > last; }),
              parts.end());
  if (parts.empty() && waiting.empty()) return Status::OK();
  // One read transaction over every month, so the window is one snapshot.
  DOTHI_RETURN_IF_ERROR(StepDone(db, conn->read_begin.get(), "cannot begin read"));
  struct EndRead {
    sqlite3* db;
    sqlite3_stmt* end;
    ~EndRead() { (void)StepDone(db, end, "cannot end read"); }
  } end_read{db, conn->read_end.get()};

  // Rows copied out of their statements, for the recent rows and the newest-last_n walk.
  struct Kept {
    std::int64_t time, instance;
    std::optional<double> number;
    std::string bytes;
    bool operator<(const Kept& o) const {
      return time != o.time ? time < o.time : instance < o.instance;
    }
  };
  auto read_row = [&](sqlite3_stmt* stmt, HistoryRow& row) {
    row.time = sqlite3_column_int64(stmt, 0);
    row.instance = sqlite3_column_int64(stmt, 1);
    if (sqlite3_column_type(stmt, 2) == SQLITE_NULL) row.number.reset();
    else row.number = sqlite3_column_double(stmt, 2);
    row.bytes = range.need_bytes ? ColumnView(stmt, 3) : std::string_view();
  };
  auto emit = [&](const Kept& k) {
    HistoryRow row{k.time, k.instance, k.number, k.bytes};
    return fn(row);
  };

  // The waiting rows this snapshot holds, oldest first.
  std::vector<Kept> recent;
  {
    HistoryRow row;
    for (const RecentEntry& e : waiting) {
      Status s;
      sqlite3_stmt* get = conn->PartitionStmt(PartitionOf(e.time), kGetRow, PartitionSql, &s);
      if (get == nullptr) {
        // Its month is not in this snapshot yet (created by a transaction still open).
        if (sqlite3_errcode(db) == SQLITE_ERROR) continue;
        return s;
      }
      ResetOnExit reset(get);
      DOTHI_RETURN_IF_ERROR(BindInt(db, get, 1, e.instance));
      int rc = sqlite3_step(get);
      if (rc == SQLITE_DONE) continue;  // not committed yet, or deleted
      if (rc != SQLITE_ROW) return SqliteError(db, "cannot read recent history");
      read_row(get, row);
      recent.push_back({row.time, row.instance, row.number, std::string(row.bytes)});
    }
    std::sort(recent.begin(), recent.end());
  }

  if (range.last_n == 0) {
    // Months in order, each oldest first, with the waiting rows merged in. A merge that has
    // indexed a row and not yet ended leaves it in both lists: it goes out once.
    std::size_t next = 0;
    const int kind = range.need_bytes ? kRangeRows : kRangeNumbers;
    for (int p : parts) {
      Status s;
      sqlite3_stmt* stmt = conn->PartitionStmt(p, kind, PartitionSql, &s);
      if (stmt == nullptr) {
        if (partition_generation_.load() != generation) continue;  // dropped meanwhile
        return s;
      }
      ResetOnExit reset(stmt);
      DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 1, series));
      DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 2, range.from));
      DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 3, range.to));
      int rc;
      HistoryRow row;
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        read_row(stmt, row);
        for (; next < recent.size(); ++next) {
          const Kept& r = recent[next];
          if (r.time > row.time || (r.time == row.time && r.instance >= row.instance)) break;
          if (!emit(r)) return Status::OK();
        }
        if (next < recent.size() && recent[next].instance == row.instance) ++next;  // a copy
        if (!fn(row)) return Status::OK();
      }
      if (rc != SQLITE_DONE) {
        // A retention sweep dropped the month (it held no rows) after our snapshot of the
        // list ("no such table"): its generation moved before the DROP committed.
        if (rc == SQLITE_ERROR && partition_generation_.load() != generation) continue;
        return SqliteError(db, "cannot read history");
      }
    }
    for (; next < recent.size(); ++next) {
      if (!emit(recent[next])) break;
    }
    return Status::OK();
  }

  // The newest last_n: walk the months backwards, then add the recent rows, drop copies
  // and hand the newest last_n out oldest first.
  std::vector<Kept> kept;
  const int kind = range.need_bytes ? kLastRows : kLastNumbers;
  for (auto it = parts.rbegin(); it != parts.rend() && kept.size() < range.last_n; ++it) {
    Status s;
    sqlite3_stmt* stmt = conn->PartitionStmt(*it, kind, PartitionSql, &s);
    if (stmt == nullptr) {
      if (partition_generation_.load() != generation) continue;  // dropped meanwhile
      return s;
    }
    ResetOnExit reset(stmt);
    DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 1, series));
    DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 2, range.from));
    DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 3, range.to));
    DOTHI_RETURN_IF_ERROR(BindInt(db, stmt, 4, static_cast<std::int64_t>(range.last_n - kept.size())));
    int rc;
    HistoryRow row;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      read_row(stmt, row);
      kept.push_back({row.time, row.instance, row.number, std::string(row.bytes)});
    }
    if (rc != SQLITE_DONE) {
      if (rc == SQLITE_ERROR && partition_generation_.load() != generation) continue;  // dropped
      return SqliteError(db, "cannot read history");
    }
  }
  kept.insert(kept.end(), std::make_move_iterator(recent.begin()),
              std::make_move_iterator(recent.end()));
  std::sort(kept.begin(), kept.end());
  kept.erase(std::unique(kept.begin(), kept.end(),
                         [](const Kept& a, const Kept& b) { return a.instance == b.instance; }),
             kept.end());
  const std::size_t skip = kept.size() > range.last_n ? kept.size() - range.last_n : 0;
  for (std::size_t i = skip; i < kept.size(); ++i) {
    if (!emit(kept[i])) break;
  }
  return Status::OK();
}

Result<std::vector<std::string>> SqliteEntityStore::HistoryTenants() {
  Result<std::unique_ptr<Connection>> acquired = AcquireReader();
  if (!acquired.ok()) return acquired.status();
  ReadLease conn(this, std::move(acquired).value());
  StmtPtr stmt;
  DOTHI_RETURN_IF_ERROR(Prepare(conn->db, "SELECT DISTINCT tenant FROM history_series", &stmt));
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) out.emplace_back(ColumnView(stmt.get(), 0));
  if (rc != SQLITE_DONE) return SqliteError(conn->db, "cannot list history tenants");
  return out;
}

Result<bool> SqliteEntityStore::NeedsBackfill() {
  Result<std::unique_ptr<Connection>> acquired = AcquireReader();
  if (!acquired.ok()) return acquired.status();
  ReadLease conn(this, std::move(acquired).value());
  StmtPtr stmt;
  DOTHI_RETURN_IF_ERROR(
      Prepare(conn->db, "SELECT 1 FROM history_meta WHERE key = 'backfill'", &stmt));
  int rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqliteError(conn->db, "cannot read history state");
  return rc == SQLITE_ROW;
}

Status SqliteEntityStore::MarkNeedsBackfill() {
  auto request = std::make_unique<Request>();
  request->custom = [this]() -> Status {
    return Exec(write_conn_->db, "INSERT OR REPLACE INTO history_meta (key, value) VALUES ('backfill', 1)",
                "cannot write history state");
  };
  return SubmitAndWait(std::move(request));
}

Status SqliteEntityStore::MarkBackfilled() {
  auto request = std::make_unique<Request>();
  request->custom = [this]() -> Status {
    return Exec(write_conn_->db, "DELETE FROM history_meta WHERE key = 'backfill'",
                "cannot write history state");
  };
  return SubmitAndWait(std::move(request));
}

}  // namespace dothi::storage::sqlite
