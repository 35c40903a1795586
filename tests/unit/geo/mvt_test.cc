#include "geo/mvt.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <protozero/pbf_reader.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace dothi::geo {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMercatorRadius = 6378137.0;  // metres; the WGS 84 semi-major axis of EPSG:3857
constexpr std::int32_t kExtent = 4096;
constexpr std::int32_t kBuffer = 64;
constexpr double kMaxLat = 85.0511287798;

// Hoan Kiem lake, Hanoi, and the zoom-14 tile holding it (computed below, not by the code).
constexpr double kHanoiLon = 105.8523, kHanoiLat = 21.0287;
constexpr int kZoom = 14;

// ---------------------------------------------------------------------------------------
// Independent Web Mercator formulas (the asinh form; the encoder uses ln tan).

// Position of lon/lat in tiles at zoom z, from the north-west corner of the world.
double WorldTileX(double lon, int z) { return (lon + 180.0) / 360.0 * std::ldexp(1.0, z); }
double WorldTileY(double lat, int z) {
  double phi = std::clamp(lat, -kMaxLat, kMaxLat) * kPi / 180.0;
  return (1.0 - std::asinh(std::tan(phi)) / kPi) / 2.0 * std::ldexp(1.0, z);
}

TileId TileOf(double lon, double lat, int z) {
  return TileId{z, static_cast<std::uint32_t>(std::floor(WorldTileX(lon, z))),
                static_cast<std::uint32_t>(std::floor(WorldTileY(lat, z)))};
}

const TileId kHanoiTile = TileOf(kHanoiLon, kHanoiLat, kZoom);

// Exact (unrounded) tile units of lon/lat within tile t.
double UnitX(double lon, const TileId& t, int extent = kExtent) {
  return (WorldTileX(lon, t.z) - t.x) * extent;
}
double UnitY(double lat, const TileId& t, int extent = kExtent) {
  return (WorldTileY(lat, t.z) - t.y) * extent;
}

// Lon/lat of tile units (ux, uy) within tile t: the inverse of UnitX/UnitY.
std::pair<double, double> LonLatOfUnits(double ux, double uy, const TileId& t) {
  double n = std::ldexp(1.0, t.z);
  double fx = (t.x + ux / kExtent) / n, fy = (t.y + uy / kExtent) / n;
  double lon = fx * 360.0 - 180.0;
  double lat = std::atan(std::sinh(kPi * (1.0 - 2.0 * fy))) * 180.0 / kPi;
  return {lon, lat};
}

// EPSG:3857 metres of lon/lat.
std::pair<double, double> WebMercatorMetres(double lon, double lat) {
  double phi = lat * kPi / 180.0;
  return {kMercatorRadius * lon * kPi / 180.0,
          kMercatorRadius * std::log(std::tan(kPi / 4 + phi / 2))};
}

// ---------------------------------------------------------------------------------------
// Building geometries.

using Units = std::vector<std::pair<double, double>>;  // positions in tile units

Json Pos(double lon, double lat) { return Json(Json::Array{Json(lon), Json(lat)}); }

Json LonLatArray(const Units& pts, const TileId& t) {
  Json::Array a;
  for (auto [ux, uy] : pts) {
    auto [lon, lat] = LonLatOfUnits(ux, uy, t);
    a.push_back(Pos(lon, lat));
  }
  return Json(std::move(a));
}

// A closed ring (first position repeated at the end) from open tile-unit positions.
Json RingArray(Units pts, const TileId& t) {
  pts.push_back(pts.front());
  return LonLatArray(pts, t);
}

Geometry Make(std::string_view type, Json coordinates) {
  Result<Geometry> g = Geometry::FromTypeAndCoordinates(type, coordinates);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return g.ok() ? std::move(g).value() : Geometry();
}

Geometry PointAtUnits(double ux, double uy, const TileId& t = kHanoiTile) {
  auto [lon, lat] = LonLatOfUnits(ux, uy, t);
  return Make("Point", Pos(lon, lat));
}
Geometry LineAtUnits(const Units& pts, const TileId& t = kHanoiTile) {
  return Make("LineString", LonLatArray(pts, t));
}
Geometry PolygonAtUnits(const std::vector<Units>& rings, const TileId& t = kHanoiTile) {
  Json::Array a;
  for (const Units& r : rings) a.push_back(RingArray(r, t));
  return Make("Polygon", Json(std::move(a)));
}

Units Reversed(Units u) {
  std::reverse(u.begin(), u.end());
  return u;
}

// ---------------------------------------------------------------------------------------
// A small MVT decoder written against the spec, independent of the encoder.

struct Value {
  enum class Kind { kString, kFloat, kDouble, kInt, kUint, kSint, kBool };
  Kind kind = Kind::kString;
  std::string s;
  double d = 0;
  std::int64_t i = 0;
  bool b = false;
  friend bool operator==(const Value& x, const Value& y) {
    return x.kind == y.kind && x.s == y.s && x.d == y.d && x.i == y.i && x.b == y.b;
  }
};

struct Point {
  std::int64_t x = 0;
  std::int64_t y = 0;
  friend bool operator==(const Point&, const Point&) = default;
  friend bool operator<(const Point& a, const Point& b) {
    return std::pair(a.x, a.y) < std::pair(b.x, b.y);
  }
  friend void PrintTo(const Point& p, std::ostream* os) { *os << "(" << p.x << ", " << p.y << ")"; }
};

struct Part {
  std::vector<Point> points;
  bool closed = false;  // a ring ended by ClosePath
};

struct Feature {
  std::optional<std::uint64_t> id;
  std::uint32_t type = 0;  // 1 point, 2 line, 3 polygon
  std::vector<std::uint32_t> tags;
  std::vector<std::uint32_t> geometry;  // raw command integers
  std::vector<Part> parts;              // decoded
};

struct Layer {
  std::string name;
  std::uint32_t version = 1;  // the proto default
  std::uint32_t extent = 4096;
  std::vector<Feature> features;
  std::vector<std::string> keys;
  std::vector<Value> values;

  // The feature's properties through the tables.
  std::map<std::string, Value> Properties(const Feature& f) const {
    std::map<std::string, Value> out;
    EXPECT_EQ(f.tags.size() % 2, 0u);
    for (std::size_t i = 0; i + 1 < f.tags.size(); i += 2) {
      EXPECT_LT(f.tags[i], keys.size());
      EXPECT_LT(f.tags[i + 1], values.size());
      if (f.tags[i] >= keys.size() || f.tags[i + 1] >= values.size()) continue;
      out[keys[f.tags[i]]] = values[f.tags[i + 1]];
    }
    return out;
  }
};

std::int32_t UnZigZag(std::uint32_t n) {
  return static_cast<std::int32_t>((n >> 1) ^ (~(n & 1) + 1));
}
std::uint32_t ZigZag(std::int32_t n) {
  return (static_cast<std::uint32_t>(n) << 1) ^ static_cast<std::uint32_t>(n >> 31);
}

// Decodes command integers into parts, checking the spec's rules on the way.
std::vector<Part> DecodeGeometry(std::uint32_t type, const std::vector<std::uint32_t>& g) {
  std::vector<Part> parts;
  Point cursor;
  std::size_t i = 0;
  while (i < g.size()) {
    std::uint32_t id = g[i] & 0x7, count = g[i] >> 3;
    ++i;
    if (id == 1 || id == 2) {
      EXPECT_GT(count, 0u) << "command with count 0";
      if (id == 1 && type != 1) {
        EXPECT_EQ(count, 1u) << "MoveTo count must be 1 for lines/rings";
      }
      if (id == 2 && parts.empty()) {
        ADD_FAILURE() << "LineTo before MoveTo";
        return parts;
      }
      if (id == 1 && (type != 1 || parts.empty())) parts.emplace_back();
      for (std::uint32_t k = 0; k < count; ++k) {
        if (i + 1 >= g.size()) {
          ADD_FAILURE() << "truncated parameters";
          return parts;
        }
        std::int32_t dx = UnZigZag(g[i]), dy = UnZigZag(g[i + 1]);
        i += 2;
        if (id == 2) {
          EXPECT_FALSE(dx == 0 && dy == 0) << "zero-length LineTo";
        }
        cursor.x += dx;
        cursor.y += dy;
        parts.back().points.push_back(cursor);
      }
    } else if (id == 7) {
      EXPECT_EQ(count, 1u);
      EXPECT_EQ(type, 3u) << "ClosePath outside a polygon";
      if (!parts.empty()) parts.back().closed = true;
    } else {
      ADD_FAILURE() << "unknown command " << id;
      return parts;
    }
  }
  return parts;
}

Value DecodeValue(protozero::pbf_reader msg) {
  Value v;
  while (msg.next()) {
    switch (msg.tag()) {
      case 1:
        v.kind = Value::Kind::kString;
        v.s = msg.get_string();
        break;
      case 2:
        v.kind = Value::Kind::kFloat;
        v.d = msg.get_float();
        break;
      case 3:
        v.kind = Value::Kind::kDouble;
        v.d = msg.get_double();
        break;
      case 4:
        v.kind = Value::Kind::kInt;
        v.i = msg.get_int64();
        break;
      case 5:
        v.kind = Value::Kind::kUint;
        v.i = static_cast<std::int64_t>(msg.get_uint64());
        break;
      case 6:
        v.kind = Value::Kind::kSint;
        v.i = msg.get_sint64();
        break;
      case 7:
        v.kind = Value::Kind::kBool;
        v.b = msg.get_bool();
        break;
      default:
        ADD_FAILURE() << "unknown Value field " << msg.tag();
        msg.skip();
    }
  }
  return v;
}

Feature DecodeFeature(protozero::pbf_reader msg) {
  Feature f;
  while (msg.next()) {
    switch (msg.tag()) {
      case 1:
        f.id = msg.get_uint64();
        break;
      case 2:
        for (std::uint32_t t : msg.get_packed_uint32()) f.tags.push_back(t);
        break;
      case 3:
        f.type = static_cast<std::uint32_t>(msg.get_enum());
        break;
      case 4:
        for (std::uint32_t c : msg.get_packed_uint32()) f.geometry.push_back(c);
        break;
      default:
        ADD_FAILURE() << "unknown Feature field " << msg.tag();
        msg.skip();
    }
  }
  f.parts = DecodeGeometry(f.type, f.geometry);
  return f;
}

std::vector<Layer> DecodeTile(const std::string& bytes) {
  std::vector<Layer> layers;
  protozero::pbf_reader tile(bytes);
  while (tile.next()) {
    if (tile.tag() != 3) {
      ADD_FAILURE() << "unknown Tile field " << tile.tag();
      tile.skip();
      continue;
    }
    Layer l;
    protozero::pbf_reader layer = tile.get_message();
    while (layer.next()) {
      switch (layer.tag()) {
        case 1:
          l.name = layer.get_string();
          break;
        case 2:
          l.features.push_back(DecodeFeature(layer.get_message()));
          break;
        case 3:
          l.keys.push_back(layer.get_string());
          break;
        case 4:
          l.values.push_back(DecodeValue(layer.get_message()));
          break;
        case 5:
          l.extent = layer.get_uint32();
          break;
        case 15:
          l.version = layer.get_uint32();
          break;
        default:
          ADD_FAILURE() << "unknown Layer field " << layer.tag();
          layer.skip();
      }
    }
    layers.push_back(std::move(l));
  }
  return layers;
}

// Twice the signed area by the spec's surveyor's formula (tile coordinates, y down).
std::int64_t DoubleArea(const std::vector<Point>& ring) {
  std::int64_t sum = 0;
  for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    sum += ring[j].x * ring[i].y - ring[i].x * ring[j].y;
  }
  return sum;
}

// Encodes one layer holding the given features into a tile and decodes it again.
struct Encoded {
  std::vector<bool> kept;
  std::vector<Layer> layers;
  std::string bytes;
};

Encoded EncodeOne(const std::vector<Geometry>& geometries, const MvtOptions& options = {},
                  const TileId& tile = kHanoiTile, const Json& properties = Json()) {
  MvtLayerBuilder layer("test", tile, options);
  Encoded e;
  for (const Geometry& g : geometries)
    e.kept.push_back(layer.AddFeature(std::nullopt, g, properties));
  MvtTileBuilder builder;
  builder.AddLayer(layer);
  e.bytes = builder.Finish();
  e.layers = DecodeTile(e.bytes);
  return e;
}

// The only feature of the only layer; fails the test if the tile holds something else.
const Feature& OnlyFeature(const Encoded& e) {
  static const Feature kNone;
  EXPECT_EQ(e.layers.size(), 1u);
  if (e.layers.size() != 1) return kNone;
  EXPECT_EQ(e.layers[0].features.size(), 1u);
  return e.layers[0].features.empty() ? kNone : e.layers[0].features[0];
}

void ExpectInsideBufferedTile(const Feature& f) {
  for (const Part& part : f.parts) {
    for (const Point& p : part.points) {
      EXPECT_GE(p.x, -kBuffer);
      EXPECT_LE(p.x, kExtent + kBuffer);
      EXPECT_GE(p.y, -kBuffer);
      EXPECT_LE(p.y, kExtent + kBuffer);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Tile boxes

TEST(MvtTest, TileBBoxFollowsWebMercatorQuad) {
  BBox world = TileBBox(TileId{0, 0, 0});
  EXPECT_NEAR(world.min_x, -180.0, 1e-12);
  EXPECT_NEAR(world.max_x, 180.0, 1e-12);
  EXPECT_NEAR(world.min_y, -kMaxLat, 1e-9);
  EXPECT_NEAR(world.max_y, kMaxLat, 1e-9);

  BBox north_east = TileBBox(TileId{1, 1, 0});
  EXPECT_NEAR(north_east.min_x, 0.0, 1e-12);
  EXPECT_NEAR(north_east.max_x, 180.0, 1e-12);
  EXPECT_NEAR(north_east.min_y, 0.0, 1e-12);
  EXPECT_NEAR(north_east.max_y, kMaxLat, 1e-9);

  BBox hanoi = TileBBox(kHanoiTile);
  EXPECT_TRUE(hanoi.ContainsPoint(kHanoiLon, kHanoiLat));
  EXPECT_NEAR(hanoi.max_x - hanoi.min_x, 360.0 / (1 << kZoom), 1e-12);
  // The corners map back onto the tile's corners.
  EXPECT_NEAR(UnitX(hanoi.min_x, kHanoiTile), 0.0, 1e-6);
  EXPECT_NEAR(UnitY(hanoi.max_y, kHanoiTile), 0.0, 1e-6);
  EXPECT_NEAR(UnitX(hanoi.max_x, kHanoiTile), kExtent, 1e-6);
  EXPECT_NEAR(UnitY(hanoi.min_y, kHanoiTile), kExtent, 1e-6);
}

TEST(MvtTest, BufferedTileBBoxGrowsByTheBufferAndReachesThePoles) {
  BBox b = BufferedTileBBox(kHanoiTile, MvtOptions{});
  EXPECT_NEAR(UnitX(b.min_x, kHanoiTile), -kBuffer, 1e-6);
  EXPECT_NEAR(UnitX(b.max_x, kHanoiTile), kExtent + kBuffer, 1e-6);
  EXPECT_NEAR(UnitY(b.max_y, kHanoiTile), -kBuffer, 1e-6);
  EXPECT_NEAR(UnitY(b.min_y, kHanoiTile), kExtent + kBuffer, 1e-6);

  MvtOptions wide;
  wide.buffer = 256;
  BBox top_left = BufferedTileBBox(TileId{2, 0, 0}, wide);
  EXPECT_EQ(top_left.max_y, 90.0);    // clamped positions land on the top edge
  EXPECT_EQ(top_left.min_x, -180.0);  // no wrap across the antimeridian
  EXPECT_NEAR(top_left.max_x, -90.0 + 90.0 * 256 / 4096, 1e-9);
  BBox bottom = BufferedTileBBox(TileId{2, 3, 3}, wide);
  EXPECT_EQ(bottom.min_y, -90.0);
  EXPECT_EQ(bottom.max_x, 180.0);
}

TEST(MvtTest, TileIdValidity) {
  EXPECT_TRUE((TileId{0, 0, 0}.valid()));
  EXPECT_TRUE((TileId{3, 7, 7}.valid()));
  EXPECT_FALSE((TileId{3, 8, 0}.valid()));
  EXPECT_FALSE((TileId{3, 0, 8}.valid()));
  EXPECT_FALSE((TileId{-1, 0, 0}.valid()));
  EXPECT_FALSE((TileId{kMaxTileZoom + 1, 0, 0}.valid()));
}

// ---------------------------------------------------------------------------------------
// Projection

TEST(MvtTest, ProjectsLonLatToRoundedTileUnits) {
  // Hanoi landmarks inside the tile of Hoan Kiem; expected values from the formulas above.
  const std::vector<std::pair<double, double>> lonlats = {
      {kHanoiLon, kHanoiLat}, {105.8576, 21.0243}, {105.8500, 21.0300}, {105.8450, 21.0350}};
  std::vector<Geometry> points;
  for (auto [lon, lat] : lonlats) points.push_back(Make("Point", Pos(lon, lat)));
  Encoded e = EncodeOne(points);
  ASSERT_EQ(e.layers.size(), 1u);
  ASSERT_EQ(e.layers[0].features.size(), lonlats.size());
  for (std::size_t i = 0; i < lonlats.size(); ++i) {
    const Feature& f = e.layers[0].features[i];
    EXPECT_EQ(f.type, 1u);
    ASSERT_EQ(f.parts.size(), 1u);
    ASSERT_EQ(f.parts[0].points.size(), 1u);
    const Point& p = f.parts[0].points[0];
    double ex = UnitX(lonlats[i].first, kHanoiTile), ey = UnitY(lonlats[i].second, kHanoiTile);
    EXPECT_LE(std::abs(p.x - ex), 0.5 + 1e-6) << "lon " << lonlats[i].first;
    EXPECT_LE(std::abs(p.y - ey), 0.5 + 1e-6) << "lat " << lonlats[i].second;
    EXPECT_GE(p.x, 0);
    EXPECT_LE(p.x, kExtent);
  }
}

// Small geometries take a polynomial for the Mercator northing: their vertices still land
// on the grid point of the exact formula, at every latitude and zoom.
TEST(MvtTest, SmallGeometriesProjectLikeTheExactFormulaAtEveryZoom) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> lat(-84.9, 84.9), lon(-179.0, 179.0), off(0.0, 0.0019);
  for (int round = 0; round < 400; ++round) {
    const int z = 8 + round % 23;  // 8 .. 30
    const double x0 = lon(rng), y0 = lat(rng);
    std::vector<std::pair<double, double>> pts = {{x0, y0}};
    for (int i = 0; i < 4; ++i) pts.push_back({x0 + off(rng) * 1e-3, y0 + off(rng)});
    Json coords = Json::MakeArray();
    for (auto [x, y] : pts) coords.Push(Pos(x, y));
    const TileId t = TileOf(x0, y0, z);
    Encoded e = EncodeOne({Make("MultiPoint", coords)}, MvtOptions{}, t);
    const Feature& f = OnlyFeature(e);
    ASSERT_EQ(f.parts.size(), 1u);
    auto near = [](const Point& p, double ux, double uy) {
      return std::abs(p.x - ux) <= 0.5 + 1e-6 && std::abs(p.y - uy) <= 0.5 + 1e-6;
    };
    for (auto [x, y] : pts) {
      const double ux = UnitX(x, t), uy = UnitY(y, t);
      if (ux < -kBuffer || ux > kExtent + kBuffer || uy < -kBuffer || uy > kExtent + kBuffer)
        continue;
      const bool found = std::any_of(f.parts[0].points.begin(), f.parts[0].points.end(),
                                     [&](const Point& p) { return near(p, ux, uy); });
      EXPECT_TRUE(found) << "z" << z << " lat " << y << " lon " << x;
    }
    for (const Point& p : f.parts[0].points) {
      const bool from_input = std::any_of(pts.begin(), pts.end(), [&](const auto& q) {
        return near(p, UnitX(q.first, t), UnitY(q.second, t));
      });
      EXPECT_TRUE(from_input) << "z" << z << " point " << p.x << "," << p.y;
    }
  }
}

TEST(MvtTest, ProjectsMultiPointAsOneMoveToAtOtherExtent) {
  MvtOptions opt;
  opt.extent = 512;
  opt.buffer = 8;
  TileId t = TileOf(2.3522, 48.8566, 10);  // Paris
  Geometry mp = Make("MultiPoint", Json(Json::Array{Pos(2.3522, 48.8566), Pos(2.36, 48.85)}));
  Encoded e = EncodeOne({mp}, opt, t);
  const Feature& f = OnlyFeature(e);
  EXPECT_EQ(e.layers[0].extent, 512u);
  ASSERT_FALSE(f.geometry.empty());
  EXPECT_EQ(f.geometry[0], 1u | (2u << 3));  // MoveTo with count 2
  ASSERT_EQ(f.parts.size(), 1u);
  ASSERT_EQ(f.parts[0].points.size(), 2u);
  EXPECT_LE(std::abs(f.parts[0].points[0].x - UnitX(2.3522, t, 512)), 0.5 + 1e-6);
  EXPECT_LE(std::abs(f.parts[0].points[0].y - UnitY(48.8566, t, 512)), 0.5 + 1e-6);
  EXPECT_LE(std::abs(f.parts[0].points[1].x - UnitX(2.36, t, 512)), 0.5 + 1e-6);
  EXPECT_LE(std::abs(f.parts[0].points[1].y - UnitY(48.85, t, 512)), 0.5 + 1e-6);
}

TEST(MvtTest, ClampsLatitudeBeyondMercatorLimit) {
  TileId world{0, 0, 0};
  Encoded e = EncodeOne({Make("Point", Pos(0, 89.5)), Make("Point", Pos(90, -89.5))}, {}, world);
  ASSERT_EQ(e.layers.size(), 1u);
  ASSERT_EQ(e.layers[0].features.size(), 2u);
  EXPECT_EQ(e.layers[0].features[0].parts[0].points[0], (Point{2048, 0}));
  EXPECT_EQ(e.layers[0].features[1].parts[0].points[0], (Point{3072, 4096}));
}

// ---------------------------------------------------------------------------------------
// Clipping

TEST(MvtTest, DropsPointsOutsideTheBufferAndKeepsThoseInside) {
  Encoded e = EncodeOne({PointAtUnits(-30, 100), PointAtUnits(-100, 100),
                         PointAtUnits(2000, kExtent + 100), PointAtUnits(-20000, 50000)});
  EXPECT_EQ(e.kept, (std::vector<bool>{true, false, false, false}));
  const Feature& f = OnlyFeature(e);
  ASSERT_EQ(f.parts.size(), 1u);
  EXPECT_EQ(f.parts[0].points, (std::vector<Point>{{-30, 100}}));

  // A MultiPoint keeps only its points inside.
  Json mp = LonLatArray({{10, 10}, {-500, 10}, {20, 4100}}, kHanoiTile);
  Encoded m = EncodeOne({Make("MultiPoint", mp)});
  const Feature& g = OnlyFeature(m);
  ASSERT_EQ(g.parts.size(), 1u);
  EXPECT_EQ(g.parts[0].points, (std::vector<Point>{{10, 10}, {20, 4100}}));
}

TEST(MvtTest, EmptyTileWhenEverythingIsClippedAway) {
  Encoded e = EncodeOne({PointAtUnits(9000, 9000), LineAtUnits({{-900, -900}, {-800, 5000}})});
  EXPECT_EQ(e.kept, (std::vector<bool>{false, false}));
  EXPECT_TRUE(e.bytes.empty());
  EXPECT_TRUE(e.layers.empty());
}

TEST(MvtTest, CutsALineThatLeavesAndReentersIntoParts) {
  Geometry line = LineAtUnits(
      {{-1000, 1000}, {2000, 2000}, {6000, 2000}, {6000, 3000}, {2000, 3000}, {-1000, 3500}});
  Encoded e = EncodeOne({line});
  const Feature& f = OnlyFeature(e);
  EXPECT_EQ(f.type, 2u);
  ExpectInsideBufferedTile(f);
  ASSERT_EQ(f.parts.size(), 2u);
  ASSERT_EQ(f.parts[0].points.size(), 3u);
  ASSERT_EQ(f.parts[1].points.size(), 3u);
  // Entry and exit points on the buffered box, by similar triangles.
  auto near = [](const Point& p, double x, double y) {
    return std::abs(p.x - x) <= 1 && std::abs(p.y - y) <= 1;
  };
  const double hi = kExtent + kBuffer;
  EXPECT_TRUE(near(f.parts[0].points[0], -kBuffer, 1000 + 1000.0 * (1000 - kBuffer) / 3000));
  EXPECT_EQ(f.parts[0].points[1], (Point{2000, 2000}));
  EXPECT_TRUE(near(f.parts[0].points[2], hi, 2000));
  EXPECT_TRUE(near(f.parts[1].points[0], hi, 3000));
  EXPECT_EQ(f.parts[1].points[1], (Point{2000, 3000}));
  EXPECT_TRUE(near(f.parts[1].points[2], -kBuffer, 3000 + 500.0 * (2000 + kBuffer) / 3000));
}

TEST(MvtTest, PolygonLargerThanTheTileBecomesTheBufferedSquare) {
  Geometry big = PolygonAtUnits({{{-5000, -5000}, {9000, -5000}, {9000, 9000}, {-5000, 9000}}});
  Encoded e = EncodeOne({big});
  const Feature& f = OnlyFeature(e);
  EXPECT_EQ(f.type, 3u);
  ASSERT_EQ(f.parts.size(), 1u);
  EXPECT_TRUE(f.parts[0].closed);
  std::set<Point> corners(f.parts[0].points.begin(), f.parts[0].points.end());
  const std::int64_t lo = -kBuffer, hi = kExtent + kBuffer;
  EXPECT_EQ(f.parts[0].points.size(), 4u);
  EXPECT_EQ(corners, (std::set<Point>{{lo, lo}, {hi, lo}, {hi, hi}, {lo, hi}}));
  EXPECT_GT(DoubleArea(f.parts[0].points), 0);
  // MoveTo(1), 2 parameters, LineTo(3), 6 parameters, ClosePath(1).
  ASSERT_EQ(f.geometry.size(), 11u);
  EXPECT_EQ(f.geometry[0], 1u | (1u << 3));
  EXPECT_EQ(f.geometry[3], 2u | (3u << 3));
  EXPECT_EQ(f.geometry[10], 7u | (1u << 3));
}

TEST(MvtTest, DropsHolesOutsideTheTileAndPolygonsWithoutExterior) {
  Units shell = {{100, 100}, {3000, 100}, {3000, 3000}, {100, 3000}};
  Units hole_far = {{-3000, 500}, {-2000, 500}, {-2000, 1500}, {-3000, 1500}};
  Units hole_in = {{500, 500}, {1000, 500}, {1000, 1000}, {500, 1000}};
  Encoded e = EncodeOne({PolygonAtUnits({shell, hole_far, hole_in})});
  const Feature& f = OnlyFeature(e);
  ASSERT_EQ(f.parts.size(), 2u);
  EXPECT_GT(DoubleArea(f.parts[0].points), 0);
  EXPECT_LT(DoubleArea(f.parts[1].points), 0);
  EXPECT_EQ(std::set<Point>(f.parts[1].points.begin(), f.parts[1].points.end()),
            (std::set<Point>{{500, 500}, {1000, 500}, {1000, 1000}, {500, 1000}}));

  // An L-shaped ring wrapping around the tile's corner outside the buffer: its bbox covers
  // the tile but nothing of it is inside, so the polygon and its hole go.
  Units l_shape = {{5000, -1000}, {5000, 5000}, {-1000, 5000},
                   {-1000, 4500}, {4500, 4500}, {4500, -1000}};
  Units hole_l = {{4600, 0}, {4900, 0}, {4900, 300}, {4600, 300}};
  Encoded l = EncodeOne({PolygonAtUnits({l_shape, hole_l})});
  EXPECT_EQ(l.kept, (std::vector<bool>{false}));
  EXPECT_TRUE(l.layers.empty());
}

// ---------------------------------------------------------------------------------------
// Winding

TEST(MvtTest, ExteriorRingsPositiveAndHolesNegativeWhateverTheInputOrientation) {
  Units shell = {{100, 100}, {3000, 100}, {3000, 3000}, {100, 3000}};  // clockwise, y down
  Units hole = {{500, 500}, {500, 1000}, {1000, 1000}, {1000, 500}};   // counter-clockwise
  for (bool flip_shell : {false, true}) {
    for (bool flip_hole : {false, true}) {
      Geometry g =
          PolygonAtUnits({flip_shell ? Reversed(shell) : shell, flip_hole ? Reversed(hole) : hole});
      Encoded e = EncodeOne({g});
      const Feature& f = OnlyFeature(e);
      ASSERT_EQ(f.parts.size(), 2u);
      EXPECT_EQ(DoubleArea(f.parts[0].points), 2 * 2900 * 2900)
          << "flip_shell " << flip_shell << " flip_hole " << flip_hole;
      EXPECT_EQ(DoubleArea(f.parts[1].points), -2 * 500 * 500)
          << "flip_shell " << flip_shell << " flip_hole " << flip_hole;
    }
  }
}

TEST(MvtTest, EachPolygonOfAMultiPolygonStartsWithAPositiveRing) {
  Json a =
      Json(Json::Array{RingArray({{100, 100}, {100, 900}, {900, 900}, {900, 100}}, kHanoiTile),
                       RingArray({{300, 300}, {600, 300}, {600, 600}, {300, 600}}, kHanoiTile)});
  Json b = Json(Json::Array{RingArray({{2000, 2000}, {2000, 2500}, {2500, 2500}}, kHanoiTile)});
  Encoded e = EncodeOne({Make("MultiPolygon", Json(Json::Array{a, b}))});
  const Feature& f = OnlyFeature(e);
  ASSERT_EQ(f.parts.size(), 3u);
  for (const Part& p : f.parts) EXPECT_TRUE(p.closed);
  EXPECT_GT(DoubleArea(f.parts[0].points), 0);
  EXPECT_LT(DoubleArea(f.parts[1].points), 0);
  EXPECT_GT(DoubleArea(f.parts[2].points), 0);
  EXPECT_EQ(f.parts[2].points.size(), 3u);  // a triangle: 3 points, closing point not repeated
}

// ---------------------------------------------------------------------------------------
// Rounding and simplification

TEST(MvtTest, DropsRepeatedGridPointsEvenWithoutSimplification) {
  MvtOptions no_simplify;
  no_simplify.simplify = false;
  Geometry line = LineAtUnits({{100, 100}, {100.2, 100.1}, {99.9, 100.3}, {200, 150}, {300, 400}});
  Encoded e = EncodeOne({line}, no_simplify);
  const Feature& f = OnlyFeature(e);
  ASSERT_EQ(f.parts.size(), 1u);
  EXPECT_EQ(f.parts[0].points, (std::vector<Point>{{100, 100}, {200, 150}, {300, 400}}));
}

TEST(MvtTest, SimplificationDropsNearlyCollinearPointsAndKeepsCorners) {
  Units pts;
  for (int i = 0; i <= 100; ++i) pts.push_back({100.0 + 20 * i, 1000.0 + (i % 2) * 0.6});
  pts.push_back({2100, 3000});  // a real corner
  Encoded simplified = EncodeOne({LineAtUnits(pts)});
  const Feature& f = OnlyFeature(simplified);
  ASSERT_EQ(f.parts.size(), 1u);
  EXPECT_EQ(f.parts[0].points, (std::vector<Point>{{100, 1000}, {2100, 1000}, {2100, 3000}}));

  MvtOptions no_simplify;
  no_simplify.simplify = false;
  Encoded full = EncodeOne({LineAtUnits(pts)}, no_simplify);
  const Feature& g = OnlyFeature(full);
  ASSERT_EQ(g.parts.size(), 1u);
  EXPECT_EQ(g.parts[0].points.size(), pts.size());
}

TEST(MvtTest, SimplificationKeepsABacktrackingExcursion) {
  // The turn-around point is on the line through the ends; only the distance to the
  // segment keeps it.
  Encoded e = EncodeOne({LineAtUnits({{100, 100}, {3000, 100}, {1000, 100}})});
  const Feature& f = OnlyFeature(e);
  ASSERT_EQ(f.parts.size(), 1u);
  EXPECT_EQ(f.parts[0].points, (std::vector<Point>{{100, 100}, {3000, 100}, {1000, 100}}));
}

TEST(MvtTest, DegenerateShapesAtTileResolutionAreDropped) {
  Geometry speck = LineAtUnits({{100.1, 100.1}, {100.3, 99.8}});
  Geometry tiny_ring = PolygonAtUnits({{{10, 10}, {10.4, 10}, {10.4, 10.4}}});
  Geometry sliver = PolygonAtUnits({{{10, 10}, {2000, 10}, {2000, 10.3}, {10, 10.3}}});
  Geometry one_pixel = PolygonAtUnits({{{10, 10}, {11, 10}, {11, 11}, {10, 11}}});
  Encoded e = EncodeOne({speck, tiny_ring, sliver, one_pixel});
  EXPECT_EQ(e.kept, (std::vector<bool>{false, false, false, false}));
  EXPECT_TRUE(e.bytes.empty());

  // Without Douglas-Peucker, the one-pixel square survives rounding (nonzero area).
  MvtOptions no_simplify;
  no_simplify.simplify = false;
  Encoded kept = EncodeOne({one_pixel}, no_simplify);
  const Feature& f = OnlyFeature(kept);
  ASSERT_EQ(f.parts.size(), 1u);
  EXPECT_EQ(f.parts[0].points.size(), 4u);
  EXPECT_EQ(DoubleArea(f.parts[0].points), 2);
}

TEST(MvtTest, SimplifiedRingsKeepAtLeastThreeDistinctPoints) {
  // A ring with many points along a triangle's sides simplifies to the triangle.
  Units ring;
  for (int i = 0; i < 50; ++i) ring.push_back({100.0 + 40 * i, 100});
  for (int i = 0; i <= 50; ++i) ring.push_back({2100.0 - 40 * i, 100.0 + 40 * i});
  Encoded e = EncodeOne({PolygonAtUnits({ring})});
  const Feature& f = OnlyFeature(e);
  ASSERT_EQ(f.parts.size(), 1u);
  EXPECT_EQ(std::set<Point>(f.parts[0].points.begin(), f.parts[0].points.end()),
            (std::set<Point>{{100, 100}, {2100, 100}, {100, 2100}}));
  EXPECT_EQ(f.parts[0].points.size(), 3u);
}

// Star-shaped (so simple) rings around random centres, with a hole, and random lines, over
// and around the tile: whatever survives decodes to geometry the spec allows.
TEST(MvtTest, RandomGeometriesDecodeToValidGeometry) {
  std::mt19937 rng(20240611);
  std::uniform_real_distribution<double> coord(-3000, 7000), radius(0.2, 3000), unit(0, 1);
  std::vector<Geometry> geometries;
  for (int i = 0; i < 300; ++i) {
    double cx = coord(rng), cy = coord(rng), r = radius(rng);
    int n = 3 + static_cast<int>(unit(rng) * 40);
    Units shell, hole;
    for (int k = 0; k < n; ++k) {
      double a = 2 * kPi * k / n, rk = r * (0.5 + 0.5 * unit(rng));
      shell.push_back({cx + rk * std::cos(a), cy + rk * std::sin(a)});
      hole.push_back({cx + 0.2 * r * std::cos(a), cy + 0.2 * r * std::sin(a)});
    }
    geometries.push_back(PolygonAtUnits({i % 2 ? Reversed(shell) : shell, hole}));
    Units line;
    for (int k = 0; k < n; ++k) line.push_back({coord(rng), coord(rng)});
    geometries.push_back(LineAtUnits(line));
  }
  for (bool simplify : {true, false}) {
    MvtOptions opt;
    opt.simplify = simplify;
    Encoded e = EncodeOne(geometries, opt);
    ASSERT_EQ(e.layers.size(), 1u);
    std::size_t kept = std::count(e.kept.begin(), e.kept.end(), true);
    ASSERT_EQ(e.layers[0].features.size(), kept);
    EXPECT_GT(kept, 100u);  // most of them overlap the tile
    for (const Feature& f : e.layers[0].features) {
      ExpectInsideBufferedTile(f);
      ASSERT_FALSE(f.parts.empty());
      if (f.type == 2) {
        for (const Part& p : f.parts) EXPECT_GE(p.points.size(), 2u);
        continue;
      }
      ASSERT_EQ(f.type, 3u);
      EXPECT_GT(DoubleArea(f.parts[0].points), 0) << "a polygon starts with its exterior";
      for (const Part& p : f.parts) {
        EXPECT_TRUE(p.closed);
        EXPECT_GE(p.points.size(), 3u);
        EXPECT_NE(DoubleArea(p.points), 0);
        EXPECT_FALSE(p.points.front() == p.points.back()) << "closing point repeated";
      }
      // Holes come after their exterior and wind the other way; every ring here has one
      // exterior, so at most one positive ring.
      for (std::size_t i = 1; i < f.parts.size(); ++i) {
        EXPECT_LT(DoubleArea(f.parts[i].points), 0);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Command encoding

TEST(MvtTest, CommandsAndZigZagParametersRoundTripNegativeDeltas) {
  Json lines = Json(Json::Array{LonLatArray({{3000, 3000}, {1000, 2500}, {500, 100}}, kHanoiTile),
                                LonLatArray({{-40, 4000}, {4100, -50}}, kHanoiTile)});
  Encoded e = EncodeOne({Make("MultiLineString", lines)});
  const Feature& f = OnlyFeature(e);
  // The cursor carries over from the first line's end to the second line's MoveTo.
  std::vector<std::uint32_t> expected = {1u | (1u << 3), ZigZag(3000),  ZigZag(3000),  //
                                         2u | (2u << 3), ZigZag(-2000), ZigZag(-500),
                                         ZigZag(-500),   ZigZag(-2400), 1u | (1u << 3),
                                         ZigZag(-540),   ZigZag(3900),  //
                                         2u | (1u << 3), ZigZag(4140),  ZigZag(-4050)};
  EXPECT_EQ(f.geometry, expected);
  // Independent zig-zag check of the values the spec lists.
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
  EXPECT_EQ(ZigZag(-2), 3u);
  ASSERT_EQ(f.parts.size(), 2u);
  EXPECT_EQ(f.parts[1].points, (std::vector<Point>{{-40, 4000}, {4100, -50}}));
}

// ---------------------------------------------------------------------------------------
// Properties, layers, features

TEST(MvtTest, PropertyTablesAreDeduplicatedAndTyped) {
  Json p1 = Json::MakeObject({{"name", "A"},
                              {"count", 3},
                              {"delta", -7},
                              {"ratio", 0.5},
                              {"ok", true},
                              {"missing", nullptr},
                              {"tags", Json(Json::Array{Json("a"), Json("b")})},
                              {"meta", Json::MakeObject({{"k", 1}})}});
  Json p2 = Json::MakeObject({{"count", 3}, {"name", "A"}, {"ok", false}, {"label", "3"}});
  MvtLayerBuilder layer("things", kHanoiTile);
  EXPECT_TRUE(layer.AddFeature(7, PointAtUnits(10, 10), p1));
  EXPECT_TRUE(layer.AddFeature(std::nullopt, PointAtUnits(20, 20), p2));
  EXPECT_TRUE(layer.AddFeature(9, PointAtUnits(30, 30), Json()));  // no properties
  MvtTileBuilder tile;
  tile.AddLayer(layer);
  std::vector<Layer> layers = DecodeTile(tile.Finish());
  ASSERT_EQ(layers.size(), 1u);
  const Layer& l = layers[0];

  std::set<std::string> key_set(l.keys.begin(), l.keys.end());
  EXPECT_EQ(key_set.size(), l.keys.size()) << "duplicate key";
  EXPECT_EQ(key_set, (std::set<std::string>{"name", "count", "delta", "ratio", "ok", "tags", "meta",
                                            "label"}));
  for (std::size_t i = 0; i < l.values.size(); ++i) {
    for (std::size_t j = i + 1; j < l.values.size(); ++j) {
      EXPECT_FALSE(l.values[i] == l.values[j]) << "duplicate value " << i << " " << j;
    }
  }
  // "A", 3, -7, 0.5, true, the two JSON texts, false and the string "3".
  EXPECT_EQ(l.values.size(), 9u);

  ASSERT_EQ(l.features.size(), 3u);
  EXPECT_EQ(l.features[0].id, std::optional<std::uint64_t>(7));
  EXPECT_EQ(l.features[1].id, std::nullopt);
  EXPECT_EQ(l.features[2].id, std::optional<std::uint64_t>(9));
  EXPECT_TRUE(l.features[2].tags.empty());

  std::map<std::string, Value> a = l.Properties(l.features[0]);
  EXPECT_EQ(a.size(), 7u);
  EXPECT_EQ(a.count("missing"), 0u);
  EXPECT_EQ(a["name"].kind, Value::Kind::kString);
  EXPECT_EQ(a["name"].s, "A");
  EXPECT_EQ(a["count"].kind, Value::Kind::kInt);
  EXPECT_EQ(a["count"].i, 3);
  EXPECT_EQ(a["delta"].kind, Value::Kind::kSint);
  EXPECT_EQ(a["delta"].i, -7);
  EXPECT_EQ(a["ratio"].kind, Value::Kind::kDouble);
  EXPECT_EQ(a["ratio"].d, 0.5);
  EXPECT_EQ(a["ok"].kind, Value::Kind::kBool);
  EXPECT_TRUE(a["ok"].b);
  EXPECT_EQ(a["tags"].kind, Value::Kind::kString);
  EXPECT_EQ(a["tags"].s, R"(["a","b"])");
  EXPECT_EQ(a["meta"].s, R"({"k":1})");

  std::map<std::string, Value> b = l.Properties(l.features[1]);
  EXPECT_EQ(b["ok"].kind, Value::Kind::kBool);
  EXPECT_FALSE(b["ok"].b);
  EXPECT_EQ(b["label"].kind, Value::Kind::kString);  // "3" stays apart from the integer 3
  EXPECT_EQ(b["label"].s, "3");
  // Shared keys and values point at the same table entries.
  auto tag_of = [](const Layer& layer, const Feature& f, const std::string& key) {
    for (std::size_t i = 0; i + 1 < f.tags.size(); i += 2) {
      if (layer.keys[f.tags[i]] == key) return std::pair(f.tags[i], f.tags[i + 1]);
    }
    return std::pair(~0u, ~0u);
  };
  EXPECT_EQ(tag_of(l, l.features[0], "name"), tag_of(l, l.features[1], "name"));
  EXPECT_EQ(tag_of(l, l.features[0], "count"), tag_of(l, l.features[1], "count"));
}

TEST(MvtTest, AnExtraStringPropertyComesFirstAndReplacesTheMemberOfItsName) {
  Json props = Json::MakeObject({{"id", 42}, {"name", "A"}});
  MvtLayerBuilder layer("things", kHanoiTile);
  EXPECT_TRUE(layer.AddFeature(1, PointAtUnits(10, 10), props, "id", "thua-7"));
  EXPECT_TRUE(layer.AddFeature(2, PointAtUnits(20, 20), Json(), "id", "thua-8"));
  EXPECT_FALSE(layer.AddFeature(3, PointAtUnits(-500, 10), props, "id", "outside"));
  MvtTileBuilder tile;
  tile.AddLayer(layer);
  std::vector<Layer> layers = DecodeTile(tile.Finish());
  ASSERT_EQ(layers.size(), 1u);
  const Layer& l = layers[0];
  ASSERT_EQ(l.features.size(), 2u);
  std::map<std::string, Value> a = l.Properties(l.features[0]);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a["id"].kind, Value::Kind::kString);
  EXPECT_EQ(a["id"].s, "thua-7");
  EXPECT_EQ(a["name"].s, "A");
  EXPECT_EQ(l.keys[l.features[0].tags[0]], "id");
  std::map<std::string, Value> b = l.Properties(l.features[1]);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b["id"].s, "thua-8");
}

// A key whose first 64 values are all different stops being looked up (a later repeat
// gets an entry of its own); keys with repeating values keep one table entry per value;
// every feature decodes to its own properties either way.
TEST(MvtTest, DistinctValuedKeysSkipTheLookupAndRepeatingOnesStayDeduplicated) {
  MvtLayerBuilder layer("parcels", kHanoiTile);
  constexpr int kFeatures = 300;
  for (int i = 0; i < kFeatures; ++i) {
    Json p = Json::MakeObject({{"address", "Số " + std::to_string(i) + " Hàng Bạc"},
                               {"use", i % 3 == 0 ? "ODT" : "TMD"},
                               {"sheet", 1 + (i % 200 < 100 ? 0 : i % 5)}});
    ASSERT_TRUE(layer.AddFeature(i + 1, PointAtUnits(10 + i % 50, 10 + i / 50), p));
  }
  MvtTileBuilder tile;
  tile.AddLayer(layer);
  std::vector<Layer> layers = DecodeTile(tile.Finish());
  ASSERT_EQ(layers.size(), 1u);
  const Layer& l = layers[0];
  ASSERT_EQ(l.features.size(), static_cast<std::size_t>(kFeatures));
  for (int i = 0; i < kFeatures; ++i) {
    std::map<std::string, Value> p = l.Properties(l.features[i]);
    EXPECT_EQ(p["address"].s, "Số " + std::to_string(i) + " Hàng Bạc");
    EXPECT_EQ(p["use"].s, i % 3 == 0 ? "ODT" : "TMD");
    EXPECT_EQ(p["sheet"].i, 1 + (i % 200 < 100 ? 0 : i % 5));
  }
  // 300 addresses, 2 uses, 5 sheets (the sheet repeated within its first 64 values).
  EXPECT_EQ(l.values.size(), 300u + 2u + 5u);

  // 64 different numbers, then the first one again 10 times: 74 entries.
  MvtLayerBuilder numbers("n", kHanoiTile);
  for (int i = 0; i < 74; ++i) {
    ASSERT_TRUE(numbers.AddFeature(std::nullopt, PointAtUnits(10, 10),
                                   Json::MakeObject({{"n", 1000 + (i < 64 ? i : 0)}})));
  }
  MvtTileBuilder t2;
  t2.AddLayer(numbers);
  std::vector<Layer> n = DecodeTile(t2.Finish());
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].values.size(), 74u);
  EXPECT_EQ(n[0].Properties(n[0].features[70])["n"].i, 1000);
}

TEST(MvtTest, TileHoldsNonEmptyLayersWithNameVersionAndExtent) {
  MvtLayerBuilder roads("roads", kHanoiTile);
  MvtLayerBuilder empty("nothing", kHanoiTile);
  MvtLayerBuilder pois("pois", kHanoiTile);
  EXPECT_TRUE(roads.AddFeature(1, LineAtUnits({{0, 0}, {100, 100}}), Json()));
  EXPECT_FALSE(empty.AddFeature(2, PointAtUnits(-5000, 0), Json()));
  EXPECT_TRUE(pois.AddFeature(3, PointAtUnits(5, 5), Json()));
  EXPECT_TRUE(empty.empty());
  MvtTileBuilder tile;
  tile.AddLayer(roads);
  tile.AddLayer(empty);
  EXPECT_FALSE(tile.empty());
  tile.AddLayer(pois);
  std::string bytes = tile.Finish();
  EXPECT_TRUE(tile.empty());
  std::vector<Layer> layers = DecodeTile(bytes);
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].name, "roads");
  EXPECT_EQ(layers[1].name, "pois");
  for (const Layer& l : layers) {
    EXPECT_EQ(l.version, 2u);
    EXPECT_EQ(l.extent, 4096u);
    ASSERT_EQ(l.features.size(), 1u);
  }
  EXPECT_EQ(layers[0].features[0].type, 2u);
  EXPECT_EQ(layers[1].features[0].type, 1u);
}

TEST(MvtTest, LayerStopsAtMaxFeaturesAndResetsForAnotherTile) {
  MvtOptions opt;
  opt.max_features = 2;
  MvtLayerBuilder layer("capped", kHanoiTile, opt);
  EXPECT_TRUE(layer.AddFeature(1, PointAtUnits(1, 1), Json()));
  EXPECT_FALSE(layer.full());
  EXPECT_TRUE(layer.AddFeature(2, PointAtUnits(2, 2), Json()));
  EXPECT_TRUE(layer.full());
  EXPECT_FALSE(layer.AddFeature(3, PointAtUnits(3, 3), Json()));
  EXPECT_EQ(layer.num_features(), 2u);

  // Reset: a fresh layer for the neighbouring tile, with empty tables.
  TileId east{kHanoiTile.z, kHanoiTile.x + 1, kHanoiTile.y};
  layer.Reset("next", east);
  EXPECT_TRUE(layer.empty());
  EXPECT_EQ(layer.name(), "next");
  EXPECT_EQ(layer.tile(), east);
  EXPECT_TRUE(layer.AddFeature(4, PointAtUnits(10, 20, east), Json::MakeObject({{"k", "v"}})));
  MvtTileBuilder tile;
  tile.AddLayer(layer);
  std::vector<Layer> layers = DecodeTile(tile.Finish());
  ASSERT_EQ(layers.size(), 1u);
  EXPECT_EQ(layers[0].name, "next");
  EXPECT_EQ(layers[0].keys, std::vector<std::string>{"k"});
  ASSERT_EQ(layers[0].features.size(), 1u);
  EXPECT_EQ(layers[0].features[0].parts[0].points, (std::vector<Point>{{10, 20}}));
}

// ---------------------------------------------------------------------------------------
// Cross-check with GDAL's MVT driver (a decoder nobody here wrote).

bool HaveOgrinfo() { return std::system("command -v ogrinfo >/dev/null 2>&1") == 0; }

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

// One feature as ogrinfo prints it: attributes "  name (Type) = value" and a WKT line.
struct OgrFeature {
  std::string layer;
  std::map<std::string, std::pair<std::string, std::string>> fields;  // name -> (type, value)
  std::string wkt;
};

std::vector<OgrFeature> ParseOgrinfo(const std::string& text) {
  std::vector<OgrFeature> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("OGRFeature(", 0) == 0) {
      OgrFeature f;
      f.layer = line.substr(11, line.find(')') - 11);
      out.push_back(std::move(f));
      continue;
    }
    if (out.empty() || line.size() < 3 || line.rfind("  ", 0) != 0) continue;
    std::string body = line.substr(2);
    std::size_t paren = body.find(" (");
    std::size_t eq = body.find(") = ");
    if (paren != std::string::npos && eq != std::string::npos && paren < eq) {
      out.back().fields[body.substr(0, paren)] = {body.substr(paren + 2, eq - paren - 2),
                                                  body.substr(eq + 4)};
    } else if (body.find('(') != std::string::npos) {
      out.back().wkt = body;
    }
  }
  return out;
}

// The coordinate lists of a WKT text: one per innermost parenthesised group.
std::vector<std::vector<std::pair<double, double>>> WktRings(const std::string& wkt) {
  std::vector<std::vector<std::pair<double, double>>> rings;
  std::size_t pos = 0;
  while ((pos = wkt.find('(', pos)) != std::string::npos) {
    std::size_t close = wkt.find(')', pos);
    std::size_t next_open = wkt.find('(', pos + 1);
    if (close == std::string::npos) break;
    if (next_open != std::string::npos && next_open < close) {
      pos = next_open;
      continue;
    }
    std::vector<std::pair<double, double>> ring;
    std::istringstream coords(wkt.substr(pos + 1, close - pos - 1));
    std::string pair_text;
    while (std::getline(coords, pair_text, ',')) {
      std::istringstream xy(pair_text);
      double x = 0, y = 0;
      if (xy >> x >> y) ring.emplace_back(x, y);
    }
    rings.push_back(std::move(ring));
    pos = close + 1;
  }
  return rings;
}

TEST(MvtTest, GdalReadsTheTileBackAtTheInputCoordinates) {
  if (!HaveOgrinfo()) GTEST_SKIP() << "ogrinfo (gdal-bin) is not on PATH";
  const TileId t = kHanoiTile;
  // Inputs in lon/lat, spread over the tile.
  BBox box = TileBBox(t);
  auto at = [&](double fx, double fy) {  // a lon/lat at fractions of the tile's box
    return std::pair(box.min_x + fx * (box.max_x - box.min_x),
                     box.max_y - fy * (box.max_y - box.min_y));
  };
  std::pair<double, double> point = at(0.31, 0.47);
  std::vector<std::pair<double, double>> line = {at(0.1, 0.1), at(0.5, 0.3), at(0.9, 0.15)};
  // Rings against RFC 7946's right-hand rule (shell clockwise, hole counter-clockwise in
  // lon/lat), so the encoder must reverse both.
  std::vector<std::pair<double, double>> shell = {at(0.2, 0.6), at(0.2, 0.9), at(0.8, 0.9),
                                                  at(0.8, 0.6), at(0.2, 0.6)};
  std::vector<std::pair<double, double>> hole = {at(0.4, 0.7), at(0.6, 0.7), at(0.6, 0.8),
                                                 at(0.4, 0.8), at(0.4, 0.7)};
  auto array = [](const std::vector<std::pair<double, double>>& pts) {
    Json::Array a;
    for (auto [lon, lat] : pts) a.push_back(Pos(lon, lat));
    return Json(std::move(a));
  };

  MvtLayerBuilder pois("pois", t);
  MvtLayerBuilder ways("ways", t);
  ASSERT_TRUE(pois.AddFeature(
      11, Make("Point", Pos(point.first, point.second)),
      Json::MakeObject({{"name", "Hồ Gươm"}, {"count", 42}, {"delta", -5}, {"ratio", 0.25}})));
  ASSERT_TRUE(ways.AddFeature(21, Make("LineString", array(line)),
                              Json::MakeObject({{"kind", "road"}, {"lanes", 2}})));
  ASSERT_TRUE(ways.AddFeature(22, Make("Polygon", Json(Json::Array{array(shell), array(hole)})),
                              Json::MakeObject({{"kind", "park"}, {"lanes", nullptr}})));
  MvtTileBuilder tile;
  tile.AddLayer(pois);
  tile.AddLayer(ways);
  std::string bytes = tile.Finish();

  std::string path = ::testing::TempDir() + "dothi_mvt_test_" + std::to_string(::getpid()) + ".mvt";
  {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::string out = RunCommand("ogrinfo -ro -al -q -oo X=" + std::to_string(t.x) +
                               " -oo Y=" + std::to_string(t.y) + " -oo Z=" + std::to_string(t.z) +
                               " '" + path + "' 2>&1");
  std::remove(path.c_str());
  std::vector<OgrFeature> features = ParseOgrinfo(out);
  ASSERT_EQ(features.size(), 3u) << out;

  // One tile unit at this zoom, in metres; coordinates agree within it.
  const double pixel = 2 * kPi * kMercatorRadius / (kExtent * std::ldexp(1.0, t.z));
  auto expect_close = [&](std::pair<double, double> got, std::pair<double, double> lonlat) {
    auto [mx, my] = WebMercatorMetres(lonlat.first, lonlat.second);
    EXPECT_NEAR(got.first, mx, pixel) << out;
    EXPECT_NEAR(got.second, my, pixel) << out;
  };

  const OgrFeature& p = features[0];
  EXPECT_EQ(p.layer, "pois");
  EXPECT_EQ(p.fields.at("mvt_id").second, "11");  // GDAL's name for the feature id
  EXPECT_EQ(p.fields.at("name").second, "Hồ Gươm");
  EXPECT_EQ(p.fields.at("count").second, "42");
  EXPECT_EQ(p.fields.at("delta").second, "-5");
  EXPECT_EQ(p.fields.at("ratio").first, "Real");
  EXPECT_EQ(std::stod(p.fields.at("ratio").second), 0.25);
  EXPECT_EQ(p.wkt.rfind("POINT", 0), 0u) << p.wkt;
  auto point_rings = WktRings(p.wkt);
  ASSERT_EQ(point_rings.size(), 1u);
  ASSERT_EQ(point_rings[0].size(), 1u);
  expect_close(point_rings[0][0], point);

  const OgrFeature& l = features[1];
  EXPECT_EQ(l.layer, "ways");
  EXPECT_EQ(l.fields.at("mvt_id").second, "21");
  EXPECT_EQ(l.fields.at("kind").second, "road");
  EXPECT_EQ(l.fields.at("lanes").second, "2");
  EXPECT_EQ(l.wkt.rfind("LINESTRING", 0), 0u) << l.wkt;
  auto line_rings = WktRings(l.wkt);
  ASSERT_EQ(line_rings.size(), 1u);
  ASSERT_EQ(line_rings[0].size(), line.size());
  for (std::size_t i = 0; i < line.size(); ++i) expect_close(line_rings[0][i], line[i]);

  const OgrFeature& g = features[2];
  EXPECT_EQ(g.fields.at("mvt_id").second, "22");
  EXPECT_EQ(g.fields.at("kind").second, "park");
  EXPECT_EQ(g.fields.count("lanes"), 0u);  // null: no tag, so GDAL shows no value
  // One polygon with its hole: GDAL reads the second ring as a hole only when it winds
  // against the first (else it reports a MULTIPOLYGON). GDAL takes the first ring's sign as
  // the reference, so the absolute signs are checked by the winding tests above.
  EXPECT_EQ(g.wkt.rfind("POLYGON", 0), 0u) << g.wkt;
  auto polygon_rings = WktRings(g.wkt);
  ASSERT_EQ(polygon_rings.size(), 2u);
  // Rings may start elsewhere and run the other way: match each vertex to the input's.
  auto expect_same_ring = [&](const std::vector<std::pair<double, double>>& got,
                              const std::vector<std::pair<double, double>>& lonlats) {
    ASSERT_EQ(got.size(), lonlats.size()) << out;  // closed in WKT as in GeoJSON
    for (auto xy : got) {
      double best = 1e300;
      for (auto ll : lonlats) {
        auto [mx, my] = WebMercatorMetres(ll.first, ll.second);
        best = std::min(best, std::max(std::abs(xy.first - mx), std::abs(xy.second - my)));
      }
      EXPECT_LE(best, pixel) << "vertex " << xy.first << " " << xy.second;
    }
  };
  expect_same_ring(polygon_rings[0], shell);
  expect_same_ring(polygon_rings[1], hole);
}

}  // namespace
}  // namespace dothi::geo
