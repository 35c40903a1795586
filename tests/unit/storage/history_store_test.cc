#include "storage/history_store.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/time.h"
#include "fakes/temp_dir.h"
#include "storage/sqlite/sqlite_entity_store.h"

// The SQLite store's temporal history: series, month partitions, windows and lastN, the
// temporal API's edits, retention, and a failed transaction leaving nothing behind.
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

class HistoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    SqliteOptions o;
    o.path = (dir_.path() / "h.db").string();
    store_ = std::make_unique<SqliteEntityStore>(o);
    ASSERT_TRUE(store_->Open().ok());
  }
  // (time, number) of a series in a range.
  std::vector<std::pair<std::int64_t, double>> Read(std::string_view tenant, HistoryRange r = {}) {
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

TEST_F(HistoryStoreTest, InstancesAcrossMonthsReadBackInTimeOrderWithinTheWindow) {
  const std::int64_t oct = At("2026-10-31T23:00:00Z"), nov = At("2026-11-01T01:00:00Z"),
                     dec = At("2026-12-05T00:00:00Z");
  // Written out of order, in two commits.
  ASSERT_TRUE(store_->Commit({WriteWith("city", {Inst(dec, 3), Inst(oct, 1)})}).ok());
  ASSERT_TRUE(store_->Commit({WriteWith("city", {Inst(nov, 2)})}).ok());
  EXPECT_EQ(store_->HistoryPartitionsForTesting(), (std::vector<int>{202610, 202611, 202612}));
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

TEST_F(HistoryStoreTest, InstanceIdsAreNeverReusedAcrossRestarts) {
  ASSERT_TRUE(store_->Commit({WriteWith("city", {Inst(At("2026-11-01T00:00:00Z"), 1)})}).ok());
  std::vector<std::int64_t> ids;
  auto collect = [&] {
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

TEST_F(HistoryStoreTest, TemporalEditsReplaceAndDeleteInstancesSeriesAndEntities) {
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

TEST_F(HistoryStoreTest, RetentionDeletesOldInstancesInStepsAndDropsEmptyMonths) {
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

TEST_F(HistoryStoreTest, AFailedTransactionLeavesNoSeriesPartitionOrInstance) {
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

}  // namespace
}  // namespace dothi::storage
