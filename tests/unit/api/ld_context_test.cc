#include "api/ngsi_ld/ld_context.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "api/common/json_parse.h"

namespace dothi::api::ngsi_ld {
namespace {

Json J(std::string_view text) {
  Result<Json> j = ParseJson(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : Json();
}

// A loader over a fixed map of URL -> "@context" value, counting calls.
struct FakeLoader {
  std::map<std::string, Json, std::less<>> docs;
  int calls = 0;
  ContextLoader Fn() {
    return [this](std::string_view url) -> Result<std::shared_ptr<const Json>> {
      ++calls;
      auto it = docs.find(url);
      if (it == docs.end()) return Status::LdContextNotAvailable("no such context", url);
      return std::make_shared<const Json>(it->second);
    };
  }
};

std::shared_ptr<const LdContext> MustCreate(const Json& value, const ContextLoader& loader = {}) {
  Result<std::shared_ptr<const LdContext>> ctx = LdContext::Create(value, loader);
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  return ctx.ok() ? *ctx : LdContext::Core();
}

TEST(LdContextTest, CoreDocumentIsEmbeddedAndValid) {
  Result<Json> doc = ParseJson(CoreContextDocument());
  ASSERT_TRUE(doc.ok());
  const Json* ctx = doc->Find("@context");
  ASSERT_NE(ctx, nullptr);
  ASSERT_NE(ctx->Find("@vocab"), nullptr);
  EXPECT_EQ(ctx->Find("@vocab")->AsString(), kDefaultVocab);
}

TEST(LdContextTest, CoreExpandsNgsiLdTerms) {
  const LdContext& core = *LdContext::Core();
  EXPECT_TRUE(core.is_core());
  EXPECT_EQ(core.ExpandTerm("location"), "https://uri.etsi.org/ngsi-ld/location");
  EXPECT_EQ(core.ExpandTerm("observedAt"), "https://uri.etsi.org/ngsi-ld/observedAt");
  EXPECT_EQ(core.ExpandTerm("value"), "https://uri.etsi.org/ngsi-ld/hasValue");
  EXPECT_EQ(core.ExpandTerm("Property"), "https://uri.etsi.org/ngsi-ld/Property");
  EXPECT_EQ(core.ExpandTerm("Point"), "https://purl.org/geojson/vocab#Point");
  EXPECT_EQ(core.ExpandTerm("description"), "http://purl.org/dc/terms/description");
  EXPECT_EQ(core.ExpandTerm("id"), "@id");
  EXPECT_EQ(core.ExpandTerm("type"), "@type");
}

TEST(LdContextTest, UnknownTermGoesToDefaultVocab) {
  const LdContext& core = *LdContext::Core();
  EXPECT_EQ(core.ExpandTerm("temperature"),
            "https://uri.etsi.org/ngsi-ld/default-context/temperature");
  // "attributeCount": "attributeCount" maps the term to itself, i.e. to the vocab.
  EXPECT_EQ(core.ExpandTerm("attributeCount"),
            "https://uri.etsi.org/ngsi-ld/default-context/attributeCount");
}

TEST(LdContextTest, CompactIrisWithPrefixesExpand) {
  const LdContext& core = *LdContext::Core();
  EXPECT_EQ(core.ExpandTerm("ngsi-ld:foo"), "https://uri.etsi.org/ngsi-ld/foo");
  EXPECT_EQ(core.ExpandTerm("geojson:Point"), "https://purl.org/geojson/vocab#Point");
}

TEST(LdContextTest, AbsoluteIrisAndKeywordsAreUntouched) {
  const LdContext& core = *LdContext::Core();
  EXPECT_EQ(core.ExpandTerm("https://schema.org/name"), "https://schema.org/name");
  EXPECT_EQ(core.ExpandTerm("http://example.org/a#b"), "http://example.org/a#b");
  EXPECT_EQ(core.ExpandTerm("urn:ngsi-ld:Thing:1"), "urn:ngsi-ld:Thing:1");
  EXPECT_EQ(core.ExpandTerm("@context"), "@context");
  EXPECT_EQ(core.ExpandTerm("_:b0"), "_:b0");
}

TEST(LdContextTest, CompactsCoreIris) {
  const LdContext& core = *LdContext::Core();
  EXPECT_EQ(core.CompactIri("https://uri.etsi.org/ngsi-ld/location"), "location");
  EXPECT_EQ(core.CompactIri("https://uri.etsi.org/ngsi-ld/observedAt"), "observedAt");
  EXPECT_EQ(core.CompactIri("https://uri.etsi.org/ngsi-ld/default-context/temperature"),
            "temperature");
  EXPECT_EQ(core.CompactIri("https://uri.etsi.org/ngsi-ld/somethingElse"), "ngsi-ld:somethingElse");
  EXPECT_EQ(core.CompactIri("https://schema.org/brand"), "https://schema.org/brand");
}

TEST(LdContextTest, CompactThenExpandRoundTrips) {
  const LdContext& core = *LdContext::Core();
  for (std::string_view iri : {
           "https://uri.etsi.org/ngsi-ld/location",
           "https://uri.etsi.org/ngsi-ld/default-context/temperature",
           "https://uri.etsi.org/ngsi-ld/default-context/location",  // must not become "location"
           "https://uri.etsi.org/ngsi-ld/default-context/a:b",
           "https://uri.etsi.org/ngsi-ld/x",
           "https://purl.org/geojson/vocab#Thing",
           "urn:x:y",
           "https://schema.org/brand",
       }) {
    EXPECT_EQ(core.ExpandTerm(core.CompactIri(iri)), iri) << iri;
  }
}

TEST(LdContextTest, UserTermsExpandAndCompact) {
  auto ctx = MustCreate(J(R"({"brandName": "https://schema.org/brand"})"));
  EXPECT_FALSE(ctx->is_core());
  EXPECT_EQ(ctx->ExpandTerm("brandName"), "https://schema.org/brand");
  EXPECT_EQ(ctx->CompactIri("https://schema.org/brand"), "brandName");
  // The core context still applies underneath.
  EXPECT_EQ(ctx->ExpandTerm("location"), "https://uri.etsi.org/ngsi-ld/location");
  EXPECT_EQ(ctx->ExpandTerm("speed"), "https://uri.etsi.org/ngsi-ld/default-context/speed");
  // Without the user context the term goes to the default vocab.
  EXPECT_EQ(LdContext::Core()->ExpandTerm("brandName"),
            "https://uri.etsi.org/ngsi-ld/default-context/brandName");
}

TEST(LdContextTest, UserPrefixesAndForwardReferences) {
  // "speed" uses the prefix "schema" defined after it in the same object.
  auto ctx = MustCreate(J(R"({
      "speed": "schema:speed",
      "schema": "https://schema.org/",
      "Vehicle": {"@id": "schema:Vehicle"},
      "category": {"@id": "schema:category", "@type": "@vocab"}
  })"));
  EXPECT_EQ(ctx->ExpandTerm("speed"), "https://schema.org/speed");
  EXPECT_EQ(ctx->ExpandTerm("Vehicle"), "https://schema.org/Vehicle");
  EXPECT_EQ(ctx->ExpandTerm("schema:color"), "https://schema.org/color");
  EXPECT_EQ(ctx->CompactIri("https://schema.org/color"), "schema:color");
  EXPECT_EQ(ctx->CompactIri("https://schema.org/speed"), "speed");
  EXPECT_TRUE(ctx->IsVocabTerm("https://schema.org/category"));
  EXPECT_FALSE(ctx->IsVocabTerm("https://schema.org/speed"));
  EXPECT_EQ(ctx->ExpandVocabValue("Vehicle"), "https://schema.org/Vehicle");
  EXPECT_EQ(ctx->CompactVocabValue("https://schema.org/Vehicle"), "Vehicle");
}

TEST(LdContextTest, CoreVocabTermsAreKnown) {
  const LdContext& core = *LdContext::Core();
  EXPECT_TRUE(core.IsVocabTerm("https://uri.etsi.org/ngsi-ld/hasVocab"));
  EXPECT_FALSE(core.IsVocabTerm("https://uri.etsi.org/ngsi-ld/hasValue"));
  const TermDefinition* json = core.FindTerm("json");
  ASSERT_NE(json, nullptr);
  EXPECT_EQ(json->type, TermType::kJson);
  const TermDefinition* observed = core.FindTerm("observedAt");
  ASSERT_NE(observed, nullptr);
  EXPECT_EQ(observed->type, TermType::kDatatype);
  EXPECT_EQ(observed->datatype, "https://uri.etsi.org/ngsi-ld/DateTime");
  const TermDefinition* object = core.FindTerm("object");
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object->type, TermType::kId);
  EXPECT_EQ(core.FindTerm("coordinates")->container, "@list");
}

TEST(LdContextTest, UserVocabReplacesDefaultVocab) {
  auto ctx = MustCreate(J(R"({"@vocab": "https://example.org/terms/"})"));
  EXPECT_EQ(ctx->ExpandTerm("temperature"), "https://example.org/terms/temperature");
  EXPECT_EQ(ctx->CompactIri("https://example.org/terms/temperature"), "temperature");
  EXPECT_EQ(ctx->ExpandTerm("location"), "https://uri.etsi.org/ngsi-ld/location");
  // An IRI in the default context now stays round-trippable.
  std::string_view dflt = "https://uri.etsi.org/ngsi-ld/default-context/temperature";
  EXPECT_EQ(ctx->ExpandTerm(ctx->CompactIri(dflt)), dflt);
}

TEST(LdContextTest, CoreTermsCannotBeOverridden) {
  auto ctx = MustCreate(J(R"({"location": "https://example.org/where", "type": "@id"})"));
  EXPECT_EQ(ctx->ExpandTerm("location"), "https://uri.etsi.org/ngsi-ld/location");
  EXPECT_EQ(ctx->ExpandTerm("type"), "@type");
  EXPECT_EQ(ctx->CompactIri("https://example.org/where"), "https://example.org/where");
}

TEST(LdContextTest, ArraysAreProcessedInOrderLaterWins) {
  auto ctx = MustCreate(J(R"([
      {"brandName": "https://schema.org/brand", "color": "https://a.example/color"},
      "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
      {"color": "https://b.example/color"}
  ])"));
  EXPECT_EQ(ctx->ExpandTerm("brandName"), "https://schema.org/brand");
  EXPECT_EQ(ctx->ExpandTerm("color"), "https://b.example/color");
  EXPECT_EQ(ctx->CompactIri("https://b.example/color"), "color");
  EXPECT_EQ(ctx->CompactIri("https://a.example/color"), "https://a.example/color");
}

TEST(LdContextTest, NullResetsTheUserLayer) {
  auto ctx = MustCreate(J(R"([{"brandName": "https://schema.org/brand"}, null])"));
  EXPECT_EQ(ctx->ExpandTerm("brandName"), "https://uri.etsi.org/ngsi-ld/default-context/brandName");
}

TEST(LdContextTest, NestedUrlsGoThroughTheLoader) {
  FakeLoader loader;
  loader.docs["https://ctx.example/a.jsonld"] =
      J(R"(["https://ctx.example/b.jsonld", {"a": "https://ex.org/a"}])");
  loader.docs["https://ctx.example/b.jsonld"] = J(R"({"b": "https://ex.org/b"})");
  auto ctx = MustCreate(Json("https://ctx.example/a.jsonld"), loader.Fn());
  EXPECT_EQ(loader.calls, 2);
  EXPECT_EQ(ctx->ExpandTerm("a"), "https://ex.org/a");
  EXPECT_EQ(ctx->ExpandTerm("b"), "https://ex.org/b");
  EXPECT_EQ(ctx->id(), "https://ctx.example/a.jsonld");
  EXPECT_EQ(ctx->source(), Json("https://ctx.example/a.jsonld"));
}

TEST(LdContextTest, CoreUrlsNeverReachTheLoader) {
  FakeLoader loader;
  for (std::string_view url : {
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld",
       }) {
    EXPECT_TRUE(IsCoreContextUrl(url));
    auto ctx = MustCreate(Json(url), loader.Fn());
    EXPECT_EQ(ctx->ExpandTerm("location"), "https://uri.etsi.org/ngsi-ld/location");
  }
  EXPECT_EQ(loader.calls, 0);
}

TEST(LdContextTest, CycleIsAnErrorNotAStackOverflow) {
  FakeLoader loader;
  loader.docs["https://ctx.example/a"] = Json("https://ctx.example/b");
  loader.docs["https://ctx.example/b"] =
      J(R"([{"x": "https://ex.org/x"}, "https://ctx.example/a"])");
  auto ctx = LdContext::Create(Json("https://ctx.example/a"), loader.Fn());
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), ErrorCode::kInvalidContext);
}

TEST(LdContextTest, DeepNestingIsAnError) {
  FakeLoader loader;
  for (int i = 0; i < 20; ++i) {
    loader.docs["https://ctx.example/" + std::to_string(i)] =
        Json("https://ctx.example/" + std::to_string(i + 1));
  }
  auto ctx = LdContext::Create(Json("https://ctx.example/0"), loader.Fn());
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), ErrorCode::kInvalidContext);
  EXPECT_LE(loader.calls, LdContext::kMaxUrlNesting);
}

TEST(LdContextTest, LoaderErrorsPassThrough) {
  FakeLoader loader;
  auto ctx = LdContext::Create(Json("https://ctx.example/missing"), loader.Fn());
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), ErrorCode::kLdContextNotAvailable);
}

TEST(LdContextTest, MalformedContextsAreInvalid) {
  for (std::string_view text : {
           R"(42)",
           R"({"a": 42})",
           R"({"a": {"@id": 5}})",
           R"({"a": {"@id": "https://ex.org/a", "@type": 1}})",
           R"([[{"a": "https://ex.org/a"}]])",
           R"({"a": "b:x", "b": "a:y"})",
           R"({"@vocab": 3})",
       }) {
    auto ctx = LdContext::Create(J(text), {});
    ASSERT_FALSE(ctx.ok()) << text;
    EXPECT_EQ(ctx.status().code(), ErrorCode::kInvalidContext) << text;
  }
}

TEST(LdContextTest, ExplicitPrefixFlagAndNullMapping) {
  auto ctx = MustCreate(J(R"([
      {"ex": {"@id": "https://ex.org/ns", "@prefix": true}, "gone": "https://ex.org/gone"},
      {"gone": null}
  ])"));
  EXPECT_EQ(ctx->ExpandTerm("ex:thing"), "https://ex.org/nsthing");
  EXPECT_EQ(ctx->ExpandTerm("gone"), "https://uri.etsi.org/ngsi-ld/default-context/gone");
}

TEST(LdContextTest, SmartDataModelStyleContextWorks) {
  // Shape of the smart-data-models contexts: repeats core terms, adds prefixes and terms.
  auto ctx = MustCreate(J(R"({
      "@context": null,
      "id": "@id",
      "type": "@type",
      "ngsi-ld": "https://uri.etsi.org/ngsi-ld/",
      "fiware": "https://uri.fiware.org/ns/dataModels#",
      "sdm": "https://smartdatamodels.org/",
      "AirQualityObserved": "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved",
      "NO2": "sdm:dataModel.Environment/NO2",
      "refDevice": {"@id": "sdm:refDevice", "@type": "@id"}
  })"));
  EXPECT_EQ(ctx->ExpandTerm("AirQualityObserved"),
            "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved");
  EXPECT_EQ(ctx->ExpandTerm("NO2"), "https://smartdatamodels.org/dataModel.Environment/NO2");
  EXPECT_EQ(ctx->FindTerm("refDevice")->type, TermType::kId);
  EXPECT_EQ(ctx->CompactIri("https://smartdatamodels.org/dataModel.Environment/NO2"), "NO2");
  EXPECT_EQ(ctx->CompactIri("https://smartdatamodels.org/other"), "sdm:other");
}

}  // namespace
}  // namespace dothi::api::ngsi_ld
