#include "storage/history_store.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "fakes/temp_dir.h"
#include "storage/sqlite/sqlite_entity_store.h"
#include "unit/storage/sqlite_sql.h"

// The SQLite store's temporal history: series, month partitions, windows and lastN, the
// temporal API's edits, retention, and a failed transaction leaving nothing behind. Each
// test runs twice: with new instances of existing series left waiting for their index
// entries, and with them merged into their months' indexes before every read
// (docs/decisions/0005, 0006).
namespace dothi::storage {
namespace {

using sqlite::SqliteEntityStore;
using sqlite::SqliteOptions;

constexpr const char* kLevel = "https://example.org/level";
constexpr const char* kId = "urn:ngsi-ld:WaterObserved:1";

std::int64_t At(std::string_view iso) { return ParseIso8601(iso)->micros; }

HistoryInstance Inst(std::int64_t t, double v, std::string dataset = {}) {
  HistoryInstance h;
  h.attr = kLevel;
  h.dataset_id = std::move(dataset);
  h.time = t;
  h.number = v;
  h.bytes = "v=" + std::to_string(v);
  return h;
}

EntityWrite WriteWith(std::string tenant, std::vector<HistoryInstance> history) {
  EntityWrite w = EntityWrite::Put(std::move(tenant), kId, "entity-bytes");
  w.history = std::move(history);
  w.history_types = "types";
  return w;
}

enum class Layout { kRecent, kMerged };

class HistoryStoreTest : public ::testing::TestWithParam<Layout> {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    SqliteOptions o;
    o.path = (dir_.path() / "h.db").string();
    o.history_merge_rows = SIZE_MAX;  // merges run only when a test asks
    o.history_merge_chunk = 2;        // and take several steps
    o.history_merge_on_close = false;
    store_ = std::make_unique<SqliteEntityStore>(o);
    ASSERT_TRUE(store_->Open().ok());
  }
  bool merged() const { return GetParam() == Layout::kMerged; }
  // kMerged: runs merge steps until nothing waits.
  void Settle() {
    if (!merged()) return;
    for (int i = 0; i < 10000 && store_->HistoryRecentRowsForTesting() > 0; ++i) {
      ASSERT_TRUE(store_->MergeHistoryStepForTesting().ok());
    }
    ASSERT_EQ(store_->HistoryRecentRowsForTesting(), 0u);
  }
  // (time, number) of a series in a range.
  std::vector<std::pair<std::int64_t, double>> Read(std::string_view tenant, HistoryRange r = {}) {
    Settle();
    std::vector<std::pair<std::int64_t, double>> out;
    Result<std::vector<HistorySeries>> series = store_->ListSeries(tenant, kId);
    EXPECT_TRUE(series.ok());
    for (const auto& s : *series) {
      EXPECT_TRUE(store_->ReadSeries(tenant, s.id, r, [&](const HistoryRow& row) {
        out.emplace_back(row.time, row.number.value_or(-1));
        return true;
      }).ok());
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteEntityStore> store_;
};

TEST_P(HistoryStoreTest, InstancesAcrossMonthsReadBackInTimeOrderWithinTheWindow) {
  const std::int64_t oct = At("2026-10-31T23:00:00Z"), nov = At("2026-11-01T01:00:00Z"),
                     dec = At("2026-12-05T00:00:00Z");
  // Written out of order, in two commits.
  ASSERT_TRUE(store_->Commit({WriteWith("city", {Inst(dec, 3), Inst(oct, 1)})}).ok());
  ASSERT_TRUE(store_->Commit({WriteWith("city", {Inst(nov, 2)})}).ok());
  // Every instance is in its month; the new series' ones are indexed already, the later one
  // waits in November's rows for a merge to index it.
  Settle();
  EXPECT_EQ(store_->HistoryPartitionsForTesting(), (std::vector<int>{202610, 202611, 202612}));
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), merged() ? 0u : 1u);
  using P = std::vector<std::pair<std::int64_t, double>>;
  EXPECT_EQ(Read("city"), (P{{oct, 1}, {nov, 2}, {dec, 3}}));
  // [from, to): the bound at `to` is out, the one at `from` in.
  EXPECT_EQ(Read("city", HistoryRange{nov, dec}), (P{{nov, 2}}));
  HistoryRange last2;
  last2.last_n = 2;
  EXPECT_EQ(Read("city", last2), (P{{nov, 2}, {dec, 3}}));
  // Another tenant's history is another series.
  EXPECT_TRUE(Read("other").empty());
  // Bodies come back with need_bytes, and not without.
  Result<std::vector<HistorySeries>> series = store_->ListSeries("city", kId);
  ASSERT_EQ(series->size(), 1u);
  std::vector<std::string> bodies;
  HistoryRange numbers_only;
  numbers_only.need_bytes = false;
  ASSERT_TRUE(store_->ReadSeries("city", series->front().id, HistoryRange{}, [&](const HistoryRow& r) {
    bodies.emplace_back(r.bytes);
    return true;
  }).ok());
  EXPECT_EQ(bodies, (std::vector<std::string>{"v=1.000000", "v=2.000000", "v=3.000000"}));
  ASSERT_TRUE(store_->ReadSeries("city", series->front().id, numbers_only, [&](const HistoryRow& r) {
    EXPECT_TRUE(r.bytes.empty());
    return true;
  }).ok());
}

TEST_P(HistoryStoreTest, InstanceIdsAreNeverReusedAcrossRestarts) {
  ASSERT_TRUE(store_->Commit({WriteWith("city", {Inst(At("2026-11-01T00:00:00Z"), 1)})}).ok());
  std::vector<std::int64_t> ids;
  auto collect = [&] {
    Settle();
    ids.clear();
    Result<std::vector<HistorySeries>> series = store_->ListSeries("city", kId);
    ASSERT_TRUE(store_->ReadSeries("city", series->front().id, HistoryRange{}, [&](const HistoryRow& r) {
      ids.push_back(r.instance);
      return true;
    }).ok());
  };
  collect();
  ASSERT_EQ(ids.size(), 1u);
  const std::int64_t first = ids[0];
  Reopen();
  ASSERT_TRUE(store_->Commit({WriteWith("city", {Inst(At("2026-11-02T00:00:00Z"), 2)})}).ok());
  collect();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_GT(ids[1], first);
}

TEST_P(HistoryStoreTest, TemporalEditsReplaceAndDeleteInstancesSeriesAndEntities) {
  const std::int64_t t1 = At("2026-11-01T00:00:00Z"), t2 = At("2026-11-01T01:00:00Z");
  ASSERT_TRUE(store_->Commit({WriteWith("city", {Inst(t1, 1), Inst(t2, 2), Inst(t1, 9, "urn:ds:b")})}).ok());
  std::int64_t first = 0;
  Result<std::vector<HistorySeries>> series = store_->ListSeries("city", kId);
  ASSERT_EQ(series->size(), 2u);  // default and urn:ds:b
  for (const auto& s : *series) {
    if (!s.dataset_id.empty()) continue;
    ASSERT_TRUE(store_->ReadSeries("city", s.id, HistoryRange{}, [&](const HistoryRow& r) {
      first = r.instance;
      return false;
    }).ok());
  }
  // Replace instance `first` (moves it to December), keeping its id.
  HistoryEdit replace;
  replace.kind = HistoryEdit::Kind::kReplaceInstance;
  replace.tenant = "city";
  replace.entity = kId;
  replace.attr = kLevel;
  replace.instance = first;
  replace.instances.push_back(Inst(At("2026-12-01T00:00:00Z"), 5));
  HistoryEdit missing = replace;
  missing.instance = first + 1000;
  Result<std::vector<std::size_t>> done = store_->EditHistory({replace, missing});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(*done, (std::vector<std::size_t>{1, 0}));  // the missing one changed nothing
  using P = std::vector<std::pair<std::int64_t, double>>;
  EXPECT_EQ(Read("city"), (P{{t2, 2}, {At("2026-12-01T00:00:00Z"), 5}, {t1, 9}}));
  // Wrong tenant: nothing happens.
  HistoryEdit foreign = replace;
  foreign.kind = HistoryEdit::Kind::kDeleteInstance;
  foreign.tenant = "other";
  EXPECT_EQ(*store_->EditHistory({foreign}), (std::vector<std::size_t>{0}));
  // Delete the dataset's series only, then the whole entity.
  HistoryEdit del_attr;
  del_attr.kind = HistoryEdit::Kind::kDeleteAttr;
  del_attr.tenant = "city";
  del_attr.entity = kId;
  del_attr.attr = kLevel;
  del_attr.dataset_id = "urn:ds:b";
  EXPECT_EQ(*store_->EditHistory({del_attr}), (std::vector<std::size_t>{1}));
  EXPECT_EQ(Read("city"), (P{{t2, 2}, {At("2026-12-01T00:00:00Z"), 5}}));
  HistoryEdit del_entity;
  del_entity.kind = HistoryEdit::Kind::kDeleteEntity;
  del_entity.tenant = "city";
  del_entity.entity = kId;
  EXPECT_EQ(*store_->EditHistory({del_entity}), (std::vector<std::size_t>{2}));  // series + entity
  EXPECT_TRUE(Read("city").empty());
  EXPECT_FALSE(store_->GetHistoryEntity("city", kId)->has_value());
}

TEST_P(HistoryStoreTest, RetentionDeletesOldInstancesInStepsAndDropsEmptyMonths) {
  const std::int64_t old1 = At("2025-01-10T00:00:00Z"), old2 = At("2025-02-10T00:00:00Z"),
                     recent = At("2026-11-20T00:00:00Z");
  std::vector<EntityWrite> writes;
  for (int e = 0; e < 5; ++e) {
    EntityWrite w = EntityWrite::Put("city", "urn:ngsi-ld:S:" + std::to_string(e), "b");
    w.history = {Inst(old1, e), Inst(old2, e), Inst(recent, e)};
    writes.push_back(std::move(w));
  }
  EntityWrite keep = EntityWrite::Put("other", "urn:ngsi-ld:S:0", "b");
  keep.history = {Inst(old2, 100)};
  writes.push_back(std::move(keep));
  ASSERT_TRUE(store_->Commit(std::move(writes)).ok());
  // Steps of two series: three steps for five series.
  std::int64_t after = 0;
  std::size_t deleted = 0, steps = 0;
  for (;;) {
    Result<PruneStep> step = store_->PruneHistory("city", At("2026-01-01T00:00:00Z"), after, 2);
    ASSERT_TRUE(step.ok()) << step.status().ToString();
    deleted += step->rows_deleted;
    after = step->next_series;
    ++steps;
    if (step->done) break;
  }
  EXPECT_EQ(deleted, 10u);
  EXPECT_EQ(steps, 3u);
  // January is empty and gone; February still holds the other tenant's instance.
  EXPECT_EQ(store_->HistoryPartitionsForTesting(), (std::vector<int>{202502, 202611}));
  Result<std::vector<HistorySeries>> series = store_->ListSeries("other", "urn:ngsi-ld:S:0");
  std::size_t kept = 0;
  ASSERT_TRUE(store_->ReadSeries("other", series->front().id, HistoryRange{}, [&](const HistoryRow&) {
    ++kept;
    return true;
  }).ok());
  EXPECT_EQ(kept, 1u);
  Result<std::vector<std::string>> tenants = store_->HistoryTenants();
  ASSERT_TRUE(tenants.ok());
  EXPECT_EQ(tenants->size(), 2u);
}

TEST_P(HistoryStoreTest, AFailedTransactionLeavesNoSeriesPartitionOrInstance) {
  store_->FailNextTransactionForTesting();
  Status s = store_->Commit({WriteWith("city", {Inst(At("2030-05-01T00:00:00Z"), 1)})});
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(store_->HistoryPartitionsForTesting().empty());
  EXPECT_TRUE(store_->ListSeries("city", kId)->empty());
  // The same write then works, in a table created afresh.
  ASSERT_TRUE(store_->Commit({WriteWith("city", {Inst(At("2030-05-01T00:00:00Z"), 1)})}).ok());
  EXPECT_EQ(store_->HistoryPartitionsForTesting(), (std::vector<int>{203005}));
  using P = std::vector<std::pair<std::int64_t, double>>;
  EXPECT_EQ(Read("city"), (P{{At("2030-05-01T00:00:00Z"), 1}}));
}

// Merges driven step by step: two series of ten waiting instances each, merged two rows'
// worth per step, so the first step copies series A and leaves B for the next.
class HistoryMergeTest : public ::testing::Test {
 protected:
  static constexpr const char* kA = "urn:ngsi-ld:WaterObserved:A";
  static constexpr const char* kB = "urn:ngsi-ld:WaterObserved:B";

  void SetUp() override { Reopen(); }
  // By default the store is left as a crash would leave it: no merge at Close().
  void Reopen(std::size_t merge_rows = SIZE_MAX, bool merge_on_close = false) {
    store_.reset();
    SqliteOptions o;
    o.path = (dir_.path() / "m.db").string();
    o.history_merge_rows = merge_rows;
    o.history_merge_chunk = 2;
    o.history_merge_on_close = merge_on_close;
    store_ = std::make_unique<SqliteEntityStore>(o);
    ASSERT_TRUE(store_->Open().ok());
  }
  static EntityWrite Update(const char* id, std::int64_t t, double v) {
    EntityWrite w = EntityWrite::Put("city", id, "b");
    w.history = {Inst(t, v)};
    return w;
  }
  // Creates A and B (their first instances are indexed at once), then ten updates of each in
  // commits of their own (they wait for their index entries).
  void WriteTwoSeries() {
    ASSERT_TRUE(store_->Commit({Update(kA, T(0), 0), Update(kB, T(0), 100)}).ok());
    for (int i = 1; i <= 10; ++i) {
      ASSERT_TRUE(store_->Commit({Update(kA, T(i), i)}).ok());
      ASSERT_TRUE(store_->Commit({Update(kB, T(i), 100 + i)}).ok());
    }
  }
  // Instance i of a series is at T(i): one a day from the end of October, across two months.
  static std::int64_t T(int i) { return At("2026-10-28T00:00:00Z") + i * 86'400'000'000LL; }
  struct Row {
    std::int64_t time, instance;
    double value;
  };
  std::vector<Row> Rows(const char* id, HistoryRange r = {}) {
    std::vector<Row> out;
    Result<std::vector<HistorySeries>> series = store_->ListSeries("city", id);
    EXPECT_TRUE(series.ok());
    if (!series.ok() || series->empty()) return out;
    EXPECT_TRUE(store_->ReadSeries("city", series->front().id, r, [&](const HistoryRow& row) {
      out.push_back({row.time, row.instance, row.number.value_or(-1)});
      return true;
    }).ok());
    return out;
  }
  static std::vector<double> Values(const std::vector<Row>& rows) {
    std::vector<double> v;
    for (const Row& r : rows) v.push_back(r.value);
    return v;
  }
  static std::vector<double> Range(double from, double to) {
    std::vector<double> v;
    for (double x = from; x <= to; ++x) v.push_back(x);
    return v;
  }

  testing::TempDir dir_;
  std::unique_ptr<SqliteEntityStore> store_;
};

TEST_F(HistoryMergeTest, WaitingInstancesReadBackBeforeDuringAndAfterAMergeAndARestart) {
  WriteTwoSeries();
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 20u);
  EXPECT_EQ(store_->HistoryPartitionsForTesting(), (std::vector<int>{202610, 202611}));
  const std::vector<double> a = Range(0, 10), b = Range(100, 110);
  EXPECT_EQ(Values(Rows(kA)), a);
  EXPECT_EQ(Values(Rows(kB)), b);
  HistoryRange last3;
  last3.last_n = 3;
  EXPECT_EQ(Values(Rows(kA, last3)), (std::vector<double>{8, 9, 10}));
  HistoryRange november{At("2026-11-01T00:00:00Z"), At("2026-11-03T00:00:00Z")};
  EXPECT_EQ(Values(Rows(kA, november)), (std::vector<double>{4, 5}));

  // First step: A's rows are indexed and still on the waiting list too; each instance is
  // read once.
  ASSERT_TRUE(store_->MergeHistoryStepForTesting().ok());
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 20u);
  EXPECT_EQ(store_->MergeStats().waiting, 20u);
  EXPECT_EQ(store_->MergeStats().merged, 10u);
  EXPECT_EQ(store_->HistoryPartitionsForTesting(), (std::vector<int>{202610, 202611}));
  EXPECT_EQ(Values(Rows(kA)), a);
  EXPECT_EQ(Values(Rows(kA, last3)), (std::vector<double>{8, 9, 10}));
  EXPECT_EQ(Values(Rows(kA, november)), (std::vector<double>{4, 5}));

  // A crash in the middle: the merge goes on by itself after the restart with B, and only B
  // waits (a restart that took A for waiting again would count 20).
  Reopen();
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 10u);
  EXPECT_EQ(Values(Rows(kA)), a);
  EXPECT_EQ(Values(Rows(kB)), b);
  for (int i = 0; i < 3 && store_->HistoryRecentRowsForTesting() > 0; ++i) {
    ASSERT_TRUE(store_->MergeHistoryStepForTesting().ok());
  }
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 0u);
  EXPECT_EQ(Values(Rows(kA)), a);
  EXPECT_EQ(Values(Rows(kB)), b);
  EXPECT_EQ(Values(Rows(kB, last3)), (std::vector<double>{108, 109, 110}));
  Reopen();
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 0u);
  EXPECT_EQ(Values(Rows(kA)), a);
  EXPECT_EQ(Values(Rows(kB)), b);
}

// A schema-4 file, as that version left it in the middle of a merge: October's month with a
// rid beside the instance, November's with the instance as rowid (the layout before 4), each
// with its index inside; A's waiting rows already copied into their months but still in
// history_recent, B's only there. Opening it rebuilds the months as rows and index tables;
// every instance reads back once, nothing waits, and writes and merges go on.
TEST_F(HistoryMergeTest, AVersion4FileIsMigratedWithEveryInstanceReadOnce) {
  WriteTwoSeries();
  const std::int64_t series_a = store_->ListSeries("city", kA)->front().id;
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "m.db").string().c_str(), &db), SQLITE_OK);
  using storage::sqlite::testing::ExecSql;
  using storage::sqlite::testing::QueryText;
  const std::string a = std::to_string(series_a);
  ExecSql(db, "CREATE TABLE history_recent (instance INTEGER PRIMARY KEY, series INTEGER NOT NULL,"
              " t INTEGER NOT NULL, num REAL, body BLOB NOT NULL)");
  for (const char* month : {"202610", "202611"}) {
    const std::string h = std::string("h_") + month, x = std::string("hx_") + month;
    const std::string layout = std::string(month) == "202610"
                                   ? "rid INTEGER PRIMARY KEY, instance INTEGER NOT NULL, "
                                   : "instance INTEGER PRIMARY KEY, ";
    ExecSql(db, "CREATE TABLE old (" + layout +
                    "series INTEGER NOT NULL, t INTEGER NOT NULL, num REAL, body BLOB NOT NULL)");
    ExecSql(db, "INSERT INTO old (instance, series, t, num, body) SELECT instance, series, t, num,"
                " body FROM " + h + " WHERE instance IN (SELECT instance FROM " + x +
                ") OR series = " + a + " ORDER BY instance");
    ExecSql(db, "INSERT INTO history_recent SELECT instance, series, t, num, body FROM " + h +
                " WHERE instance NOT IN (SELECT instance FROM " + x + ")");
    ExecSql(db, "DROP TABLE " + h + "; DROP TABLE " + x + "; ALTER TABLE old RENAME TO " + h +
                "; CREATE INDEX " + h + "_by_series ON " + h + " (series, t, instance, num)");
  }
  ExecSql(db, "DELETE FROM history_meta WHERE key = 'indexed_through';"
              "INSERT INTO history_meta (key, value) VALUES ('merge_bound', 1000), ('merge_through', " +
                  a + ");"
              "PRAGMA user_version = 4");
  ASSERT_EQ(QueryText(db, "SELECT count(*) FROM history_recent"), "20");
  sqlite3_close(db);

  Reopen();
  // The migration's WAL was copied back and truncated at once.
  EXPECT_EQ(std::filesystem::file_size(dir_.path() / "m.db-wal"), 0u);
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 0u);
  EXPECT_EQ(store_->HistoryPartitionsForTesting(), (std::vector<int>{202610, 202611}));
  EXPECT_EQ(Values(Rows(kA)), Range(0, 10));
  EXPECT_EQ(Values(Rows(kB)), Range(100, 110));
  HistoryRange last3;
  last3.last_n = 3;
  EXPECT_EQ(Values(Rows(kB, last3)), (std::vector<double>{108, 109, 110}));
  ASSERT_TRUE(store_->Commit({Update(kA, T(11), 11)}).ok());
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 1u);
  ASSERT_TRUE(store_->MergeHistoryStepForTesting().ok());
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 0u);
  EXPECT_EQ(Values(Rows(kA)), Range(0, 11));
  store_.reset();
  ASSERT_EQ(sqlite3_open((dir_.path() / "m.db").string().c_str(), &db), SQLITE_OK);
  EXPECT_EQ(QueryText(db, "PRAGMA user_version"), std::to_string(SqliteEntityStore::kSchemaVersion));
  EXPECT_EQ(QueryText(db, "SELECT count(*) FROM sqlite_master WHERE name = 'history_recent'"), "0");
  EXPECT_EQ(QueryText(db, "SELECT (SELECT count(*) FROM hx_202610) + (SELECT count(*) FROM hx_202611)"),
            "23");
  EXPECT_EQ(QueryText(db, "SELECT count(*) FROM history_meta WHERE key LIKE 'merge_%'"), "0");
  // The merge recorded that everything up to its bound is indexed: a restart looks above it.
  EXPECT_EQ(QueryText(db, "SELECT value FROM history_meta WHERE key = 'indexed_through'"),
            QueryText(db, "SELECT max(instance) FROM h_202611"));
  sqlite3_close(db);
  Reopen();
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 0u);
  EXPECT_EQ(Values(Rows(kB)), Range(100, 110));
}

TEST_F(HistoryMergeTest, ACleanCloseMergesWhatWaits) {
  Reopen(SIZE_MAX, /*merge_on_close=*/true);
  WriteTwoSeries();
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 20u);
  Reopen();  // the store above merges as it closes
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 0u);
  EXPECT_EQ(store_->HistoryPartitionsForTesting(), (std::vector<int>{202610, 202611}));
  EXPECT_EQ(Values(Rows(kA)), Range(0, 10));
  EXPECT_EQ(Values(Rows(kB)), Range(100, 110));
}

TEST_F(HistoryMergeTest, EditsReachInstancesWaitingOrHalfwayMerged) {
  WriteTwoSeries();
  ASSERT_TRUE(store_->MergeHistoryStepForTesting().ok());  // A in both places, B waiting
  const std::vector<Row> a = Rows(kA), b = Rows(kB);
  ASSERT_EQ(a.size(), 11u);
  ASSERT_EQ(b.size(), 11u);
  auto edit = [&](HistoryEdit::Kind kind, const char* id, std::int64_t instance) {
    HistoryEdit e;
    e.kind = kind;
    e.tenant = "city";
    e.entity = id;
    e.attr = kLevel;
    e.instance = instance;
    if (kind == HistoryEdit::Kind::kReplaceInstance) e.instances.push_back(Inst(T(20), 55));
    return e;
  };
  // A's instance 3 is in its month and in history_recent; B's instance 4 only waits.
  Result<std::vector<std::size_t>> done = store_->EditHistory(
      {edit(HistoryEdit::Kind::kDeleteInstance, kA, a[3].instance),
       edit(HistoryEdit::Kind::kReplaceInstance, kB, b[4].instance)});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(*done, (std::vector<std::size_t>{1, 1}));
  std::vector<double> want_a = Range(0, 10);
  want_a.erase(want_a.begin() + 3);
  std::vector<double> want_b = Range(100, 110);
  want_b.erase(want_b.begin() + 4);
  want_b.push_back(55);  // replaced, now at T(20)
  EXPECT_EQ(Values(Rows(kA)), want_a);
  EXPECT_EQ(Values(Rows(kB)), want_b);
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 18u);
  // The merge finishes without bringing either back.
  for (int i = 0; i < 3 && store_->HistoryRecentRowsForTesting() > 0; ++i) {
    ASSERT_TRUE(store_->MergeHistoryStepForTesting().ok());
  }
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 0u);
  EXPECT_EQ(Values(Rows(kA)), want_a);
  EXPECT_EQ(Values(Rows(kB)), want_b);
  Reopen();
  EXPECT_EQ(Values(Rows(kA)), want_a);
  EXPECT_EQ(Values(Rows(kB)), want_b);
}

TEST_F(HistoryMergeTest, DeletingASeriesOrPruningTakesItsWaitingInstancesToo) {
  WriteTwoSeries();
  HistoryEdit del;
  del.kind = HistoryEdit::Kind::kDeleteAttr;
  del.tenant = "city";
  del.entity = kA;
  del.attr = kLevel;
  ASSERT_EQ(*store_->EditHistory({del}), (std::vector<std::size_t>{1}));
  EXPECT_TRUE(Rows(kA).empty());
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 10u);
  // Retention before T(5) keeps B's instances 5..10 (its 1..4 wait in history_recent).
  std::size_t deleted = 0;
  for (std::int64_t after = 0;;) {
    Result<PruneStep> step = store_->PruneHistory("city", T(5), after, 10);
    ASSERT_TRUE(step.ok()) << step.status().ToString();
    deleted += step->rows_deleted;
    after = step->next_series;
    if (step->done) break;
  }
  EXPECT_EQ(deleted, 5u);
  EXPECT_EQ(Values(Rows(kB)), Range(105, 110));
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 6u);
  Reopen();
  EXPECT_TRUE(Rows(kA).empty());
  EXPECT_EQ(Values(Rows(kB)), Range(105, 110));
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 6u);
}

TEST_F(HistoryMergeTest, AFailedTransactionForgetsItsWaitingInstances) {
  WriteTwoSeries();
  store_->FailNextTransactionForTesting();
  EXPECT_FALSE(store_->Commit({Update(kA, T(11), 11), Update(kB, T(11), 111)}).ok());
  EXPECT_EQ(store_->HistoryRecentRowsForTesting(), 20u);
  EXPECT_EQ(Values(Rows(kA)), Range(0, 10));
}

// Merges run by themselves (every 64 waiting rows, one row per step) while commits and reads
// go on: no read sees an instance twice, out of order, or loses one a read before it saw.
TEST_F(HistoryMergeTest, ReadsBesideAutomaticMergesSeeEveryInstanceOnceInOrder) {
  Reopen(64);
  constexpr int kSeries = 8, kUpdates = 150;
  auto id = [](int s) { return "urn:ngsi-ld:WaterObserved:" + std::to_string(s); };
  std::vector<EntityWrite> first;
  for (int s = 0; s < kSeries; ++s) {
    EntityWrite w = EntityWrite::Put("city", id(s), "b");
    w.history = {Inst(T(0), 0)};
    first.push_back(std::move(w));
  }
  ASSERT_TRUE(store_->Commit(std::move(first)).ok());
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 1; i <= kUpdates; ++i) {
      for (int s = 0; s < kSeries; ++s) {
        EntityWrite w = EntityWrite::Put("city", id(s), "b");
        // Times not in write order: every third goes back a little.
        w.history = {Inst(T(i) - (i % 3 == 0 ? 40'000'000'000LL : 0), i)};
        EXPECT_TRUE(store_->Commit({std::move(w)}).ok());
      }
    }
    writing = false;
  });
  std::vector<std::size_t> seen(kSeries, 0);
  std::size_t reads = 0;
  bool ordered = true;
  while (writing || reads < 2 * kSeries) {
    for (int s = 0; s < kSeries && ordered; ++s) {
      std::vector<Row> rows = Rows(id(s).c_str());
      for (std::size_t i = 1; i < rows.size(); ++i) {
        const Row &p = rows[i - 1], &r = rows[i];
        if (p.time > r.time || (p.time == r.time && p.instance >= r.instance)) ordered = false;
      }
      EXPECT_GE(rows.size(), seen[s]) << "series " << s;
      seen[s] = rows.size();
      ++reads;
    }
    if (!ordered) break;
  }
  writer.join();
  EXPECT_TRUE(ordered);
  for (int i = 0; i < 100 && store_->HistoryRecentRowsForTesting() > 0; ++i) {
    ASSERT_TRUE(store_->MergeHistoryStepForTesting().ok());
  }
  for (int s = 0; s < kSeries; ++s) EXPECT_EQ(Rows(id(s).c_str()).size(), kUpdates + 1u);
  EXPECT_GT(store_->HistoryPartitionsForTesting().size(), 1u);
}

// Random appends, temporal edits, series deletes, retention, merge steps (automatic every
// 16 waiting rows, two rows a step, and forced ones) and restarts with or without a closing
// merge, checked after every step against a model kept here: each entity's instances as
// (time, value), with every time and value distinct so the order is fixed.
TEST_F(HistoryMergeTest, RandomOperationsMatchAModel) {
  constexpr int kEntities = 5;
  auto id = [](int e) { return "urn:ngsi-ld:WaterObserved:r" + std::to_string(e); };
  std::map<int, std::map<std::int64_t, double>> model;  // entity -> time -> value
  std::mt19937 rng(20261124);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  double next_value = 1;
  std::int64_t tick = 0;
  // Distinct times over about three months (the minute varies, the microseconds count up).
  auto fresh_time = [&] { return T(pick(90)) + (++tick) + pick(1440) * 60'000'000LL; };
  auto check = [&](int step) {
    for (int e = 0; e < kEntities; ++e) {
      std::vector<double> want;
      for (const auto& [t, v] : model[e]) want.push_back(v);
      ASSERT_EQ(Values(Rows(id(e).c_str())), want) << "entity " << e << " after step " << step;
      HistoryRange last2;
      last2.last_n = 2;
      std::vector<double> tail(want.size() > 2 ? want.end() - 2 : want.begin(), want.end());
      ASSERT_EQ(Values(Rows(id(e).c_str(), last2)), tail) << "lastN, entity " << e << ", step " << step;
    }
  };
  Reopen(16);
  for (int step = 0; step < 400; ++step) {
    const int op = pick(100);
    const int e = pick(kEntities);
    if (op < 55) {  // a commit of 1-3 writes, each 1-2 instances
      std::vector<EntityWrite> writes;
      const int n = 1 + pick(3);
      for (int w = 0; w < n; ++w) {
        const int we = pick(kEntities);
        EntityWrite write = EntityWrite::Put("city", id(we), "b");
        for (int k = 1 + pick(2); k > 0; --k) {
          const std::int64_t t = fresh_time();
          write.history.push_back(Inst(t, next_value));
          model[we][t] = next_value++;
        }
        writes.push_back(std::move(write));
      }
      ASSERT_TRUE(store_->Commit(std::move(writes)).ok());
    } else if (op < 70 && !model[e].empty()) {  // delete or replace one instance
      std::vector<Row> rows = Rows(id(e).c_str());
      ASSERT_FALSE(rows.empty());
      const Row victim = rows[pick(static_cast<int>(rows.size()))];
      HistoryEdit edit;
      edit.tenant = "city";
      edit.entity = id(e);
      edit.attr = kLevel;
      edit.instance = victim.instance;
      model[e].erase(victim.time);
      if (pick(2) == 0) {
        edit.kind = HistoryEdit::Kind::kDeleteInstance;
      } else {
        edit.kind = HistoryEdit::Kind::kReplaceInstance;
        const std::int64_t t = fresh_time();
        edit.instances.push_back(Inst(t, next_value));
        model[e][t] = next_value++;
      }
      ASSERT_EQ(*store_->EditHistory({edit}), (std::vector<std::size_t>{1})) << "step " << step;
    } else if (op < 74) {  // delete the entity's series
      HistoryEdit del;
      del.kind = HistoryEdit::Kind::kDeleteAttr;
      del.tenant = "city";
      del.entity = id(e);
      del.attr = kLevel;
      ASSERT_TRUE(store_->EditHistory({del}).ok());
      model[e].clear();
    } else if (op < 78) {  // retention
      const std::int64_t cutoff = T(pick(60));
      for (std::int64_t after = 0;;) {
        Result<PruneStep> s = store_->PruneHistory("city", cutoff, after, 2);
        ASSERT_TRUE(s.ok()) << s.status().ToString();
        after = s->next_series;
        if (s->done) break;
      }
      for (auto& [ent, series] : model) series.erase(series.begin(), series.lower_bound(cutoff));
    } else if (op < 93) {  // forced merge steps
      for (int k = 1 + pick(3); k > 0; --k) ASSERT_TRUE(store_->MergeHistoryStepForTesting().ok());
    } else {  // restart, as after a crash or a clean stop
      Reopen(16, /*merge_on_close=*/pick(2) == 0);
      if (pick(2) == 0) Reopen(16);
    }
    check(step);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, HistoryStoreTest,
                         ::testing::Values(Layout::kRecent, Layout::kMerged),
                         [](const ::testing::TestParamInfo<Layout>& info) {
                           return info.param == Layout::kRecent ? "Recent" : "Merged";
                         });

}  // namespace
}  // namespace dothi::storage
