#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "api/common/json_parse.h"
#include "domain/cql2/evaluator.h"
#include "domain/cql2/expression.h"
#include "domain/cql2/parser.h"

namespace dothi::domain::cql2 {
namespace {

Json ParseJsonText(std::string_view text) {
  Result<Json> j = api::ParseJson(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString() << "\n" << text;
  return j.ok() ? std::move(*j) : Json();
}

geo::Geometry GeometryFrom(std::string_view geojson) {
  Result<geo::Geometry> g = geo::Geometry::FromGeoJson(ParseJsonText(geojson));
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return g.ok() ? std::move(*g) : geo::Geometry();
}

// A feature over a Json object; "geometry" and "location" both name its geometry.
class TestFeature : public FeatureView {
 public:
  TestFeature(std::string id, std::string_view properties,
              std::optional<std::string_view> geojson = std::nullopt)
      : id_(std::move(id)), properties_(ParseJsonText(properties)) {
    if (geojson) geometry_ = GeometryFrom(*geojson);
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

Expression Text(std::string_view text, const Cql2Limits& limits = {}) {
  Result<Expression> e = ParseCql2Text(text, limits);
  EXPECT_TRUE(e.ok()) << e.status().ToString() << "\n" << text;
  return e.ok() ? std::move(*e) : Expression();
}

Expression JsonExpr(std::string_view json, const Cql2Limits& limits = {}) {
  Result<Expression> e = ParseCql2Json(ParseJsonText(json), limits);
  EXPECT_TRUE(e.ok()) << e.status().ToString() << "\n" << json;
  return e.ok() ? std::move(*e) : Expression();
}

std::string TextError(std::string_view text, const Cql2Limits& limits = {}) {
  Result<Expression> e = ParseCql2Text(text, limits);
  EXPECT_FALSE(e.ok()) << text << " parsed as " << e->DebugString();
  if (e.ok()) return {};
  EXPECT_EQ(e.status().code(), ErrorCode::kBadRequestData);
  return e.status().message();
}

std::string JsonError(std::string_view json, const Cql2Limits& limits = {}) {
  Result<Expression> e = ParseCql2Json(ParseJsonText(json), limits);
  EXPECT_FALSE(e.ok()) << json << " parsed as " << e->DebugString();
  if (e.ok()) return {};
  EXPECT_EQ(e.status().code(), ErrorCode::kBadRequestData);
  return e.status().message();
}

// ---------------------------------------------------------------------------------------
// Sample features for the standard's examples.

const std::vector<TestFeature>& Samples() {
  static const std::vector<TestFeature> samples = {
      TestFeature("f1", R"({
        "landsat:scene_id": "LC82030282019133LGN00", "eo:instrument": "OLI_TIRS",
        "landsat:wrs_path": "153", "ro:cloud_cover": 0.1, "floors": 8, "swimming_pool": true,
        "material": "brick", "owner": "Mike Smith", "taxes": 450, "name": "Smith Tower",
        "city": "Toronto", "cityName": "New York", "depth": 150.0, "road_class": "STRASSE",
        "etat_vol": "debarquer", "eo_instruments": "OLI", "built": "2012-07-01",
        "updated": "2024-03-01T10:00:00+07:00"})",
                  R"({"type": "Point", "coordinates": [-117.95, 33.9]})"),
      TestFeature("f2", R"({
        "landsat:scene_id": "OTHER", "eo:instrument": "TIRS", "landsat:wrs_path": "154",
        "ro:cloud_cover": 0.2, "floors": 3, "swimming_pool": false, "material": "red brick",
        "owner": "mike jones", "taxes": 500, "name": "smithy", "city": "toronto",
        "cityName": "Tokyo", "depth": 99.9, "road_class": "οδος", "etat_vol": "Débárquér",
        "built": "2012-06-05T10:00:00Z", "updated": "2023-12-31T23:59:59Z"})",
                  R"({"type": "Point", "coordinates": [5, 0]})"),
      TestFeature("f3", R"({
        "floors": 5, "material": "brick", "swimming_pool": true, "owner": "Anna",
        "taxes": 501, "depth": 100, "cityName": "Hanoi", "road_class": "Phố",
        "built": "2011-01-01", "updated": "not a date"})"),
      TestFeature("f4", R"({"floors": null, "swimming_pool": true, "material": "brickwork"})",
                  R"({"type": "Polygon", "coordinates": [[[-118.05, 33.85], [-117.95, 33.85],
                      [-117.95, 33.95], [-118.05, 33.95], [-118.05, 33.85]]]})"),
  };
  return samples;
}

std::vector<std::string> MatchingIds(const Expression& e,
                                     const std::vector<TestFeature>& features = Samples()) {
  std::vector<std::string> ids;
  for (const TestFeature& f : features) {
    if (Matches(e, f)) ids.emplace_back(f.Id());
  }
  return ids;
}

using Ids = std::vector<std::string>;

bool Eval(std::string_view text, const FeatureView& f) { return Matches(Text(text), f); }

struct StandardExample {
  std::string_view name;
  std::string_view text;
  std::string_view json;
  Ids expected;  // worked out by hand over Samples()
};

// Examples of OGC 21-065 (opengeospatial/ogcapi-features cql2/standard/schema/examples), in
// both encodings. "id" and the DATE / TIMESTAMP ones are adapted to the sample data.
const StandardExample kExamples[] = {
    {"example01",
     "landsat:scene_id = 'LC82030282019133LGN00'",
     R"({"op": "=", "args": [{"property": "landsat:scene_id"}, "LC82030282019133LGN00"]})",
     {"f1"}},
    {"example02",
     "eo:instrument LIKE 'OLI%'",
     R"({"op": "like", "args": [{"property": "eo:instrument"}, "OLI%"]})",
     {"f1"}},
    {"example03",
     "landsat:wrs_path IN ('153','154','15X')",
     R"({"op": "in", "args": [{"property": "landsat:wrs_path"}, ["153", "154", "15X"]]})",
     {"f1", "f2"}},
    {"example05a",
     "ro:cloud_cover=0.1 OR ro:cloud_cover=0.2",
     R"({"op": "or", "args": [{"op": "=", "args": [{"property": "ro:cloud_cover"}, 0.1]},
                               {"op": "=", "args": [{"property": "ro:cloud_cover"}, 0.2]}]})",
     {"f1", "f2"}},
    {"example07",
     "eo_instruments LIKE 'OLI%' AND S_INTERSECTS(footprint,POLYGON((43.5845 -79.5442, "
     "43.6079 -79.4893, 43.5677 -79.4632, 43.6129 -79.3925, 43.5845 -79.5442)))",
     R"({"op": "and", "args": [
          {"op": "like", "args": [{"property": "eo_instruments"}, "OLI%"]},
          {"op": "s_intersects", "args": [{"property": "footprint"},
            {"type": "Polygon", "coordinates": [[[43.5845, -79.5442], [43.6079, -79.4893],
              [43.5677, -79.4632], [43.6129, -79.3925], [43.5845, -79.5442]]]}]}]})",
     {}},  // footprint is not the geometry property: unknown
    {"example09", "floors>5", R"({"op": ">", "args": [{"property": "floors"}, 5]})", {"f1"}},
    {"example10",
     "taxes <= 500",
     R"({"op": "<=", "args": [{"property": "taxes"}, 500]})",
     {"f1", "f2"}},
    {"example12",
     "owner LIKE 'Mike%'",
     R"({"op": "like", "args": [{"property": "owner"}, "Mike%"]})",
     {"f1"}},
    {"example15",
     "floors>5 AND swimming_pool=true",
     R"({"op": "and", "args": [{"op": ">", "args": [{"property": "floors"}, 5]},
                                {"op": "=", "args": [{"property": "swimming_pool"}, true]}]})",
     {"f1"}},
    {"example16",
     "swimming_pool=true AND (floors>5 OR material LIKE 'brick%' OR material LIKE '%brick')",
     R"({"op": "and", "args": [
          {"op": "=", "args": [{"property": "swimming_pool"}, true]},
          {"op": "or", "args": [{"op": ">", "args": [{"property": "floors"}, 5]},
                                {"op": "like", "args": [{"property": "material"}, "brick%"]},
                                {"op": "like", "args": [{"property": "material"}, "%brick"]}]}]})",
     {"f1", "f3", "f4"}},
    {"example17",
     "(floors>5 AND material='brick') OR swimming_pool=true",
     R"({"op": "or", "args": [
          {"op": "and", "args": [{"op": ">", "args": [{"property": "floors"}, 5]},
                                 {"op": "=", "args": [{"property": "material"}, "brick"]}]},
          {"op": "=", "args": [{"property": "swimming_pool"}, true]}]})",
     {"f1", "f3", "f4"}},
    {"example18",
     "NOT (floors<5) OR swimming_pool=true",
     R"({"op": "or", "args": [
          {"op": "not", "args": [{"op": "<", "args": [{"property": "floors"}, 5]}]},
          {"op": "=", "args": [{"property": "swimming_pool"}, true]}]})",
     {"f1", "f3", "f4"}},
    {"example19",
     "(owner LIKE 'mike%' OR owner LIKE 'Mike%') AND floors<4",
     R"({"op": "and", "args": [
          {"op": "or", "args": [{"op": "like", "args": [{"property": "owner"}, "mike%"]},
                                {"op": "like", "args": [{"property": "owner"}, "Mike%"]}]},
          {"op": "<", "args": [{"property": "floors"}, 4]}]})",
     {"f2"}},
    {"example23",
     "S_WITHIN(location,BBOX(-118,33.8,-117.9,34))",
     R"({"op": "s_within", "args": [{"property": "location"}, {"bbox": [-118, 33.8, -117.9, 34]}]})",
     {"f1"}},
    {"example24",
     "S_INTERSECTS(geometry,POLYGON((-10.0 -10.0,10.0 -10.0,10.0 10.0,-10.0 -10.0)))",
     R"({"op": "s_intersects", "args": [{"property": "geometry"},
          {"type": "Polygon", "coordinates": [[[-10, -10], [10, -10], [10, 10], [-10, -10]]]}]})",
     {"f2"}},
    {"example25",
     "floors>5 AND S_WITHIN(geometry,BBOX(-118,33.8,-117.9,34))",
     R"({"op": "and", "args": [{"op": ">", "args": [{"property": "floors"}, 5]},
          {"op": "s_within", "args": [{"property": "geometry"},
                                      {"bbox": [-118, 33.8, -117.9, 34]}]}]})",
     {"f1"}},
    {"example29", "\"id\" = 'f2'", R"({"op": "=", "args": [{"property": "id"}, "f2"]})", {"f2"}},
    {"clause6_02a",
     "city='Toronto'",
     R"({"op": "=", "args": [{"property": "city"}, "Toronto"]})",
     {"f1"}},
    {"clause6_03",
     "geometry IS NOT NULL",
     R"({"op": "not", "args": [{"op": "isNull", "args": [{"property": "geometry"}]}]})",
     {"f1", "f2", "f4"}},
    {"clause7_01",
     "name LIKE 'Smith%'",
     R"({"op": "like", "args": [{"property": "name"}, "Smith%"]})",
     {"f1"}},
    {"clause7_02",
     "depth BETWEEN 100.0 and 150.0",
     R"({"op": "between", "args": [{"property": "depth"}, 100.0, 150.0]})",
     {"f1", "f3"}},
    {"clause7_03a",
     "cityName IN ('Toronto','Frankfurt','Tokyo','New York')",
     R"({"op": "in", "args": [{"property": "cityName"}, ["Toronto", "Frankfurt", "Tokyo", "New York"]]})",
     {"f1", "f2"}},
    {"clause7_04",
     "CASEI(road_class) IN (CASEI('Οδος'),CASEI('Straße'))",
     R"({"op": "in", "args": [{"op": "casei", "args": [{"property": "road_class"}]},
          [{"op": "casei", "args": ["Οδος"]}, {"op": "casei", "args": ["Straße"]}]]})",
     {"f1", "f2"}},
    {"clause7_05",
     "ACCENTI(etat_vol) = ACCENTI('débárquér')",
     R"({"op": "=", "args": [{"op": "accenti", "args": [{"property": "etat_vol"}]},
                             {"op": "accenti", "args": ["débárquér"]}]})",
     {"f1"}},
    {"clause7_07",
     "S_INTERSECTS(geometry,POINT(36.319836 32.288087))",
     R"({"op": "s_intersects", "args": [{"property": "geometry"},
          {"type": "Point", "coordinates": [36.319836, 32.288087]}]})",
     {}},
    {"date",
     "built > DATE('2012-06-05')",
     R"({"op": ">", "args": [{"property": "built"}, {"date": "2012-06-05"}]})",
     {"f1", "f2"}},
    {"timestamp",
     "updated >= TIMESTAMP('2024-01-01T00:00:00Z')",
     R"({"op": ">=", "args": [{"property": "updated"}, {"timestamp": "2024-01-01T00:00:00Z"}]})",
     {"f1"}},
};

TEST(Cql2Test, StandardExamplesGiveTheSameTreeAndResultsInBothEncodings) {
  for (const StandardExample& ex : kExamples) {
    SCOPED_TRACE(ex.name);
    const Expression text = Text(ex.text);
    const Expression json = JsonExpr(ex.json);
    EXPECT_EQ(text.DebugString(), json.DebugString());
    EXPECT_EQ(MatchingIds(text), ex.expected);
    EXPECT_EQ(MatchingIds(json), ex.expected);
  }
}

TEST(Cql2Test, DebugStringParsesBackToTheSameTree) {
  for (const StandardExample& ex : kExamples) {
    SCOPED_TRACE(ex.name);
    const std::string once = Text(ex.text).DebugString();
    EXPECT_EQ(Text(once).DebugString(), once);
  }
  EXPECT_EQ(Text("t = TIMESTAMP('2024-05-01T08:00:00.123456Z') AND d = DATE('1969-12-31') AND "
                 "n = -0.0 AND S_WITHIN(geometry, BBOX(1, 2, 3.5, 4))")
                .DebugString(),
            "(\"t\" = TIMESTAMP('2024-05-01T08:00:00.123456Z') AND \"d\" = DATE('1969-12-31') AND "
            "\"n\" = 0 AND S_WITHIN(\"geometry\", POLYGON ((1 2, 3.5 2, 3.5 4, 1 4, 1 2))))");
  EXPECT_EQ(Text("floors>5 and not (name like 'A%' or x is not null)").DebugString(),
            "(\"floors\" > 5 AND NOT (\"name\" LIKE 'A%' OR NOT (\"x\" IS NULL)))");
}

TEST(Cql2Test, KeywordsAreCaseInsensitive) {
  const Expression lower = Text("floors > 5 and swimming_pool = true or not depth between 1 and 2");
  const Expression upper = Text("floors > 5 AND swimming_pool = TRUE OR NOT depth BETWEEN 1 AND 2");
  EXPECT_EQ(lower.DebugString(), upper.DebugString());
  EXPECT_EQ(MatchingIds(Text("s_within(location, bbox(-118,33.8,-117.9,34))")), Ids{"f1"});
  EXPECT_EQ(MatchingIds(Text("S_Intersects(geometry, Point(5 0))")), Ids{"f2"});
}

TEST(Cql2Test, KeywordsOfLiteralsCanStillBePropertyNames) {
  TestFeature f("k", R"({"point": 3, "date": "2024-01-02", "bbox": "x", "timestamp": 1})");
  EXPECT_TRUE(Eval("point = 3", f));
  EXPECT_TRUE(Eval("date > DATE('2024-01-01')", f));
  EXPECT_TRUE(Eval("bbox = 'x' AND timestamp = 1", f));
  EXPECT_TRUE(Eval("\"and\" IS NULL", f));  // a quoted keyword is a name
}

TEST(Cql2Test, NumberForms) {
  TestFeature f("n", R"({"n": 1, "big": 9223372036854775807, "neg": -9223372036854775808})");
  EXPECT_TRUE(Eval("n = 1. AND n = 1.0 AND n = 1.E0 AND n = .1E1 AND n = +1 AND n = 10E-1", f));
  EXPECT_TRUE(Eval("big = 9223372036854775807 AND big > 9223372036854775806", f));
  EXPECT_TRUE(Eval("neg = -9223372036854775808", f));
}

TEST(Cql2Test, AndBindsTighterThanOr) {
  // a OR (b AND c), not (a OR b) AND c
  EXPECT_EQ(MatchingIds(Text("floors = 3 OR floors = 8 AND material = 'red brick'")), Ids{"f2"});
  EXPECT_EQ(MatchingIds(Text("(floors = 3 OR floors = 8) AND material = 'brick'")), Ids{"f1"});
}

// ---------------------------------------------------------------------------------------
// Every operator, true and false.

TestFeature Typed() {
  return TestFeature("t", R"({"n": 10, "x": 2.5, "s": "mango", "b": true,
                               "t": "2024-05-01T08:00:00Z", "d": "2024-05-01",
                               "arr": [1, 2], "obj": {"a": 1}, "nul": null})");
}

TEST(Cql2Test, ComparisonsOfNumbers) {
  const TestFeature f = Typed();
  EXPECT_TRUE(Eval("n = 10", f));
  EXPECT_FALSE(Eval("n = 11", f));
  EXPECT_TRUE(Eval("n <> 11", f));
  EXPECT_FALSE(Eval("n <> 10", f));
  EXPECT_TRUE(Eval("n < 10.5", f));
  EXPECT_FALSE(Eval("n < 10", f));
  EXPECT_TRUE(Eval("n > 9", f));
  EXPECT_FALSE(Eval("n > 10", f));
  EXPECT_TRUE(Eval("n <= 10", f));
  EXPECT_FALSE(Eval("n <= 9.99", f));
  EXPECT_TRUE(Eval("n >= 1E1", f));
  EXPECT_FALSE(Eval("n >= 1.01e1", f));
  EXPECT_TRUE(Eval("x = 2.5 AND x > -3 AND x < +3 AND x > .5", f));
  EXPECT_TRUE(Eval("10 = n", f));  // the literal may come first
  EXPECT_TRUE(Eval("n > x", f));   // two properties
  EXPECT_TRUE(Eval("n = 10.0", f));
}

TEST(Cql2Test, ComparisonsOfStringsAreByteWise) {
  const TestFeature f = Typed();
  EXPECT_TRUE(Eval("s = 'mango'", f));
  EXPECT_FALSE(Eval("s = 'Mango'", f));
  EXPECT_TRUE(Eval("s <> 'Mango'", f));
  EXPECT_TRUE(Eval("s > 'apple'", f));
  EXPECT_FALSE(Eval("s > 'pear'", f));
  EXPECT_TRUE(Eval("s < 'pear'", f));
  EXPECT_TRUE(Eval("s > 'Mango'", f));  // 'm' (0x6d) sorts after 'M' (0x4d)
  EXPECT_TRUE(Eval("s >= 'mango' AND s <= 'mango'", f));
  EXPECT_FALSE(Eval("s <= 'mang'", f));
}

TEST(Cql2Test, ComparisonsOfBooleansAreEqualityOnly) {
  const TestFeature f = Typed();
  EXPECT_TRUE(Eval("b = TRUE", f));
  EXPECT_FALSE(Eval("b = false", f));
  EXPECT_TRUE(Eval("b <> false", f));
  EXPECT_FALSE(Eval("b <> true", f));
  EXPECT_FALSE(Eval("b > false", f));        // no order: unknown
  EXPECT_FALSE(Eval("NOT (b > false)", f));  // ... and its negation too
}

TEST(Cql2Test, InstantsCompareAsInstants) {
  const TestFeature f = Typed();
  EXPECT_TRUE(Eval("t = TIMESTAMP('2024-05-01T08:00:00Z')", f));
  EXPECT_TRUE(Eval("t = TIMESTAMP('2024-05-01T15:00:00+07:00')", f));  // same instant
  EXPECT_FALSE(Eval("t = TIMESTAMP('2024-05-01T08:00:01Z')", f));
  EXPECT_TRUE(Eval("t > DATE('2024-05-01')", f));
  EXPECT_FALSE(Eval("t < DATE('2024-05-01')", f));
  EXPECT_TRUE(Eval("d = DATE('2024-05-01')", f));
  EXPECT_TRUE(Eval("d <= TIMESTAMP('2024-05-01T00:00:00Z')", f));
  EXPECT_TRUE(Eval("TIMESTAMP('2024-01-01T00:00:00Z') < DATE('2024-01-02')", f));
  EXPECT_FALSE(Eval("s = TIMESTAMP('2024-05-01T08:00:00Z')", f));  // not an instant
  EXPECT_FALSE(Eval("n = TIMESTAMP('2024-05-01T08:00:00Z')", f));
}

TEST(Cql2Test, BetweenAndIn) {
  const TestFeature f = Typed();
  EXPECT_TRUE(Eval("n BETWEEN 10 AND 12", f));  // inclusive
  EXPECT_TRUE(Eval("n BETWEEN 1 AND 10", f));
  EXPECT_FALSE(Eval("n BETWEEN 11 AND 12", f));
  EXPECT_TRUE(Eval("n NOT BETWEEN 11 AND 12", f));
  EXPECT_FALSE(Eval("n NOT BETWEEN 1 AND 12", f));
  EXPECT_TRUE(Eval("t BETWEEN DATE('2024-05-01') AND DATE('2024-05-02')", f));
  EXPECT_TRUE(Eval("s IN ('apple', 'mango')", f));
  EXPECT_FALSE(Eval("s IN ('apple', 'pear')", f));
  EXPECT_TRUE(Eval("s NOT IN ('apple', 'pear')", f));
  EXPECT_FALSE(Eval("s NOT IN ('mango')", f));
  EXPECT_TRUE(Eval("n IN (1, 10.0, 100)", f));
}

TEST(Cql2Test, TrueAndFalseArePredicates) {
  const TestFeature f = Typed();
  EXPECT_TRUE(Eval("TRUE", f));
  EXPECT_FALSE(Eval("FALSE", f));
  EXPECT_TRUE(Eval("NOT FALSE AND (TRUE OR FALSE)", f));
  EXPECT_TRUE(Matches(JsonExpr("true"), f));
  EXPECT_FALSE(Matches(JsonExpr(R"({"op": "not", "args": [true]})"), f));
}

// ---------------------------------------------------------------------------------------
// Missing, null and mismatched values: three-valued logic.

TEST(Cql2Test, MissingOrNullPropertyMakesComparisonsUnknown) {
  const TestFeature f = Typed();
  for (std::string_view p : {"missing", "nul"}) {
    SCOPED_TRACE(p);
    const std::string name(p);
    EXPECT_FALSE(Eval(name + " = 1", f));
    EXPECT_FALSE(Eval(name + " <> 1", f));
    EXPECT_FALSE(Eval("NOT (" + name + " = 1)", f));
    EXPECT_FALSE(Eval(name + " LIKE '%'", f));
    EXPECT_FALSE(Eval(name + " NOT LIKE 'x'", f));
    EXPECT_FALSE(Eval(name + " BETWEEN 0 AND 1", f));
    EXPECT_FALSE(Eval(name + " NOT IN (1, 2)", f));
    EXPECT_TRUE(Eval(name + " IS NULL", f));
    EXPECT_FALSE(Eval(name + " IS NOT NULL", f));
    // Kleene: UNKNOWN OR TRUE is TRUE, UNKNOWN AND FALSE is FALSE (so its NOT is TRUE).
    EXPECT_TRUE(Eval(name + " = 1 OR n = 10", f));
    EXPECT_FALSE(Eval(name + " = 1 AND n = 10", f));
    EXPECT_TRUE(Eval("NOT (" + name + " = 1 AND n = 11)", f));
    EXPECT_FALSE(Eval("NOT (" + name + " = 1 OR n = 11)", f));
  }
  EXPECT_FALSE(Eval("n IS NULL", f));
  EXPECT_TRUE(Eval("n IS NOT NULL", f));
}

TEST(Cql2Test, TypeMismatchesAreUnknownNotErrors) {
  const TestFeature f = Typed();
  EXPECT_FALSE(Eval("s = 5", f));
  EXPECT_FALSE(Eval("NOT (s = 5)", f));
  EXPECT_FALSE(Eval("n = '10'", f));
  EXPECT_FALSE(Eval("arr = 1", f));
  EXPECT_FALSE(Eval("obj <> 'x'", f));
  EXPECT_FALSE(Eval("n LIKE '1%'", f));
  EXPECT_FALSE(Eval("NOT (n LIKE '1%')", f));
  EXPECT_FALSE(Eval("s IN (1, 2)", f));
  EXPECT_TRUE(Eval("s IN (1, 'mango')", f));  // one item equal is enough
}

TEST(Cql2Test, IdIsTheFeatureId) {
  TestFeature f("urn:ngsi-ld:Bus:1", R"({"id": "shadowed"})");
  EXPECT_TRUE(Eval("id = 'urn:ngsi-ld:Bus:1'", f));
  EXPECT_TRUE(Eval("\"id\" LIKE 'urn:ngsi-ld:Bus:%'", f));
  EXPECT_FALSE(Eval("id IS NULL", f));
}

// ---------------------------------------------------------------------------------------
// LIKE

TEST(Cql2Test, LikeWildcards) {
  TestFeature f("w", R"({"s": "Hà Nội 2024", "e": ""})");
  EXPECT_TRUE(Eval("s LIKE 'Hà%'", f));
  EXPECT_TRUE(Eval("s LIKE '%2024'", f));
  EXPECT_TRUE(Eval("s LIKE '%Nội%'", f));
  EXPECT_TRUE(Eval("s LIKE 'H_ N_i 2024'", f));  // _ is one character, not one byte
  EXPECT_FALSE(Eval("s LIKE 'H__ N_i 2024'", f));
  EXPECT_TRUE(Eval("s LIKE '%'", f));
  EXPECT_TRUE(Eval("s LIKE 'H%N%2%4'", f));
  EXPECT_FALSE(Eval("s LIKE 'H%2%N'", f));  // the parts must come in order
  EXPECT_FALSE(Eval("s LIKE 'Hà'", f));     // no wildcard: the whole value
  EXPECT_FALSE(Eval("s LIKE 'hà%'", f));    // case-sensitive without CASEI
  EXPECT_TRUE(Eval("e LIKE '%'", f));
  EXPECT_FALSE(Eval("e LIKE '_'", f));
  EXPECT_TRUE(Eval("s LIKE '%%%4'", f));
  EXPECT_TRUE(Eval("s NOT LIKE 'x%'", f));
  EXPECT_FALSE(Eval("s NOT LIKE 'H%'", f));
  EXPECT_TRUE(Eval("'abc' LIKE 'a_c'", f));  // a literal subject
}

TEST(Cql2Test, LikeEscapes) {
  TestFeature f("e", R"({"pct": "50%", "num": "500", "us": "a_b", "ax": "axb",
                         "bs": "C:\\dir", "q": "it's"})");
  EXPECT_TRUE(Eval(R"(pct LIKE '50\%')", f));
  EXPECT_FALSE(Eval(R"(num LIKE '50\%')", f));
  EXPECT_TRUE(Eval(R"(num LIKE '50%')", f));
  EXPECT_TRUE(Eval(R"(us LIKE 'a\_b')", f));
  EXPECT_FALSE(Eval(R"(ax LIKE 'a\_b')", f));
  EXPECT_TRUE(Eval(R"(ax LIKE 'a_b')", f));
  EXPECT_TRUE(Eval(R"(bs LIKE 'C:\\dir')", f));
  EXPECT_TRUE(Eval(R"(bs LIKE '%\\%')", f));
  EXPECT_FALSE(Eval(R"(ax LIKE '%\\%')", f));
  EXPECT_TRUE(Eval(R"(q LIKE 'it''s')", f));  // '' is a quote
  EXPECT_TRUE(Eval(R"(q LIKE 'it\'s')", f));  // so is \'
  EXPECT_TRUE(Eval(R"(q = 'it''s')", f));
  EXPECT_TRUE(Matches(JsonExpr(R"({"op": "like", "args": [{"property": "pct"}, "50\\%"]})"), f));
  EXPECT_FALSE(Matches(JsonExpr(R"({"op": "like", "args": [{"property": "num"}, "50\\%"]})"), f));
  EXPECT_NE(TextError(R"(pct LIKE 'abc\')"), "");  // \' escapes the closing quote
  EXPECT_NE(TextError(R"(pct LIKE 'ab' AND num LIKE 'x\\\')").find("unterminated string"),
            std::string::npos);
  EXPECT_NE(JsonError(R"({"op": "like", "args": [{"property": "pct"}, "50\\"]})")
                .find("lone escape character"),
            std::string::npos);
}

TEST(Cql2Test, LikeOnAValueBeyondTheSubjectLimitIsUnknown) {
  Cql2Limits limits;
  limits.max_like_subject = 8;
  TestFeature f("l", R"({"short": "abcdefgh", "long": "abcdefghi"})");
  EXPECT_TRUE(Matches(Text("short LIKE 'a%'", limits), f));
  EXPECT_FALSE(Matches(Text("long LIKE 'a%'", limits), f));
  EXPECT_FALSE(Matches(Text("long NOT LIKE 'a%'", limits), f));
}

// ---------------------------------------------------------------------------------------
// CASEI / ACCENTI, with Vietnamese

TEST(Cql2Test, AccentAndCaseInsensitiveComparisonOfVietnameseNames) {
  TestFeature f("vn", R"({"name": "Quảng Ninh", "city": "Đà Nẵng", "ward": "Phường Hàng Bạc"})");
  EXPECT_FALSE(Eval("name = 'Quang Ninh'", f));
  EXPECT_TRUE(Eval("ACCENTI(name) = ACCENTI('Quang Ninh')", f));
  EXPECT_TRUE(Eval("ACCENTI(name) = 'Quang Ninh'", f));   // one ACCENTI folds both sides
  EXPECT_FALSE(Eval("ACCENTI(name) = 'quang ninh'", f));  // case still counts
  EXPECT_TRUE(Eval("CASEI(ACCENTI(name)) = 'quang ninh'", f));
  EXPECT_TRUE(Eval("ACCENTI(CASEI(name)) = CASEI(ACCENTI('QUANG NINH'))", f));
  EXPECT_TRUE(Eval("CASEI(name) = 'QUẢNG NINH'", f));
  EXPECT_FALSE(Eval("CASEI(name) = 'QUANG NINH'", f));  // accents still count
  EXPECT_TRUE(Eval("ACCENTI(city) = 'Da Nang'", f));    // đ folds to d
  EXPECT_TRUE(Eval("CASEI(ACCENTI(city)) = 'da nang'", f));
  EXPECT_TRUE(Eval("ACCENTI(city) LIKE 'Da N%'", f));
  EXPECT_TRUE(Eval("city LIKE ACCENTI('Da N%')", f));
  EXPECT_TRUE(Eval("CASEI(ACCENTI(ward)) LIKE '%hang bac'", f));
  EXPECT_FALSE(Eval("ward LIKE '%hang bac'", f));
  EXPECT_TRUE(Eval("ACCENTI(name) IN ('Ha Noi', 'Quang Ninh')", f));
  EXPECT_TRUE(Eval("CASEI(name) > 'quảng a'", f));
  EXPECT_TRUE(Matches(JsonExpr(R"({"op": "=", "args": [
      {"op": "casei", "args": [{"op": "accenti", "args": [{"property": "name"}]}]},
      "quang ninh"]})"),
                      f));
  EXPECT_TRUE(Matches(JsonExpr(R"({"op": "like", "args": [{"property": "city"},
      {"op": "casei", "args": [{"op": "accenti", "args": ["da %"]}]}]})"),
                      f));
}

TEST(Cql2Test, CaseiUsesFullCaseFolding) {
  TestFeature f("de", R"({"road": "STRASSE", "greek": "ΟΔΟΣ"})");
  EXPECT_TRUE(Eval("CASEI(road) = CASEI('Straße')", f));
  EXPECT_TRUE(Eval("CASEI(greek) = CASEI('οδος')", f));
  EXPECT_FALSE(Eval("road = 'Straße'", f));
}

// ---------------------------------------------------------------------------------------
// Spatial

const std::string_view kBox = "POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))";

std::vector<TestFeature> SpatialFeatures() {
  return {
      TestFeature("inside", "{}", R"({"type": "Point", "coordinates": [5, 5]})"),
      TestFeature("edge", "{}", R"({"type": "Point", "coordinates": [0, 5]})"),
      TestFeature("outside", "{}", R"({"type": "Point", "coordinates": [20, 20]})"),
      TestFeature("overlap", "{}", R"({"type": "Polygon", "coordinates":
          [[[5, 5], [15, 5], [15, 15], [5, 15], [5, 5]]]})"),
      TestFeature("touch", "{}", R"({"type": "Polygon", "coordinates":
          [[[10, 0], [20, 0], [20, 10], [10, 10], [10, 0]]]})"),
      TestFeature("cross", "{}", R"({"type": "LineString", "coordinates": [[-5, 5], [5, 5]]})"),
      TestFeature("equal", "{}", R"({"type": "Polygon", "coordinates":
          [[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]]})"),
      TestFeature("none", "{}"),
  };
}

Ids Spatial(std::string_view op, bool literal_first = false) {
  const std::string text = literal_first
                               ? std::string(op) + "(" + std::string(kBox) + ", geometry)"
                               : std::string(op) + "(geometry, " + std::string(kBox) + ")";
  return MatchingIds(Text(text), SpatialFeatures());
}

TEST(Cql2Test, SpatialFunctionsAgainstHandComputedRelations) {
  EXPECT_EQ(Spatial("S_INTERSECTS"), (Ids{"inside", "edge", "overlap", "touch", "cross", "equal"}));
  EXPECT_EQ(Spatial("S_DISJOINT"), Ids{"outside"});
  EXPECT_EQ(Spatial("S_WITHIN"), (Ids{"inside", "equal"}));  // a boundary point is not within
  EXPECT_EQ(Spatial("S_CONTAINS"), Ids{"equal"});            // the feature contains the box
  EXPECT_EQ(Spatial("S_EQUALS"), Ids{"equal"});              // same shape, other vertex order
  EXPECT_EQ(Spatial("S_TOUCHES"), (Ids{"edge", "touch"}));
  EXPECT_EQ(Spatial("S_CROSSES"), Ids{"cross"});
  EXPECT_EQ(Spatial("S_OVERLAPS"), Ids{"overlap"});
  // The literal first: S_CONTAINS(box, geometry) is "the box contains the feature".
  EXPECT_EQ(Spatial("S_CONTAINS", true), (Ids{"inside", "equal"}));
  EXPECT_EQ(Spatial("S_WITHIN", true), Ids{"equal"});
  EXPECT_EQ(Spatial("S_TOUCHES", true), (Ids{"edge", "touch"}));
  // A missing geometry is unknown, so even NOT S_DISJOINT does not match it.
  EXPECT_EQ(
      MatchingIds(Text("NOT S_DISJOINT(geometry, " + std::string(kBox) + ")"), SpatialFeatures()),
      (Ids{"inside", "edge", "overlap", "touch", "cross", "equal"}));
  EXPECT_EQ(MatchingIds(Text("geometry IS NULL"), SpatialFeatures()), Ids{"none"});
}

TEST(Cql2Test, SpatialLiteralsInWktAndGeoJson) {
  const std::vector<TestFeature> features = SpatialFeatures();
  auto both = [&](std::string_view text, std::string_view json) {
    const Expression t = Text(text);
    const Expression j = JsonExpr(json);
    EXPECT_EQ(t.DebugString(), j.DebugString());
    const Ids ids = MatchingIds(t, features);
    EXPECT_EQ(MatchingIds(j, features), ids);
    return ids;
  };
  EXPECT_EQ(both("S_INTERSECTS(geometry, POINT(5 5))",
                 R"({"op": "s_intersects", "args": [{"property": "geometry"},
                     {"type": "Point", "coordinates": [5, 5]}]})"),
            (Ids{"inside", "overlap", "cross", "equal"}));  // (5 5) ends the line
  EXPECT_EQ(both("S_INTERSECTS(geometry, LINESTRING(-1 -1, 1 1))",
                 R"({"op": "s_intersects", "args": [{"property": "geometry"},
                     {"type": "LineString", "coordinates": [[-1, -1], [1, 1]]}]})"),
            Ids{"equal"});
  EXPECT_EQ(both("S_INTERSECTS(geometry, MULTIPOINT((20 20), (0 5)))",
                 R"({"op": "s_intersects", "args": [{"property": "geometry"},
                     {"type": "MultiPoint", "coordinates": [[20, 20], [0, 5]]}]})"),
            (Ids{"edge", "outside", "cross", "equal"}));
  EXPECT_EQ(MatchingIds(Text("S_INTERSECTS(geometry, MULTIPOINT(20 20, 0 5))"), features),
            (Ids{"edge", "outside", "cross", "equal"}));
  EXPECT_EQ(both("S_INTERSECTS(geometry, MULTILINESTRING((19 19, 21 21), (-5 -5, -4 -4)))",
                 R"({"op": "s_intersects", "args": [{"property": "geometry"},
                     {"type": "MultiLineString", "coordinates":
                       [[[19, 19], [21, 21]], [[-5, -5], [-4, -4]]]}]})"),
            Ids{"outside"});
  EXPECT_EQ(both("S_WITHIN(geometry, MULTIPOLYGON(((4 4, 6 4, 6 6, 4 6, 4 4)), "
                 "((19 19, 21 19, 21 21, 19 21, 19 19))))",
                 R"({"op": "s_within", "args": [{"property": "geometry"},
                     {"type": "MultiPolygon", "coordinates": [
                       [[[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]],
                       [[[19, 19], [21, 19], [21, 21], [19, 21], [19, 19]]]]}]})"),
            (Ids{"inside", "outside"}));
  EXPECT_EQ(both("S_WITHIN(geometry, POLYGON Z((-1 -1 0, 11 -1 0, 11 11 5, -1 11 5, -1 -1 0)))",
                 R"({"op": "s_within", "args": [{"property": "geometry"},
                     {"type": "Polygon", "coordinates":
                       [[[-1, -1, 0], [11, -1, 0], [11, 11, 5], [-1, 11, 5], [-1, -1, 0]]]}]})"),
            (Ids{"inside", "edge", "equal"}));  // the line starts at x = -5
  EXPECT_EQ(both("S_WITHIN(geometry, BBOX(-1, -1, 0, 11, 11, 100))",
                 R"({"op": "s_within", "args": [{"property": "geometry"},
                     {"bbox": [-1, -1, 0, 11, 11, 100]}]})"),
            (Ids{"inside", "edge", "equal"}));
}

TEST(Cql2Test, BBoxAcrossTheAntimeridianIsSplit) {
  const std::vector<TestFeature> features = {
      TestFeature("fiji", "{}", R"({"type": "Point", "coordinates": [178.4, -18.1]})"),
      TestFeature("samoa", "{}", R"({"type": "Point", "coordinates": [-172.1, -13.8]})"),
      TestFeature("hanoi", "{}", R"({"type": "Point", "coordinates": [105.85, 21.03]})"),
  };
  EXPECT_EQ(MatchingIds(Text("S_INTERSECTS(geometry, BBOX(170, -30, -170, 0))"), features),
            (Ids{"fiji", "samoa"}));
  EXPECT_EQ(MatchingIds(Text("S_INTERSECTS(geometry, BBOX(100, 20, 110, 30))"), features),
            Ids{"hanoi"});
}

// filter-crs: literals in another CRS reach the evaluator in lon/lat. The "CRS" here is
// latitude-first degrees, so each position just swaps; a box becomes its sampled boundary.
TEST(Cql2Test, LiteralsInAnotherCrsAreConvertedToLonLat) {
  const std::vector<TestFeature> features = {
      TestFeature("hoan-kiem", "{}", R"({"type": "Point", "coordinates": [105.85, 21.03]})"),
      TestFeature("ha-long", "{}", R"({"type": "Point", "coordinates": [107.08, 20.95]})"),
  };
  int calls = 0;
  const PositionConverter lat_first = [&](double& x, double& y) {
    ++calls;
    std::swap(x, y);
    return Status::OK();
  };
  auto text = [&](std::string_view t) {
    Result<Expression> e = ParseCql2Text(t, Cql2Limits{}, lat_first);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? MatchingIds(*e, features) : Ids{"error"};
  };
  EXPECT_EQ(text("S_INTERSECTS(geometry, POINT(21.03 105.85))"), Ids{"hoan-kiem"});
  EXPECT_EQ(text("S_WITHIN(geometry, POLYGON((20.9 107, 20.9 107.2, 21 107.2, 21 107, 20.9 107)))"),
            Ids{"ha-long"});
  calls = 0;
  EXPECT_EQ(text("S_INTERSECTS(geometry, BBOX(21.0, 105.8, 21.1, 105.9))"), Ids{"hoan-kiem"});
  EXPECT_EQ(calls, 4 * 16 + 1);  // every sample of the boundary, and the closing position
  EXPECT_EQ(text("S_INTERSECTS(geometry, BBOX(20.0, 105.0, 22.0, 108.0))"),
            (Ids{"hoan-kiem", "ha-long"}));

  Result<Expression> json = ParseCql2Json(
      ParseJsonText(R"({"op": "s_intersects", "args": [{"property": "geometry"},
                        {"bbox": [20.9, 107.0, 21.0, 107.2]}]})"),
      Cql2Limits{}, lat_first);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(MatchingIds(*json, features), Ids{"ha-long"});

  // Without a converter the same numbers are lon/lat: latitude 105.85 is out of range.
  EXPECT_NE(TextError("S_INTERSECTS(geometry, POINT(21.03 105.85))").find("invalid geometry"),
            std::string::npos);
  // A box given maximum first cannot cross the antimeridian in another CRS.
  Result<Expression> reversed =
      ParseCql2Text("S_INTERSECTS(geometry, BBOX(21.1, 105.8, 21.0, 105.9))", {}, lat_first);
  ASSERT_FALSE(reversed.ok());
  EXPECT_NE(reversed.status().message().find("minimum above maximum"), std::string::npos);
  // A position the converter refuses fails the parse, naming where.
  const PositionConverter refuse = [](double&, double&) {
    return Status::BadRequestData("outside");
  };
  Result<Expression> outside = ParseCql2Text("S_INTERSECTS(geometry, POINT(1 2))", {}, refuse);
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().code(), ErrorCode::kBadRequestData);
  EXPECT_NE(outside.status().message().find("outside the domain of the filter CRS"),
            std::string::npos)
      << outside.status().message();
}

TEST(Cql2Test, GeometryPropertyNamesComeFromTheView) {
  const std::vector<TestFeature> features = SpatialFeatures();
  EXPECT_EQ(MatchingIds(Text("S_INTERSECTS(location, POINT(20 20))"), features), Ids{"outside"});
  EXPECT_EQ(MatchingIds(Text("S_INTERSECTS(\"geometry\", POINT(20 20))"), features),
            Ids{"outside"});
  EXPECT_EQ(MatchingIds(Text("S_INTERSECTS(footprint, POINT(20 20))"), features), Ids{});
  EXPECT_EQ(MatchingIds(Text("NOT S_INTERSECTS(footprint, POINT(20 20))"), features), Ids{});
}

TEST(Cql2Test, LargeLiteralIsPreparedOnceAndSharedByCopies) {
  // A 2,000-vertex star evaluated against a grid of 2,000 points.
  std::string ring;
  constexpr int kVertices = 2000;
  for (int i = 0; i < kVertices; ++i) {
    const double a = 2 * 3.14159265358979 * i / kVertices;
    const double r = i % 2 == 0 ? 1.0 : 0.9;
    ring += std::to_string(105.85 + r * std::cos(a)) + " " +
            std::to_string(21.0 + r * std::sin(a)) + ", ";
  }
  ring += std::to_string(105.85 + 1.0) + " " + std::to_string(21.0);
  const Expression e = Text("S_WITHIN(geometry, POLYGON((" + ring + ")))");
  int inside = 0;
  for (int i = 0; i < 2000; ++i) {
    const double x = 104.5 + 2.7 * (i % 50) / 50.0;
    const double y = 19.7 + 2.6 * (i / 50) / 40.0;
    const TestFeature f("p", "{}",
                        R"({"type": "Point", "coordinates": [)" + std::to_string(x) + ", " +
                            std::to_string(y) + "]}");
    inside += Matches(e, f) ? 1 : 0;
  }
  EXPECT_GT(inside, 500);  // about pi * 0.95^2 / (2.7 * 2.6) of the grid
  EXPECT_LT(inside, 1100);
  const Expression copy = e;
  const Operand& literal = e.nodes()[e.root()].operands[1];
  ASSERT_EQ(literal.kind, Operand::Kind::kGeometry);
  EXPECT_EQ(copy.nodes()[copy.root()].operands[1].geometry.get(), literal.geometry.get());
  EXPECT_EQ(literal.geometry->geometry().num_vertices(), kVertices + 1u);
}

// ---------------------------------------------------------------------------------------
// Helpers for callers

TEST(Cql2Test, PropertyNamesListsEachNameOnce) {
  EXPECT_EQ(PropertyNames(Text("a = 1 AND (b LIKE 'x' OR a > 2) AND S_WITHIN(geometry, "
                               "BBOX(0,0,1,1)) AND CASEI(\"c d\") IN ('x', e)")),
            (std::vector<std::string>{"a", "b", "geometry", "c d", "e"}));
  EXPECT_EQ(PropertyNames(Text("TRUE")), std::vector<std::string>{});
}

TEST(Cql2Test, SpatialSearchBoxOfAndChains) {
  auto is_geometry = [](std::string_view name) { return name == "geometry"; };
  std::optional<geo::BBox> box =
      SpatialSearchBox(Text("S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))"), is_geometry);
  ASSERT_TRUE(box.has_value());
  EXPECT_EQ(*box, (geo::BBox{1, 2, 3, 4}));
  box = SpatialSearchBox(Text("floors > 5 AND (S_WITHIN(geometry, BBOX(0, 0, 10, 10)) AND "
                              "S_INTERSECTS(POLYGON((5 5, 20 5, 20 20, 5 5)), geometry))"),
                         is_geometry);
  ASSERT_TRUE(box.has_value());
  EXPECT_EQ(*box, (geo::BBox{5, 5, 10, 10}));
  box = SpatialSearchBox(Text("S_WITHIN(geometry, BBOX(0, 0, 1, 1)) AND "
                              "S_WITHIN(geometry, BBOX(5, 5, 6, 6))"),
                         is_geometry);
  ASSERT_TRUE(box.has_value());
  EXPECT_TRUE(box->empty());  // nothing can match
  EXPECT_FALSE(
      SpatialSearchBox(Text("S_WITHIN(geometry, BBOX(0, 0, 1, 1)) OR floors > 5"), is_geometry));
  EXPECT_FALSE(SpatialSearchBox(Text("S_DISJOINT(geometry, BBOX(0, 0, 1, 1))"), is_geometry));
  EXPECT_FALSE(SpatialSearchBox(Text("NOT S_WITHIN(geometry, BBOX(0, 0, 1, 1))"), is_geometry));
  EXPECT_FALSE(SpatialSearchBox(Text("S_WITHIN(footprint, BBOX(0, 0, 1, 1))"), is_geometry));
  EXPECT_FALSE(SpatialSearchBox(Text("floors > 5"), is_geometry));
}

// ---------------------------------------------------------------------------------------
// Bad input

TEST(Cql2Test, SyntaxErrorsNameThePosition) {
  EXPECT_EQ(TextError("name = 'abc"),
            "invalid cql2-text: unterminated string at position 7: ''abc'");
  EXPECT_EQ(TextError("floors > 5 AND foo(floors) = 1"),
            "invalid cql2-text: unknown function 'foo' at position 15: 'foo(floors) = 1'");
  EXPECT_EQ(TextError("S_INTERSECTS(geometry)"),
            "invalid cql2-text: expected ',' at position 21: ')'");
  EXPECT_EQ(TextError("S_INTERSECTS(geometry, POINT(1 2), POINT(3 4))"),
            "invalid cql2-text: expected ')' at position 33: ', POINT(3 4))'");
  EXPECT_EQ(TextError("CASEI('a', 'b') = x"),
            "invalid cql2-text: expected ')' at position 9: ', 'b') = x'");
  EXPECT_EQ(TextError("floors >"),
            "invalid cql2-text: expected a value or a property name at position 8 (end of text)");
  EXPECT_EQ(TextError("floors 5"),
            "invalid cql2-text: expected a comparison operator, LIKE, BETWEEN, IN or IS at "
            "position 7: '5'");
  EXPECT_EQ(TextError("(floors > 5"),
            "invalid cql2-text: unbalanced '(' at position 0: '(floors > 5'");
  EXPECT_EQ(TextError("floors > 5)"), "invalid cql2-text: unbalanced ')' at position 10: ')'");
  EXPECT_EQ(TextError("floors != 5"),
            "invalid cql2-text: unknown operator '!=' (CQL2 writes <>) at position 7: '!= 5'");
  EXPECT_EQ(TextError(""), "invalid cql2-text: empty filter");
  EXPECT_EQ(TextError("a = 1 AND"),
            "invalid cql2-text: expected a predicate at position 9 (end of text)");
  EXPECT_EQ(TextError("and = 1"),
            "invalid cql2-text: expected a value or a property name, found keyword AND at "
            "position 0: 'and = 1'");
  EXPECT_EQ(TextError("t = TIMESTAMP('2024-13-01T00:00:00Z')"),
            "invalid cql2-text: invalid timestamp (expected YYYY-MM-DDThh:mm:ssZ) at position 14: "
            "''2024-13-01T00:00:00Z')'");
  EXPECT_EQ(TextError("t = DATE('2024-01-01T00:00:00Z')"),
            "invalid cql2-text: invalid date (expected YYYY-MM-DD) at position 9: "
            "''2024-01-01T00:00:00Z')'");
  EXPECT_EQ(TextError("n = 12abc"), "invalid cql2-text: invalid number at position 4: '12abc'");
  EXPECT_EQ(TextError("n = 1e999"),
            "invalid cql2-text: number out of range at position 4: '1e999'");
  EXPECT_EQ(TextError("n LIKE 5"),
            "invalid cql2-text: a LIKE pattern is a string literal at position 7: '5'");
  EXPECT_EQ(
      TextError("5 LIKE 'x'"),
      "invalid cql2-text: LIKE applies to a string or a property at position 0: '5 LIKE 'x''");
  EXPECT_EQ(TextError("n = POINT(1 2)"),
            "invalid cql2-text: a geometry literal belongs in a spatial function or IS NULL at "
            "position 4: 'POINT(1 2)'");
  EXPECT_EQ(TextError("S_WITHIN(geometry, 'x')"),
            "invalid cql2-text: expected a geometry literal or a property name at position 19: "
            "''x')'");
}

TEST(Cql2Test, UnsupportedPartsAreRefusedByName) {
  EXPECT_NE(TextError("T_BEFORE(built, DATE('2015-01-01'))").find("temporal functions"),
            std::string::npos);
  EXPECT_NE(TextError("A_CONTAINS(tags, ('a'))").find("array functions"), std::string::npos);
  EXPECT_NE(TextError("S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 2)))")
                .find("GEOMETRYCOLLECTION is not supported"),
            std::string::npos);
  EXPECT_NE(TextError("S_INTERSECTS(geometry, POINT EMPTY)").find("EMPTY"), std::string::npos);
  EXPECT_NE(
      JsonError(R"({"op": "t_after", "args": [{"property": "built"}, {"date": "2015-01-01"}]})")
          .find("temporal functions are not supported at /op"),
      std::string::npos);
  EXPECT_NE(JsonError(R"({"op": ">", "args": [{"op": "+", "args": [1, 2]}, 2]})")
                .find("arithmetic is not supported at /args/0/op"),
            std::string::npos);
}

TEST(Cql2Test, GeometryErrorsNameTheLiteral) {
  EXPECT_EQ(TextError("S_WITHIN(geometry, POLYGON((0 0, 1 0, 1 1, 0 2)))"),
            "invalid cql2-text: invalid geometry: polygon ring is not closed: first and last "
            "positions differ at position 19: 'POLYGON((0 0, 1 0, 1 1, 0 2)))'");
  EXPECT_NE(TextError("S_WITHIN(geometry, POINT(200 0))").find("longitude out of range"),
            std::string::npos);
  EXPECT_NE(TextError("S_WITHIN(geometry, BBOX(0, 1, 1))").find("a bbox has 4 or 6 numbers"),
            std::string::npos);
  EXPECT_NE(TextError("S_WITHIN(geometry, BBOX(0, 5, 1, 1))").find("south edge above"),
            std::string::npos);
  EXPECT_NE(TextError("S_WITHIN(geometry, POINT(1))").find("expected a coordinate"),
            std::string::npos);
}

TEST(Cql2Test, LimitsGiveErrorsNotCrashes) {
  Cql2Limits limits;
  limits.max_depth = 8;
  EXPECT_NE(TextError(std::string(9, '(') + "a = 1" + std::string(9, ')'), limits)
                .find("nested too deeply at position 8"),
            std::string::npos);
  EXPECT_TRUE(ParseCql2Text(std::string(7, '(') + "a = 1" + std::string(7, ')'), limits).ok());
  std::string nots;
  for (int i = 0; i < 9; ++i) nots += "NOT ";
  EXPECT_NE(TextError(nots + "a = 1", limits).find("nested too deeply at position 32"),
            std::string::npos);
  EXPECT_NE(
      TextError("CASEI(CASEI(CASEI(CASEI(CASEI(CASEI(CASEI(CASEI(CASEI(a))))))))) = 'x'", limits)
          .find("nested too deeply"),
      std::string::npos);
  // The default depth stops a deep recursion long before the stack would.
  std::string deep(100000, '(');
  EXPECT_NE(TextError(deep).find("nested too deeply at position 32"), std::string::npos);

  // Huge WKT: the reader stops at the vertex limit.
  std::string wkt = "S_INTERSECTS(geometry, LINESTRING(";
  for (int i = 0; i < 20000; ++i) wkt += (i > 0 ? ", " : "") + std::to_string(i % 90) + " 1";
  wkt += "))";
  const std::string huge = TextError(wkt);
  EXPECT_NE(huge.find("geometry literals have more than 10000 positions at position"),
            std::string::npos)
      << huge;
  limits = {};
  limits.max_vertices = 10;  // across all literals: 6 + 6 is over
  EXPECT_NE(TextError("S_INTERSECTS(geometry, LINESTRING(0 0, 1 1, 2 2, 3 3, 4 4, 5 5)) OR "
                      "S_WITHIN(geometry, LINESTRING(0 0, 1 1, 2 2, 3 3, 4 4, 5 5))",
                      limits)
                .find("more than 10 positions"),
            std::string::npos);

  limits = {};
  limits.max_text_length = 16;
  EXPECT_EQ(TextError("floors > 5 AND name = 'x'", limits),
            "invalid cql2-text: longer than 16 bytes");
  limits = {};
  limits.max_list_items = 3;
  EXPECT_NE(
      TextError("a IN (1, 2, 3, 4)", limits).find("IN list longer than 3 items at position 15"),
      std::string::npos);
  EXPECT_NE(JsonError(R"({"op": "in", "args": [{"property": "a"}, [1, 2, 3, 4]]})", limits)
                .find("IN list longer than 3 items at /args/1"),
            std::string::npos);
  limits = {};
  limits.max_nodes = 3;
  EXPECT_NE(TextError("a = 1 OR a = 2 OR a = 3", limits).find("more than 3 operators"),
            std::string::npos);
  limits = {};
  limits.max_pattern_length = 4;
  EXPECT_NE(TextError("a LIKE 'abcde'", limits).find("LIKE pattern longer than 4 bytes"),
            std::string::npos);
}

TEST(Cql2Test, JsonErrorsNameTheMember) {
  EXPECT_EQ(JsonError(R"({"op": "and", "args": [{"op": "=", "args": [{"property": "a"}, 1]},
                                                 {"op": "foo", "args": []}]})"),
            "invalid cql2-json: unknown function 'foo' at /args/1/op");
  EXPECT_EQ(JsonError(R"({"op": "=", "args": [{"property": "a"}]})"),
            "invalid cql2-json: \"=\" takes 2 arguments, got 1 at /args");
  EXPECT_EQ(JsonError(R"({"op": "and", "args": [true]})"),
            "invalid cql2-json: \"and\" takes at least 2 arguments, got 1 at /args");
  EXPECT_EQ(JsonError(R"({"op": "not", "args": [{"property": "a"}]})"),
            "invalid cql2-json: expected a boolean expression (an object with \"op\" and "
            "\"args\", or a boolean) at /args/0");
  EXPECT_EQ(JsonError(R"({"property": "a"})"),
            "invalid cql2-json: expected a boolean expression (an object with \"op\" and "
            "\"args\", or a boolean) at the top level");
  EXPECT_EQ(JsonError(R"({"op": "=", "args": [{"property": ""}, 1]})"),
            "invalid cql2-json: \"property\" must be a non-empty string at /args/0/property");
  EXPECT_EQ(JsonError(R"({"op": "=", "args": [{"property": "a"}, {"timestamp": "yesterday"}]})"),
            "invalid cql2-json: invalid timestamp (expected YYYY-MM-DDThh:mm:ssZ) at "
            "/args/1/timestamp");
  EXPECT_EQ(JsonError(R"({"op": "s_within", "args": [{"property": "geometry"},
                          {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}]})"),
            "invalid cql2-json: invalid geometry: polygon ring needs at least 4 positions: 3 "
            "given at /args/1");
  EXPECT_EQ(JsonError(R"({"op": "s_within", "args": [{"property": "geometry"},
                          {"type": "GeometryCollection", "geometries": []}]})"),
            "invalid cql2-json: GeometryCollection is not supported at /args/1/type");
  EXPECT_EQ(JsonError(R"({"op": "s_within", "args": [{"property": "geometry"}, "x"]})"),
            "invalid cql2-json: expected a geometry or a property at /args/1");
  EXPECT_EQ(JsonError(R"({"op": "=", "args": [{"property": "a"}, null]})"),
            "invalid cql2-json: null is not a value (use isNull) at /args/1");
  EXPECT_EQ(JsonError(R"({"op": "like", "args": [{"property": "a"}, {"property": "b"}]})"),
            "invalid cql2-json: a LIKE pattern is a string at /args/1");
  Cql2Limits limits;
  limits.max_depth = 4;
  EXPECT_NE(JsonError(R"({"op": "not", "args": [{"op": "not", "args": [{"op": "not", "args": [
                           {"op": "not", "args": [{"op": "not", "args": [true]}]}]}]}]})",
                      limits)
                .find("nested too deeply at /args/0/args/0/args/0/args/0/args/0"),
            std::string::npos);
}

TEST(Cql2Test, DraftJsonFormsAreAccepted) {
  const TestFeature f = Typed();
  EXPECT_TRUE(Matches(JsonExpr(R"({"op": "isNull", "args": {"property": "missing"}})"), f));
  EXPECT_TRUE(
      Matches(JsonExpr(R"({"op": "=", "args": [{"casei": {"property": "s"}}, "MANGO"]})"), f));
}

TEST(Cql2Test, InvalidUtf8IsHandled) {
  const std::string text = "name = '\xff\xfe' OR CASEI(name) LIKE '%\xc3'";
  TestFeature f("u", R"({"name": "x"})");
  const Expression e = Text(text);
  EXPECT_FALSE(Matches(e, f));
  EXPECT_EQ(TextError("name = '\xff"),
            "invalid cql2-text: unterminated string at position 7: ''?'");
}

}  // namespace
}  // namespace dothi::domain::cql2
