#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"

// Geometry is a validated GeoJSON geometry in WGS 84 lon/lat (RFC 7946): Point, MultiPoint,
// LineString, MultiLineString, Polygon or MultiPolygon. Coordinates live in our own vectors;
// GEOS objects are made in geometry.cc only when an operation needs them. Relations are
// evaluated in the plane of lon/lat degrees (as GEOS and PostGIS geometry do); distances are
// on the sphere. There is no antimeridian handling: a shape crossing 180° is not split.
//
// Relations follow OGC DE-9IM on valid geometries. For invalid input (self-intersecting
// rings, overlapping MultiPolygon parts) the Point fast path applies the even-odd rule and
// may disagree with GEOS, which is itself inconsistent there; validity is not checked.
//
// Threading: Geometry and PreparedGeometry are immutable after construction; any number of
// threads may read and evaluate the same object concurrently. GEOS is only called through
// its reentrant *_r API, with GEOS contexts drawn from small pools (never a global handle).
namespace dothi::geo {

// An axis-aligned box in lon/lat degrees. Empty when min > max (as made by Empty()).
struct BBox {
  double min_x = std::numeric_limits<double>::infinity();
  double min_y = std::numeric_limits<double>::infinity();
  double max_x = -std::numeric_limits<double>::infinity();
  double max_y = -std::numeric_limits<double>::infinity();

  static BBox Empty() { return BBox{}; }
  static BBox World() { return BBox{-180.0, -90.0, 180.0, 90.0}; }
  static BBox OfPoint(double x, double y) { return BBox{x, y, x, y}; }

  bool empty() const { return !(min_x <= max_x && min_y <= max_y); }
  // Closed-box tests: touching edges count as intersecting.
  bool Intersects(const BBox& o) const {
    return min_x <= o.max_x && o.min_x <= max_x && min_y <= o.max_y && o.min_y <= max_y;
  }
  bool Contains(const BBox& o) const {
    return min_x <= o.min_x && o.max_x <= max_x && min_y <= o.min_y && o.max_y <= max_y;
  }
  bool ContainsPoint(double x, double y) const {
    return min_x <= x && x <= max_x && min_y <= y && y <= max_y;
  }
  void Extend(double x, double y);
  void Extend(const BBox& o);

  friend bool operator==(const BBox&, const BBox&) = default;
};

// Bounds applied while reading untrusted GeoJSON.
struct GeometryLimits {
  // Most positions one geometry may have (all parts and rings together).
  std::size_t max_vertices = 100000;
};

enum class GeometryType : std::uint8_t {
  kPoint,
  kMultiPoint,
  kLineString,
  kMultiLineString,
  kPolygon,
  kMultiPolygon,
};

// One lon/lat position (x = longitude, y = latitude, degrees). Altitude is dropped on input.
struct Position {
  double x = 0;
  double y = 0;
  friend bool operator==(const Position&, const Position&) = default;
};

class Geometry {
 public:
  // A Point at (0, 0); real geometries come from the factories below.
  Geometry();

  // j is a GeoJSON geometry object: {"type": ..., "coordinates": ...}.
  static Result<Geometry> FromGeoJson(const Json& j, const GeometryLimits& limits = {});
  // type is a GeoJSON geometry type name ("Polygon"); coordinates its coordinates array.
  static Result<Geometry> FromTypeAndCoordinates(std::string_view type, const Json& coordinates,
                                                 const GeometryLimits& limits = {});
  // A Point; BadRequestData when lon/lat are out of range or not finite.
  static Result<Geometry> MakePoint(double lon, double lat);

  GeometryType type() const { return type_; }
  std::string_view type_name() const;
  const BBox& bbox() const { return bbox_; }
  bool is_point() const { return type_ == GeometryType::kPoint; }
  bool is_puntal() const { return type_ <= GeometryType::kMultiPoint; }
  bool is_lineal() const {
    return type_ == GeometryType::kLineString || type_ == GeometryType::kMultiLineString;
  }
  bool is_polygonal() const {
    return type_ == GeometryType::kPolygon || type_ == GeometryType::kMultiPolygon;
  }
  // Point coordinates; the caller checks is_point() first.
  double lon() const;
  double lat() const;
  std::size_t num_vertices() const { return positions_.size(); }

  // Flat layout shared with the algorithms of this folder and with encoders:
  //  - positions(): every position in GeoJSON order.
  //  - line_ends(): for (Multi)LineString and (Multi)Polygon, the end offset (exclusive) in
  //    positions() of each line or ring; empty for puntal types.
  //  - polygon_ends(): for (Multi)Polygon, the end offset (exclusive) in line_ends() of each
  //    polygon (its first ring is the shell, the others holes); empty otherwise.
  const std::vector<Position>& positions() const { return positions_; }
  const std::vector<std::uint32_t>& line_ends() const { return line_ends_; }
  const std::vector<std::uint32_t>& polygon_ends() const { return polygon_ends_; }

  // {"type": ..., "coordinates": ...} with double coordinates.
  Json ToGeoJson() const;

  // Same type and identical coordinates (structural, not topological, equality).
  friend bool operator==(const Geometry& a, const Geometry& b);

 private:
  GeometryType type_ = GeometryType::kPoint;
  BBox bbox_ = BBox::OfPoint(0, 0);
  std::vector<Position> positions_;
  std::vector<std::uint32_t> line_ends_;
  std::vector<std::uint32_t> polygon_ends_;

  friend class GeometryReader;
};

// The DE-9IM named predicates used by NGSI-LD and OGC ("a REL b"). kTouches and kCrosses
// serve OGC CQL2 (S_TOUCHES, S_CROSSES); every relation but kWithin / kContains is symmetric.
enum class SpatialRelation {
  kWithin,
  kContains,
  kIntersects,
  kDisjoint,
  kOverlaps,
  kEquals,
  kTouches,
  kCrosses,
};

// True when "a rel b", e.g. Relate(a, kWithin, b) when a lies within b. Points are handled
// without GEOS; other pairs go through GEOS. A GEOS failure (not expected for validated
// input) yields false.
bool Relate(const Geometry& a, SpatialRelation rel, const Geometry& b);

// OGC Simple Features validity (no self-intersecting rings, holes inside their shell, ...):
// OK, or BadRequestData with GEOS's reason and where ("Self-intersection at 105.8 21.0").
Status CheckValid(const Geometry& g);

// A valid geometry covering what g covers (GEOS MakeValid, "structure" method: rings are read
// as the areas they enclose), keeping the parts of g's dimension: a polygon stays polygonal,
// a line lineal. Returns g when it is already valid. Errors: BadRequestData when nothing of
// that dimension is left (a polygon of zero area).
Result<Geometry> MakeValid(const Geometry& g);

// The union of polygonal geometries (GEOS unary union): one Polygon or MultiPolygon.
// Non-polygonal inputs are ignored. Errors: BadRequestData when nothing polygonal is given
// or GEOS fails.
Result<Geometry> UnionPolygons(const std::vector<const Geometry*>& parts);

// The area of a polygonal geometry in square metres (0 for points and lines), on a local
// equirectangular frame at its mid latitude: within 0.1% for a city-sized shape.
double AreaSquareMeters(const Geometry& g);

// The share (0..1) of polygonal a's area that lies inside polygonal b; 0 when they do not
// overlap or a has no area.
double AreaShareInside(const Geometry& a, const Geometry& b);

// Mean Earth radius used for all distances, metres (IUGG R1).
inline constexpr double kEarthRadiusMeters = 6371008.8;

// Great-circle distance between two lon/lat points (haversine), metres.
double HaversineMeters(double lon1, double lat1, double lon2, double lat2);

// Shortest distance between a and b on the sphere, metres; 0 when they intersect.
// Point-point (and point-MultiPoint) is exact haversine. Otherwise the closest pair is
// chosen in a local equirectangular frame (x scaled by cos of the point's latitude, or of
// the middle latitude of both shapes: an affine map of lon/lat, so edges stay the straight
// lon/lat edges that Relate sees) and the result is the haversine distance of that pair of
// real points. So the result is never below the true distance, and exceeds it at most by
// the frame's scale distortion over the latitudes the two shapes span, about
// tan(lat) * span (span in radians): 0.07% for a 0.1 degree span at Hanoi (21 N), 0.3% at
// 60 degrees, 1.7% for a 1 degree span at 45 degrees. Returns +infinity if GEOS fails.
double DistanceMeters(const Geometry& a, const Geometry& b);

// A Geometry prepared for evaluating many other geometries against it, e.g. one query
// polygon against many entities. Point tests use a strip index over the segments (no GEOS,
// no allocation; ~0.1-0.3 us for a city boundary of up to 10,000 vertices; shapes where a
// horizontal line crosses most edges, like stars, degrade towards a linear scan). Other shapes use
// a GEOS prepared geometry: the object keeps a few lazily built GEOS copies, each with its own
// context, and a caller claims one with an atomic flag (lock-free), so several threads
// evaluate concurrently; when every copy is busy the call builds a temporary one.
// Immutable after construction; safe to share between threads. Not copyable (share it via
// std::shared_ptr<const PreparedGeometry>).
class PreparedGeometry {
 public:
  explicit PreparedGeometry(Geometry geometry);
  ~PreparedGeometry();
  PreparedGeometry(PreparedGeometry&&) noexcept;
  PreparedGeometry& operator=(PreparedGeometry&&) noexcept;
  PreparedGeometry(const PreparedGeometry&) = delete;
  PreparedGeometry& operator=(const PreparedGeometry&) = delete;

  const Geometry& geometry() const;

  // True when "other rel this", e.g. kWithin: other lies within this geometry.
  bool Relate(const Geometry& other, SpatialRelation rel) const;
  // True when "point rel this" for the point (lon, lat); never calls GEOS or allocates.
  bool RelatePoint(double lon, double lat, SpatialRelation rel) const;
  // DistanceMeters(other, geometry()) and the same for a point (no GEOS, no allocation).
  double DistanceMeters(const Geometry& other) const;
  double DistanceMetersToPoint(double lon, double lat) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dothi::geo
