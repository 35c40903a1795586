// libFuzzer target for the CQL2 parsers and evaluator. The input is parsed as cql2-text;
// what parses is evaluated against fixed features, and its canonical text
// (Expression::DebugString) must parse again to the same canonical text, or the target
// traps. Input that starts with '{' is also read as JSON and parsed as cql2-json, then
// evaluated the same way.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/common/json_parse.h"
#include "domain/cql2/evaluator.h"
#include "domain/cql2/expression.h"
#include "domain/cql2/parser.h"

namespace {

using dothi::Json;
using dothi::domain::cql2::Cql2Limits;
using dothi::domain::cql2::Expression;
using dothi::domain::cql2::FeatureView;
namespace geo = dothi::geo;

class FixedFeature : public FeatureView {
 public:
  FixedFeature(std::string id, std::string_view properties, std::optional<std::string_view> geojson)
      : id_(std::move(id)), properties_(*dothi::api::ParseJson(properties)) {
    if (geojson) geometry_ = *geo::Geometry::FromGeoJson(*dothi::api::ParseJson(*geojson));
  }
  const Json* Property(std::string_view name) const override { return properties_.Find(name); }
  const geo::Geometry* Geometry() const override { return geometry_ ? &*geometry_ : nullptr; }
  std::string_view Id() const override { return id_; }
  bool IsGeometryProperty(std::string_view name) const override {
    return name == "geometry" || name == "location";
  }

 private:
  std::string id_;
  Json properties_;
  std::optional<geo::Geometry> geometry_;
};

const std::vector<FixedFeature>& Features() {
  static const std::vector<FixedFeature> features = {
      FixedFeature("urn:ngsi-ld:Building:1",
                   R"({"name": "Quảng Ninh", "floors": 8, "pool": true, "depth": 150.5,
                       "built": "2012-07-01T10:00:00Z", "tags": ["a", "b"], "obj": {"k": 1},
                       "nul": null, "city": "Đà Nẵng", "pct": "50%", "big": 9007199254740993})",
                   R"({"type": "Point", "coordinates": [107.08, 20.95]})"),
      FixedFeature("f2",
                   R"({"name": "STRASSE", "floors": -3, "pool": false, "built": "2012-06-05"})",
                   R"({"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10],
                       [0, 0]], [[2, 2], [2, 4], [4, 4], [2, 2]]]})"),
      FixedFeature("f3", R"({"name": "", "floors": 0.5})",
                   R"({"type": "MultiLineString", "coordinates": [[[-5, 5], [5, 5]],
                       [[170, -10], [-179, 10]]]})"),
      FixedFeature("", "{}", std::nullopt),
  };
  return features;
}

void Exercise(const Expression& e) {
  for (const FixedFeature& f : Features()) (void)dothi::domain::cql2::Matches(e, f);
  (void)dothi::domain::cql2::PropertyNames(e);
  (void)dothi::domain::cql2::SpatialSearchBox(
      e, [](std::string_view name) { return name == "geometry"; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Cql2Limits limits;
  limits.max_vertices = 1000;  // keep each run fast
  auto parsed = dothi::domain::cql2::ParseCql2Text(text, limits);
  if (parsed.ok()) {
    Exercise(*parsed);
    // The canonical text adds parentheses (AND / OR groups, NOT (...)) and may spell
    // numbers and boxes out at more length; the second parse gets room for that.
    const std::string canonical = parsed->DebugString();
    Cql2Limits roomy = limits;
    roomy.max_depth = 3 * limits.max_depth + 2;
    roomy.max_text_length = 64 * canonical.size() + 64;
    roomy.max_vertices = 5 * limits.max_vertices;
    auto again = dothi::domain::cql2::ParseCql2Text(canonical, roomy);
    if (!again.ok() || again->DebugString() != canonical) __builtin_trap();
  }
  if (!text.empty() && text[0] == '{') {
    auto json = dothi::api::ParseJson(text);
    if (json.ok()) {
      auto from_json = dothi::domain::cql2::ParseCql2Json(*json, limits);
      if (from_json.ok()) {
        Exercise(*from_json);
        (void)from_json->DebugString();
      }
    }
  }
  return 0;
}
