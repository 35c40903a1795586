#include "api/ngsi_ld/entity_codec.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "api/common/json_parse.h"
#include "api/ngsi_ld/ld_context.h"

namespace dothi {
// Failure messages show JSON text instead of bytes (only this file compares Json values).
void PrintTo(const Json& j, std::ostream* os) { *os << j.Dump(); }
}  // namespace dothi

namespace dothi::api::ngsi_ld {
namespace {

namespace attr = domain::attr;
using domain::Entity;

Json J(std::string_view text) {
  Result<Json> j = ParseJson(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString() << " in " << text;
  return j.ok() ? *j : Json();
}

std::string Default(std::string_view term) { return std::string(kDefaultVocab) + std::string(term); }

const LdContext& Core() { return *LdContext::Core(); }

// A user context with a type, an attribute, a vocab-typed attribute and a vocab value.
std::shared_ptr<const LdContext> VehicleContext() {
  Result<std::shared_ptr<const LdContext>> ctx = LdContext::Create(
      J(R"({"Vehicle": "https://example.org/Vehicle",
            "speed": "https://schema.org/speed",
            "category": {"@id": "https://example.org/category", "@type": "@vocab"},
            "commercial": "https://example.org/commercial",
            "location": "https://example.org/notTheCoreLocation"})"),
      {});
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  return ctx.ok() ? *ctx : LdContext::Core();
}

Result<Entity> Decode(std::string_view text, DecodeMode mode = DecodeMode::kCreate,
                      const DecodeLimits& limits = {}) {
  return DecodeEntity(J(text), Core(), mode, limits);
}

// The single (default) instance of attribute iri, or an empty object.
Json Instance(const Entity& e, std::string_view iri) {
  const Json* inst = e.FindInstance(iri);
  EXPECT_NE(inst, nullptr) << "no instance of " << iri;
  return inst ? *inst : Json::MakeObject();
}

void ExpectBadRequest(const Result<Entity>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kBadRequestData) << r.status().ToString();
}

// --- Decoding each attribute kind (normalized) ---

TEST(EntityCodecDecodeTest, PropertyKeepsValueUnitCodeAndObservedAt) {
  Result<Entity> e = Decode(R"({"id": "urn:ngsi-ld:Sensor:1", "type": "Sensor",
      "temperature": {"type": "Property", "value": 21.5, "unitCode": "CEL",
                      "observedAt": "2026-01-02T03:04:05.000Z"}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->id, "urn:ngsi-ld:Sensor:1");
  ASSERT_EQ(e->types.size(), 1u);
  EXPECT_EQ(e->types[0], Default("Sensor"));
  EXPECT_EQ(Instance(*e, Default("temperature")),
            J(R"({"type": "Property", "value": 21.5, "unitCode": "CEL",
                  "observedAt": "2026-01-02T03:04:05.000Z"})"));
}

TEST(EntityCodecDecodeTest, RelationshipKeepsObjectUri) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T",
      "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Person:Bob"}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("owner")),
            J(R"({"type": "Relationship", "object": "urn:ngsi-ld:Person:Bob"})"));
}

TEST(EntityCodecDecodeTest, RelationshipWithNonUriObjectIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "owner": {"type": "Relationship", "object": "Bob"}})"));
}

TEST(EntityCodecDecodeTest, GeoPropertyKeepsGeometry) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T",
      "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [105.85, 21.03]}}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, domain::kLocationIri),
            J(R"({"type": "GeoProperty", "value": {"type": "Point", "coordinates": [105.85, 21.03]}})"));
}

TEST(EntityCodecDecodeTest, LanguagePropertyKeepsLanguageMap) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T",
      "street": {"type": "LanguageProperty", "languageMap": {"vi": "Phố Huế", "en": "Hue Street"}}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("street")),
            J(R"({"type": "LanguageProperty", "languageMap": {"vi": "Phố Huế", "en": "Hue Street"}})"));
}

TEST(EntityCodecDecodeTest, LanguageMapWithNonStringValueIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "street": {"type": "LanguageProperty", "languageMap": {"vi": 5}}})"));
}

TEST(EntityCodecDecodeTest, ListPropertyKeepsValueList) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T",
      "depths": {"type": "ListProperty", "valueList": [300, 120, 6]}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("depths")),
            J(R"({"type": "ListProperty", "valueList": [300, 120, 6]})"));
}

TEST(EntityCodecDecodeTest, ListPropertyWithNonArrayIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "depths": {"type": "ListProperty", "valueList": 300}})"));
}

TEST(EntityCodecDecodeTest, JsonPropertyKeepsJsonUnexpanded) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T",
      "config": {"type": "JsonProperty", "json": {"location": 1, "speed": [1, 2]}}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("config")),
            J(R"({"type": "JsonProperty", "json": {"location": 1, "speed": [1, 2]}})"));
}

TEST(EntityCodecDecodeTest, VocabPropertyValueIsExpanded) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T",
      "category": {"type": "VocabProperty", "vocab": "commercial"}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("category")),
            Json::MakeObject({{"type", "VocabProperty"}, {"vocab", Default("commercial")}}));
}

TEST(EntityCodecDecodeTest, VocabPropertyArrayValuesAreExpandedWithUserContext) {
  auto ctx = VehicleContext();
  Result<Entity> e = DecodeEntity(J(R"({"id": "urn:a", "type": "Vehicle",
      "category": {"type": "VocabProperty", "vocab": ["commercial", "private"]}})"),
                                  *ctx, DecodeMode::kCreate, {});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Json expected_vocab = Json::MakeArray();
  expected_vocab.Push("https://example.org/commercial");
  expected_vocab.Push(Default("private"));
  EXPECT_EQ(Instance(*e, "https://example.org/category"),
            Json::MakeObject({{"type", "VocabProperty"}, {"vocab", expected_vocab}}));
}

TEST(EntityCodecDecodeTest, ListRelationshipKeepsObjectList) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T",
      "route": {"type": "ListRelationship",
                "objectList": [{"object": "urn:ngsi-ld:City:Hanoi"}, {"object": "urn:ngsi-ld:City:Hue"}]}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("route")),
            J(R"({"type": "ListRelationship",
                  "objectList": [{"object": "urn:ngsi-ld:City:Hanoi"}, {"object": "urn:ngsi-ld:City:Hue"}]})"));
}

TEST(EntityCodecDecodeTest, ConciseObjectListOfBareUrisIsListRelationship) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T", "route": {"objectList": ["urn:x", "urn:y"]}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("route")), J(R"({"type": "ListRelationship", "objectList": ["urn:x", "urn:y"]})"));
}

TEST(EntityCodecDecodeTest, ListRelationshipWithNonUriMemberIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "route": {"type": "ListRelationship", "objectList": [5]}})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "route": {"type": "ListRelationship", "objectList": [{"object": "not a uri"}]}})"));
}

TEST(EntityCodecDecodeTest, UnknownAttributeTypeIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "x": {"type": "Proprety", "value": 1}})"));
}

TEST(EntityCodecDecodeTest, AttributeTypeWithoutItsValueMemberIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "x": {"type": "Property"}})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "x": {"type": "Relationship", "value": "urn:b"}})"));
}

// --- Concise input forms ---

TEST(EntityCodecDecodeTest, ConciseBareValueIsProperty) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T", "speed": 42, "name": "Xe 1", "tags": [1, 2]})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("speed")), J(R"({"type": "Property", "value": 42})"));
  EXPECT_EQ(Instance(*e, Default("name")), J(R"({"type": "Property", "value": "Xe 1"})"));
  EXPECT_EQ(Instance(*e, Default("tags")), J(R"({"type": "Property", "value": [1, 2]})"));
}

TEST(EntityCodecDecodeTest, ConciseValueWithoutTypeIsPropertyWithMetadata) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T",
      "speed": {"value": 42, "unitCode": "KMH", "accuracy": 0.5}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Json expected = J(R"({"type": "Property", "value": 42, "unitCode": "KMH"})");
  expected.Set(Default("accuracy"), J(R"({"type": "Property", "value": 0.5})"));
  EXPECT_EQ(Instance(*e, Default("speed")), expected);
}

TEST(EntityCodecDecodeTest, ConciseObjectIsRelationship) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T", "owner": {"object": "urn:ngsi-ld:Person:Bob"}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("owner")),
            J(R"({"type": "Relationship", "object": "urn:ngsi-ld:Person:Bob"})"));
}

TEST(EntityCodecDecodeTest, ConciseGeoJsonGeometryIsGeoProperty) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T",
      "location": {"type": "Point", "coordinates": [105.85, 21.03]}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, domain::kLocationIri),
            J(R"({"type": "GeoProperty", "value": {"type": "Point", "coordinates": [105.85, 21.03]}})"));
}

TEST(EntityCodecDecodeTest, ConciseLanguageMapIsLanguageProperty) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T", "street": {"languageMap": {"vi": "Phố Huế"}}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("street")),
            J(R"({"type": "LanguageProperty", "languageMap": {"vi": "Phố Huế"}})"));
}

TEST(EntityCodecDecodeTest, ConciseVocabIsVocabProperty) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T", "category": {"vocab": "commercial"}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("category")),
            Json::MakeObject({{"type", "VocabProperty"}, {"vocab", Default("commercial")}}));
}

// --- Multi-attributes ---

TEST(EntityCodecDecodeTest, MultiAttributeKeepsOneInstancePerDatasetId) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T", "speed": [
      {"type": "Property", "value": 40},
      {"type": "Property", "value": 42, "datasetId": "urn:ngsi-ld:Dataset:gps"}]})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const Json::Array* instances = e->FindAttr(Default("speed"));
  ASSERT_NE(instances, nullptr);
  ASSERT_EQ(instances->size(), 2u);
  EXPECT_EQ((*instances)[0], J(R"({"type": "Property", "value": 40})"));
  EXPECT_EQ((*instances)[1],
            J(R"({"type": "Property", "value": 42, "datasetId": "urn:ngsi-ld:Dataset:gps"})"));
}

TEST(EntityCodecDecodeTest, MultiAttributeWithDuplicateDatasetIdIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "speed": [
      {"type": "Property", "value": 40, "datasetId": "urn:ds:1"},
      {"type": "Property", "value": 42, "datasetId": "urn:ds:1"}]})"));
}

TEST(EntityCodecDecodeTest, MultiAttributeWithTwoDefaultInstancesIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "speed": [
      {"type": "Property", "value": 40}, {"value": 42}]})"));
}

TEST(EntityCodecDecodeTest, DatasetIdThatIsNotAUriIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "speed": {"type": "Property", "value": 40, "datasetId": "gps"}})"));
}

// --- Sub-attributes ---

TEST(EntityCodecDecodeTest, SubAttributeNamesAreExpanded) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T", "speed": {"type": "Property", "value": 40,
      "providedBy": {"type": "Relationship", "object": "urn:ngsi-ld:Device:1"},
      "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}}}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Json inst = Instance(*e, Default("speed"));
  ASSERT_NE(inst.Find(Default("providedBy")), nullptr);
  EXPECT_EQ(*inst.Find(Default("providedBy")),
            J(R"({"type": "Relationship", "object": "urn:ngsi-ld:Device:1"})"));
  EXPECT_NE(inst.Find(domain::kLocationIri), nullptr);
  EXPECT_EQ(inst.Find("providedBy"), nullptr);
}

TEST(EntityCodecDecodeTest, SubAttributesDeeperThanTheLimitAreRefused) {
  DecodeLimits limits;
  limits.max_sub_attribute_depth = 1;
  constexpr std::string_view kOneLevel = R"({"id": "urn:a", "type": "T",
      "speed": {"type": "Property", "value": 40, "accuracy": {"type": "Property", "value": 1}}})";
  constexpr std::string_view kTwoLevels = R"({"id": "urn:a", "type": "T",
      "speed": {"type": "Property", "value": 40,
                "accuracy": {"type": "Property", "value": 1, "method": {"type": "Property", "value": "gps"}}}})";
  EXPECT_TRUE(Decode(kOneLevel, DecodeMode::kCreate, limits).ok());
  ExpectBadRequest(Decode(kTwoLevels, DecodeMode::kCreate, limits));
}

// --- Field validation ---

TEST(EntityCodecDecodeTest, InvalidObservedAtIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "speed": {"type": "Property", "value": 40, "observedAt": "yesterday"}})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "speed": {"type": "Property", "value": 40, "observedAt": 1700000000}})"));
}

TEST(EntityCodecDecodeTest, NonStringUnitCodeIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "speed": {"type": "Property", "value": 40, "unitCode": 5}})"));
}

TEST(EntityCodecDecodeTest, InvalidEntityIdsAreRefused) {
  ExpectBadRequest(Decode(R"({"id": "not a uri", "type": "T"})"));
  ExpectBadRequest(Decode(R"({"id": "Sensor1", "type": "T"})"));
  ExpectBadRequest(Decode(R"({"id": 42, "type": "T"})"));
}

TEST(EntityCodecDecodeTest, CreateRequiresIdAndType) {
  ExpectBadRequest(Decode(R"({"type": "T"})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a"})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": []})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": ""})"));
}

TEST(EntityCodecDecodeTest, FragmentNeedsNeitherIdNorType) {
  Result<Entity> e = Decode(R"({"speed": 40})", DecodeMode::kFragment);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(e->id.empty());
  EXPECT_TRUE(e->types.empty());
  EXPECT_NE(e->FindAttr(Default("speed")), nullptr);
}

TEST(EntityCodecDecodeTest, AtIdAndAtTypeAreAliases) {
  Result<Entity> e = Decode(R"({"@id": "urn:a", "@type": ["T", "U", "T"]})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->id, "urn:a");
  ASSERT_EQ(e->types.size(), 2u);  // the duplicate "T" counts once
  EXPECT_EQ(e->types[0], Default("T"));
  EXPECT_EQ(e->types[1], Default("U"));
}

TEST(EntityCodecDecodeTest, NullValuesAreRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "speed": null})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "speed": {"type": "Property", "value": null}})"));
  ExpectBadRequest(Decode(R"({"speed": null})", DecodeMode::kFragment));
}

TEST(EntityCodecDecodeTest, NgsiLdNullIsOnlyAcceptedInFragments) {
  constexpr std::string_view kBody = R"({"id": "urn:a", "type": "T",
      "speed": {"type": "Property", "value": "urn:ngsi-ld:null"}})";
  ExpectBadRequest(Decode(kBody, DecodeMode::kCreate));
  Result<Entity> e = Decode(kBody, DecodeMode::kFragment);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("speed")), J(R"({"type": "Property", "value": "urn:ngsi-ld:null"})"));
}

TEST(EntityCodecDecodeTest, NgsiLdNullRelationshipIsAcceptedInFragments) {
  Result<Entity> e = Decode(R"({"owner": {"type": "Relationship", "object": "urn:ngsi-ld:null"}})",
                            DecodeMode::kFragment);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Instance(*e, Default("owner")), J(R"({"type": "Relationship", "object": "urn:ngsi-ld:null"})"));
}

TEST(EntityCodecDecodeTest, LocationMustBeAGeoProperty) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "location": {"type": "Property", "value": "Hanoi"}})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "location": "Hanoi"})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "observationSpace": {"type": "Relationship", "object": "urn:x"}})"));
}

TEST(EntityCodecDecodeTest, InvalidGeometryIsRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": "here"}}})"));
  ExpectBadRequest(Decode(R"json({"id": "urn:a", "type": "T",
      "location": {"type": "GeoProperty", "value": "POINT(1 2)"}})json"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T",
      "location": {"type": "GeoProperty", "value": {"type": "Circle", "coordinates": [1, 2]}}})"));
}

TEST(EntityCodecDecodeTest, GeometryWithMoreVerticesThanTheLimitIsRefused) {
  DecodeLimits limits;
  limits.geometry.max_vertices = 3;
  constexpr std::string_view kThree = R"({"id": "urn:a", "type": "T", "location": {"type": "GeoProperty",
      "value": {"type": "LineString", "coordinates": [[1, 1], [2, 2], [3, 3]]}}})";
  constexpr std::string_view kFour = R"({"id": "urn:a", "type": "T", "location": {"type": "GeoProperty",
      "value": {"type": "LineString", "coordinates": [[1, 1], [2, 2], [3, 3], [4, 4]]}}})";
  EXPECT_TRUE(Decode(kThree, DecodeMode::kCreate, limits).ok());
  ExpectBadRequest(Decode(kFour, DecodeMode::kCreate, limits));
}

TEST(EntityCodecDecodeTest, MoreAttributesThanTheLimitAreRefused) {
  DecodeLimits limits;
  limits.max_attributes = 2;
  EXPECT_TRUE(Decode(R"({"id": "urn:a", "type": "T", "a": 1, "b": 2, "scope": "/x"})",
                     DecodeMode::kCreate, limits).ok());
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "a": 1, "b": 2, "c": 3})",
                          DecodeMode::kCreate, limits));
}

TEST(EntityCodecDecodeTest, ScopeStringOrArrayIsKeptAsArray) {
  Result<Entity> one = Decode(R"({"id": "urn:a", "type": "T", "scope": "/Hanoi/BaDinh"})");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->scope, J(R"(["/Hanoi/BaDinh"])"));
  Result<Entity> two = Decode(R"({"id": "urn:a", "type": "T", "scope": ["/Hanoi", "/Hue"]})");
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(two->scope, J(R"(["/Hanoi", "/Hue"])"));
}

TEST(EntityCodecDecodeTest, InvalidScopesAreRefused) {
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "scope": "Hanoi"})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "scope": "/Hanoi/#"})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "scope": "/Ha noi"})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "scope": 5})"));
  ExpectBadRequest(Decode(R"({"id": "urn:a", "type": "T", "scope": ["/Hanoi", 5]})"));
}

TEST(EntityCodecDecodeTest, SystemAttributesInTheBodyAreIgnored) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "T", "createdAt": "2020-01-01T00:00:00Z",
      "modifiedAt": "2020-01-01T00:00:00Z"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->attrs.size(), 0u);
}

// --- Expansion ---

TEST(EntityCodecDecodeTest, CoreContextExpandsUnknownNamesToDefaultContextAndLocationToNgsiLd) {
  Result<Entity> e = Decode(R"({"id": "urn:a", "type": "Vehicle", "speed": 1,
      "location": {"type": "Point", "coordinates": [1, 2]}})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->types[0], "https://uri.etsi.org/ngsi-ld/default-context/Vehicle");
  EXPECT_NE(e->FindAttr("https://uri.etsi.org/ngsi-ld/default-context/speed"), nullptr);
  EXPECT_NE(e->FindAttr("https://uri.etsi.org/ngsi-ld/location"), nullptr);
}

TEST(EntityCodecDecodeTest, UserContextExpandsTermsButNotProtectedLocation) {
  auto ctx = VehicleContext();
  Result<Entity> e = DecodeEntity(J(R"({"id": "urn:a", "type": "Vehicle", "speed": 1, "color": "red",
      "location": {"type": "Point", "coordinates": [1, 2]}})"),
                                  *ctx, DecodeMode::kCreate, {});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->types[0], "https://example.org/Vehicle");
  EXPECT_NE(e->FindAttr("https://schema.org/speed"), nullptr);
  EXPECT_NE(e->FindAttr(Default("color")), nullptr);
  EXPECT_NE(e->FindAttr("https://uri.etsi.org/ngsi-ld/location"), nullptr);
}

TEST(EntityCodecDecodeTest, DecodeAttributeAlwaysReturnsAnArrayOfInstances) {
  Result<Json> one = DecodeAttribute("speed", Json(5), Core(), {});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, J(R"([{"type": "Property", "value": 5}])"));
}

// --- Rendering ---

// An entity in canonical form built from the test's own values.
Entity SampleEntity() {
  Entity e;
  e.id = "urn:ngsi-ld:Vehicle:1";
  e.types = {Default("Vehicle")};
  e.created_at = Timestamp{1'700'000'000'000'000};
  e.modified_at = Timestamp{1'700'000'060'000'000};
  Json speed = J(R"({"type": "Property", "value": 42, "unitCode": "KMH",
      "createdAt": "2023-11-14T22:13:20.000Z", "modifiedAt": "2023-11-14T22:14:20.000Z"})");
  speed.Set(Default("accuracy"), J(R"({"type": "Property", "value": 0.5})"));
  e.attrs.Set(Default("speed"), Json(Json::Array{speed}));
  e.attrs.Set(Default("owner"),
              J(R"([{"type": "Relationship", "object": "urn:ngsi-ld:Person:Bob"}])"));
  e.attrs.Set(domain::kLocationIri,
              J(R"([{"type": "GeoProperty", "value": {"type": "Point", "coordinates": [105.85, 21.03]}}])"));
  e.attrs.Set(Default("street"),
              J(R"([{"type": "LanguageProperty", "languageMap": {"vi": "Phố Huế", "en": "Hue Street"}}])"));
  e.attrs.Set(Default("category"),
              Json(Json::Array{Json::MakeObject({{"type", "VocabProperty"}, {"vocab", Default("commercial")}})}));
  return e;
}

TEST(EntityCodecRenderTest, NormalizedCompactsNamesAndHidesSystemAttributes) {
  Json out = RenderEntity(SampleEntity(), Core(), RenderOptions{});
  EXPECT_EQ(out, J(R"({"id": "urn:ngsi-ld:Vehicle:1", "type": "Vehicle",
      "speed": {"type": "Property", "value": 42, "unitCode": "KMH",
                "accuracy": {"type": "Property", "value": 0.5}},
      "owner": {"type": "Relationship", "object": "urn:ngsi-ld:Person:Bob"},
      "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [105.85, 21.03]}},
      "street": {"type": "LanguageProperty", "languageMap": {"vi": "Phố Huế", "en": "Hue Street"}},
      "category": {"type": "VocabProperty", "vocab": "commercial"}})"));
}

TEST(EntityCodecRenderTest, SysAttrsShowsEntityAndAttributeTimestamps) {
  RenderOptions o;
  o.sys_attrs = true;
  Json out = RenderEntity(SampleEntity(), Core(), o);
  ASSERT_NE(out.Find("createdAt"), nullptr);
  EXPECT_EQ(*out.Find("createdAt"), Json("2023-11-14T22:13:20.000Z"));  // 1.7e9 s after the epoch
  EXPECT_EQ(*out.Find("modifiedAt"), Json("2023-11-14T22:14:20.000Z"));
  const Json* speed = out.Find("speed");
  ASSERT_NE(speed, nullptr);
  EXPECT_EQ(*speed->Find("createdAt"), Json("2023-11-14T22:13:20.000Z"));
  EXPECT_EQ(*speed->Find("modifiedAt"), Json("2023-11-14T22:14:20.000Z"));
}

TEST(EntityCodecRenderTest, ConciseDropsTypesAndCollapsesLoneValues) {
  RenderOptions o;
  o.format = Format::kConcise;
  Json out = RenderEntity(SampleEntity(), Core(), o);
  EXPECT_EQ(out, J(R"({"id": "urn:ngsi-ld:Vehicle:1", "type": "Vehicle",
      "speed": {"value": 42, "unitCode": "KMH", "accuracy": 0.5},
      "owner": {"object": "urn:ngsi-ld:Person:Bob"},
      "location": {"type": "Point", "coordinates": [105.85, 21.03]},
      "street": {"languageMap": {"vi": "Phố Huế", "en": "Hue Street"}},
      "category": {"vocab": "commercial"}})"));
}

TEST(EntityCodecRenderTest, ConciseOutputDecodesBackToTheSameEntity) {
  Entity e = SampleEntity();
  RenderOptions o;
  o.format = Format::kConcise;
  Result<Entity> back = DecodeEntity(RenderEntity(e, Core(), o), Core(), DecodeMode::kCreate, {});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  // The system timestamps are not rendered without sysAttrs.
  Json speed = *e.FindInstance(Default("speed"));
  speed.Erase("createdAt");
  speed.Erase("modifiedAt");
  e.attrs.Set(Default("speed"), Json(Json::Array{speed}));
  EXPECT_EQ(back->attrs, e.attrs);
}

TEST(EntityCodecRenderTest, ConciseMultiAttributeDecodesBackToTheSameInstances) {
  Entity e;
  e.id = "urn:a";
  e.types = {Default("T")};
  e.attrs.Set(Default("speed"), J(R"([{"type": "Property", "value": 40},
      {"type": "Property", "value": 42, "datasetId": "urn:ngsi-ld:Dataset:gps"}])"));
  RenderOptions o;
  o.format = Format::kConcise;
  Json rendered = RenderEntity(e, Core(), o);
  Result<Entity> back = DecodeEntity(rendered, Core(), DecodeMode::kCreate, {});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->attrs, e.attrs) << rendered.Dump();
}

TEST(EntityCodecRenderTest, KeyValuesShowsOnlyValues) {
  RenderOptions o;
  o.format = Format::kKeyValues;
  o.sys_attrs = true;  // no system attributes in keyValues
  Json out = RenderEntity(SampleEntity(), Core(), o);
  EXPECT_EQ(out, J(R"({"id": "urn:ngsi-ld:Vehicle:1", "type": "Vehicle",
      "speed": 42,
      "owner": "urn:ngsi-ld:Person:Bob",
      "location": {"type": "Point", "coordinates": [105.85, 21.03]},
      "street": {"languageMap": {"vi": "Phố Huế", "en": "Hue Street"}},
      "category": "commercial"})"));
}

TEST(EntityCodecRenderTest, LangTurnsLanguagePropertyIntoPropertyWithLang) {
  RenderOptions o;
  o.lang = "en";
  Json out = RenderEntity(SampleEntity(), Core(), o);
  EXPECT_EQ(*out.Find("street"), J(R"({"type": "Property", "value": "Hue Street", "lang": "en"})"));
}

TEST(EntityCodecRenderTest, LangPicksTheFirstListedLanguageThatExists) {
  RenderOptions o;
  o.lang = "fr-CH,vi;q=0.9,en;q=0.8";
  Json out = RenderEntity(SampleEntity(), Core(), o);
  EXPECT_EQ(*out.Find("street"), J(R"({"type": "Property", "value": "Phố Huế", "lang": "vi"})"));
}

TEST(EntityCodecRenderTest, LangAnyPicksOneLanguageAndNamesIt) {
  // lang=* asks for any language: still one string and its tag (conformance 018_07_03).
  RenderOptions o;
  o.lang = "*";
  Json out = RenderEntity(SampleEntity(), Core(), o);
  EXPECT_EQ(*out.Find("street"), J(R"({"type": "Property", "value": "Phố Huế", "lang": "vi"})"));
  o.format = Format::kKeyValues;
  EXPECT_EQ(*RenderEntity(SampleEntity(), Core(), o).Find("street"), Json("Phố Huế"));
}

TEST(EntityCodecRenderTest, LangPrefersNoneTagWhenNoListedLanguageExists) {
  Entity e = SampleEntity();
  e.attrs.Set(Default("street"),
              J(R"([{"type": "LanguageProperty", "languageMap": {"vi": "Phố Huế", "@none": "Hue"}}])"));
  RenderOptions o;
  o.lang = "de";
  EXPECT_EQ(*RenderEntity(e, Core(), o).Find("street"),
            J(R"({"type": "Property", "value": "Hue", "lang": "@none"})"));
}

TEST(EntityCodecRenderTest, KeyValuesWithLangShowsTheString) {
  RenderOptions o;
  o.format = Format::kKeyValues;
  o.lang = "en";
  Json out = RenderEntity(SampleEntity(), Core(), o);
  EXPECT_EQ(*out.Find("street"), Json("Hue Street"));
}

TEST(EntityCodecRenderTest, PickKeepsOnlyTheNamedMembers) {
  RenderOptions o;
  o.pick = std::set<std::string>{Default("speed")};
  EXPECT_EQ(RenderEntity(SampleEntity(), Core(), o),
            J(R"({"speed": {"type": "Property", "value": 42, "unitCode": "KMH",
                            "accuracy": {"type": "Property", "value": 0.5}}})"));
  o.pick = std::set<std::string>{"id"};
  EXPECT_EQ(RenderEntity(SampleEntity(), Core(), o), J(R"({"id": "urn:ngsi-ld:Vehicle:1"})"));
}

TEST(EntityCodecRenderTest, OmitDropsTheNamedMembersIncludingId) {
  RenderOptions o;
  o.format = Format::kKeyValues;
  o.omit = std::set<std::string>{"id", Default("speed"), Default("street"), Default("category"),
                                 std::string(domain::kLocationIri)};
  EXPECT_EQ(RenderEntity(SampleEntity(), Core(), o),
            J(R"({"type": "Vehicle", "owner": "urn:ngsi-ld:Person:Bob"})"));
  o.omit = std::set<std::string>{"type", Default("speed"), Default("street"), Default("category"),
                                 Default("owner")};
  EXPECT_EQ(RenderEntity(SampleEntity(), Core(), o),
            J(R"({"id": "urn:ngsi-ld:Vehicle:1",
                  "location": {"type": "Point", "coordinates": [105.85, 21.03]}})"));
}

TEST(EntityCodecRenderTest, IncludeContextAddsTheContextSource) {
  RenderOptions o;
  o.include_context = true;
  Json out = RenderEntity(SampleEntity(), Core(), o);
  ASSERT_NE(out.Find("@context"), nullptr);
  EXPECT_EQ(*out.Find("@context"), Json(kCoreContextUrl));
  EXPECT_EQ(RenderEntity(SampleEntity(), Core(), RenderOptions{}).Find("@context"), nullptr);
}

TEST(EntityCodecRenderTest, UserContextCompactsTypesAttributesAndVocabValues) {
  auto ctx = VehicleContext();
  Json body = J(R"({"id": "urn:a", "type": "Vehicle", "speed": {"type": "Property", "value": 1},
      "category": {"type": "VocabProperty", "vocab": "commercial"}})");
  Result<Entity> e = DecodeEntity(body, *ctx, DecodeMode::kCreate, {});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(RenderEntity(*e, *ctx, RenderOptions{}), body);
  // Under the core context alone the user's IRIs have no short names.
  Json core_view = RenderEntity(*e, Core(), RenderOptions{});
  EXPECT_EQ(*core_view.Find("type"), Json("https://example.org/Vehicle"));
  EXPECT_NE(core_view.Find("https://schema.org/speed"), nullptr);
}

TEST(EntityCodecRenderTest, NormalizedRoundTripReproducesTheInput) {
  Json body = J(R"({"id": "urn:ngsi-ld:Vehicle:1", "type": ["Vehicle", "Asset"], "scope": "/Hanoi",
      "speed": [{"type": "Property", "value": 40, "observedAt": "2026-01-02T03:04:05.000Z", "unitCode": "KMH"},
                {"type": "Property", "value": 42, "datasetId": "urn:ngsi-ld:Dataset:gps",
                 "accuracy": {"type": "Property", "value": 0.5,
                              "source": {"type": "Relationship", "object": "urn:ngsi-ld:Device:7"}}}],
      "owner": {"type": "Relationship", "object": ["urn:ngsi-ld:Person:A", "urn:ngsi-ld:Person:B"]},
      "location": {"type": "GeoProperty",
                   "value": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
      "street": {"type": "LanguageProperty", "languageMap": {"vi": "Phố Huế", "@none": "Hue"}},
      "depths": {"type": "ListProperty", "valueList": [300, 120]},
      "config": {"type": "JsonProperty", "json": {"a": [1, {"b": null}]}},
      "category": {"type": "VocabProperty", "vocab": ["commercial", "https://example.org/private"]},
      "route": {"type": "ListRelationship", "objectList": [{"object": "urn:ngsi-ld:City:Hue"}]},
      "address": {"type": "Property", "value": {"streetAddress": "1 Trang Tien", "location": "x"}}})");
  Result<Entity> e = DecodeEntity(body, Core(), DecodeMode::kCreate, {});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(RenderEntity(*e, Core(), RenderOptions{}), body);
}

TEST(EntityCodecRenderTest, FeatureTakesGeometryFromTheGeometryProperty) {
  Entity e = SampleEntity();
  e.attrs.Set("https://uri.etsi.org/ngsi-ld/observationSpace",
              J(R"([{"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}}])"));
  RenderOptions o;
  o.format = Format::kKeyValues;
  o.pick = std::set<std::string>{"id", "type", Default("speed"), "https://uri.etsi.org/ngsi-ld/observationSpace"};
  Json f = RenderFeature(e, Core(), o, "https://uri.etsi.org/ngsi-ld/observationSpace");
  EXPECT_EQ(f, J(R"({"id": "urn:ngsi-ld:Vehicle:1", "type": "Feature",
      "geometry": {"type": "Point", "coordinates": [1, 2]},
      "properties": {"type": "Vehicle", "speed": 42,
                     "observationSpace": {"type": "Point", "coordinates": [1, 2]}}})"));
}

TEST(EntityCodecRenderTest, FeatureWithoutTheGeometryPropertyHasNullGeometry) {
  RenderOptions o;
  o.include_context = true;
  Json f = RenderFeature(SampleEntity(), Core(), o, "https://uri.etsi.org/ngsi-ld/operationSpace");
  ASSERT_NE(f.Find("geometry"), nullptr);
  EXPECT_TRUE(f.Find("geometry")->is_null());
  EXPECT_EQ(*f.Find("@context"), Json(kCoreContextUrl));
  EXPECT_EQ(f.Find("properties")->Find("@context"), nullptr);
  EXPECT_EQ(f.Find("properties")->Find("id"), nullptr);
}

}  // namespace
}  // namespace dothi::api::ngsi_ld
