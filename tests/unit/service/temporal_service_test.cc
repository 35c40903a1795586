#include "service/temporal_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <sqlite3.h>

#include "fakes/temp_dir.h"
#include "service/entity_service.h"
#include "storage/sqlite/sqlite_entity_store.h"

// EntityService writes history as it changes entities; TemporalService reads it back by
// window, filters with q over the window, keeps tenants apart and sweeps by retention.
namespace dothi::service {
namespace {

using domain::Entity;

constexpr const char* kVocab = "https://example.org/";
std::string Iri(std::string_view name) { return kVocab + std::string(name); }

Json Reading(double v, std::string_view observed_at) {
  Json inst = Json::MakeObject({{"type", "Property"}, {"value", v}, {"observedAt", observed_at}});
  Json arr = Json::MakeArray();
  arr.Push(std::move(inst));
  return arr;
}

RequestContext Ctx(std::string tenant) { return RequestContext{std::move(tenant), "t", Now(), /*finish_on=*/{}}; }

class TemporalServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::sqlite::SqliteOptions o;
    o.path = (dir_.path() / "t.db").string();
    store_ = std::make_unique<storage::sqlite::SqliteEntityStore>(o);
    ASSERT_TRUE(store_->Open().ok());
    entities_ = std::make_unique<EntityService>(*store_, EntityServiceOptions{});
    ASSERT_TRUE(entities_->Load().ok());
    TemporalServiceOptions to;
    to.max_instances = 3;
    to.retention_days = {{"short", 30}};
    temporal_ = std::make_unique<TemporalService>(*store_, to);
  }

  // A river gauge with level readings at the given ISO times (values 1, 2, 3, ...).
  void Gauge(const std::string& tenant, const std::string& id, const std::vector<std::string>& times) {
    Entity e;
    e.id = id;
    e.types = {Iri("WaterObserved")};
    e.attrs.Set(Iri("level"), Reading(1, times.front()));
    ASSERT_TRUE(entities_->Create(Ctx(tenant), e).ok());
    for (std::size_t i = 1; i < times.size(); ++i) {
      Json attrs = Json::MakeObject();
      attrs.Set(Iri("level"), Reading(static_cast<double>(i + 1), times[i]));
      ASSERT_TRUE(entities_->UpdateAttrs(Ctx(tenant), id, std::move(attrs)).ok());
    }
  }

  std::vector<double> Values(const TemporalEntity& e) {
    std::vector<double> out;
    for (const auto& a : e.attrs) {
      for (const auto& inst : a.instances) out.push_back(inst.body.Find("value")->AsDouble());
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::sqlite::SqliteEntityStore> store_;
  std::unique_ptr<EntityService> entities_;
  std::unique_ptr<TemporalService> temporal_;
};

TEST_F(TemporalServiceTest, EveryUpdateIsAnInstanceFiledUnderItsObservedAt) {
  Gauge("hue", "urn:ngsi-ld:WaterObserved:1",
        {"2026-11-01T00:00:00Z", "2026-11-01T00:10:00Z", "2026-11-01T00:20:00Z"});
  TemporalQuery q;
  Result<TemporalResult> r = temporal_->Retrieve(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values(r->entities.front()), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(r->entities.front().types, (std::vector<std::string>{Iri("WaterObserved")}));
  EXPECT_FALSE(r->partial);
  // after is inclusive, before exclusive.
  q.timerel = TimeRel::kBetween;
  q.time_at = *ParseIso8601("2026-11-01T00:10:00Z");
  q.end_time_at = *ParseIso8601("2026-11-01T00:20:00Z");
  r = temporal_->Retrieve(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Values(r->entities.front()), (std::vector<double>{2}));
  // Another tenant does not see it.
  EXPECT_EQ(temporal_->Retrieve(Ctx("hanoi"), "urn:ngsi-ld:WaterObserved:1", TemporalQuery{}).status().code(),
            ErrorCode::kNotFound);
}

TEST_F(TemporalServiceTest, TheCapMakesAPartialAnswerCutToOneRange) {
  Gauge("hue", "urn:ngsi-ld:WaterObserved:1",
        {"2026-11-01T00:00:00Z", "2026-11-01T00:10:00Z", "2026-11-01T00:20:00Z",
         "2026-11-01T00:30:00Z", "2026-11-01T00:40:00Z"});
  Result<TemporalResult> r = temporal_->Retrieve(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", TemporalQuery{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(Values(r->entities.front()), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(r->range_start, *ParseIso8601("2026-11-01T00:00:00Z"));
  EXPECT_EQ(r->range_end, *ParseIso8601("2026-11-01T00:20:00Z"));
  // lastN within the cap is whole; beyond it, partial from the newest end.
  TemporalQuery last;
  last.last_n = 2;
  r = temporal_->Retrieve(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", last);
  EXPECT_FALSE(r->partial);
  EXPECT_EQ(Values(r->entities.front()), (std::vector<double>{4, 5}));
  last.last_n = 4;
  r = temporal_->Retrieve(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", last);
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(Values(r->entities.front()), (std::vector<double>{3, 4, 5}));
  EXPECT_EQ(r->range_start, *ParseIso8601("2026-11-01T00:40:00Z"));  // descending
  EXPECT_EQ(r->range_end, *ParseIso8601("2026-11-01T00:20:00Z"));
}

TEST_F(TemporalServiceTest, AQueryThatWouldReadTooMuchIsRefused) {
  Gauge("hue", "urn:ngsi-ld:WaterObserved:1",
        {"2026-11-01T00:00:00Z", "2026-11-01T00:10:00Z", "2026-11-01T00:20:00Z",
         "2026-11-01T00:30:00Z"});
  TemporalServiceOptions small;
  small.max_read_instances = 3;
  TemporalService limited(*store_, small);
  TemporalQuery aggr;
  aggr.aggr_methods = {domain::temporal::AggrMethod::kAvg};
  aggr.limit = 10;
  EXPECT_EQ(limited.Retrieve(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", aggr).status().code(),
            ErrorCode::kTooManyResults);
  // A window that reads three is fine.
  aggr.timerel = TimeRel::kAfter;
  aggr.time_at = *ParseIso8601("2026-11-01T00:10:00Z");
  Result<TemporalResult> r = limited.Retrieve(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", aggr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->entities.front().attrs.size(), 1u);
  EXPECT_DOUBLE_EQ(*r->entities.front().attrs.front().buckets.front().values.front(), (2 + 3 + 4) / 3.0);
}

TEST_F(TemporalServiceTest, QSelectsEntitiesByInstancesInsideTheWindow) {
  Gauge("hue", "urn:ngsi-ld:WaterObserved:1", {"2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z"});  // 1, 2
  Gauge("hue", "urn:ngsi-ld:WaterObserved:2", {"2026-11-01T00:00:00Z"});                          // 1
  TemporalQuery q;
  Result<domain::QQuery> parsed = domain::ParseQ("level>1.5");
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->Resolve([](std::string_view t) { return Iri(t); }).ok());
  q.q = std::move(*parsed);
  q.limit = 10;
  Result<TemporalResult> r = temporal_->Query(Ctx("hue"), q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->entities.size(), 1u);
  EXPECT_EQ(r->entities.front().id, "urn:ngsi-ld:WaterObserved:1");
  EXPECT_EQ(Values(r->entities.front()), (std::vector<double>{1, 2}));  // all its instances
  // With a window that leaves out the 2, nothing matches.
  q.timerel = TimeRel::kBefore;
  q.time_at = *ParseIso8601("2026-11-02T00:00:00Z");
  r = temporal_->Query(Ctx("hue"), q);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->entities.empty());
}

TEST_F(TemporalServiceTest, DeletedAttributesAndEntitiesLeaveDeletionInstances) {
  Gauge("hue", "urn:ngsi-ld:WaterObserved:1", {"2026-11-01T00:00:00Z"});
  ASSERT_TRUE(entities_->DeleteAttr(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", Iri("level"),
                                    std::nullopt, false).ok());
  ASSERT_TRUE(entities_->Delete(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1").ok());
  // The default view keeps the reading and hides the deletion.
  Result<TemporalResult> r = temporal_->Retrieve(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", TemporalQuery{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values(r->entities.front()), (std::vector<double>{1}));
  TemporalQuery deleted;
  deleted.time_property = TimeProperty::kDeletedAt;
  r = temporal_->Retrieve(Ctx("hue"), "urn:ngsi-ld:WaterObserved:1", deleted);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->entities.front().attrs.size(), 1u);
  ASSERT_EQ(r->entities.front().attrs.front().instances.size(), 1u);
  const Json& marker = r->entities.front().attrs.front().instances.front().body;
  EXPECT_EQ(marker.Find("value")->AsString(), "urn:ngsi-ld:null");
  EXPECT_TRUE(marker.Contains("deletedAt"));
}

TEST_F(TemporalServiceTest, RetentionSweepsOnlyTheTenantsThatHaveOne) {
  Gauge("short", "urn:ngsi-ld:WaterObserved:1", {"2026-01-01T00:00:00Z", "2026-11-20T00:00:00Z"});
  Gauge("long", "urn:ngsi-ld:WaterObserved:1", {"2026-01-01T00:00:00Z", "2026-11-20T00:00:00Z"});
  Result<std::size_t> n = temporal_->SweepRetention(*ParseIso8601("2026-11-24T00:00:00Z"), 1);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(Values(temporal_->Retrieve(Ctx("short"), "urn:ngsi-ld:WaterObserved:1", TemporalQuery{})
                       ->entities.front()),
            (std::vector<double>{2}));
  EXPECT_EQ(Values(temporal_->Retrieve(Ctx("long"), "urn:ngsi-ld:WaterObserved:1", TemporalQuery{})
                       ->entities.front()),
            (std::vector<double>{1, 2}));
}

// Writers, temporal readers and a retention sweep at the same time (also run under
// ThreadSanitizer by scripts/tsan.sh): every acknowledged reading of the kept tenant is in
// history, and the swept tenant keeps none older than its retention.
TEST_F(TemporalServiceTest, WritesQueriesAndSweepsRunTogether) {
  constexpr int kWriters = 3, kReadings = 40;
  for (int w = 0; w < kWriters; ++w) {
    Gauge("hue", "urn:ngsi-ld:WaterObserved:" + std::to_string(w), {"2026-11-01T00:00:00Z"});
    Gauge("short", "urn:ngsi-ld:WaterObserved:" + std::to_string(w), {"2020-01-01T00:00:00Z"});
  }
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      const std::string id = "urn:ngsi-ld:WaterObserved:" + std::to_string(w);
      for (int i = 1; i <= kReadings; ++i) {
        const std::string minute = (i < 10 ? "0" : "") + std::to_string(i);
        Json kept = Json::MakeObject();
        kept.Set(Iri("level"), Reading(i, "2026-11-01T01:" + minute + ":00Z"));
        EXPECT_TRUE(entities_->UpdateAttrs(Ctx("hue"), id, std::move(kept)).ok());
        Json old = Json::MakeObject();
        old.Set(Iri("level"), Reading(i, "2020-02-01T01:" + minute + ":00Z"));
        EXPECT_TRUE(entities_->UpdateAttrs(Ctx("short"), id, std::move(old)).ok());
      }
    });
  }
  threads.emplace_back([&] {
    TemporalQuery q;
    Result<domain::TypeQuery> t = domain::ParseTypeQuery("WaterObserved");
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(t->Resolve([](std::string_view n) { return Iri(n); }).ok());
    q.types = std::move(*t);
    q.limit = 10;
    q.aggr_methods = {domain::temporal::AggrMethod::kSum};
    while (!done) {
      auto r = temporal_->Query(Ctx("hue"), q);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
  });
  threads.emplace_back([&] {
    while (!done) EXPECT_TRUE(temporal_->SweepRetention(*ParseIso8601("2026-11-24T00:00:00Z"), 2).ok());
  });
  for (int w = 0; w < kWriters; ++w) threads[w].join();
  done = true;
  for (std::size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
  ASSERT_TRUE(temporal_->SweepRetention(*ParseIso8601("2026-11-24T00:00:00Z"), 2).ok());
  for (int w = 0; w < kWriters; ++w) {
    const std::string id = "urn:ngsi-ld:WaterObserved:" + std::to_string(w);
    TemporalQuery all;
    Result<TemporalResult> kept = temporal_->Retrieve(Ctx("hue"), id, all);
    ASSERT_TRUE(kept.ok());
    std::size_t n = 0;
    for (const auto& a : kept->entities.front().attrs) n += a.instances.size();
    EXPECT_EQ(n, std::min<std::size_t>(kReadings + 1, 3));  // the cap (3) applies: partial
    EXPECT_TRUE(kept->partial);
    all.last_n = 1;
    EXPECT_EQ(Values(temporal_->Retrieve(Ctx("hue"), id, all)->entities.front()),
              (std::vector<double>{kReadings}));
    Result<TemporalResult> swept = temporal_->Retrieve(Ctx("short"), id, TemporalQuery{});
    ASSERT_TRUE(swept.ok());
    EXPECT_TRUE(swept->entities.front().attrs.empty());
  }
}

// A database written before history existed (schema version 2, as older builds left it):
// opening it migrates, and the backfill gives every entity its current state as history.
TEST(TemporalBackfillTest, EntitiesStoredBeforeHistoryGetTheirCurrentStateAsInstances) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "v2.db").string();
  Entity e;
  e.id = "urn:ngsi-ld:WaterObserved:old";
  e.types = {Iri("WaterObserved")};
  e.attrs.Set(Iri("level"), Reading(4.5, "2025-06-01T00:00:00Z"));
  const std::string body = e.Encode();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v2 =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE entities (tenant TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL);"
        "CREATE UNIQUE INDEX entities_by_key ON entities (tenant, id);"
        "CREATE TABLE documents (kind TEXT NOT NULL, key TEXT NOT NULL, body BLOB NOT NULL,"
        " PRIMARY KEY (kind, key)) WITHOUT ROWID;"
        "PRAGMA user_version=2;";
    ASSERT_EQ(sqlite3_exec(db, v2, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "INSERT INTO entities VALUES ('hue', ?1, ?2)", -1, &stmt, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(stmt, 1, e.id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(stmt, 2, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
  storage::sqlite::SqliteOptions o;
  o.path = path;
  storage::sqlite::SqliteEntityStore store(o);
  ASSERT_TRUE(store.Open().ok());
  EXPECT_TRUE(*store.NeedsBackfill());
  TemporalService temporal(store, TemporalServiceOptions{});
  ASSERT_TRUE(temporal.Backfill(store).ok());
  EXPECT_FALSE(*store.NeedsBackfill());
  Result<TemporalResult> r = temporal.Retrieve(Ctx("hue"), e.id, TemporalQuery{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->entities.front().attrs.size(), 1u);
  ASSERT_EQ(r->entities.front().attrs.front().instances.size(), 1u);
  EXPECT_EQ(r->entities.front().attrs.front().instances.front().body.Find("value")->AsDouble(), 4.5);
  EXPECT_EQ(r->entities.front().attrs.front().instances.front().t,
            *ParseIso8601("2025-06-01T00:00:00Z"));
  // A second start does not record it again.
  ASSERT_TRUE(temporal.Backfill(store).ok());
  EXPECT_EQ(temporal.Retrieve(Ctx("hue"), e.id, TemporalQuery{})->entities.front().attrs.front().instances.size(),
            1u);
}

TEST(TemporalInstanceIdTest, RoundTripsAndRefusesOtherForms) {
  EXPECT_EQ(ParseInstanceIdUri(InstanceIdUri(42)), 42);
  EXPECT_FALSE(ParseInstanceIdUri("urn:ngsi-ld:Instance:").has_value());
  EXPECT_FALSE(ParseInstanceIdUri("urn:ngsi-ld:Instance:4x").has_value());
  EXPECT_FALSE(ParseInstanceIdUri("urn:ngsi-ld:01234567890123456789").has_value());
}

}  // namespace
}  // namespace dothi::service
