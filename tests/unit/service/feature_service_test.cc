#include "service/feature_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <random>
#include <set>

#include "domain/cql2/parser.h"
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

RequestContext Ctx(std::string tenant) { return RequestContext{std::move(tenant), "t", Now(), /*finish_on=*/{}}; }

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

// ---------------------------------------------------------------------------------------
// CQL2 filters (OGC API Features Part 3), checked against an evaluation written here.

namespace dothi::service {
namespace {

using Truth = std::optional<bool>;  // nullopt: UNKNOWN (SQL three-valued logic)

// Province names as written, without accents, and without accents or case.
struct Province {
  const char* name;
  const char* plain;
  const char* folded;
};
constexpr Province kProvinces[] = {
    {"Quảng Ninh", "Quang Ninh", "quang ninh"}, {"Quảng Nam", "Quang Nam", "quang nam"},
    {"Hà Nội", "Ha Noi", "ha noi"},             {"Đà Nẵng", "Da Nang", "da nang"},
    {"Thừa Thiên Huế", "Thua Thien Hue", "thua thien hue"}, {"QUẢNG NINH", "QUANG NINH", "quang ninh"},
};
constexpr const char* kUses[] = {"ODT", "TMD", "CXX", "DGD", "DYT"};
constexpr const char* kKinds[] = {"Khu dân cư", "Trường học", "Công viên", "Chợ"};

// One generated feature: a square (or a point when side is 0), or no geometry.
struct Made {
  std::string id;
  bool placed = true;
  double x = 0, y = 0, side = 0;
  std::string use;
  std::optional<int> floors;  // TANG; missing for some
  double area = 0;            // DIEN_TICH
  std::string name;           // TEN
  int province = 0;           // TINH, an index into kProvinces
};

// A random filter: its cql2-text and what it gives for a feature.
struct Filter {
  std::string text;
  std::function<Truth(const Made&)> eval;
};

Truth Not(Truth a) { return a ? Truth(!*a) : std::nullopt; }
Truth And(Truth a, Truth b) {
  if (a == false || b == false) return false;
  if (!a || !b) return std::nullopt;
  return true;
}
Truth Or(Truth a, Truth b) {
  if (a == true || b == true) return true;
  if (!a || !b) return std::nullopt;
  return false;
}

std::string Num(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", d);
  return buf;
}

class FilterMaker {
 public:
  FilterMaker(std::mt19937& rng, std::string geometry_name, geo::BBox area)
      : rng_(rng), geometry_(std::move(geometry_name)), area_(area) {}

  Filter Make(int depth = 0) {
    const int pick = Uniform(0, depth >= 2 ? 0 : 9);
    if (pick >= 7) {  // AND / OR / NOT of smaller filters
      Filter a = Make(depth + 1);
      if (pick == 9) return {"NOT (" + a.text + ")", [a](const Made& m) { return Not(a.eval(m)); }};
      Filter b = Make(depth + 1);
      if (pick == 8) {
        return {"(" + a.text + ") OR (" + b.text + ")",
                [a, b](const Made& m) { return Or(a.eval(m), b.eval(m)); }};
      }
      return {"(" + a.text + ") AND (" + b.text + ")",
              [a, b](const Made& m) { return And(a.eval(m), b.eval(m)); }};
    }
    return Leaf();
  }

  // A spatial predicate alone: S_INTERSECTS with a random box.
  Filter Spatial() {
    const double w = area_.max_x - area_.min_x, h = area_.max_y - area_.min_y;
    const double x0 = area_.min_x + Real() * w, y0 = area_.min_y + Real() * h;
    const double x1 = std::min(area_.max_x, x0 + Real() * w * 0.4);
    const double y1 = std::min(area_.max_y, y0 + Real() * h * 0.4);
    return {"S_INTERSECTS(" + geometry_ + ", BBOX(" + Num(x0) + "," + Num(y0) + "," + Num(x1) + "," + Num(y1) + "))",
            [=](const Made& m) -> Truth {
              if (!m.placed) return std::nullopt;
              // The numbers as printed, which is what the server reads.
              const double bx0 = std::stod(Num(x0)), by0 = std::stod(Num(y0));
              const double bx1 = std::stod(Num(x1)), by1 = std::stod(Num(y1));
              return m.x <= bx1 && m.x + m.side >= bx0 && m.y <= by1 && m.y + m.side >= by0;
            }};
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  double Real() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  Filter Leaf() {
    switch (Uniform(0, 10)) {
      case 0: {  // comparisons of a number that may be missing
        const int c = Uniform(0, 20);
        static constexpr const char* kOps[] = {"=", "<>", "<", ">", "<=", ">="};
        const int op = Uniform(0, 5);
        return {"TANG " + std::string(kOps[op]) + " " + std::to_string(c), [=](const Made& m) -> Truth {
                  if (!m.floors) return std::nullopt;
                  const int v = *m.floors;
                  switch (op) {
                    case 0: return v == c;
                    case 1: return v != c;
                    case 2: return v < c;
                    case 3: return v > c;
                    case 4: return v <= c;
                    default: return v >= c;
                  }
                }};
      }
      case 1: {
        const std::string use = kUses[Uniform(0, 4)];
        if (Uniform(0, 1) == 0) return {"MA_DAT = '" + use + "'", [=](const Made& m) -> Truth { return m.use == use; }};
        return {"MA_DAT <> '" + use + "'", [=](const Made& m) -> Truth { return m.use != use; }};
      }
      case 2: {  // LIKE: a prefix, a suffix or a middle part
        const std::string kind = kKinds[Uniform(0, 3)];
        const std::string digit = std::to_string(Uniform(0, 9));
        switch (Uniform(0, 2)) {
          case 0:
            return {"TEN LIKE '" + kind + "%'", [=](const Made& m) -> Truth { return m.name.rfind(kind, 0) == 0; }};
          case 1:
            return {"TEN LIKE '%" + digit + "'", [=](const Made& m) -> Truth {
                      return m.name.size() >= 1 && m.name.back() == digit[0];
                    }};
          default:
            return {"TEN LIKE '%_ " + digit + "_'", [=](const Made& m) -> Truth {
                      // "<kind> <number>": a space, the digit, then exactly one character.
                      const std::size_t n = m.name.size();
                      return n >= 4 && m.name[n - 3] == ' ' && m.name[n - 2] == digit[0];
                    }};
        }
      }
      case 3: {
        const std::string a = kUses[Uniform(0, 4)], b = kUses[Uniform(0, 4)];
        return {"MA_DAT IN ('" + a + "', '" + b + "')", [=](const Made& m) -> Truth { return m.use == a || m.use == b; }};
      }
      case 4: {
        const int a = Uniform(0, 19), b = Uniform(0, 19);
        return {"TANG IN (" + std::to_string(a) + ", " + std::to_string(b) + ")", [=](const Made& m) -> Truth {
                  if (!m.floors) return std::nullopt;
                  return *m.floors == a || *m.floors == b;
                }};
      }
      case 5: {
        const double lo = std::round(Real() * 5000), hi = lo + std::round(Real() * 5000);
        return {"DIEN_TICH BETWEEN " + Num(lo) + " AND " + Num(hi),
                [=](const Made& m) -> Truth { return m.area >= lo && m.area <= hi; }};
      }
      case 6:
      case 7:
        return Spatial();
      case 8: {  // accents and case ignored: "quang ninh" finds "Quảng Ninh" and "QUẢNG NINH"
        const Province& p = kProvinces[Uniform(0, 5)];
        const std::string folded = p.folded;
        return {"CASEI(ACCENTI(TINH)) = '" + folded + "'",
                [=](const Made& m) -> Truth { return kProvinces[m.province].folded == folded; }};
      }
      case 9: {  // accents ignored, case kept
        const Province& p = kProvinces[Uniform(0, 5)];
        const std::string plain = p.plain;
        return {"ACCENTI(TINH) = ACCENTI('" + plain + "')",
                [=](const Made& m) -> Truth { return kProvinces[m.province].plain == plain; }};
      }
      default:
        return {"TANG IS NULL", [](const Made& m) -> Truth { return !m.floors.has_value(); }};
    }
  }

  std::mt19937& rng_;
  std::string geometry_;
  geo::BBox area_;
};

// The features generated for both kinds of collection, in a 0.1° box around Hà Nội.
std::vector<Made> MakeFeatures(std::mt19937& rng, int n, bool squares) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<Made> out;
  for (int i = 0; i < n; ++i) {
    Made m;
    m.id = "f" + std::to_string(i);
    m.placed = i % 37 != 5;
    m.x = 105.8 + u(rng) * 0.1;
    m.y = 21.0 + u(rng) * 0.1;
    m.side = squares ? 0.0005 + u(rng) * 0.005 : 0.0;
    m.use = kUses[i % 5];
    if (i % 11 != 3) m.floors = (i * 7) % 20;
    m.area = std::round(u(rng) * 10000 * 100) / 100;
    m.name = std::string(kKinds[i % 4]) + " " + std::to_string(i);
    m.province = static_cast<int>(i % 6);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<std::string> Expected(const std::vector<Made>& made, const Filter& f,
                                  const std::optional<geo::BBox>& bbox = std::nullopt) {
  std::vector<std::string> ids;
  for (const Made& m : made) {
    if (bbox && m.placed &&
        !(m.x <= bbox->max_x && m.x + m.side >= bbox->min_x && m.y <= bbox->max_y && m.y + m.side >= bbox->min_y)) {
      continue;
    }
    if (f.eval(m) == true) ids.push_back(m.id);
  }
  return ids;
}

std::optional<domain::cql2::Expression> ParseFilter(const std::string& text) {
  Result<domain::cql2::Expression> e = domain::cql2::ParseCql2Text(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().message();
  if (!e.ok()) return std::nullopt;
  return std::move(*e);
}

// Every page of the query, in order; checks matched and more on each.
std::vector<std::string> AllPages(const FeatureService& features, const RequestContext& ctx,
                                  const FeatureCollectionInfo& c, FeatureQuery q,
                                  std::size_t* matched) {
  std::vector<std::string> ids;
  for (q.offset = 0;; q.offset += q.limit) {
    Result<FeaturePage> page = features.Items(ctx, c, q);
    EXPECT_TRUE(page.ok()) << page.status().message();
    if (!page.ok()) break;
    *matched = page->matched;
    for (const Feature& f : page->features) ids.push_back(f.id);
    if (!page->more) break;
    EXPECT_EQ(page->features.size(), q.limit);
  }
  return ids;
}

TEST_F(FeatureServiceTest, FiltersOverALayerMatchABruteForceEvaluation) {
  std::mt19937 rng(2024);
  const std::vector<Made> made = MakeFeatures(rng, 400, true);
  storage::SourceLayer source;
  for (const Made& m : made) {
    storage::SourceFeature f;
    f.id = m.id;
    if (m.placed) {
      Json ring(Json::Array{Json(Json::Array{Json(m.x), Json(m.y)}), Json(Json::Array{Json(m.x + m.side), Json(m.y)}),
                            Json(Json::Array{Json(m.x + m.side), Json(m.y + m.side)}),
                            Json(Json::Array{Json(m.x), Json(m.y + m.side)}), Json(Json::Array{Json(m.x), Json(m.y)})});
      f.geometry = Json::MakeObject({{"type", "Polygon"}, {"coordinates", Json(Json::Array{ring})}});
    }
    f.properties = Json::MakeObject({{"MA_DAT", m.use},
                                     {"TANG", m.floors ? Json(*m.floors) : Json()},
                                     {"DIEN_TICH", m.area},
                                     {"TEN", m.name},
                                     {"TINH", kProvinces[m.province].name}});
    source.features.push_back(std::move(f));
  }
  LayerImport request;
  request.name = "quy-hoach";
  ASSERT_TRUE(layers_.Import(Ctx("hanoi"), request, source).ok());
  Result<FeatureCollectionInfo> c = features_.Collection(Ctx("hanoi"), "quy-hoach");
  ASSERT_TRUE(c.ok()) << c.status().message();

  FilterMaker maker(rng, "geometry", geo::BBox{105.8, 21.0, 105.905, 21.105});
  std::size_t nonempty = 0;
  for (int round = 0; round < 300; ++round) {
    Filter checked = maker.Make();
    if (round % 4 == 0) {  // a spatial constraint the spatial index narrows the candidates by
      const Filter s = maker.Spatial();
      checked = {"(" + s.text + ") AND (" + checked.text + ")",
                 [s, checked](const Made& m) { return And(s.eval(m), checked.eval(m)); }};
    }
    FeatureQuery q;
    q.filter = ParseFilter(checked.text);
    ASSERT_TRUE(q.filter) << checked.text;
    std::optional<geo::BBox> bbox;
    if (round % 5 == 1) {
      bbox = geo::BBox{105.82, 21.02, 105.88, 21.07};
      q.bbox = bbox;
    }
    q.limit = 1 + round % 97;
    const std::vector<std::string> want = Expected(made, checked, bbox);
    nonempty += want.empty() ? 0 : 1;
    std::size_t matched = 0;
    EXPECT_EQ(AllPages(features_, Ctx("hanoi"), *c, q, &matched), want) << checked.text;
    EXPECT_EQ(matched, want.size()) << checked.text;
  }
  EXPECT_GT(nonempty, 150u);  // the filters are not all trivially empty
}

TEST_F(FeatureServiceTest, FiltersOverEntitiesMatchABruteForceEvaluation) {
  std::mt19937 rng(99);
  const std::vector<Made> made = MakeFeatures(rng, 300, false);
  for (const Made& m : made) {
    Entity e;
    e.id = "urn:ngsi-ld:Place:" + m.id;
    e.types = {Iri("Place")};
    e.attrs.Set(Iri("MA_DAT"), Instance("Property", "value", Json(m.use)));
    if (m.floors) e.attrs.Set(Iri("TANG"), Instance("Property", "value", Json(*m.floors)));
    e.attrs.Set(Iri("DIEN_TICH"), Instance("Property", "value", Json(m.area)));
    e.attrs.Set(Iri("TEN"), Instance("Property", "value", Json(m.name)));
    e.attrs.Set(Iri("TINH"), Instance("Property", "value", Json(kProvinces[m.province].name)));
    if (m.placed) {
      e.attrs.Set(std::string(domain::kLocationIri), Instance("GeoProperty", "value", PointValue(m.x, m.y)));
    }
    ASSERT_TRUE(entities_.Create(Ctx("hanoi"), e).ok());
  }
  // Another tenant's entity that every filter below would match if it could see it.
  Entity stranger;
  stranger.id = "urn:ngsi-ld:Place:stranger";
  stranger.types = {Iri("Place")};
  stranger.attrs.Set(std::string(domain::kLocationIri), Instance("GeoProperty", "value", PointValue(105.85, 21.05)));
  ASSERT_TRUE(entities_.Create(Ctx("hue"), stranger).ok());

  Result<FeatureCollectionInfo> c = features_.Collection(Ctx("hanoi"), "Place");
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::vector<Made> by_id = made;  // entities come back in creation order, as made
  for (Made& m : by_id) m.id = "urn:ngsi-ld:Place:" + m.id;

  std::size_t nonempty = 0;
  for (int round = 0; round < 200; ++round) {
    // Entity collections call the geometry "location"; "geometry" is accepted too.
    FilterMaker maker(rng, round % 2 == 0 ? "location" : "geometry", geo::BBox{105.8, 21.0, 105.9, 21.1});
    Filter f = maker.Make();
    if (round % 3 == 0) {
      const Filter s = maker.Spatial();
      f = {"(" + s.text + ") AND (" + f.text + ")", [s, f](const Made& m) { return And(s.eval(m), f.eval(m)); }};
    }
    FeatureQuery q;
    q.filter = ParseFilter(f.text);
    ASSERT_TRUE(q.filter) << f.text;
    std::optional<geo::BBox> bbox;
    if (round % 5 == 2) {
      bbox = geo::BBox{105.81, 21.01, 105.87, 21.08};
      q.bbox = bbox;
    }
    if (round % 7 == 3) q.equals = {{"MA_DAT", "TMD"}};
    q.limit = 1 + round % 53;
    Filter checked = f;
    if (!q.equals.empty()) {
      checked.eval = [f](const Made& m) { return And(f.eval(m), m.use == "TMD"); };
    }
    const std::vector<std::string> want = Expected(by_id, checked, bbox);
    nonempty += want.empty() ? 0 : 1;
    std::size_t matched = 0;
    EXPECT_EQ(AllPages(features_, Ctx("hanoi"), *c, q, &matched), want) << f.text;
    EXPECT_EQ(matched, want.size()) << f.text;
  }
  EXPECT_GT(nonempty, 100u);
}

TEST_F(FeatureServiceTest, FilterNamesMustBeQueryables) {
  ASSERT_TRUE(entities_.Create(Ctx(""), Lamp(1, 105.8, 21.0, "on", 10)).ok());
  Result<FeatureCollectionInfo> c = features_.Collection(Ctx(""), "Streetlight");
  ASSERT_TRUE(c.ok());
  auto run = [&](const std::string& text) {
    FeatureQuery q;
    q.filter = ParseFilter(text);
    return features_.Items(Ctx(""), *c, q);
  };
  EXPECT_TRUE(run("powerState = 'on' AND S_INTERSECTS(location, POINT(105.8 21.0))").ok());
  EXPECT_EQ(run("S_INTERSECTS(geometry, POINT(105.8 21.0))")->matched, 1u);
  Result<FeaturePage> unknown = run("power > 1 OR colour = 'red'");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(unknown.status().message(), "unknown queryable: colour");
  // The feature id is not a queryable (a property of that name would be).
  EXPECT_EQ(run("id = 'urn:ngsi-ld:Streetlight:1'").status().code(), ErrorCode::kBadRequestData);

  storage::SourceLayer source;
  source.features.push_back(LayerSquare(1, 105.8, 21.0, 0.01, "ODT"));
  LayerImport request;
  request.name = "zones";
  ASSERT_TRUE(layers_.Import(Ctx(""), request, source).ok());
  Result<FeatureCollectionInfo> layer = features_.Collection(Ctx(""), "zones");
  ASSERT_TRUE(layer.ok());
  auto run_layer = [&](const std::string& text) {
    FeatureQuery q;
    q.filter = ParseFilter(text);
    return features_.Items(Ctx(""), *layer, q);
  };
  EXPECT_EQ(run_layer("MA_DAT = 'ODT' AND S_INTERSECTS(geometry, POINT(105.805 21.005))")->matched, 1u);
  EXPECT_EQ(run_layer("S_INTERSECTS(location, POINT(105.805 21.005))").status().code(),
            ErrorCode::kBadRequestData);  // a layer's geometry is "geometry" only
  // Two spatial constraints that no geometry can meet both of.
  EXPECT_EQ(run_layer("S_INTERSECTS(geometry, BBOX(0, 0, 1, 1)) AND "
                      "S_INTERSECTS(geometry, BBOX(2, 2, 3, 3))")->matched, 0u);
  EXPECT_EQ(run("S_INTERSECTS(location, BBOX(0, 0, 1, 1)) AND "
                "S_INTERSECTS(location, BBOX(2, 2, 3, 3))")->matched, 0u);
}

}  // namespace
}  // namespace dothi::service
