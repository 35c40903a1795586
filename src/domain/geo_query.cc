#include "domain/geo_query.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace dothi::domain {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kRadToDeg = 180.0 / kPi;
constexpr std::size_t kMaxEchoedChars = 40;   // characters of bad input quoted in messages
constexpr std::size_t kNumbersPerVertex = 3;  // lon, lat and an optional altitude
// SearchBox widening: relative, and absolute in degrees, to cover float rounding.
constexpr double kSearchBoxSlack = 1.001;
constexpr double kSearchBoxEpsilonDeg = 1e-9;

std::string Echo(std::string_view s) {
  if (s.size() <= kMaxEchoedChars) return std::string(s);
  return std::string(s.substr(0, kMaxEchoedChars)) + "...";
}

std::string NumberText(double d) { return ShortestNumberText(d); }

// Strict reader for nested arrays of JSON numbers. Recursion is bounded by
// kMaxCoordinatesDepth; the number count by the limits.
class CoordinatesParser {
 public:
  CoordinatesParser(std::string_view text, std::size_t max_numbers)
      : text_(text), max_numbers_(max_numbers) {}

  Result<Json> Parse() {
    SkipSpace();
    if (Peek() != '[') return Syntax("expected '['");
    Json out;
    if (Status s = ParseArray(1, out); !s.ok()) return s;
    SkipSpace();
    if (pos_ != text_.size()) return Syntax("unexpected text after the coordinates");
    return out;
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  Status Syntax(std::string_view what) const {
    return Status::InvalidRequest(
        "invalid coordinates",
        std::string(what) + " at offset " + std::to_string(pos_) + " in '" + Echo(text_) + "'");
  }

  // At '['; reads the array into out.
  Status ParseArray(int depth, Json& out) {
    if (depth > kMaxCoordinatesDepth) {
      return Syntax("arrays nested deeper than " + std::to_string(kMaxCoordinatesDepth));
    }
    ++pos_;  // '['
    Json::Array items;
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      out = Json(std::move(items));
      return Status::OK();
    }
    for (;;) {
      SkipSpace();
      Json item;
      if (Peek() == '[') {
        if (Status s = ParseArray(depth + 1, item); !s.ok()) return s;
      } else if (Status s = ParseNumber(item); !s.ok()) {
        return s;
      }
      items.push_back(std::move(item));
      SkipSpace();
      char c = Peek();
      if (c == ',') {
        ++pos_;
        continue;
      }
      if (c == ']') {
        ++pos_;
        break;
      }
      return Syntax("expected ',' or ']'");
    }
    out = Json(std::move(items));
    return Status::OK();
  }

  // A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  Status ParseNumber(Json& out) {
    std::size_t start = pos_;
    auto digits = [&] {
      std::size_t n = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        ++pos_;
        ++n;
      }
      return n;
    };
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      pos_ = start;
      return Syntax("expected a number or '['");
    }
    if (Peek() == '.') {
      ++pos_;
      if (digits() == 0) return Syntax("expected digits after '.'");
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (digits() == 0) return Syntax("expected digits in exponent");
    }
    if (++numbers_ > max_numbers_) {
      return Status::BadRequestData("too many coordinates",
                                    "more than " + std::to_string(max_numbers_) + " numbers");
    }
    double d = 0;
    auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, d);
    // Overflow and underflow (|d| beyond double range or below its smallest value) both
    // fail: no longitude or latitude needs them.
    if (ec != std::errc() || end != text_.data() + pos_ || !std::isfinite(d)) {
      pos_ = start;
      return Syntax("number out of range");
    }
    // An integer stays an integer, so a geoQ echoed back reads as it was written.
    const std::string_view token = text_.substr(start, pos_ - start);
    std::int64_t i = 0;
    if (token.find_first_of(".eE") == std::string_view::npos &&
        std::from_chars(token.data(), token.data() + token.size(), i).ec == std::errc()) {
      out = Json(i);
    } else {
      out = Json(d);
    }
    return Status::OK();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t numbers_ = 0;
  std::size_t max_numbers_;
};

// Reads "maxDistance==2000" style modifiers into q.
Status ParseDistance(std::string_view token, std::string_view georel, GeoQuery& q) {
  std::size_t eq = token.find("==");
  if (eq == std::string_view::npos) {
    return Status::BadRequestData("invalid georel modifier", Echo(georel));
  }
  std::string_view name = token.substr(0, eq);
  std::string_view value = token.substr(eq + 2);
  std::optional<double>* target = nullptr;
  if (name == "maxDistance") {
    target = &q.max_distance;
  } else if (name == "minDistance") {
    target = &q.min_distance;
  } else {
    return Status::BadRequestData("unknown georel modifier", Echo(georel));
  }
  if (target->has_value()) {
    return Status::BadRequestData("repeated georel modifier", Echo(georel));
  }
  double d = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), d);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
      !std::isfinite(d)) {
    return Status::BadRequestData("invalid distance in georel", Echo(georel));
  }
  if (d < 0) return Status::BadRequestData("distance must not be negative", Echo(georel));
  *target = d;
  return Status::OK();
}

Status ParseGeorel(std::string_view georel, GeoQuery& q) {
  std::size_t semi = georel.find(';');
  std::string_view op = georel.substr(0, semi);
  struct Named {
    std::string_view name;
    GeoQuery::Rel rel;
  };
  static constexpr Named kRels[] = {
      {"near", GeoQuery::Rel::kNear},         {"within", GeoQuery::Rel::kWithin},
      {"contains", GeoQuery::Rel::kContains}, {"intersects", GeoQuery::Rel::kIntersects},
      {"disjoint", GeoQuery::Rel::kDisjoint}, {"overlaps", GeoQuery::Rel::kOverlaps},
      {"equals", GeoQuery::Rel::kEquals},
  };
  const Named* found = nullptr;
  for (const Named& n : kRels) {
    if (n.name == op) found = &n;
  }
  if (georel.empty()) return Status::BadRequestData("georel is required with geometry");
  if (found == nullptr) return Status::BadRequestData("unknown georel", Echo(georel));
  q.rel = found->rel;
  if (q.rel != GeoQuery::Rel::kNear) {
    if (semi != std::string_view::npos) {
      return Status::BadRequestData("georel takes no modifiers", Echo(georel));
    }
    return Status::OK();
  }
  std::string_view rest =
      semi == std::string_view::npos ? std::string_view{} : georel.substr(semi + 1);
  while (!rest.empty()) {
    std::size_t next = rest.find(';');
    if (Status s = ParseDistance(rest.substr(0, next), georel, q); !s.ok()) return s;
    rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
    if (next != std::string_view::npos && rest.empty()) {
      return Status::BadRequestData("invalid georel modifier", Echo(georel));
    }
  }
  if (!q.max_distance && !q.min_distance) {
    return Status::BadRequestData("near needs maxDistance or minDistance", Echo(georel));
  }
  if (q.max_distance && q.min_distance && *q.min_distance > *q.max_distance) {
    return Status::BadRequestData("minDistance exceeds maxDistance", Echo(georel));
  }
  return Status::OK();
}

geo::SpatialRelation ToSpatial(GeoQuery::Rel rel) {
  switch (rel) {
    case GeoQuery::Rel::kWithin:
      return geo::SpatialRelation::kWithin;
    case GeoQuery::Rel::kContains:
      return geo::SpatialRelation::kContains;
    case GeoQuery::Rel::kDisjoint:
      return geo::SpatialRelation::kDisjoint;
    case GeoQuery::Rel::kOverlaps:
      return geo::SpatialRelation::kOverlaps;
    case GeoQuery::Rel::kEquals:
      return geo::SpatialRelation::kEquals;
    case GeoQuery::Rel::kNear:
    case GeoQuery::Rel::kIntersects:
      return geo::SpatialRelation::kIntersects;
  }
  return geo::SpatialRelation::kIntersects;
}

bool DistanceOk(const GeoQuery& q, double meters) {
  if (q.max_distance && !(meters <= *q.max_distance)) return false;
  if (q.min_distance && !(meters >= *q.min_distance)) return false;
  return true;
}

enum class PointRead { kNotPoint, kPoint, kInvalid };

// Reads {"type": "Point", "coordinates": [lon, lat, ...]} without allocating.
PointRead ReadPoint(const Json& v, double& lon, double& lat) {
  if (!v.is_object()) return PointRead::kInvalid;
  const Json* type = v.Find("type");
  if (type == nullptr || !type->is_string() || type->AsString() != "Point") {
    return PointRead::kNotPoint;
  }
  const Json* c = v.Find("coordinates");
  if (c == nullptr || !c->is_array() || c->size() < 2) return PointRead::kInvalid;
  for (const Json& n : c->AsArray()) {
    if (!n.is_number() || !std::isfinite(n.AsDouble())) return PointRead::kInvalid;
  }
  lon = c->AsArray()[0].AsDouble();
  lat = c->AsArray()[1].AsDouble();
  if (lon < -180.0 || lon > 180.0 || lat < -90.0 || lat > 90.0) return PointRead::kInvalid;
  return PointRead::kPoint;
}

Result<GeoQuery> Build(std::string_view georel, std::string_view geometry_type,
                       const Json& coordinates, std::string geoproperty_iri,
                       const geo::GeometryLimits& limits) {
  GeoQuery q;
  if (Status s = ParseGeorel(georel, q); !s.ok()) return s;
  if (geometry_type.empty()) return Status::BadRequestData("geometry is required with georel");
  Result<geo::Geometry> g =
      geo::Geometry::FromTypeAndCoordinates(geometry_type, coordinates, limits);
  if (!g.ok()) return g.status();
  q.geometry = std::move(g).value();
  q.prepared = std::make_shared<const geo::PreparedGeometry>(q.geometry);
  q.geoproperty_iri =
      geoproperty_iri.empty() ? std::string(kLocationIri) : std::move(geoproperty_iri);
  return q;
}

}  // namespace

Result<Json> ParseCoordinates(std::string_view text, const geo::GeometryLimits& limits) {
  CoordinatesParser parser(text, limits.max_vertices * kNumbersPerVertex);
  return parser.Parse();
}

Result<GeoQuery> ParseGeoQuery(std::string_view georel, std::string_view geometry_type,
                               std::string_view coordinates_text, std::string geoproperty_iri,
                               const geo::GeometryLimits& limits) {
  // Check the georel first so a bad georel is reported before coordinate syntax.
  GeoQuery probe;
  if (Status s = ParseGeorel(georel, probe); !s.ok()) return s;
  if (coordinates_text.empty()) return Status::BadRequestData("coordinates are required");
  Result<Json> coords = ParseCoordinates(coordinates_text, limits);
  if (!coords.ok()) return coords.status();
  return Build(georel, geometry_type, *coords, std::move(geoproperty_iri), limits);
}

Result<GeoQuery> GeoQueryFromJson(std::string_view georel, std::string_view geometry_type,
                                  const Json& coordinates, std::string geoproperty_iri,
                                  const geo::GeometryLimits& limits) {
  if (coordinates.is_string()) {
    return ParseGeoQuery(georel, geometry_type, coordinates.AsString(), std::move(geoproperty_iri),
                         limits);
  }
  if (!coordinates.is_array()) {
    return Status::BadRequestData("coordinates must be an array", Echo(coordinates.Dump()));
  }
  return Build(georel, geometry_type, coordinates, std::move(geoproperty_iri), limits);
}

bool GeoQuery::Matches(const Entity& e) const {
  const Json::Array* instances = e.FindAttr(geoproperty_iri);
  if (instances == nullptr) return false;
  for (const Json& inst : *instances) {
    const Json* type = inst.Find(attr::kType);
    if (type == nullptr || !type->is_string() || type->AsString() != attr::kGeoProperty) {
      continue;
    }
    const Json* value = inst.Find(attr::kValue);
    if (value != nullptr && MatchesGeometry(*value)) return true;
  }
  return false;
}

bool GeoQuery::MatchesGeometry(const Json& geojson) const {
  double lon = 0;
  double lat = 0;
  PointRead pr = ReadPoint(geojson, lon, lat);
  if (pr == PointRead::kInvalid) return false;
  if (pr == PointRead::kPoint && prepared != nullptr) {
    if (rel == Rel::kNear) return DistanceOk(*this, prepared->DistanceMetersToPoint(lon, lat));
    return prepared->RelatePoint(lon, lat, ToSpatial(rel));
  }
  Result<geo::Geometry> g = geo::Geometry::FromGeoJson(geojson);
  if (!g.ok()) return false;
  if (prepared != nullptr) {
    if (rel == Rel::kNear) return DistanceOk(*this, prepared->DistanceMeters(*g));
    return prepared->Relate(*g, ToSpatial(rel));
  }
  if (rel == Rel::kNear) return DistanceOk(*this, geo::DistanceMeters(*g, geometry));
  return geo::Relate(*g, ToSpatial(rel), geometry);
}

geo::BBox GeoQuery::SearchBox() const {
  const geo::BBox world = geo::BBox::World();
  if (rel == Rel::kDisjoint) return world;
  const geo::BBox& box = geometry.bbox();
  if (rel != Rel::kNear) return box;
  if (!max_distance) return world;
  double c = *max_distance / geo::kEarthRadiusMeters;  // angular radius, radians
  if (!(c < kPi / 2)) return world;
  double dlat = c * kRadToDeg * kSearchBoxSlack + kSearchBoxEpsilonDeg;
  geo::BBox out{box.min_x, box.min_y - dlat, box.max_x, box.max_y + dlat};
  // Longitude reach of a circle of radius c around a point at latitude phi:
  // asin(sin c / cos phi); largest at the reference box's extreme latitude.
  double phi = std::max(std::abs(box.min_y), std::abs(box.max_y)) / kRadToDeg;
  double ratio = std::sin(c) / std::cos(phi);
  if (out.min_y <= -90.0 || out.max_y >= 90.0 || !(ratio < 1.0)) {
    out.min_x = -180.0;
    out.max_x = 180.0;
  } else {
    double dlon = std::asin(ratio) * kRadToDeg * kSearchBoxSlack + kSearchBoxEpsilonDeg;
    out.min_x -= dlon;
    out.max_x += dlon;
    // Haversine distances wrap around the antimeridian; so must the box.
    if (out.min_x < -180.0 || out.max_x > 180.0) {
      out.min_x = -180.0;
      out.max_x = 180.0;
    }
  }
  out.min_y = std::max(out.min_y, -90.0);
  out.max_y = std::min(out.max_y, 90.0);
  return out;
}

std::string GeoQuery::GeorelText() const {
  switch (rel) {
    case Rel::kWithin:
      return "within";
    case Rel::kContains:
      return "contains";
    case Rel::kIntersects:
      return "intersects";
    case Rel::kDisjoint:
      return "disjoint";
    case Rel::kOverlaps:
      return "overlaps";
    case Rel::kEquals:
      return "equals";
    case Rel::kNear:
      break;
  }
  std::string s = "near";
  if (max_distance) s += ";maxDistance==" + NumberText(*max_distance);
  if (min_distance) s += ";minDistance==" + NumberText(*min_distance);
  return s;
}

}  // namespace dothi::domain
