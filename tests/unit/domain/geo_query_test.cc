#include "domain/geo_query.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

namespace dothi::domain {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kR = 6371008.8;
constexpr double kHoanKiemLon = 105.8523, kHoanKiemLat = 21.0287;
constexpr double kOperaLon = 105.8576, kOperaLat = 21.0243;
constexpr std::string_view kObservationSpace = "https://example.org/observationSpace";

// Independent reference distance: spherical law of cosines on the same sphere.
double LawOfCosinesMeters(double lon1, double lat1, double lon2, double lat2) {
  double r = kPi / 180;
  double c = std::sin(lat1 * r) * std::sin(lat2 * r) +
             std::cos(lat1 * r) * std::cos(lat2 * r) * std::cos((lon2 - lon1) * r);
  return kR * std::acos(std::min(1.0, c));
}

Json Pos(double x, double y) { return Json(Json::Array{Json(x), Json(y)}); }

Json PointJson(double x, double y) {
  return Json::MakeObject({{"type", "Point"}, {"coordinates", Pos(x, y)}});
}

Json BoxJson(double x0, double y0, double x1, double y1) {
  Json ring = Json(Json::Array{Pos(x0, y0), Pos(x1, y0), Pos(x1, y1), Pos(x0, y1), Pos(x0, y0)});
  return Json::MakeObject({{"type", "Polygon"}, {"coordinates", Json(Json::Array{ring})}});
}

Json GeoInstance(Json value, std::string_view dataset_id = {}) {
  Json inst = Json::MakeObject({{"type", "GeoProperty"}, {"value", std::move(value)}});
  if (!dataset_id.empty()) inst.Set("datasetId", dataset_id);
  return inst;
}

Entity MakeEntity(Json location_value) {
  Entity e;
  e.id = "urn:ngsi-ld:Bus:1";
  e.types = {"https://example.org/Bus"};
  e.attrs.Set(kLocationIri, Json(Json::Array{GeoInstance(std::move(location_value))}));
  return e;
}

GeoQuery MustParse(std::string_view georel, std::string_view type, std::string_view coords,
                   std::string iri = {}) {
  Result<GeoQuery> q = ParseGeoQuery(georel, type, coords, std::move(iri));
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  return q.ok() ? q.value() : GeoQuery{};
}

Status ParseFails(std::string_view georel, std::string_view type, std::string_view coords) {
  Result<GeoQuery> q = ParseGeoQuery(georel, type, coords, {});
  EXPECT_FALSE(q.ok()) << georel << " " << type << " " << coords;
  return q.status();
}

// Hanoi's Hoan Kiem district, roughly, as query text.
constexpr std::string_view kDistrict =
    "[[[105.84,21.01],[105.86,21.01],[105.86,21.04],[105.84,21.04],[105.84,21.01]]]";

// ---------------------------------------------------------------------------------------
// Parsing

TEST(GeoQueryTest, ParsesEveryGeorel) {
  struct Case {
    std::string_view georel;
    GeoQuery::Rel rel;
  } cases[] = {{"within", GeoQuery::Rel::kWithin},         {"contains", GeoQuery::Rel::kContains},
               {"intersects", GeoQuery::Rel::kIntersects}, {"disjoint", GeoQuery::Rel::kDisjoint},
               {"overlaps", GeoQuery::Rel::kOverlaps},     {"equals", GeoQuery::Rel::kEquals}};
  for (const Case& c : cases) {
    GeoQuery q = MustParse(c.georel, "Polygon", kDistrict);
    EXPECT_EQ(q.rel, c.rel);
    EXPECT_EQ(q.GeorelText(), c.georel);
    EXPECT_EQ(q.geoproperty_iri, kLocationIri);
    EXPECT_EQ(q.geometry.type_name(), "Polygon");
  }
  GeoQuery near = MustParse("near;maxDistance==2000", "Point", "[106.85,21.03]");
  EXPECT_EQ(near.rel, GeoQuery::Rel::kNear);
  EXPECT_EQ(near.max_distance, 2000.0);
  EXPECT_FALSE(near.min_distance.has_value());
  EXPECT_EQ(near.GeorelText(), "near;maxDistance==2000");
  GeoQuery both = MustParse("near;minDistance==10.5;maxDistance==2e3", "Point", "[106.85,21.03]");
  EXPECT_EQ(both.min_distance, 10.5);
  EXPECT_EQ(both.max_distance, 2000.0);
}

TEST(GeoQueryTest, ParseCoordinatesReadsNestedArraysWithWhitespace) {
  Result<Json> j = ParseCoordinates(" [ [ -1.5e1 , 2 ] ,[0,-0.25E+1]]\n");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->Dump(), "[[-15.0,2],[0,-2.5]]");  // written as doubles stay doubles
  EXPECT_TRUE(ParseCoordinates("[]").ok());
  EXPECT_TRUE(ParseCoordinates("[[[[1,2]]]]").ok());
}

TEST(GeoQueryTest, RejectsCoordinateSyntaxErrorsAsInvalidRequest) {
  for (std::string_view bad : {"[1,2",          "[1,,2]",    "[1,2,]",     "[01,2]",  "[1.,2]",
                               "[.5,2]",        "[1,2]x",    "1,2",        "[+1,2]",  "[1e,2]",
                               "[[[[[1,2]]]]]", "[1e999,2]", "[1e-999,2]", "[NaN,2]", "[\"1\",2]",
                               "[1 2]",         "[-,2]",     "{}",         "[[1,2]",  "[0x10,2]"}) {
    Result<Json> r = ParseCoordinates(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidRequest) << bad;
    EXPECT_NE(r.status().message().find("invalid coordinates"), std::string::npos);
    Status s = ParseFails("within", "Polygon", bad);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidRequest) << bad;
  }
  EXPECT_EQ(ParseCoordinates("[1,,2]").status().message(),
            "invalid coordinates: expected a number or '[' at offset 3 in '[1,,2]'");
}

TEST(GeoQueryTest, LimitsTheNumberOfCoordinates) {
  geo::GeometryLimits limits;
  limits.max_vertices = 2;
  Result<Json> r = ParseCoordinates("[[1,2],[3,4],[5,6],[7,8]]", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(r.status().message(), "too many coordinates: more than 6 numbers");
  Result<GeoQuery> q = ParseGeoQuery("intersects", "LineString", "[[1,2],[3,4],[5,6]]", {}, limits);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message(), "geometry has more vertices than allowed: 2");
}

TEST(GeoQueryTest, RejectsBadGeorelsAsBadRequestData) {
  struct Case {
    std::string_view georel;
    std::string_view message;
  } cases[] = {
      {"nearby", "unknown georel: nearby"},
      {"Within", "unknown georel: Within"},
      {"", "georel is required with geometry"},
      {"near", "near needs maxDistance or minDistance: near"},
      {"near;", "near needs maxDistance or minDistance: near;"},
      {"near;maxDistance==-5", "distance must not be negative: near;maxDistance==-5"},
      {"near;maxDistance==abc", "invalid distance in georel: near;maxDistance==abc"},
      {"near;maxDistance==", "invalid distance in georel: near;maxDistance=="},
      {"near;maxDistance==inf", "invalid distance in georel: near;maxDistance==inf"},
      {"near;maxDistance=5", "invalid georel modifier: near;maxDistance=5"},
      {"near;radius==5", "unknown georel modifier: near;radius==5"},
      {"near;maxDistance==5;maxDistance==6",
       "repeated georel modifier: near;maxDistance==5;maxDistance==6"},
      {"near;maxDistance==5;", "invalid georel modifier: near;maxDistance==5;"},
      {"near;minDistance==10;maxDistance==5",
       "minDistance exceeds maxDistance: near;minDistance==10;maxDistance==5"},
      {"within;maxDistance==5", "georel takes no modifiers: within;maxDistance==5"},
  };
  for (const Case& c : cases) {
    Status s = ParseFails(c.georel, "Point", "[105.85,21.03]");
    EXPECT_EQ(s.code(), ErrorCode::kBadRequestData) << c.georel;
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(GeoQueryTest, RejectsBadGeometriesAsBadRequestData) {
  EXPECT_EQ(ParseFails("within", "Circle", "[1,2]").message(), "unknown geometry type: Circle");
  EXPECT_EQ(ParseFails("within", "", "[1,2]").message(), "geometry is required with georel");
  EXPECT_EQ(ParseFails("within", "Point", "").message(), "coordinates are required");
  EXPECT_EQ(ParseFails("within", "Point", "[105,100]").message(),
            "latitude out of range [-90, 90]: 100");
  EXPECT_EQ(ParseFails("within", "Polygon", "[[[0,0],[1,0],[1,1],[0,1]]]").message(),
            "polygon ring is not closed: first and last positions differ");
  EXPECT_EQ(ParseFails("within", "Point", "[[1,2]]").code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(ParseFails("within", "LineString", "[[1,2]]").code(), ErrorCode::kBadRequestData);
  // A bad georel is reported before bad coordinates.
  EXPECT_EQ(ParseFails("nearby", "Point", "[1,").code(), ErrorCode::kBadRequestData);
}

TEST(GeoQueryTest, GeoQueryFromJsonAcceptsArrayOrString) {
  Json coords = Json(Json::Array{Json(105.85), Json(21.03)});
  Result<GeoQuery> a = GeoQueryFromJson("near;maxDistance==100", "Point", coords, {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_DOUBLE_EQ(a->geometry.lon(), 105.85);
  Result<GeoQuery> b =
      GeoQueryFromJson("near;maxDistance==100", "Point", Json("[105.85,21.03]"), {});
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(a->geometry == b->geometry);
  Result<GeoQuery> c = GeoQueryFromJson("within", "Point", Json(5), {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(GeoQueryFromJson("within", "Point", Json("[1,"), {}).status().code(),
            ErrorCode::kInvalidRequest);
}

// ---------------------------------------------------------------------------------------
// Matching

TEST(GeoQueryTest, NearMaxDistanceUsesGreatCircleMeters) {
  double d = LawOfCosinesMeters(kHoanKiemLon, kHoanKiemLat, kOperaLon, kOperaLat);  // ~730 m
  ASSERT_NEAR(d, 730, 10);
  Entity opera = MakeEntity(PointJson(kOperaLon, kOperaLat));
  std::string at = "[105.8523,21.0287]";
  EXPECT_TRUE(MustParse("near;maxDistance==" + std::to_string(d + 1), "Point", at).Matches(opera));
  EXPECT_FALSE(MustParse("near;maxDistance==" + std::to_string(d - 1), "Point", at).Matches(opera));
  EXPECT_TRUE(MustParse("near;minDistance==" + std::to_string(d - 1), "Point", at).Matches(opera));
  EXPECT_FALSE(MustParse("near;minDistance==" + std::to_string(d + 1), "Point", at).Matches(opera));
  EXPECT_TRUE(MustParse("near;minDistance==700;maxDistance==800", "Point", at).Matches(opera));
  EXPECT_FALSE(MustParse("near;minDistance==750;maxDistance==800", "Point", at).Matches(opera));
}

TEST(GeoQueryTest, NearWorksForNonPointGeometries) {
  // An entity street (LineString) 0.001 deg of latitude (~111 m) north of the query point.
  Json street = Json::MakeObject(
      {{"type", "LineString"},
       {"coordinates", Json(Json::Array{Pos(105.85, 21.031), Pos(105.86, 21.031)})}});
  Entity e = MakeEntity(street);
  double d = LawOfCosinesMeters(105.855, 21.03, 105.855, 21.031);
  EXPECT_TRUE(
      MustParse("near;maxDistance==" + std::to_string(d * 1.001), "Point", "[105.855,21.03]")
          .Matches(e));
  EXPECT_FALSE(
      MustParse("near;maxDistance==" + std::to_string(d * 0.999), "Point", "[105.855,21.03]")
          .Matches(e));
  // Point entity near a query polygon: inside means distance 0.
  Entity inside = MakeEntity(PointJson(105.85, 21.02));
  EXPECT_TRUE(MustParse("near;maxDistance==0", "Polygon", kDistrict).Matches(inside));
}

TEST(GeoQueryTest, WithinMatchesEntityInsideQueryPolygon) {
  GeoQuery q = MustParse("within", "Polygon", kDistrict);
  EXPECT_TRUE(q.Matches(MakeEntity(PointJson(kHoanKiemLon, kHoanKiemLat))));
  EXPECT_FALSE(q.Matches(MakeEntity(PointJson(105.80, 21.03))));
  EXPECT_FALSE(q.Matches(MakeEntity(PointJson(105.84, 21.02))));  // on the boundary
  EXPECT_TRUE(q.Matches(MakeEntity(BoxJson(105.845, 21.02, 105.85, 21.03))));
  EXPECT_FALSE(q.Matches(MakeEntity(BoxJson(105.845, 21.02, 105.87, 21.03))));
}

TEST(GeoQueryTest, ContainsMatchesEntityContainingQueryGeometry) {
  GeoQuery q = MustParse("contains", "Point", "[105.8523,21.0287]");
  EXPECT_TRUE(q.Matches(MakeEntity(BoxJson(105.84, 21.01, 105.86, 21.04))));
  EXPECT_FALSE(q.Matches(MakeEntity(BoxJson(105.70, 21.01, 105.80, 21.04))));
  EXPECT_TRUE(q.Matches(MakeEntity(PointJson(105.8523, 21.0287))));  // a point contains itself
}

TEST(GeoQueryTest, IntersectsMatchesCrossingLine) {
  GeoQuery q = MustParse("intersects", "Polygon", kDistrict);
  Json road = Json::MakeObject(
      {{"type", "LineString"},
       {"coordinates", Json(Json::Array{Pos(105.80, 21.02), Pos(105.90, 21.02)})}});
  EXPECT_TRUE(q.Matches(MakeEntity(road)));
  Json far_road = Json::MakeObject(
      {{"type", "LineString"},
       {"coordinates", Json(Json::Array{Pos(105.80, 21.10), Pos(105.90, 21.10)})}});
  EXPECT_FALSE(q.Matches(MakeEntity(far_road)));
  EXPECT_TRUE(q.Matches(MakeEntity(PointJson(105.84, 21.02))));  // boundary intersects
}

TEST(GeoQueryTest, DisjointMatchesEntityOutside) {
  GeoQuery q = MustParse("disjoint", "Polygon", kDistrict);
  EXPECT_TRUE(q.Matches(MakeEntity(PointJson(105.80, 21.03))));
  EXPECT_FALSE(q.Matches(MakeEntity(PointJson(105.85, 21.03))));
  EXPECT_EQ(q.SearchBox(), geo::BBox::World());
}

TEST(GeoQueryTest, OverlapsMatchesPartlyOverlappingPolygon) {
  GeoQuery q = MustParse("overlaps", "Polygon", kDistrict);
  EXPECT_TRUE(q.Matches(MakeEntity(BoxJson(105.85, 21.03, 105.87, 21.05))));
  EXPECT_FALSE(q.Matches(MakeEntity(BoxJson(105.845, 21.02, 105.85, 21.03))));  // inside
  EXPECT_FALSE(q.Matches(MakeEntity(PointJson(105.85, 21.03))));
}

TEST(GeoQueryTest, EqualsMatchesSameGeometry) {
  GeoQuery p = MustParse("equals", "Point", "[105.8523,21.0287]");
  EXPECT_TRUE(p.Matches(MakeEntity(PointJson(105.8523, 21.0287))));
  EXPECT_FALSE(p.Matches(MakeEntity(PointJson(105.8523, 21.0288))));
  GeoQuery poly = MustParse("equals", "Polygon", kDistrict);
  EXPECT_TRUE(poly.Matches(MakeEntity(BoxJson(105.84, 21.01, 105.86, 21.04))));
  EXPECT_FALSE(poly.Matches(MakeEntity(BoxJson(105.84, 21.01, 105.86, 21.05))));
}

TEST(GeoQueryTest, UsesTheNamedGeoPropertyNotLocation) {
  Entity e = MakeEntity(PointJson(105.80, 21.03));  // location outside the district
  e.attrs.Set(kObservationSpace, Json(Json::Array{GeoInstance(PointJson(105.85, 21.03))}));
  GeoQuery by_location = MustParse("within", "Polygon", kDistrict);
  GeoQuery by_space = MustParse("within", "Polygon", kDistrict, std::string(kObservationSpace));
  EXPECT_EQ(by_space.geoproperty_iri, kObservationSpace);
  EXPECT_FALSE(by_location.Matches(e));
  EXPECT_TRUE(by_space.Matches(e));
  Entity no_space = MakeEntity(PointJson(105.85, 21.03));
  EXPECT_FALSE(by_space.Matches(no_space));
}

TEST(GeoQueryTest, MatchesWhenAnyInstanceMatches) {
  Entity e;
  e.id = "urn:ngsi-ld:Drone:1";
  e.types = {"https://example.org/Drone"};
  e.attrs.Set(kLocationIri, Json(Json::Array{GeoInstance(PointJson(105.80, 21.03)),
                                             GeoInstance(PointJson(105.85, 21.03), "urn:gps2")}));
  EXPECT_TRUE(MustParse("within", "Polygon", kDistrict).Matches(e));
  EXPECT_TRUE(MustParse("disjoint", "Polygon", kDistrict).Matches(e));
  EXPECT_FALSE(
      MustParse("within", "Polygon", "[[[106,21],[107,21],[107,22],[106,21]]]").Matches(e));
}

TEST(GeoQueryTest, IgnoresNonGeoPropertiesAndInvalidGeometries) {
  GeoQuery q = MustParse("intersects", "Polygon", kDistrict);
  Entity e = MakeEntity(PointJson(105.85, 21.03));
  e.attrs.Find(kLocationIri)->AsArray()[0].Set("type", "Property");
  EXPECT_FALSE(q.Matches(e));
  EXPECT_FALSE(q.Matches(MakeEntity(PointJson(105.85, 95))));
  EXPECT_FALSE(q.Matches(MakeEntity(Json("POINT(105.85 21.03)"))));
  EXPECT_FALSE(q.Matches(MakeEntity(Json::MakeObject({{"type", "Point"}}))));
  EXPECT_FALSE(q.Matches(MakeEntity(
      Json::MakeObject({{"type", "Polygon"}, {"coordinates", Json(Json::Array{Pos(1, 2)})}}))));
  Entity none;
  EXPECT_FALSE(q.Matches(none));
}

TEST(GeoQueryTest, UnpreparedQueryGivesTheSameAnswers) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> lon(105.82, 105.88), lat(21.0, 21.05);
  for (std::string_view georel : {"within", "intersects", "disjoint", "near;maxDistance==1500",
                                  "near;minDistance==500", "contains", "equals", "overlaps"}) {
    GeoQuery q = MustParse(georel, "Polygon", kDistrict);
    GeoQuery plain = q;
    plain.prepared.reset();
    for (int i = 0; i < 50; ++i) {
      double x = lon(rng), y = lat(rng);
      Entity p = MakeEntity(PointJson(x, y));
      Entity b = MakeEntity(BoxJson(x, y, x + 0.005, y + 0.005));
      EXPECT_EQ(q.Matches(p), plain.Matches(p)) << georel;
      EXPECT_EQ(q.Matches(b), plain.Matches(b)) << georel;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Search boxes

void ExpectSearchBoxCoversMatches(const GeoQuery& q, double center_lon, double center_lat,
                                  double spread_deg) {
  geo::BBox box = q.SearchBox();
  std::mt19937 rng(17);
  std::uniform_real_distribution<double> u(-spread_deg, spread_deg);
  int matched = 0;
  for (int i = 0; i < 20000; ++i) {
    double x = center_lon + u(rng), y = center_lat + u(rng);
    if (x < -180 || x > 180 || y < -90 || y > 90) continue;
    if (!q.MatchesGeometry(PointJson(x, y))) continue;
    ++matched;
    EXPECT_TRUE(box.ContainsPoint(x, y)) << x << "," << y;
  }
  EXPECT_GT(matched, 0);
}

TEST(GeoQueryTest, NearSearchBoxCoversEveryMatchingPoint) {
  GeoQuery hanoi = MustParse("near;maxDistance==2000", "Point", "[105.8523,21.0287]");
  ExpectSearchBoxCoversMatches(hanoi, 105.8523, 21.0287, 0.05);
  geo::BBox b = hanoi.SearchBox();
  double dlat = 2000 / kR * 180 / kPi;
  EXPECT_NEAR(b.max_y - 21.0287, dlat, dlat * 0.01);  // tight, not the whole world
  EXPECT_NEAR(105.8523 - b.min_x, dlat / std::cos(21.0287 * kPi / 180), dlat * 0.02);
  GeoQuery tromso = MustParse("near;maxDistance==50000", "Point", "[18.95,69.65]");
  ExpectSearchBoxCoversMatches(tromso, 18.95, 69.65, 2.0);
  GeoQuery polygon = MustParse("near;maxDistance==3000", "Polygon", kDistrict);
  ExpectSearchBoxCoversMatches(polygon, 105.85, 21.025, 0.08);
}

TEST(GeoQueryTest, NearSearchBoxWidensAcrossAntimeridianAndPoles) {
  GeoQuery dateline = MustParse("near;maxDistance==20000", "Point", "[179.95,0]");
  EXPECT_EQ(dateline.SearchBox().min_x, -180.0);
  EXPECT_EQ(dateline.SearchBox().max_x, 180.0);
  EXPECT_TRUE(dateline.MatchesGeometry(PointJson(-179.95, 0)));  // ~11 km across 180
  GeoQuery pole = MustParse("near;maxDistance==200000", "Point", "[0,89]");
  EXPECT_EQ(pole.SearchBox().max_y, 90.0);
  EXPECT_EQ(pole.SearchBox().min_x, -180.0);
  EXPECT_EQ(MustParse("near;minDistance==10", "Point", "[0,0]").SearchBox(), geo::BBox::World());
}

TEST(GeoQueryTest, RelationSearchBoxIsTheQueryBBox) {
  GeoQuery q = MustParse("within", "Polygon", kDistrict);
  EXPECT_EQ(q.SearchBox(), (geo::BBox{105.84, 21.01, 105.86, 21.04}));
  EXPECT_EQ(MustParse("intersects", "Polygon", kDistrict).SearchBox(), q.SearchBox());
}

}  // namespace
}  // namespace dothi::domain
