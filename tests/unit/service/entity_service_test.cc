#include "service/entity_service.h"

#include <gtest/gtest.h>

#include "fakes/memory_entity_store.h"
#include "service/history_recorder.h"

namespace dothi::service {
namespace {

using domain::Entity;

constexpr const char* kVocab = "https://example.org/";  // test IRIs: kVocab + name

std::string Iri(std::string_view name) { return kVocab + std::string(name); }

Json Prop(Json value) {
  Json inst = Json::MakeObject({{"type", "Property"}, {"value", std::move(value)}});
  Json arr = Json::MakeArray();
  arr.Push(std::move(inst));
  return arr;
}

Json Point(double lon, double lat) {
  Json coords = Json::MakeArray();
  coords.Push(lon);
  coords.Push(lat);
  Json inst = Json::MakeObject(
      {{"type", "GeoProperty"},
       {"value", Json::MakeObject({{"type", "Point"}, {"coordinates", std::move(coords)}})}});
  Json arr = Json::MakeArray();
  arr.Push(std::move(inst));
  return arr;
}

Entity Make(std::string id, std::string type, double temperature, double lon = 105.85,
            double lat = 21.03) {
  Entity e;
  e.id = std::move(id);
  e.types = {Iri(type)};
  e.attrs.Set(Iri("temperature"), Prop(temperature));
  e.attrs.Set(std::string(domain::kLocationIri), Point(lon, lat));
  return e;
}

RequestContext Ctx(std::string tenant) { return RequestContext{std::move(tenant), "t", Now(), /*finish_on=*/{}}; }

auto Expand = [](std::string_view term) { return Iri(term); };

EntityQuery TypeQuery(std::string_view type) {
  EntityQuery q;
  Result<domain::TypeQuery> t = domain::ParseTypeQuery(type);
  EXPECT_TRUE(t.ok());
  EXPECT_TRUE(t->Resolve(Expand).ok());
  q.types = std::move(*t);
  q.limit = 100;
  return q;
}

// A store that passes every call to an inner store; the fakes below change CommitAsync.
class ForwardingStore : public storage::EntityStore {
 public:
  explicit ForwardingStore(storage::EntityStore& inner) : inner_(inner) {}
  Status Open() override { return inner_.Open(); }
  void CommitAsync(std::vector<storage::EntityWrite> writes, CommitCallback done) override {
    inner_.CommitAsync(std::move(writes), std::move(done));
  }
  Result<std::optional<std::string>> Get(std::string_view t, std::string_view id) override {
    return inner_.Get(t, id);
  }
  Status ScanAll(const ScanFn& fn) override { return inner_.ScanAll(fn); }
  Status PutDocument(std::string_view k, std::string_view key, std::string_view b) override {
    return inner_.PutDocument(k, key, b);
  }
  Status DeleteDocument(std::string_view k, std::string_view key) override {
    return inner_.DeleteDocument(k, key);
  }
  Status ScanDocuments(std::string_view k, const DocFn& fn) override {
    return inner_.ScanDocuments(k, fn);
  }
  storage::StoreStats Stats() const override { return inner_.Stats(); }
  void Close() override { inner_.Close(); }

 protected:
  storage::EntityStore& inner_;
};

// A store whose next Commit fails, to check that a failed commit changes nothing.
class FailingStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  bool fail_next = false;
  void CommitAsync(std::vector<storage::EntityWrite> writes, CommitCallback done) override {
    if (fail_next) {
      fail_next = false;
      done(Status::Unavailable("disk full (test)"));
      return;
    }
    inner_.CommitAsync(std::move(writes), std::move(done));
  }
};

// A store that holds every CommitAsync until the test lets it through (ReleaseOne), so a
// test can look at the service while a commit is in flight.
class GatedStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  void CommitAsync(std::vector<storage::EntityWrite> writes, CommitCallback done) override {
    held_.push_back({std::move(writes), std::move(done)});
  }
  std::size_t held() const { return held_.size(); }
  // Commits the oldest held write to the inner store and reports it.
  void ReleaseOne() {
    Held h = std::move(held_.front());
    held_.erase(held_.begin());
    inner_.CommitAsync(std::move(h.writes), std::move(h.done));
  }

 private:
  struct Held {
    std::vector<storage::EntityWrite> writes;
    CommitCallback done;
  };
  std::vector<Held> held_;
};

// A store that keeps a copy of the last write it was given.
class RecordingStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  std::vector<storage::EntityWrite> last;
  void CommitAsync(std::vector<storage::EntityWrite> writes, CommitCallback done) override {
    last = writes;
    inner_.CommitAsync(std::move(writes), std::move(done));
  }
};

class EntityServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.Open().ok());
    ASSERT_TRUE(service_.Load().ok());
  }
  testing::MemoryEntityStore store_;
  EntityService service_{store_, EntityServiceOptions{}};
};

TEST_F(EntityServiceTest, TenantsNeverSeeEachOthersEntities) {
  ASSERT_TRUE(service_.Create(Ctx("hanoi"), Make("urn:x:1", "Sensor", 20)).ok());
  ASSERT_TRUE(service_.Create(Ctx("danang"), Make("urn:x:1", "Sensor", 30)).ok());
  ASSERT_TRUE(service_.Create(Ctx("danang"), Make("urn:x:2", "Sensor", 31)).ok());

  Result<Entity> h = service_.Get(Ctx("hanoi"), "urn:x:1");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 20);
  EXPECT_EQ(service_.Get(Ctx("hanoi"), "urn:x:2").status().code(), ErrorCode::kNotFound);

  Result<QueryResult> q = service_.Query(Ctx("hanoi"), TypeQuery("Sensor"));
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->entities.size(), 1u);
  EXPECT_EQ(q->entities[0].FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 20);

  // Deleting in one tenant leaves the other's entity with the same id alone.
  ASSERT_TRUE(service_.Delete(Ctx("danang"), "urn:x:1").ok());
  EXPECT_TRUE(service_.Get(Ctx("hanoi"), "urn:x:1").ok());
}

TEST_F(EntityServiceTest, UnknownTenantIsNotFoundAndAppearsOnFirstWrite) {
  EXPECT_FALSE(service_.TenantExists("hue"));
  EXPECT_EQ(service_.Query(Ctx("hue"), TypeQuery("Sensor")).status().code(),
            ErrorCode::kNonexistentTenant);
  EXPECT_EQ(service_.Types(Ctx("hue")).status().code(), ErrorCode::kNonexistentTenant);
  ASSERT_TRUE(service_.Create(Ctx("hue"), Make("urn:x:1", "Sensor", 1)).ok());
  EXPECT_TRUE(service_.TenantExists("hue"));
  EXPECT_TRUE(service_.Query(Ctx("hue"), TypeQuery("Sensor")).ok());
}

TEST_F(EntityServiceTest, CreateTwiceIsAlreadyExists) {
  ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:1", "Sensor", 1)).ok());
  EXPECT_EQ(service_.Create(Ctx(""), Make("urn:x:1", "Sensor", 2)).code(),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(service_.Get(Ctx(""), "urn:x:1")->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 1);
}

TEST_F(EntityServiceTest, LoadRebuildsIndexesFromTheStore) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(service_.Create(Ctx("hanoi"), Make("urn:x:" + std::to_string(i),
                                                   i % 2 ? "Odd" : "Even", i, 105.80 + i * 0.001, 21.0))
                    .ok());
  }
  ASSERT_TRUE(service_.Delete(Ctx("hanoi"), "urn:x:0").ok());
  EntityService reloaded(store_, EntityServiceOptions{});
  ASSERT_TRUE(reloaded.Load().ok());
  Result<QueryResult> even = reloaded.Query(Ctx("hanoi"), TypeQuery("Even"));
  ASSERT_TRUE(even.ok());
  EXPECT_EQ(even->entities.size(), 24u);  // 0, 2, ..., 48 less the deleted 0
  // A near query served by the rebuilt spatial index: points 0.001° (~104 m) apart in lon.
  EntityQuery near;
  Result<domain::GeoQuery> g =
      domain::ParseGeoQuery("near;maxDistance==250", "Point", "[105.81,21.0]", "", {});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  near.geo = std::move(*g);
  near.limit = 100;
  Result<QueryResult> r = reloaded.Query(Ctx("hanoi"), near);
  ASSERT_TRUE(r.ok());
  std::set<std::string> ids;
  for (const auto& e : r->entities) ids.insert(e.id);
  // 105.81 is entity 10; within 250 m: 8..12 (2 steps = ~208 m), not 7 or 13 (~312 m).
  EXPECT_EQ(ids, (std::set<std::string>{"urn:x:8", "urn:x:9", "urn:x:10", "urn:x:11", "urn:x:12"}));
}

// Attribute updates take the encoded fast path: a changed location moves the entity in the
// spatial index, an update where nothing applies writes nothing, and Load sees the result.
TEST_F(EntityServiceTest, AttributeUpdatesKeepTheIndexesTrue) {
  ASSERT_TRUE(service_.Create(Ctx("t"), Make("urn:x:1", "Sensor", 1, 105.80, 21.0)).ok());
  const auto near = [&](double lon) {
    EntityQuery q;
    Result<domain::GeoQuery> g = domain::ParseGeoQuery(
        "near;maxDistance==100", "Point", "[" + std::to_string(lon) + ",21.0]", "", {});
    EXPECT_TRUE(g.ok());
    q.geo = std::move(*g);
    Result<QueryResult> r = service_.Query(Ctx("t"), q);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->entities.size() : 0;
  };
  EXPECT_EQ(near(105.80), 1u);
  Json moved = Json::MakeObject();
  moved.Set(std::string(domain::kLocationIri), Point(105.90, 21.0));
  moved.Set(Iri("temperature"), Prop(25));
  Result<AttrOutcome> r = service_.UpdateAttrs(Ctx("t"), "urn:x:1", moved);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->updated.size(), 2u);
  EXPECT_EQ(near(105.80), 0u);
  EXPECT_EQ(near(105.90), 1u);

  const std::uint64_t commits = store_.Stats().commits;
  Result<AttrOutcome> none = service_.UpdateAttrs(Ctx("t"), "urn:x:1", Json::MakeObject());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->updated.empty());
  EXPECT_EQ(store_.Stats().commits, commits) << "nothing to apply, nothing written";

  // A new attribute through append changes the shape: /attributes must show it.
  Json added = Json::MakeObject();
  added.Set(Iri("humidity"), Prop(0.7));
  ASSERT_TRUE(service_.AppendAttrs(Ctx("t"), "urn:x:1", added, false).ok());
  Result<std::vector<AttributeInfo>> infos = service_.Attributes(Ctx("t"));
  ASSERT_TRUE(infos.ok());
  bool has_humidity = false;
  for (const auto& a : *infos) has_humidity = has_humidity || a.attribute == Iri("humidity");
  EXPECT_TRUE(has_humidity);

  EntityService reloaded(store_, EntityServiceOptions{});
  ASSERT_TRUE(reloaded.Load().ok());
  Result<Entity> e = reloaded.Get(Ctx("t"), "urn:x:1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 25);
  EXPECT_EQ(e->FindInstance(Iri("humidity"))->Find("value")->AsDouble(), 0.7);
  EXPECT_NE(e->FindInstance(Iri("temperature"))->Find("createdAt"), nullptr);
}

TEST_F(EntityServiceTest, FailedCommitChangesNothing) {
  testing::MemoryEntityStore inner;
  ASSERT_TRUE(inner.Open().ok());
  FailingStore store(inner);
  EntityService service(store, EntityServiceOptions{});
  ASSERT_TRUE(service.Create(Ctx("t"), Make("urn:x:1", "Sensor", 1)).ok());
  store.fail_next = true;
  Json attrs = Json::MakeObject();
  attrs.Set(Iri("temperature"), Prop(99));
  Result<AttrOutcome> r = service.UpdateAttrs(Ctx("t"), "urn:x:1", attrs);
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(service.Get(Ctx("t"), "urn:x:1")->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 1);
  store.fail_next = true;
  EXPECT_FALSE(service.Create(Ctx("t"), Make("urn:x:2", "Sensor", 2)).ok());
  EXPECT_EQ(service.Get(Ctx("t"), "urn:x:2").status().code(), ErrorCode::kNotFound);
}

// An asynchronous write holds its entity from reading it until its commit is reported: a
// second write of the same entity waits (and then builds on the first), reads see only
// committed states, and writes of other entities go ahead meanwhile.
TEST_F(EntityServiceTest, AsyncWritesOfOneEntityWaitForTheCommitBeforeThem) {
  testing::MemoryEntityStore inner;
  ASSERT_TRUE(inner.Open().ok());
  GatedStore store(inner);
  EntityService service(store, EntityServiceOptions{});
  const RequestContext ctx = Ctx("t");

  std::vector<std::string> reported;
  service.CreateAsync(ctx, Make("urn:x:1", "Sensor", 1), [&](Status s) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    reported.push_back("create 1");
  });
  service.CreateAsync(ctx, Make("urn:x:2", "Sensor", 2), [&](Status s) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    reported.push_back("create 2");
  });
  ASSERT_EQ(store.held(), 2u) << "different entities do not wait for each other";
  EXPECT_EQ(service.Get(ctx, "urn:x:1").status().code(), ErrorCode::kNonexistentTenant)
      << "nothing is visible before its commit";

  Json humidity = Json::MakeObject();
  humidity.Set(Iri("humidity"), Prop(0.5));
  service.AppendAttrsAsync(ctx, "urn:x:1", humidity, false, {}, [&](Result<AttrOutcome> r) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    reported.push_back("append 1");
  });
  EXPECT_EQ(store.held(), 2u) << "the append waits for the create of urn:x:1";

  store.ReleaseOne();  // create 1 lands; the append now reads it and commits in turn
  EXPECT_EQ(reported, (std::vector<std::string>{"create 1"}));
  ASSERT_EQ(store.held(), 2u);
  Result<Entity> mid = service.Get(ctx, "urn:x:1");
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->FindInstance(Iri("humidity")), nullptr) << "the append is not committed yet";

  store.ReleaseOne();  // create 2
  store.ReleaseOne();  // append 1
  EXPECT_EQ(reported, (std::vector<std::string>{"create 1", "create 2", "append 1"}));
  Result<Entity> last = service.Get(ctx, "urn:x:1");
  ASSERT_TRUE(last.ok());
  ASSERT_NE(last->FindInstance(Iri("humidity")), nullptr);
  EXPECT_EQ(last->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 1)
      << "the append built on the created entity";
}

// With RequestContext::finish_on set (the HTTP server sets it to the connection's I/O
// thread), a write's outcome is handled through it and not on the store's reporting thread:
// the index changes, the entity locks are released and done is called only when it runs.
TEST_F(EntityServiceTest, AsyncWritesFinishThroughTheCallersFinishOn) {
  ASSERT_TRUE(service_.Create(Ctx("t"), Make("urn:x:1", "Sensor", 1)).ok());
  std::vector<std::function<void()>> queued;
  RequestContext ctx = Ctx("t");
  ctx.finish_on = [&queued](std::function<void()> fn) { queued.push_back(std::move(fn)); };

  std::vector<std::string> reported;
  Json temperature = Json::MakeObject();
  temperature.Set(Iri("temperature"), Prop(7));
  service_.UpdateAttrsAsync(ctx, "urn:x:1", temperature, {}, [&](Result<AttrOutcome> r) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    reported.push_back("update");
  });
  service_.CreateAsync(ctx, Make("urn:x:2", "Sensor", 2), [&](Status s) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    reported.push_back("create");
  });
  ASSERT_EQ(queued.size(), 2u) << "both commits were reported and handed to finish_on";
  EXPECT_TRUE(reported.empty());
  EXPECT_EQ(service_.Get(ctx, "urn:x:1")->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 1);
  EXPECT_EQ(service_.Get(ctx, "urn:x:2").status().code(), ErrorCode::kNotFound);

  for (auto& fn : queued) fn();
  EXPECT_EQ(reported, (std::vector<std::string>{"update", "create"}));
  EXPECT_EQ(service_.Get(ctx, "urn:x:1")->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 7);
  EXPECT_TRUE(service_.Get(ctx, "urn:x:2").ok());
  // The entity locks were released: a later write of urn:x:1 goes through at once.
  ctx.finish_on = nullptr;
  temperature.Set(Iri("temperature"), Prop(8));
  EXPECT_TRUE(service_.UpdateAttrs(ctx, "urn:x:1", temperature).ok());
}

TEST_F(EntityServiceTest, AppendWithNoOverwriteReportsExistingAttributes) {
  ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:1", "Sensor", 1)).ok());
  Json attrs = Json::MakeObject();
  attrs.Set(Iri("temperature"), Prop(5));
  attrs.Set(Iri("humidity"), Prop(0.5));
  Result<AttrOutcome> r = service_.AppendAttrs(Ctx(""), "urn:x:1", attrs, /*no_overwrite=*/true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->updated, std::vector<std::string>{Iri("humidity")});
  ASSERT_EQ(r->not_updated.size(), 1u);
  EXPECT_EQ(r->not_updated[0].first, Iri("temperature"));
  Result<Entity> e = service_.Get(Ctx(""), "urn:x:1");
  EXPECT_EQ(e->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 1);
  EXPECT_EQ(e->FindInstance(Iri("humidity"))->Find("value")->AsDouble(), 0.5);
}

// PATCH /attrs replaces existing attributes (keeping their createdAt) and appends absent
// ones, as the ETSI suite expects (011_01_03); NGSI-LD Null deletes an instance, and one
// that is not there is reported as not updated.
TEST_F(EntityServiceTest, UpdateReplacesAppendsAndDeletesWithNull) {
  ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:1", "Sensor", 1)).ok());
  const std::string created =
      service_.Get(Ctx(""), "urn:x:1")->FindInstance(Iri("temperature"))->Find("createdAt")->AsString();
  Json attrs = Json::MakeObject();
  attrs.Set(Iri("temperature"), Prop(7));
  attrs.Set(Iri("added"), Prop(1));
  RequestContext later = Ctx("");
  later.received_at.micros += 5'000'000;
  Result<AttrOutcome> r = service_.UpdateAttrs(later, "urn:x:1", attrs);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->updated, (std::vector<std::string>{Iri("temperature"), Iri("added")}));
  EXPECT_TRUE(r->not_updated.empty());
  Result<Entity> e = service_.Get(Ctx(""), "urn:x:1");
  EXPECT_EQ(e->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 7);
  EXPECT_EQ(e->FindInstance(Iri("added"))->Find("value")->AsDouble(), 1);
  EXPECT_EQ(e->FindInstance(Iri("temperature"))->Find("createdAt")->AsString(), created);
  EXPECT_EQ(e->FindInstance(Iri("temperature"))->Find("modifiedAt")->AsString(),
            FormatIso8601(later.received_at));

  Json nulls = Json::MakeObject();
  nulls.Set(Iri("added"), Prop("urn:ngsi-ld:null"));
  nulls.Set(Iri("never"), Prop("urn:ngsi-ld:null"));
  Result<AttrOutcome> d = service_.UpdateAttrs(Ctx(""), "urn:x:1", nulls);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->updated, std::vector<std::string>{Iri("added")});
  ASSERT_EQ(d->not_updated.size(), 1u);
  EXPECT_EQ(d->not_updated[0].first, Iri("never"));
  EXPECT_EQ(service_.Get(Ctx(""), "urn:x:1")->FindAttr(Iri("added")), nullptr);
  EXPECT_EQ(service_.Get(Ctx(""), "urn:x:1")->FindAttr(Iri("never")), nullptr);
}

// An update of one default instance by one default instance (read from the stored encoding,
// not decoded) keeps the stored createdAt, drops the old instance's sub-attributes, follows a
// change of kind in the indexes, and gives the bytes a full decode-and-encode gives.
TEST_F(EntityServiceTest, OneInstanceUpdatesMatchTheDecodedEntity) {
  Entity e = Make("urn:x:1", "Sensor", 1);
  Json with_sub = Prop(1);
  with_sub.AsArray()[0].Set(Iri("accuracy"), Json::MakeObject({{"type", "Property"}, {"value", 0.5}}));
  e.attrs.Set(Iri("temperature"), with_sub);
  ASSERT_TRUE(service_.Create(Ctx("t"), e).ok());
  Result<Entity> before = service_.Get(Ctx("t"), "urn:x:1");
  ASSERT_TRUE(before.ok());
  const Json created = *before->FindInstance(Iri("temperature"))->Find("createdAt");

  Json rel = Json::MakeArray();
  rel.Push(Json::MakeObject({{"type", "Relationship"}, {"object", "urn:x:2"}}));
  Json update = Json::MakeObject();
  update.Set(Iri("temperature"), rel);
  RequestContext later = Ctx("t");
  later.received_at.micros += 7'000'000;
  Result<AttrOutcome> r = service_.UpdateAttrs(later, "urn:x:1", update);
  ASSERT_TRUE(r.ok()) << r.status().ToString();

  Entity expected = *before;
  Json inst = rel.AsArray()[0];
  inst.Set("createdAt", created);
  inst.Set("modifiedAt", FormatIso8601(later.received_at));
  Json arr = Json::MakeArray();
  arr.Push(inst);
  expected.attrs.Set(Iri("temperature"), arr);
  expected.modified_at = later.received_at;
  Result<Entity> after = service_.Get(Ctx("t"), "urn:x:1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->Encode(), expected.Encode());
  EXPECT_EQ(after->FindInstance(Iri("temperature"))->Find(Iri("accuracy")), nullptr);

  Result<std::vector<AttributeInfo>> infos = service_.Attributes(Ctx("t"));
  ASSERT_TRUE(infos.ok());
  bool found = false;
  for (const AttributeInfo& a : *infos) {
    if (a.attribute != Iri("temperature")) continue;
    found = true;
    EXPECT_EQ(a.attribute_types, std::vector<std::string>{"Relationship"});
  }
  EXPECT_TRUE(found);

  // Stored with two datasets: the decoded path, which replaces only the default instance.
  Json two = Prop(3);
  two.Push(Json::MakeObject({{"type", "Property"}, {"value", 4}, {"datasetId", "urn:ngsi-ld:Dataset:a"}}));
  Json set_two = Json::MakeObject();
  set_two.Set(Iri("temperature"), two);
  ASSERT_TRUE(service_.UpdateAttrs(Ctx("t"), "urn:x:1", set_two).ok());
  Json only_default = Json::MakeObject();
  only_default.Set(Iri("temperature"), Prop(5));
  ASSERT_TRUE(service_.UpdateAttrs(Ctx("t"), "urn:x:1", only_default).ok());
  Result<Entity> last = service_.Get(Ctx("t"), "urn:x:1");
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->FindAttr(Iri("temperature"))->size(), 2u);
  EXPECT_EQ(last->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 5);
  EXPECT_EQ(last->FindInstance(Iri("temperature"), "urn:ngsi-ld:Dataset:a")->Find("value")->AsDouble(), 4);
}

// Types are added and a scope replaced by update; a scope cannot be updated on an entity
// without one. Append with noOverwrite joins scopes.
TEST_F(EntityServiceTest, AttributeWritesCarryTypesAndScope) {
  ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:1", "Sensor", 1)).ok());
  EntityMembers scope_only;
  scope_only.scope = Json::MakeArray();
  scope_only.scope->Push("/HoanKiem");
  Result<AttrOutcome> r = service_.UpdateAttrs(Ctx(""), "urn:x:1", Json::MakeObject(), scope_only);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->not_updated.size(), 1u);
  EXPECT_EQ(r->not_updated[0].first, "scope");
  EXPECT_TRUE(service_.Get(Ctx(""), "urn:x:1")->scope.is_null());

  ASSERT_TRUE(service_.AppendAttrs(Ctx(""), "urn:x:1", Json::MakeObject(), false, scope_only).ok());
  EntityMembers more;
  more.scope = Json::MakeArray();
  more.scope->Push("/HaNoi");
  more.types = {Iri("Device")};
  ASSERT_TRUE(service_.AppendAttrs(Ctx(""), "urn:x:1", Json::MakeObject(), true, more).ok());
  Result<Entity> e = service_.Get(Ctx(""), "urn:x:1");
  ASSERT_EQ(e->scope.size(), 2u);
  EXPECT_TRUE(e->HasType(Iri("Device")));
  EXPECT_TRUE(e->HasType(Iri("Sensor")));

  Result<AttrOutcome> u = service_.UpdateAttrs(Ctx(""), "urn:x:1", Json::MakeObject(), scope_only);
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->not_updated.empty());
  EXPECT_EQ(service_.Get(Ctx(""), "urn:x:1")->scope.size(), 1u);
}

TEST_F(EntityServiceTest, DatasetInstancesAreDeletedOneByOneOrAll) {
  Entity e = Make("urn:x:1", "Sensor", 1);
  Json speed = Json::MakeArray();
  speed.Push(Json::MakeObject({{"type", "Property"}, {"value", 10}}));
  speed.Push(Json::MakeObject({{"type", "Property"}, {"value", 20}, {"datasetId", "urn:ds:gps"}}));
  speed.Push(Json::MakeObject({{"type", "Property"}, {"value", 30}, {"datasetId", "urn:ds:radar"}}));
  e.attrs.Set(Iri("speed"), speed);
  ASSERT_TRUE(service_.Create(Ctx(""), e).ok());
  ASSERT_TRUE(service_.DeleteAttr(Ctx(""), "urn:x:1", Iri("speed"), "urn:ds:gps", false).ok());
  EXPECT_EQ(service_.Get(Ctx(""), "urn:x:1")->FindAttr(Iri("speed"))->size(), 2u);
  EXPECT_EQ(service_.DeleteAttr(Ctx(""), "urn:x:1", Iri("speed"), "urn:ds:gps", false).code(),
            ErrorCode::kNotFound);
  ASSERT_TRUE(service_.DeleteAttr(Ctx(""), "urn:x:1", Iri("speed"), std::nullopt, false).ok());
  Result<Entity> after = service_.Get(Ctx(""), "urn:x:1");
  ASSERT_TRUE(after.ok());
  const Json::Array* left = after->FindAttr(Iri("speed"));
  ASSERT_NE(left, nullptr);
  ASSERT_EQ(left->size(), 1u);
  ASSERT_NE(left->front().Find("datasetId"), nullptr);
  EXPECT_EQ(left->front().Find("datasetId")->AsString(), "urn:ds:radar");
  ASSERT_TRUE(service_.DeleteAttr(Ctx(""), "urn:x:1", Iri("speed"), std::nullopt, true).ok());
  EXPECT_EQ(service_.Get(Ctx(""), "urn:x:1")->FindAttr(Iri("speed")), nullptr);
}

TEST_F(EntityServiceTest, MergeWithNullValueRemovesTheAttribute) {
  ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:1", "Sensor", 1)).ok());
  Entity patch;
  patch.id = "urn:x:1";
  patch.attrs.Set(Iri("temperature"), Prop("urn:ngsi-ld:null"));
  patch.attrs.Set(Iri("status"), Prop("ok"));
  ASSERT_TRUE(service_.Merge(Ctx(""), patch).ok());
  Result<Entity> e = service_.Get(Ctx(""), "urn:x:1");
  EXPECT_EQ(e->FindAttr(Iri("temperature")), nullptr);
  EXPECT_EQ(e->FindInstance(Iri("status"))->Find("value")->AsString(), "ok");
}

TEST_F(EntityServiceTest, BatchAppliesDuplicatesInOrderAndReportsEachEntity) {
  std::vector<Entity> batch = {Make("urn:x:1", "Sensor", 1), Make("urn:x:1", "Sensor", 2),
                               Make("urn:x:2", "Sensor", 3)};
  Result<std::vector<BatchItemResult>> r = service_.BatchCreate(Ctx(""), batch);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[0].status.ok());
  EXPECT_EQ((*r)[1].status.code(), ErrorCode::kAlreadyExists);  // the first one created it
  EXPECT_TRUE((*r)[2].status.ok());
  r = service_.BatchUpsert(Ctx(""), {Make("urn:x:1", "Sensor", 9), Make("urn:x:3", "Sensor", 4)},
                           UpsertMode::kReplace);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(service_.Get(Ctx(""), "urn:x:1")->FindInstance(Iri("temperature"))->Find("value")->AsDouble(), 9);
  EXPECT_TRUE(service_.Get(Ctx(""), "urn:x:3").ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_FALSE((*r)[0].created);  // urn:x:1 existed
  EXPECT_TRUE((*r)[1].created);   // urn:x:3 is new
  r = service_.BatchDelete(Ctx(""), {"urn:x:1", "urn:x:404"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].status.ok());
  EXPECT_EQ((*r)[1].status.code(), ErrorCode::kNotFound);
}

TEST_F(EntityServiceTest, QueryPagesAndCountsAndRefusesHugePages) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:" + std::to_string(i), "Sensor", i)).ok());
  }
  EntityQuery q = TypeQuery("Sensor");
  q.limit = 10;
  q.offset = 20;
  q.count = true;
  Result<QueryResult> r = service_.Query(Ctx(""), q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->entities.size(), 5u);
  EXPECT_EQ(r->total, 25u);
  EXPECT_FALSE(r->more);
  q.offset = 0;
  r = service_.Query(Ctx(""), q);
  EXPECT_TRUE(r->more);
  q.limit = service_.options().max_page_size + 1;
  EXPECT_EQ(service_.Query(Ctx(""), q).status().code(), ErrorCode::kTooManyResults);
}

TEST_F(EntityServiceTest, QueryByIndexAgreesWithFullScan) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:" + std::to_string(i), i % 3 ? "A" : "B", i,
                                              105.80 + (i % 20) * 0.002, 21.0 + (i / 20) * 0.002))
                    .ok());
  }
  Result<domain::QQuery> qq = domain::ParseQ("temperature>50;temperature<=150");
  ASSERT_TRUE(qq.ok());
  ASSERT_TRUE(qq->Resolve(Expand).ok());
  // Through the type index.
  EntityQuery by_type = TypeQuery("B");
  by_type.q = *qq;
  by_type.limit = 1000;
  // The same selection written so that no index applies: idPattern forces a scan.
  EntityQuery scan = by_type;
  scan.types.reset();
  scan.id_pattern = "^urn:x:";
  Result<QueryResult> a = service_.Query(Ctx(""), by_type);
  Result<QueryResult> b = service_.Query(Ctx(""), scan);
  ASSERT_TRUE(a.ok() && b.ok());
  std::set<std::string> ids_a, ids_b;
  for (const auto& e : a->entities) ids_a.insert(e.id);
  for (const auto& e : b->entities) {
    if (e.HasType(Iri("B"))) ids_b.insert(e.id);
  }
  std::set<std::string> expected;
  for (int i = 51; i <= 150; ++i) {
    if (i % 3 == 0) expected.insert("urn:x:" + std::to_string(i));
  }
  EXPECT_EQ(ids_a, expected);
  EXPECT_EQ(ids_b, expected);
}

TEST_F(EntityServiceTest, DiscoveryCountsFollowWrites) {
  ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:1", "A", 1)).ok());
  ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:2", "A", 2)).ok());
  ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:3", "B", 3)).ok());
  ASSERT_TRUE(service_.Delete(Ctx(""), "urn:x:3").ok());
  Result<std::vector<TypeInfo>> types = service_.Types(Ctx(""));
  ASSERT_TRUE(types.ok());
  ASSERT_EQ(types->size(), 1u);
  EXPECT_EQ((*types)[0].type, Iri("A"));
  EXPECT_EQ((*types)[0].entity_count, 2u);
  Result<std::vector<AttributeInfo>> attrs = service_.Attributes(Ctx(""));
  ASSERT_TRUE(attrs.ok());
  for (const auto& a : *attrs) EXPECT_EQ(a.attribute_count, 2u) << a.attribute;
}

}  // namespace
}  // namespace dothi::service

namespace dothi::service {
namespace {

TEST_F(EntityServiceTest, IdPatternIsMatchedSafelyAndBadPatternsAreRefused) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:" + std::string(200, 'a') + std::to_string(i),
                                              "Sensor", i))
                    .ok());
  }
  EntityQuery q;
  q.limit = 100;
  // A pattern that backtracking matchers take exponential time on: answered, no match.
  q.id_pattern = "^urn:x:(a|a)*$";
  Result<QueryResult> r = service_.Query(Ctx(""), q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->entities.empty());
  q.id_pattern = "a1[0-9]$";  // ids ending in 10..19
  r = service_.Query(Ctx(""), q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->entities.size(), 10u);
  q.id_pattern = "(unclosed";
  EXPECT_EQ(service_.Query(Ctx(""), q).status().code(), ErrorCode::kBadRequestData);
  q.id_pattern = "(a)\\1";  // back-references are not supported by the safe matcher
  EXPECT_EQ(service_.Query(Ctx(""), q).status().code(), ErrorCode::kBadRequestData);
}

}  // namespace
}  // namespace dothi::service

namespace dothi::service {
namespace {

TEST(EntityEncodeTest, EncodeRoundTripsWithAndWithoutScope) {
  Entity e = Make("urn:x:1", "Sensor", 21.5);
  e.created_at = Timestamp{1000};
  e.modified_at = Timestamp{2000};
  for (bool with_scope : {false, true}) {
    if (with_scope) e.scope = Json(Json::Array{Json("/Hanoi/HoanKiem")});
    std::string bytes = e.Encode();
    std::string reference;
    e.ToStorageJson().EncodeBinary(reference);
    EXPECT_EQ(bytes, reference);
    Result<Entity> back = Entity::Decode(bytes);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->ToStorageJson(), e.ToStorageJson());
  }
}

}  // namespace
}  // namespace dothi::service

namespace dothi::service {
namespace {

TEST_F(EntityServiceTest, ReplaceWithoutTypesKeepsTheCurrentTypes) {
  ASSERT_TRUE(service_.Create(Ctx(""), Make("urn:x:1", "Sensor", 1)).ok());
  Entity replacement;
  replacement.id = "urn:x:1";
  replacement.attrs.Set(Iri("humidity"), Prop(0.4));
  ASSERT_TRUE(service_.Replace(Ctx(""), replacement).ok());
  Result<Entity> e = service_.Get(Ctx(""), "urn:x:1");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->types, std::vector<std::string>{Iri("Sensor")});
  EXPECT_EQ(e->FindAttr(Iri("temperature")), nullptr);  // replaced, not merged
  EXPECT_EQ(e->FindInstance(Iri("humidity"))->Find("value")->AsDouble(), 0.4);
}

}  // namespace
}  // namespace dothi::service

namespace dothi::service {
namespace {

// The encoded attribute update takes each history instance's bytes from the entity it just
// encoded; they must be what encoding the stored instance on its own gives
// (history::MakeInstance), for the default instance and for a dataset instance that is not
// the attribute's first.
TEST_F(EntityServiceTest, AttributeUpdateHistoryIsTheStoredInstancesEncoding) {
  RecordingStore recording(store_);
  EntityService service(recording, EntityServiceOptions{});
  ASSERT_TRUE(service.Load().ok());
  ASSERT_TRUE(service.Create(Ctx("t"), Make("urn:x:1", "Sensor", 1)).ok());
  const auto instance = [](std::string_view dataset, Json value) {
    Json inst = Json::MakeObject({{"type", "Property"}, {"value", std::move(value)}});
    inst.Set("unitCode", "CEL");
    inst.Set("observedAt", "2025-11-23T10:00:00Z");
    if (!dataset.empty()) inst.Set("datasetId", std::string(dataset));
    return inst;
  };
  Json both = Json::MakeArray();
  both.Push(instance("urn:ngsi-ld:Dataset:a", 2.5));
  both.Push(instance("urn:ngsi-ld:Dataset:b", "hai"));
  Json first = Json::MakeObject();
  first.Set(Iri("reading"), both);
  ASSERT_TRUE(service.AppendAttrs(Ctx("t"), "urn:x:1", first, false).ok());

  Json update = Json::MakeObject();
  Json b = Json::MakeArray();
  b.Push(instance("urn:ngsi-ld:Dataset:b", 3));
  update.Set(Iri("reading"), b);
  update.Set(Iri("temperature"), Prop(7.25));
  RequestContext later = Ctx("t");
  later.received_at.micros += 5'000'000;
  ASSERT_TRUE(service.UpdateAttrs(later, "urn:x:1", update).ok());

  ASSERT_EQ(recording.last.size(), 1u);
  const storage::EntityWrite& w = recording.last[0];
  ASSERT_EQ(w.history.size(), 2u);
  Result<Entity> stored = Entity::Decode(w.bytes);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->FindAttr(Iri("reading"))->size(), 2u);
  for (const storage::HistoryInstance& h : w.history) {
    const Json* inst = stored->FindInstance(h.attr, h.dataset_id);
    ASSERT_NE(inst, nullptr) << h.attr << " " << h.dataset_id;
    const storage::HistoryInstance old_path =
        history::MakeInstance(h.attr, *inst, later.received_at);
    EXPECT_EQ(h.bytes, old_path.bytes) << h.attr << " " << h.dataset_id;
    EXPECT_EQ(h.time, old_path.time);
    EXPECT_EQ(h.number, old_path.number);
    Result<Json> decoded = Json::DecodeBinary(h.bytes);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, *inst);
  }
  EXPECT_EQ(w.history[0].attr, Iri("reading"));
  EXPECT_EQ(w.history[0].dataset_id, "urn:ngsi-ld:Dataset:b");
  EXPECT_EQ(w.history[0].number, 3.0);
  EXPECT_EQ(w.history[1].attr, Iri("temperature"));
}

}  // namespace
}  // namespace dothi::service
