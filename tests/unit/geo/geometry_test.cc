#include "geo/geometry.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <tuple>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace dothi::geo {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kR = 6371008.8;

// Hanoi landmarks used throughout.
constexpr double kHoanKiemLon = 105.8523, kHoanKiemLat = 21.0287;
constexpr double kOperaLon = 105.8576, kOperaLat = 21.0243;

Json Pos(double x, double y) { return Json(Json::Array{Json(x), Json(y)}); }

Json Ring(std::initializer_list<std::pair<double, double>> pts) {
  Json::Array a;
  for (auto [x, y] : pts) a.push_back(Pos(x, y));
  return Json(std::move(a));
}

Json Obj(std::string_view type, Json coords) {
  return Json::MakeObject({{"type", Json(type)}, {"coordinates", std::move(coords)}});
}

Geometry Parse(const Json& j) {
  Result<Geometry> g = Geometry::FromGeoJson(j);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return g.ok() ? g.value() : Geometry();
}

Geometry PointG(double x, double y) { return Parse(Obj("Point", Pos(x, y))); }
Geometry MultiPointG(double x, double y) {
  return Parse(Obj("MultiPoint", Json(Json::Array{Pos(x, y)})));
}

Geometry Box(double x0, double y0, double x1, double y1) {
  return Parse(
      Obj("Polygon", Json(Json::Array{Ring({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}})})));
}

// Square 0..10 with a hole 4..6.
Geometry SquareWithHole() {
  return Parse(Obj("Polygon", Json(Json::Array{Ring({{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}),
                                               Ring({{4, 4}, {4, 6}, {6, 6}, {6, 4}, {4, 4}})})));
}

// A star-shaped polygon with many vertices (so the strip index is used), centred on Hanoi.
Geometry Star(int n, double cx, double cy, double r_in, double r_out) {
  Json::Array ring;
  for (int i = 0; i < n; ++i) {
    double a = 2 * kPi * i / n;
    double r = (i % 2 == 0) ? r_out : r_in;
    ring.push_back(Pos(cx + r * std::cos(a), cy + r * std::sin(a)));
  }
  ring.push_back(ring.front());
  return Parse(Obj("Polygon", Json(Json::Array{Json(std::move(ring))})));
}

Status ParseError(const Json& j, GeometryLimits limits = {}) {
  Result<Geometry> g = Geometry::FromGeoJson(j, limits);
  EXPECT_FALSE(g.ok()) << j.Dump();
  return g.status();
}

const SpatialRelation kAllRelations[] = {SpatialRelation::kWithin,     SpatialRelation::kContains,
                                         SpatialRelation::kIntersects, SpatialRelation::kDisjoint,
                                         SpatialRelation::kOverlaps,   SpatialRelation::kEquals,
                                         SpatialRelation::kTouches,    SpatialRelation::kCrosses};

// Independent reference: chord length between unit vectors, on the same sphere.
double ChordMeters(double lon1, double lat1, double lon2, double lat2) {
  double r = kPi / 180;
  double x1 = std::cos(lat1 * r) * std::cos(lon1 * r), y1 = std::cos(lat1 * r) * std::sin(lon1 * r),
         z1 = std::sin(lat1 * r);
  double x2 = std::cos(lat2 * r) * std::cos(lon2 * r), y2 = std::cos(lat2 * r) * std::sin(lon2 * r),
         z2 = std::sin(lat2 * r);
  double chord = std::sqrt((x1 - x2) * (x1 - x2) + (y1 - y2) * (y1 - y2) + (z1 - z2) * (z1 - z2));
  return 2 * kR * std::asin(chord / 2);
}

// Independent reference: spherical law of cosines.
double LawOfCosinesMeters(double lon1, double lat1, double lon2, double lat2) {
  double r = kPi / 180;
  double c = std::sin(lat1 * r) * std::sin(lat2 * r) +
             std::cos(lat1 * r) * std::cos(lat2 * r) * std::cos((lon2 - lon1) * r);
  return kR * std::acos(std::min(1.0, c));
}

// Independent reference: Vincenty inverse on the WGS 84 ellipsoid.
double VincentyMeters(double lon1, double lat1, double lon2, double lat2) {
  const double a = 6378137.0, f = 1 / 298.257223563, b = (1 - f) * a;
  double r = kPi / 180;
  double L = (lon2 - lon1) * r;
  double U1 = std::atan((1 - f) * std::tan(lat1 * r)), U2 = std::atan((1 - f) * std::tan(lat2 * r));
  double lambda = L, prev = 0, sin_sigma = 0, cos_sigma = 0, sigma = 0, cos2_alpha = 0, cos_2sm = 0;
  for (int i = 0; i < 200; ++i) {
    double sl = std::sin(lambda), cl = std::cos(lambda);
    sin_sigma =
        std::sqrt(std::pow(std::cos(U2) * sl, 2) +
                  std::pow(std::cos(U1) * std::sin(U2) - std::sin(U1) * std::cos(U2) * cl, 2));
    cos_sigma = std::sin(U1) * std::sin(U2) + std::cos(U1) * std::cos(U2) * cl;
    sigma = std::atan2(sin_sigma, cos_sigma);
    double sin_alpha = std::cos(U1) * std::cos(U2) * sl / sin_sigma;
    cos2_alpha = 1 - sin_alpha * sin_alpha;
    cos_2sm = cos_sigma - 2 * std::sin(U1) * std::sin(U2) / cos2_alpha;
    double C = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha));
    prev = lambda;
    lambda =
        L + (1 - C) * f * sin_alpha *
                (sigma + C * sin_sigma * (cos_2sm + C * cos_sigma * (-1 + 2 * cos_2sm * cos_2sm)));
    if (std::abs(lambda - prev) < 1e-12) break;
  }
  double u2 = cos2_alpha * (a * a - b * b) / (b * b);
  double A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
  double B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
  double ds = B * sin_sigma *
              (cos_2sm + B / 4 *
                             (cos_sigma * (-1 + 2 * cos_2sm * cos_2sm) -
                              B / 6 * cos_2sm * (-3 + 4 * sin_sigma * sin_sigma) *
                                  (-3 + 4 * cos_2sm * cos_2sm)));
  return b * A * (sigma - ds);
}

// Brute force: smallest chord distance from p to samples along the lon/lat segment a-b.
double SampledSegmentMeters(double px, double py, double ax, double ay, double bx, double by,
                            int samples = 20000) {
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i <= samples; ++i) {
    double t = static_cast<double>(i) / samples;
    best = std::min(best, ChordMeters(px, py, ax + t * (bx - ax), ay + t * (by - ay)));
  }
  return best;
}

// ---------------------------------------------------------------------------------------
// Parsing

TEST(GeometryTest, ParsesPointWithAccessorsAndBBox) {
  Geometry g = PointG(kHoanKiemLon, kHoanKiemLat);
  EXPECT_TRUE(g.is_point());
  EXPECT_EQ(g.type_name(), "Point");
  EXPECT_DOUBLE_EQ(g.lon(), kHoanKiemLon);
  EXPECT_DOUBLE_EQ(g.lat(), kHoanKiemLat);
  EXPECT_EQ(g.bbox(), BBox::OfPoint(kHoanKiemLon, kHoanKiemLat));
}

TEST(GeometryTest, AcceptsIntegerCoordinatesAndIgnoresAltitude) {
  Geometry g = Parse(Obj("Point", Json(Json::Array{Json(105), Json(21), Json(12.5)})));
  EXPECT_DOUBLE_EQ(g.lon(), 105.0);
  EXPECT_DOUBLE_EQ(g.lat(), 21.0);
}

TEST(GeometryTest, ParsesEveryTypeAndRoundTripsThroughGeoJson) {
  Json ring = Ring({{0, 0}, {1, 0}, {1, 1}, {0, 0}});
  Json hole = Ring({{0.5, 0.2}, {0.8, 0.2}, {0.8, 0.4}, {0.5, 0.2}});
  std::vector<Json> inputs = {
      Obj("Point", Pos(1, 2)),
      Obj("MultiPoint", Json(Json::Array{Pos(1, 2), Pos(3, 4)})),
      Obj("LineString", Json(Json::Array{Pos(1, 2), Pos(3, 4), Pos(5, 6)})),
      Obj("MultiLineString", Json(Json::Array{Json(Json::Array{Pos(1, 2), Pos(3, 4)}),
                                              Json(Json::Array{Pos(5, 6), Pos(7, 8)})})),
      Obj("Polygon", Json(Json::Array{ring, hole})),
      Obj("MultiPolygon",
          Json(Json::Array{Json(Json::Array{ring, hole}),
                           Json(Json::Array{Ring({{10, 10}, {11, 10}, {11, 11}, {10, 10}})})})),
  };
  const char* names[] = {"Point",           "MultiPoint", "LineString",
                         "MultiLineString", "Polygon",    "MultiPolygon"};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Geometry g = Parse(inputs[i]);
    EXPECT_EQ(g.type_name(), names[i]);
    Json out = g.ToGeoJson();
    EXPECT_EQ(out.Find("type")->AsString(), names[i]);
    Geometry again = Parse(out);
    EXPECT_TRUE(again == g) << out.Dump();
  }
}

TEST(GeometryTest, ComputesBBoxAndLayoutOfMultiPolygon) {
  Geometry g = Parse(Obj(
      "MultiPolygon",
      Json(Json::Array{Json(Json::Array{Ring({{0, 0}, {1, 0}, {1, 1}, {0, 0}}),
                                        Ring({{0.5, 0.2}, {0.8, 0.2}, {0.8, 0.4}, {0.5, 0.2}})}),
                       Json(Json::Array{Ring({{-3, 5}, {2, 5}, {2, 7}, {-3, 5}})})})));
  EXPECT_EQ(g.bbox(), (BBox{-3, 0, 2, 7}));
  EXPECT_EQ(g.num_vertices(), 12u);
  EXPECT_EQ(g.line_ends(), (std::vector<std::uint32_t>{4, 8, 12}));
  EXPECT_EQ(g.polygon_ends(), (std::vector<std::uint32_t>{2, 3}));
}

TEST(GeometryTest, RejectsUnknownAndUnsupportedTypes) {
  Status s = ParseError(Obj("Circle", Pos(1, 2)));
  EXPECT_EQ(s.code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(s.message(), "unknown geometry type: Circle");
  s = ParseError(
      Json::MakeObject({{"type", "GeometryCollection"}, {"geometries", Json::MakeArray()}}));
  EXPECT_EQ(s.message(), "unsupported geometry type: GeometryCollection");
}

TEST(GeometryTest, RejectsMalformedObjects) {
  EXPECT_EQ(ParseError(Json("Point")).message(), "geometry must be a json object");
  EXPECT_EQ(ParseError(Json::MakeObject({{"coordinates", Pos(1, 2)}})).message(),
            "geometry has no type string");
  EXPECT_EQ(ParseError(Json::MakeObject({{"type", "Point"}})).message(),
            "geometry has no coordinates: Point");
}

TEST(GeometryTest, RejectsBadPositions) {
  EXPECT_EQ(ParseError(Obj("Point", Json(Json::Array{Json(1)}))).message(),
            "invalid position: expected an array of at least 2 numbers, got [1]");
  EXPECT_EQ(ParseError(Obj("Point", Json(Json::Array{Json("1"), Json(2)}))).message(),
            "coordinate is not a number: \"1\"");
  EXPECT_EQ(ParseError(Obj("Point", Json(Json::Array{Json(1), Json(nullptr)}))).message(),
            "coordinate is not a number: null");
  EXPECT_EQ(ParseError(Obj("Point", Pos(180.5, 0))).message(),
            "longitude out of range [-180, 180]: 180.5");
  EXPECT_EQ(ParseError(Obj("Point", Pos(0, -90.25))).message(),
            "latitude out of range [-90, 90]: -90.25");
  EXPECT_EQ(ParseError(Obj("Point", Pos(std::numeric_limits<double>::quiet_NaN(), 0))).message(),
            "coordinate is not finite: NaN");
  EXPECT_EQ(ParseError(Obj("Point", Pos(0, std::numeric_limits<double>::infinity()))).code(),
            ErrorCode::kBadRequestData);
}

TEST(GeometryTest, AcceptsExtremeButValidCoordinates) {
  for (auto [x, y] : {std::pair{-180.0, -90.0}, std::pair{180.0, 90.0}}) {
    EXPECT_TRUE(Geometry::FromGeoJson(Obj("Point", Pos(x, y))).ok());
  }
}

TEST(GeometryTest, RejectsWrongNestingDepth) {
  EXPECT_EQ(ParseError(Obj("Point", Json(Json::Array{Pos(1, 2)}))).code(),
            ErrorCode::kBadRequestData);
  EXPECT_EQ(ParseError(Obj("LineString", Pos(1, 2))).code(), ErrorCode::kBadRequestData);
  Status s = ParseError(Obj("Polygon", Json(Json::Array{Pos(1, 2), Pos(3, 4)})));
  EXPECT_EQ(s.code(), ErrorCode::kBadRequestData);
  EXPECT_NE(s.message().find("invalid polygon"), std::string::npos) << s.message();
  EXPECT_EQ(
      ParseError(Obj("MultiPolygon", Json(Json::Array{Ring({{0, 0}, {1, 0}, {1, 1}, {0, 0}})})))
          .code(),
      ErrorCode::kBadRequestData);
  EXPECT_EQ(ParseError(Obj("MultiPoint", Json(1))).message(),
            "invalid coordinates: MultiPoint expects an array of positions");
}

TEST(GeometryTest, RejectsEmptyAndShortShapes) {
  EXPECT_EQ(ParseError(Obj("MultiPoint", Json::MakeArray())).message(),
            "empty coordinates: MultiPoint");
  EXPECT_EQ(ParseError(Obj("LineString", Json(Json::Array{Pos(1, 2)}))).message(),
            "linestring needs at least 2 positions: 1 given");
  EXPECT_EQ(ParseError(Obj("Polygon", Json(Json::Array{Ring({{0, 0}, {1, 0}, {0, 0}})}))).message(),
            "polygon ring needs at least 4 positions: 3 given");
  EXPECT_EQ(ParseError(Obj("Polygon", Json(Json::Array{Ring({{0, 0}, {1, 0}, {1, 1}, {0, 1}})})))
                .message(),
            "polygon ring is not closed: first and last positions differ");
  EXPECT_EQ(ParseError(Obj("Polygon", Json::MakeArray())).code(), ErrorCode::kBadRequestData);
}

TEST(GeometryTest, EnforcesVertexLimit) {
  Json::Array pts;
  for (int i = 0; i < 11; ++i) pts.push_back(Pos(i, i));
  GeometryLimits limits;
  limits.max_vertices = 10;
  Status s = ParseError(Obj("LineString", Json(pts)), limits);
  EXPECT_EQ(s.message(), "geometry has more vertices than allowed: 10");
  pts.pop_back();
  EXPECT_TRUE(Geometry::FromGeoJson(Obj("LineString", Json(pts)), limits).ok());
}

TEST(GeometryTest, MakePointValidatesRange) {
  ASSERT_TRUE(Geometry::MakePoint(1, 2).ok());
  EXPECT_EQ(Geometry::MakePoint(200, 2).status().code(), ErrorCode::kBadRequestData);
}

TEST(BBoxTest, IntersectsCountsTouchingEdgesAndEmptyNeverIntersects) {
  BBox a{0, 0, 1, 1};
  EXPECT_TRUE(a.Intersects(BBox{1, 1, 2, 2}));
  EXPECT_FALSE(a.Intersects(BBox{1.0001, 0, 2, 1}));
  EXPECT_FALSE(a.Intersects(BBox::Empty()));
  EXPECT_TRUE(BBox::Empty().empty());
  BBox e = BBox::Empty();
  e.Extend(3, 4);
  e.Extend(BBox{-1, 0, 0, 1});
  EXPECT_EQ(e, (BBox{-1, 0, 3, 4}));
  EXPECT_TRUE(BBox::World().Contains(e));
}

// ---------------------------------------------------------------------------------------
// Relations

TEST(RelateTest, PointInPolygonInteriorBoundaryHoleAndOutside) {
  Geometry poly = SquareWithHole();
  EXPECT_TRUE(Relate(PointG(2, 2), SpatialRelation::kWithin, poly));
  EXPECT_TRUE(Relate(poly, SpatialRelation::kContains, PointG(2, 2)));
  EXPECT_FALSE(Relate(PointG(0, 5), SpatialRelation::kWithin, poly));  // on the shell
  EXPECT_TRUE(Relate(PointG(0, 5), SpatialRelation::kIntersects, poly));
  EXPECT_FALSE(Relate(PointG(5, 5), SpatialRelation::kIntersects, poly));  // in the hole
  EXPECT_TRUE(Relate(PointG(5, 5), SpatialRelation::kDisjoint, poly));
  EXPECT_TRUE(Relate(PointG(4, 5), SpatialRelation::kIntersects, poly));  // hole edge
  EXPECT_FALSE(Relate(PointG(4, 5), SpatialRelation::kWithin, poly));
  EXPECT_TRUE(Relate(PointG(11, 5), SpatialRelation::kDisjoint, poly));
  EXPECT_FALSE(Relate(PointG(2, 2), SpatialRelation::kOverlaps, poly));
  EXPECT_FALSE(Relate(PointG(2, 2), SpatialRelation::kContains, poly));
}

TEST(RelateTest, PointOnLineInteriorButNotAtEndpoints) {
  Geometry line = Parse(Obj("LineString", Json(Json::Array{Pos(0, 0), Pos(2, 2), Pos(4, 0)})));
  EXPECT_TRUE(Relate(PointG(1, 1), SpatialRelation::kWithin, line));
  EXPECT_TRUE(Relate(PointG(2, 2), SpatialRelation::kWithin, line));   // inner vertex
  EXPECT_FALSE(Relate(PointG(0, 0), SpatialRelation::kWithin, line));  // endpoint: boundary
  EXPECT_TRUE(Relate(PointG(0, 0), SpatialRelation::kIntersects, line));
  EXPECT_TRUE(Relate(PointG(1, 1.5), SpatialRelation::kDisjoint, line));
}

TEST(RelateTest, PointEqualsAndContainsOnlyTheSamePoint) {
  EXPECT_TRUE(Relate(PointG(1, 2), SpatialRelation::kEquals, PointG(1, 2)));
  EXPECT_TRUE(Relate(PointG(1, 2), SpatialRelation::kContains, PointG(1, 2)));
  EXPECT_TRUE(Relate(PointG(1, 2), SpatialRelation::kWithin, PointG(1, 2)));
  EXPECT_FALSE(Relate(PointG(1, 2), SpatialRelation::kEquals, PointG(1, 2.000001)));
  EXPECT_TRUE(Relate(PointG(1, 2), SpatialRelation::kWithin,
                     Parse(Obj("MultiPoint", Json(Json::Array{Pos(0, 0), Pos(1, 2)})))));
}

// ETSI 019_11_01 queries "equals" with the very coordinates of a stored polygon whose ring
// crosses itself; GEOS cannot build its topology, but identical coordinates are equal.
TEST(RelateTest, IdenticalSelfIntersectingPolygonsAreEqual) {
  Json ring = Json(Json::Array{Pos(13.2865906, 52.5648645), Pos(13.2879639, 52.5648645),
                               Pos(13.2797241, 52.4988679), Pos(13.477478, 52.4712703),
                               Pos(13.5049438, 52.5373084), Pos(13.2865906, 52.5648645)});
  Geometry a = Parse(Obj("Polygon", Json(Json::Array{ring})));
  Geometry b = Parse(Obj("Polygon", Json(Json::Array{ring})));
  EXPECT_TRUE(Relate(a, SpatialRelation::kEquals, b));
  EXPECT_FALSE(Relate(a, SpatialRelation::kEquals, Box(13.28, 52.47, 13.51, 52.57)));
}

TEST(RelateTest, PolygonRelationsThroughGeos) {
  Geometry big = Box(0, 0, 10, 10);
  Geometry inner = Box(2, 2, 3, 3);
  Geometry straddling = Box(8, 8, 12, 12);
  Geometry far = Box(20, 20, 21, 21);
  EXPECT_TRUE(Relate(inner, SpatialRelation::kWithin, big));
  EXPECT_TRUE(Relate(big, SpatialRelation::kContains, inner));
  EXPECT_FALSE(Relate(inner, SpatialRelation::kOverlaps, big));
  EXPECT_TRUE(Relate(straddling, SpatialRelation::kOverlaps, big));
  EXPECT_TRUE(Relate(straddling, SpatialRelation::kIntersects, big));
  EXPECT_FALSE(Relate(straddling, SpatialRelation::kWithin, big));
  EXPECT_TRUE(Relate(far, SpatialRelation::kDisjoint, big));
  EXPECT_FALSE(Relate(far, SpatialRelation::kIntersects, big));
  // Same square, ring starting at another vertex: topologically equal.
  Geometry rotated =
      Parse(Obj("Polygon", Json(Json::Array{Ring({{10, 0}, {10, 10}, {0, 10}, {0, 0}, {10, 0}})})));
  EXPECT_TRUE(Relate(rotated, SpatialRelation::kEquals, big));
  EXPECT_FALSE(Relate(inner, SpatialRelation::kEquals, big));
}

TEST(RelateTest, LineCrossingPolygonIntersectsButIsNotWithin) {
  Geometry poly = Box(0, 0, 10, 10);
  Geometry line = Parse(Obj("LineString", Json(Json::Array{Pos(-5, 5), Pos(5, 5)})));
  EXPECT_TRUE(Relate(line, SpatialRelation::kIntersects, poly));
  EXPECT_FALSE(Relate(line, SpatialRelation::kWithin, poly));
  EXPECT_FALSE(Relate(line, SpatialRelation::kOverlaps, poly));  // different dimensions
}

TEST(RelateTest, BoxesSharingAnEdgeTouchButDoNotOverlap) {
  Geometry a = Box(0, 0, 1, 1);
  Geometry b = Box(1, 0, 2, 1);
  EXPECT_TRUE(Relate(a, SpatialRelation::kTouches, b));
  EXPECT_TRUE(Relate(b, SpatialRelation::kTouches, a));
  EXPECT_TRUE(Relate(a, SpatialRelation::kIntersects, b));
  EXPECT_FALSE(Relate(a, SpatialRelation::kOverlaps, b));
  EXPECT_FALSE(Relate(a, SpatialRelation::kCrosses, b));
  EXPECT_FALSE(Relate(a, SpatialRelation::kTouches, Box(0.5, 0, 1.5, 1)));  // interiors meet
  EXPECT_FALSE(Relate(a, SpatialRelation::kTouches, Box(3, 3, 4, 4)));      // apart
  PreparedGeometry prepared(a);
  EXPECT_TRUE(prepared.Relate(b, SpatialRelation::kTouches));
  EXPECT_FALSE(prepared.Relate(Box(0.5, 0, 1.5, 1), SpatialRelation::kTouches));
}

TEST(RelateTest, LinesCrossInTheirInteriorsAndTouchAtEndpoints) {
  Geometry x1 = Parse(Obj("LineString", Json(Json::Array{Pos(0, 0), Pos(2, 2)})));
  Geometry x2 = Parse(Obj("LineString", Json(Json::Array{Pos(0, 2), Pos(2, 0)})));
  Geometry tail = Parse(Obj("LineString", Json(Json::Array{Pos(2, 2), Pos(3, 2)})));
  EXPECT_TRUE(Relate(x1, SpatialRelation::kCrosses, x2));
  EXPECT_FALSE(Relate(x1, SpatialRelation::kTouches, x2));
  EXPECT_TRUE(Relate(x1, SpatialRelation::kTouches, tail));
  EXPECT_FALSE(Relate(x1, SpatialRelation::kCrosses, tail));
  PreparedGeometry prepared(x2);
  EXPECT_TRUE(prepared.Relate(x1, SpatialRelation::kCrosses));
  EXPECT_FALSE(prepared.Relate(tail, SpatialRelation::kCrosses));
}

TEST(RelateTest, LineCrossesPolygonOnlyWhenPartlyOutside) {
  Geometry poly = Box(0, 0, 10, 10);
  Geometry through = Parse(Obj("LineString", Json(Json::Array{Pos(-5, 5), Pos(5, 5)})));
  Geometry inside = Parse(Obj("LineString", Json(Json::Array{Pos(1, 5), Pos(5, 5)})));
  EXPECT_TRUE(Relate(through, SpatialRelation::kCrosses, poly));
  EXPECT_TRUE(Relate(poly, SpatialRelation::kCrosses, through));
  EXPECT_FALSE(Relate(inside, SpatialRelation::kCrosses, poly));
  EXPECT_FALSE(Relate(through, SpatialRelation::kTouches, poly));
}

TEST(RelateTest, PointTouchesOnlyTheBoundary) {
  Geometry poly = Box(0, 0, 10, 10);
  EXPECT_TRUE(Relate(PointG(0, 5), SpatialRelation::kTouches, poly));
  EXPECT_TRUE(Relate(poly, SpatialRelation::kTouches, PointG(0, 5)));
  EXPECT_FALSE(Relate(PointG(5, 5), SpatialRelation::kTouches, poly));
  EXPECT_FALSE(Relate(PointG(5, 5), SpatialRelation::kCrosses, poly));
  Geometry line = Parse(Obj("LineString", Json(Json::Array{Pos(0, 0), Pos(2, 0)})));
  EXPECT_TRUE(Relate(PointG(2, 0), SpatialRelation::kTouches, line));   // an endpoint
  EXPECT_FALSE(Relate(PointG(1, 0), SpatialRelation::kTouches, line));  // the interior
  EXPECT_FALSE(Relate(PointG(1, 2), SpatialRelation::kTouches, PointG(1, 2)));
}

// The point fast path must agree with GEOS; a one-point MultiPoint goes through GEOS and
// has the same DE-9IM semantics as the point.
void ExpectPointPathMatchesGeos(const Geometry& g, const std::vector<Position>& pts) {
  PreparedGeometry prepared(g);
  for (const Position& p : pts) {
    Geometry point = PointG(p.x, p.y);
    Geometry mp = MultiPointG(p.x, p.y);
    for (SpatialRelation rel : kAllRelations) {
      bool geos = Relate(mp, rel, g);
      EXPECT_EQ(Relate(point, rel, g), geos)
          << "rel " << static_cast<int>(rel) << " at " << p.x << "," << p.y;
      EXPECT_EQ(prepared.RelatePoint(p.x, p.y, rel), geos)
          << "prepared rel " << static_cast<int>(rel) << " at " << p.x << "," << p.y;
      EXPECT_EQ(prepared.Relate(mp, rel), geos);
    }
  }
}

std::vector<Position> SamplePoints(const Geometry& g, int random_count, unsigned seed) {
  std::vector<Position> pts(g.positions());  // every vertex
  const auto& pos = g.positions();
  for (std::size_t i = 0; i + 1 < pos.size(); ++i) {  // midpoints (exact for axis edges)
    pts.push_back({(pos[i].x + pos[i + 1].x) / 2, (pos[i].y + pos[i + 1].y) / 2});
  }
  std::mt19937 rng(seed);
  BBox b = g.bbox();
  double mx = (b.max_x - b.min_x) * 0.1, my = (b.max_y - b.min_y) * 0.1;
  std::uniform_real_distribution<double> ux(b.min_x - mx, b.max_x + mx);
  std::uniform_real_distribution<double> uy(b.min_y - my, b.max_y + my);
  for (int i = 0; i < random_count; ++i) pts.push_back({ux(rng), uy(rng)});
  return pts;
}

TEST(RelateTest, PointFastPathAgreesWithGeosForPolygonWithHole) {
  Geometry g = SquareWithHole();
  ExpectPointPathMatchesGeos(g, SamplePoints(g, 300, 1));
}

TEST(RelateTest, PointFastPathAgreesWithGeosForIndexedStarPolygon) {
  Geometry g = Star(400, kHoanKiemLon, kHoanKiemLat, 0.01, 0.03);
  ExpectPointPathMatchesGeos(g, SamplePoints(g, 500, 2));
}

TEST(RelateTest, PointFastPathAgreesWithGeosForMultiPolygonAndLines) {
  // A valid MultiPolygon: its squares touch at one corner only.
  Geometry mp = Parse(
      Obj("MultiPolygon",
          Json(Json::Array{Json(Json::Array{Ring({{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}})}),
                           Json(Json::Array{Ring({{4, 4}, {8, 4}, {8, 8}, {4, 8}, {4, 4}})})})));
  ExpectPointPathMatchesGeos(mp, SamplePoints(mp, 300, 3));
  Geometry mls =
      Parse(Obj("MultiLineString",
                Json(Json::Array{Json(Json::Array{Pos(0, 0), Pos(4, 0), Pos(4, 4)}),
                                 Json(Json::Array{Pos(4, 4), Pos(8, 4)}),
                                 Json(Json::Array{Pos(2, -1), Pos(2, 0)}),
                                 Json(Json::Array{Pos(6, 6), Pos(7, 6), Pos(7, 7), Pos(6, 6)})})));
  ExpectPointPathMatchesGeos(mls, SamplePoints(mls, 300, 4));
  std::vector<Position> many;
  Json::Array line;
  for (int i = 0; i <= 100; ++i) line.push_back(Pos(i * 0.01, std::sin(i * 0.1) * 0.3));
  Geometry wiggly = Parse(Obj("LineString", Json(line)));
  ExpectPointPathMatchesGeos(wiggly, SamplePoints(wiggly, 300, 5));
  Geometry points = Parse(Obj("MultiPoint", Json(Json::Array{Pos(1, 1), Pos(2, 2)})));
  ExpectPointPathMatchesGeos(points, SamplePoints(points, 20, 6));
}

TEST(PreparedGeometryTest, AgreesWithUnpreparedRelateForShapes) {
  Geometry query = Star(200, 0, 0, 1, 3);
  PreparedGeometry prepared(query);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-4, 4);
  std::uniform_real_distribution<double> s(0.05, 2);
  for (int i = 0; i < 200; ++i) {
    double x = u(rng), y = u(rng), w = s(rng), h = s(rng);
    Geometry box = Box(x, y, x + w, y + h);
    Geometry line = Parse(Obj("LineString", Json(Json::Array{Pos(x, y), Pos(x + w, y + h)})));
    for (const Geometry* g : {&box, &line}) {
      for (SpatialRelation rel : kAllRelations) {
        EXPECT_EQ(prepared.Relate(*g, rel), Relate(*g, rel, query)) << static_cast<int>(rel);
      }
    }
  }
  // A prepared point against shapes uses the converse relation.
  PreparedGeometry p(PointG(0, 0));
  EXPECT_TRUE(p.Relate(Box(-1, -1, 1, 1), SpatialRelation::kContains));
  EXPECT_FALSE(p.Relate(Box(-1, -1, 1, 1), SpatialRelation::kWithin));
}

TEST(PreparedGeometryTest, EvaluatesConcurrentlyFromManyThreads) {
  Geometry query = Star(300, 10, 10, 1, 3);
  PreparedGeometry prepared(query);
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(6, 14);
  std::vector<Geometry> boxes;
  std::vector<Position> pts;
  std::vector<char> expected_box, expected_pt;
  for (int i = 0; i < 100; ++i) {
    double x = u(rng), y = u(rng);
    boxes.push_back(Box(x, y, x + 0.5, y + 0.5));
    pts.push_back({u(rng), u(rng)});
    expected_box.push_back(Relate(boxes.back(), SpatialRelation::kIntersects, query));
    expected_pt.push_back(
        Relate(PointG(pts.back().x, pts.back().y), SpatialRelation::kWithin, query));
  }
  constexpr int kThreads = 24;  // more than the pool's slots, to exercise the fallback
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < boxes.size(); ++i) {
          if (prepared.Relate(boxes[i], SpatialRelation::kIntersects) != (expected_box[i] != 0)) {
            ++mismatches;
          }
          if (prepared.RelatePoint(pts[i].x, pts[i].y, SpatialRelation::kWithin) !=
              (expected_pt[i] != 0)) {
            ++mismatches;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// ---------------------------------------------------------------------------------------
// Distances

TEST(DistanceTest, HoanKiemLakeToOperaHouseMatchesIndependentFormulas) {
  double d = DistanceMeters(PointG(kHoanKiemLon, kHoanKiemLat), PointG(kOperaLon, kOperaLat));
  EXPECT_NEAR(d, ChordMeters(kHoanKiemLon, kHoanKiemLat, kOperaLon, kOperaLat), 1e-6);
  EXPECT_NEAR(d, LawOfCosinesMeters(kHoanKiemLon, kHoanKiemLat, kOperaLon, kOperaLat), 1e-3);
  // The sphere and the WGS 84 ellipsoid differ by under 0.5%.
  double vincenty = VincentyMeters(kHoanKiemLon, kHoanKiemLat, kOperaLon, kOperaLat);
  EXPECT_NEAR(d, vincenty, vincenty * 0.005);
  EXPECT_NEAR(d, 730, 10);
}

TEST(DistanceTest, LongDistancesMatchChordFormula) {
  // Hanoi to Ho Chi Minh City, and across the antimeridian.
  EXPECT_NEAR(HaversineMeters(105.8342, 21.0278, 106.6297, 10.8231),
              ChordMeters(105.8342, 21.0278, 106.6297, 10.8231), 1e-3);
  EXPECT_NEAR(HaversineMeters(179.9, 0, -179.9, 0), ChordMeters(179.9, 0, -179.9, 0), 1e-6);
  EXPECT_NEAR(HaversineMeters(179.9, 0, -179.9, 0), 2 * kPi * kR * 0.2 / 360, 1e-3);
}

TEST(DistanceTest, PointInsidePolygonIsZero) {
  EXPECT_EQ(DistanceMeters(PointG(2, 2), SquareWithHole()), 0.0);
  EXPECT_EQ(DistanceMeters(SquareWithHole(), PointG(0, 3)), 0.0);  // boundary
  EXPECT_GT(DistanceMeters(PointG(5, 5), SquareWithHole()), 0.0);  // in the hole
}

TEST(DistanceTest, PointToSegmentMatchesSampledBruteForce) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> off(-0.05, 0.05);
  for (double lat : {0.0, 21.0, 45.0, 65.0}) {
    for (int i = 0; i < 20; ++i) {
      double ax = 105.8 + off(rng), ay = lat + off(rng), bx = 105.8 + off(rng), by = lat + off(rng),
             px = 105.8 + off(rng), py = lat + off(rng);
      Geometry line = Parse(Obj("LineString", Json(Json::Array{Pos(ax, ay), Pos(bx, by)})));
      double got = DistanceMeters(PointG(px, py), line);
      double want = SampledSegmentMeters(px, py, ax, ay, bx, by);
      // Never below the true distance; above it by at most the frame distortion
      // (tan(lat) * span ~ 0.4% at 65 degrees for a 0.1 degree span) plus sampling.
      double tolerance = want * 0.005 + 0.5;
      EXPECT_NEAR(got, want, tolerance) << "lat " << lat;
      EXPECT_GE(got, want - 0.5);
    }
  }
}

TEST(DistanceTest, PolygonToPolygonMatchesSampledBruteForce) {
  // Two squares in Hanoi about 1 km apart, one rotated.
  Geometry a = Box(105.80, 21.00, 105.81, 21.01);
  Geometry b = Parse(Obj("Polygon", Json(Json::Array{Ring({{105.825, 21.005},
                                                           {105.835, 21.000},
                                                           {105.840, 21.010},
                                                           {105.830, 21.015},
                                                           {105.825, 21.005}})})));
  double got = DistanceMeters(a, b);
  // Brute force: the closest vertex of b to a's right edge, and of a to b's edges.
  double want = std::numeric_limits<double>::infinity();
  const auto& pb = b.positions();
  for (const Position& p : pb) {
    want = std::min(want, SampledSegmentMeters(p.x, p.y, 105.81, 21.00, 105.81, 21.01));
  }
  for (const Position& p : a.positions()) {
    for (std::size_t i = 0; i + 1 < pb.size(); ++i) {
      want = std::min(
          want, SampledSegmentMeters(p.x, p.y, pb[i].x, pb[i].y, pb[i + 1].x, pb[i + 1].y, 2000));
    }
  }
  EXPECT_NEAR(got, want, want * 0.002 + 0.5);
  EXPECT_EQ(DistanceMeters(a, Box(105.805, 21.005, 105.9, 21.1)), 0.0);  // overlapping
  PreparedGeometry prepared(b);
  EXPECT_DOUBLE_EQ(prepared.DistanceMeters(a), got);
}

TEST(DistanceTest, PreparedPointDistanceMatchesUnprepared) {
  Geometry star = Star(400, kHoanKiemLon, kHoanKiemLat, 0.01, 0.03);
  PreparedGeometry prepared(star);
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(-0.05, 0.05);
  for (int i = 0; i < 200; ++i) {
    double x = kHoanKiemLon + u(rng), y = kHoanKiemLat + u(rng);
    EXPECT_DOUBLE_EQ(prepared.DistanceMetersToPoint(x, y), DistanceMeters(PointG(x, y), star));
  }
  PreparedGeometry point(PointG(kHoanKiemLon, kHoanKiemLat));
  EXPECT_NEAR(point.DistanceMetersToPoint(kOperaLon, kOperaLat),
              ChordMeters(kHoanKiemLon, kHoanKiemLat, kOperaLon, kOperaLat), 1e-6);
}

TEST(ValidityTest, MakeValidRepairsPolygonsAndKeepsTheirDimension) {
  auto ring = [](std::initializer_list<std::pair<double, double>> pts) {
    Json r = Json::MakeArray();
    for (auto [x, y] : pts) r.Push(Json(Json::Array{Json(x), Json(y)}));
    return Json(Json::Array{r});
  };
  Result<Geometry> bowtie = Geometry::FromTypeAndCoordinates(
      "Polygon", ring({{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}));
  ASSERT_TRUE(bowtie.ok());
  Status s = CheckValid(*bowtie);
  EXPECT_EQ(s.code(), ErrorCode::kBadRequestData);
  EXPECT_NE(s.message().find("Self-intersection"), std::string::npos) << s.message();
  Result<Geometry> fixed = MakeValid(*bowtie);
  ASSERT_TRUE(fixed.ok()) << fixed.status().message();
  EXPECT_EQ(fixed->type(), GeometryType::kMultiPolygon);
  EXPECT_TRUE(CheckValid(*fixed).ok());
  EXPECT_EQ(fixed->bbox(), bowtie->bbox());
  // The left and right triangles are inside, the top and bottom ones outside.
  for (auto [x, y, inside] : {std::tuple{0.2, 0.5, true}, {0.8, 0.5, true}, {0.5, 0.2, false}, {0.5, 0.8, false}}) {
    EXPECT_EQ(Relate(*Geometry::MakePoint(x, y), SpatialRelation::kWithin, *fixed), inside) << x << " " << y;
  }

  Result<Geometry> square = Geometry::FromTypeAndCoordinates("Polygon", ring({{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}));
  EXPECT_TRUE(CheckValid(*square).ok());
  EXPECT_EQ(*MakeValid(*square), *square);
  // Zero area: nothing polygonal is left.
  Result<Geometry> flat = Geometry::FromTypeAndCoordinates("Polygon", ring({{0, 0}, {1, 0}, {2, 0}, {0, 0}}));
  if (flat.ok()) {
    EXPECT_EQ(MakeValid(*flat).status().code(), ErrorCode::kBadRequestData);
  }
}

}  // namespace
}  // namespace dothi::geo
