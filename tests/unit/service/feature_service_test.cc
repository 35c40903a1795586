#include "service/feature_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>

#include "fakes/memory_entity_store.h"
#include "fakes/memory_layer_store.h"

namespace dothi::service {
namespace {

using domain::Entity;

std::string Iri(std::string_view name) { return "https://example.org/" + std::string(name); }

Json Instance(std::string_view type, std::string_view member, Json value) {
  Json arr = Json::MakeArray();
  arr.Push(Json::MakeObject({{"type", Json(type)}, {std::string(member), std::move(value)}}));
  return arr;
}

Json PointValue(double lon, double lat) {
  return Json::MakeObject({{"type", "Point"}, {"coordinates", Json(Json::Array{Json(lon), Json(lat)})}});
}

Entity Lamp(int i, double lon, double lat, std::string state, int power) {
  Entity e;
  e.id = "urn:ngsi-ld:Streetlight:" + std::to_string(i);
  e.types = {Iri("Streetlight")};
  e.attrs.Set(Iri("powerState"), Instance("Property", "value", Json(std::move(state))));
  e.attrs.Set(Iri("power"), Instance("Property", "value", Json(power)));
  e.attrs.Set(std::string(domain::kLocationIri), Instance("GeoProperty", "value", PointValue(lon, lat)));
  return e;
}

RequestContext Ctx(std::string tenant) { return RequestContext{std::move(tenant), "t", Now()}; }

class FeatureServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.Open().ok());
    ASSERT_TRUE(entities_.Load().ok());
  }
  testing::MemoryEntityStore store_;
  EntityService entities_{store_, EntityServiceOptions{}};
  testing::MemoryLayerStore layer_store_;
  LayerService layers_{layer_store_};
  FeatureService features_{entities_, layers_};
};

TEST_F(FeatureServiceTest, EveryTypeWithALocationIsACollection) {
  ASSERT_TRUE(entities_.Create(Ctx("hanoi"), Lamp(1, 105.8, 21.0, "on", 10)).ok());
  Entity budget;
  budget.id = "urn:ngsi-ld:Budget:1";
  budget.types = {Iri("Budget")};
  budget.attrs.Set(Iri("amount"), Instance("Property", "value", Json(5)));
  ASSERT_TRUE(entities_.Create(Ctx("hanoi"), budget).ok());

  Result<std::vector<FeatureCollectionInfo>> all = features_.Collections(Ctx("hanoi"));
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 1u);
  const FeatureCollectionInfo& c = all->front();
  EXPECT_EQ(c.id, "Streetlight");
  EXPECT_EQ(c.type_iri, Iri("Streetlight"));
  ASSERT_NE(c.PropertyIri("powerState"), nullptr);
  EXPECT_EQ(*c.PropertyIri("powerState"), Iri("powerState"));
  EXPECT_EQ(c.PropertyIri("location"), nullptr);  // the geometry, not a property
  EXPECT_EQ(features_.Collection(Ctx("hanoi"), "Budget").status().code(), ErrorCode::kNotFound);

  // An entity of the type without a location is a feature without a geometry, and every
  // bbox matches it (OGC API Features /req/core/fc-bbox-response C).
  Entity unplaced = Lamp(2, 0, 0, "on", 1);
  unplaced.attrs.Erase(std::string(domain::kLocationIri));
  ASSERT_TRUE(entities_.Create(Ctx("hanoi"), unplaced).ok());
  Result<FeaturePage> page = features_.Items(Ctx("hanoi"), c, FeatureQuery{});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->matched, 2u);
  FeatureQuery boxed;
  boxed.bbox = geo::BBox{100, 10, 110, 30};
  page = features_.Items(Ctx("hanoi"), c, boxed);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->features.size(), 2u);
  boxed.bbox = geo::BBox{0, 0, 1, 1};
  page = features_.Items(Ctx("hanoi"), c, boxed);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->features.size(), 1u);
  EXPECT_EQ(page->features[0].id, unplaced.id);
  EXPECT_TRUE(features_.Item(Ctx("hanoi"), c, unplaced.id).ok());
}

TEST_F(FeatureServiceTest, TenantsSeeOnlyTheirOwnCollectionsAndFeatures) {
  ASSERT_TRUE(entities_.Create(Ctx("hanoi"), Lamp(1, 105.8, 21.0, "on", 10)).ok());
  ASSERT_TRUE(entities_.Create(Ctx("danang"), Lamp(2, 108.2, 16.0, "on", 10)).ok());
  Result<FeatureCollectionInfo> c = features_.Collection(Ctx("hanoi"), "Streetlight");
  ASSERT_TRUE(c.ok());
  Result<FeaturePage> page = features_.Items(Ctx("hanoi"), *c, FeatureQuery{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->features.size(), 1u);
  EXPECT_EQ(page->features[0].id, "urn:ngsi-ld:Streetlight:1");
  EXPECT_EQ(features_.Item(Ctx("hanoi"), *c, "urn:ngsi-ld:Streetlight:2").status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(features_.Collections(Ctx("hue")).status().code(), ErrorCode::kNonexistentTenant);
}

TEST_F(FeatureServiceTest, BoxAndPropertyFiltersMatchABruteForceEvaluation) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> lon(105.70, 105.90), lat(20.90, 21.10);
  struct Made { std::string id; double lon, lat; std::string state; int power; };
  std::vector<Made> made;
  for (int i = 0; i < 300; ++i) {
    Made m{"urn:ngsi-ld:Streetlight:" + std::to_string(i), lon(rng), lat(rng), i % 3 == 0 ? "off" : "on", (i % 5) * 50};
    ASSERT_TRUE(entities_.Create(Ctx(""), Lamp(i, m.lon, m.lat, m.state, m.power)).ok());
    made.push_back(m);
  }
  Result<FeatureCollectionInfo> c = features_.Collection(Ctx(""), "Streetlight");
  ASSERT_TRUE(c.ok());
  for (int round = 0; round < 40; ++round) {
    double x0 = lon(rng), x1 = lon(rng), y0 = lat(rng), y1 = lat(rng);
    geo::BBox box{std::min(x0, x1), std::min(y0, y1), std::max(x0, x1), std::max(y0, y1)};
    FeatureQuery q;
    q.bbox = box;
    q.limit = 1000;
    if (round % 2 == 1) q.equals = {{"powerState", "off"}};
    if (round % 4 == 3) q.equals.push_back({"power", "100"});
    std::set<std::string> want;
    for (const Made& m : made) {
      if (m.lon < box.min_x || m.lon > box.max_x || m.lat < box.min_y || m.lat > box.max_y) continue;
      if (round % 2 == 1 && m.state != "off") continue;
      if (round % 4 == 3 && m.power != 100) continue;
      want.insert(m.id);
    }
    Result<FeaturePage> page = features_.Items(Ctx(""), *c, q);
    ASSERT_TRUE(page.ok()) << page.status().message();
    std::set<std::string> got;
    for (const Feature& e : page->features) got.insert(e.id);
    EXPECT_EQ(got, want) << "round " << round;
    EXPECT_EQ(page->matched, want.size());
  }
}

TEST_F(FeatureServiceTest, PagesCoverEveryFeatureOnce) {
  for (int i = 0; i < 23; ++i) {
    ASSERT_TRUE(entities_.Create(Ctx(""), Lamp(i, 105.8, 21.0 + i * 0.001, "on", i)).ok());
  }
  Result<FeatureCollectionInfo> c = features_.Collection(Ctx(""), "Streetlight");
  ASSERT_TRUE(c.ok());
  std::set<std::string> seen;
  FeatureQuery q;
  q.limit = 5;
  for (bool more = true; more; q.offset += q.limit) {
    Result<FeaturePage> page = features_.Items(Ctx(""), *c, q);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->matched, 23u);
    for (const Feature& e : page->features) EXPECT_TRUE(seen.insert(e.id).second) << e.id;
    more = page->more;
  }
  EXPECT_EQ(seen.size(), 23u);
}

TEST_F(FeatureServiceTest, ModifiedRangeSelectsByLastChange) {
  RequestContext early = Ctx("");
  early.received_at = Timestamp{1'000'000'000'000'000};
  RequestContext late = Ctx("");
  late.received_at = Timestamp{2'000'000'000'000'000};
  ASSERT_TRUE(entities_.Create(early, Lamp(1, 105.8, 21.0, "on", 1)).ok());
  ASSERT_TRUE(entities_.Create(late, Lamp(2, 105.8, 21.0, "on", 1)).ok());
  Result<FeatureCollectionInfo> c = features_.Collection(Ctx(""), "Streetlight");
  ASSERT_TRUE(c.ok());
  FeatureQuery q;
  q.modified_from = Timestamp{1'500'000'000'000'000};
  Result<FeaturePage> page = features_.Items(Ctx(""), *c, q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->features.size(), 1u);
  EXPECT_EQ(page->features[0].id, "urn:ngsi-ld:Streetlight:2");
  q.modified_from.reset();
  q.modified_to = Timestamp{1'500'000'000'000'000};
  page = features_.Items(Ctx(""), *c, q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->features.size(), 1u);
  EXPECT_EQ(page->features[0].id, "urn:ngsi-ld:Streetlight:1");
}

TEST_F(FeatureServiceTest, UnknownPropertyFilterIsBadRequestData) {
  ASSERT_TRUE(entities_.Create(Ctx(""), Lamp(1, 105.8, 21.0, "on", 1)).ok());
  Result<FeatureCollectionInfo> c = features_.Collection(Ctx(""), "Streetlight");
  ASSERT_TRUE(c.ok());
  FeatureQuery q;
  q.equals = {{"colour", "red"}};
  EXPECT_EQ(features_.Items(Ctx(""), *c, q).status().code(), ErrorCode::kBadRequestData);
  // A value with quotes and backslashes is compared as it is, not parsed as q syntax.
  q.equals = {{"powerState", "o\"n\\"}};
  Result<FeaturePage> page = features_.Items(Ctx(""), *c, q);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_TRUE(page->features.empty());
}

TEST_F(FeatureServiceTest, CollectionIdsAreSafePathSegmentsAndUnique) {
  auto located = [](std::string id, std::string type_iri) {
    Entity e = Lamp(0, 105.8, 21.0, "on", 1);
    e.id = std::move(id);
    e.types = {std::move(type_iri)};
    return e;
  };
  ASSERT_TRUE(entities_.Create(Ctx(""), located("urn:x:1", "https://a.example/Đèn đường")).ok());
  ASSERT_TRUE(entities_.Create(Ctx(""), located("urn:x:2", "https://b.example/Đèn đường")).ok());
  ASSERT_TRUE(entities_.Create(Ctx(""), located("urn:x:3", "https://c.example/..")).ok());
  Result<std::vector<FeatureCollectionInfo>> all = features_.Collections(Ctx(""));
  ASSERT_TRUE(all.ok());
  std::set<std::string> ids;
  for (const FeatureCollectionInfo& c : *all) {
    EXPECT_TRUE(ids.insert(c.id).second) << c.id;
    EXPECT_NE(c.id, "..");
    EXPECT_NE(c.id, ".");
    for (char ch : c.id) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || std::string_view("-_.~").find(ch) != std::string_view::npos) << c.id;
    }
    Result<FeatureCollectionInfo> again = features_.Collection(Ctx(""), c.id);
    ASSERT_TRUE(again.ok()) << c.id;
    EXPECT_EQ(again->type_iri, c.type_iri);
  }
  EXPECT_EQ(ids.size(), 3u);
  std::set<std::string> titles;
  for (const FeatureCollectionInfo& c : *all) titles.insert(c.title);
  EXPECT_EQ(titles.count("Đèn đường"), 1u);  // the name as written stays the title
}

TEST(FeatureServiceShortNameTest, TakesTheLastSegment) {
  EXPECT_EQ(FeatureService::ShortName("https://smartdatamodels.org/dataModel.Environment/no2"), "no2");
  EXPECT_EQ(FeatureService::ShortName("urn:x:Lamp"), "Lamp");
  EXPECT_EQ(FeatureService::ShortName("http://ex.org/a#b"), "b");
  EXPECT_EQ(FeatureService::ShortName("plain"), "plain");
}

}  // namespace
}  // namespace dothi::service

namespace dothi::service {
namespace {

storage::SourceFeature LayerSquare(int i, double x, double y, double side, std::string use) {
  storage::SourceFeature f;
  f.id = "z" + std::to_string(i);
  Json ring(Json::Array{Json(Json::Array{Json(x), Json(y)}), Json(Json::Array{Json(x + side), Json(y)}),
                        Json(Json::Array{Json(x + side), Json(y + side)}), Json(Json::Array{Json(x), Json(y + side)}),
                        Json(Json::Array{Json(x), Json(y)})});
  f.geometry = Json::MakeObject({{"type", "Polygon"}, {"coordinates", Json(Json::Array{ring})}});
  f.properties = Json::MakeObject({{"MA_DAT", Json(std::move(use))}, {"TANG", i % 7}});
  return f;
}

// Layers are collections beside the entity types, for a tenant that has no entities too,
// and their items obey bbox and property filters exactly as a brute-force evaluation.
TEST_F(FeatureServiceTest, ImportedLayersAreCollectionsWithExactFilters) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  storage::SourceLayer source;
  struct Kept { double x, y, side; std::string use; int tang; };
  std::vector<Kept> kept;
  for (int i = 0; i < 300; ++i) {
    Kept k{105.8 + u(rng) * 0.1, 21.0 + u(rng) * 0.1, 0.0005 + u(rng) * 0.005, i % 3 == 0 ? "CXX" : "ODT", i % 7};
    kept.push_back(k);
    source.features.push_back(LayerSquare(i, k.x, k.y, k.side, k.use));
  }
  storage::SourceFeature no_geometry;
  no_geometry.id = "no-geometry";
  no_geometry.properties = Json::MakeObject({{"MA_DAT", "ODT"}, {"TANG", 1}});
  source.features.push_back(no_geometry);
  LayerImport request;
  request.name = "quy-hoach";
  request.title = "Quy hoạch";
  ASSERT_TRUE(layers_.Import(Ctx("hue"), request, source).ok());

  Result<std::vector<FeatureCollectionInfo>> all = features_.Collections(Ctx("hue"));
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].title, "Quy hoạch");
  EXPECT_EQ((*all)[0].property_types.at("TANG"), "integer");
  EXPECT_EQ(features_.Collections(Ctx("hanoi")).status().code(), ErrorCode::kNonexistentTenant);

  Result<FeatureCollectionInfo> c = features_.Collection(Ctx("hue"), "quy-hoach");
  ASSERT_TRUE(c.ok());
  for (int round = 0; round < 40; ++round) {
    const double x0 = 105.8 + u(rng) * 0.08, y0 = 21.0 + u(rng) * 0.08;
    const geo::BBox box{x0, y0, x0 + u(rng) * 0.03, y0 + u(rng) * 0.03};
    FeatureQuery q;
    q.bbox = box;
    q.limit = 1000;
    if (round % 2 == 1) q.equals = {{"MA_DAT", "CXX"}};
    if (round % 4 == 3) q.equals.push_back({"TANG", "3"});
    std::set<std::string> want = {"no-geometry"};
    if (round % 2 == 1) want.clear();  // its MA_DAT is ODT
    for (std::size_t i = 0; i < kept.size(); ++i) {
      const Kept& k = kept[i];
      const bool hit = k.x <= box.max_x && k.x + k.side >= box.min_x && k.y <= box.max_y && k.y + k.side >= box.min_y;
      if (!hit) continue;
      if (round % 2 == 1 && k.use != "CXX") continue;
      if (round % 4 == 3 && k.tang != 3) continue;
      want.insert("z" + std::to_string(i));
    }
    Result<FeaturePage> page = features_.Items(Ctx("hue"), *c, q);
    ASSERT_TRUE(page.ok()) << page.status().message();
    std::set<std::string> got;
    for (const Feature& f : page->features) got.insert(f.id);
    EXPECT_EQ(got, want) << "round " << round;
    EXPECT_EQ(page->matched, want.size());
  }
  Result<Feature> one = features_.Item(Ctx("hue"), *c, "z5");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->properties.Find("MA_DAT")->AsString(), kept[5].use);
  EXPECT_EQ(features_.Item(Ctx("hue"), *c, "nope").status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace dothi::service
