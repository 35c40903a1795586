#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "domain/entity.h"
#include "geo/geometry.h"

// GeoQuery is an NGSI-LD geo-query (ETSI GS CIM 009 v1.8 clause 4.10): a georel, a reference
// geometry and the GeoProperty it applies to. An entity matches when any instance of that
// GeoProperty satisfies "entity geometry REL reference geometry" (within: the entity lies
// within the reference; contains: the entity contains it), or for near its distance in
// metres is at most maxDistance / at least minDistance.
//
// The parsers validate untrusted query text and prepare the reference geometry once, so
// Matches is cheap (~0.1-1 us for a Point entity, no allocation). A parsed GeoQuery is
// immutable in use: Matches and SearchBox may run from several threads concurrently.
// Copies share the prepared geometry. Fields set by hand after parsing must keep `prepared`
// consistent with `geometry` (or reset it; Matches then evaluates unprepared).
namespace dothi::domain {

struct GeoQuery {
  enum class Rel { kNear, kWithin, kContains, kIntersects, kDisjoint, kOverlaps, kEquals };

  Rel rel = Rel::kIntersects;
  std::optional<double> max_distance;                       // metres; near only
  std::optional<double> min_distance;                       // metres; near only
  geo::Geometry geometry;                                   // the reference geometry
  std::string geoproperty_iri = std::string(kLocationIri);  // expanded attribute IRI
  std::shared_ptr<const geo::PreparedGeometry> prepared;    // made from geometry

  // True when any GeoProperty instance of the entity's geoproperty matches.
  bool Matches(const Entity& e) const;
  // True when one GeoJSON geometry value matches; false when it is not a valid geometry.
  bool MatchesGeometry(const Json& geojson) const;
  // A lon/lat box that every matching entity geometry intersects (the whole world for
  // disjoint and for near without maxDistance), for fetching candidates from an index.
  geo::BBox SearchBox() const;
  // The georel in query-string form, e.g. "near;maxDistance==2000" or "within".
  std::string GeorelText() const;
};

// Deepest array nesting coordinates may have (MultiPolygon: [[[[lon, lat]]]]).
inline constexpr int kMaxCoordinatesDepth = 4;

// Reads coordinates text such as "[106.85,21.03]" into a Json array of arrays of numbers.
// Strict JSON syntax for arrays and numbers only, nesting at most kMaxCoordinatesDepth;
// InvalidRequest for syntax errors, BadRequestData when the text has more numbers than
// limits allow (3 per vertex).
Result<Json> ParseCoordinates(std::string_view text, const geo::GeometryLimits& limits = {});

// Parses the geoQ query parameters: georel ("near;maxDistance==2000", "within", ...),
// geometry ("Point", "Polygon", ...), coordinates (the raw text) and geoproperty (the
// expanded IRI; empty means location). BadRequestData for a bad georel or geometry,
// InvalidRequest for malformed coordinates text.
Result<GeoQuery> ParseGeoQuery(std::string_view georel, std::string_view geometry_type,
                               std::string_view coordinates_text, std::string geoproperty_iri,
                               const geo::GeometryLimits& limits = {});

// The same with coordinates given as Json (the geoQ member of a POST query body): an array,
// or a string holding the array text.
Result<GeoQuery> GeoQueryFromJson(std::string_view georel, std::string_view geometry_type,
                                  const Json& coordinates, std::string geoproperty_iri,
                                  const geo::GeometryLimits& limits = {});

}  // namespace dothi::domain
