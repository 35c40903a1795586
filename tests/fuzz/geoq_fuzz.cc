// libFuzzer target for the NGSI-LD geoQ parser and matcher.
// Input: "georel\ngeometry\ncoordinates" (missing parts are empty). Each successfully parsed
// query is evaluated against fixed entities (Point, LineString, Polygon) and its SearchBox
// is checked to contain every matching Point entity.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/entity.h"
#include "domain/geo_query.h"

namespace {

using dothi::Json;
using dothi::domain::Entity;

Json Pos(double x, double y) { return Json(Json::Array{Json(x), Json(y)}); }

Entity WithLocation(Json value) {
  Entity e;
  e.id = "urn:ngsi-ld:Fuzz:1";
  e.types = {"https://example.org/Fuzz"};
  Json inst = Json::MakeObject({{"type", "GeoProperty"}, {"value", std::move(value)}});
  e.attrs.Set(dothi::domain::kLocationIri, Json(Json::Array{std::move(inst)}));
  return e;
}

struct Fixtures {
  Entity point =
      WithLocation(Json::MakeObject({{"type", "Point"}, {"coordinates", Pos(105.8523, 21.0287)}}));
  Entity line = WithLocation(Json::MakeObject(
      {{"type", "LineString"},
       {"coordinates", Json(Json::Array{Pos(105.80, 21.02), Pos(105.90, 21.02)})}}));
  Entity polygon = WithLocation(Json::MakeObject(
      {{"type", "Polygon"},
       {"coordinates",
        Json(Json::Array{Json(Json::Array{Pos(105.84, 21.01), Pos(105.86, 21.01),
                                          Pos(105.86, 21.04), Pos(105.84, 21.01)})})}}));
};

std::string_view NextPart(std::string_view& rest) {
  std::size_t nl = rest.find('\n');
  std::string_view part = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixtures fixtures;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view georel = NextPart(rest);
  std::string_view geometry = NextPart(rest);
  std::string_view coordinates = rest;

  dothi::geo::GeometryLimits limits;
  limits.max_vertices = 1000;  // keep each run fast
  auto q = dothi::domain::ParseGeoQuery(georel, geometry, coordinates, "", limits);
  if (!q.ok()) return 0;
  bool point_matches = q->Matches(fixtures.point);
  (void)q->Matches(fixtures.line);
  (void)q->Matches(fixtures.polygon);
  (void)q->GeorelText();
  dothi::geo::BBox box = q->SearchBox();
  if (point_matches && !box.ContainsPoint(105.8523, 21.0287)) std::abort();
  return 0;
}
