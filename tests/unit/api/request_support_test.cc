#include "api/ngsi_ld/request_support.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "api/common/json_parse.h"

namespace dothi::api::ngsi_ld {
namespace {

std::string Default(std::string_view term) { return std::string(kDefaultVocab) + std::string(term); }

http::Request WithHeader(std::string name, std::string value) {
  http::Request req;
  req.headers.emplace_back(std::move(name), std::move(value));
  return req;
}

http::Request WithQuery(std::vector<std::pair<std::string, std::string>> query) {
  http::Request req;
  req.query = std::move(query);
  return req;
}

http::Request Post(std::string content_type, std::string body) {
  http::Request req;
  req.method = http::Method::kPost;
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", std::move(content_type));
  req.body = std::move(body);
  return req;
}

std::string ContextLink(std::string_view url) {
  return "<" + std::string(url) + ">; rel=\"" + std::string(kJsonLdContextRel) +
         "\"; type=\"application/ld+json\"";
}

// --- Accept ---

TEST(NegotiateAcceptTest, MissingAcceptGivesJson) {
  Result<MediaType> m = NegotiateAccept(http::Request{}, true);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, MediaType::kJson);
}

TEST(NegotiateAcceptTest, WildcardsGiveJson) {
  for (const char* accept : {"*/*", "application/*", "text/html, */*;q=0.1"}) {
    Result<MediaType> m = NegotiateAccept(WithHeader("Accept", accept), true);
    ASSERT_TRUE(m.ok()) << accept;
    EXPECT_EQ(*m, MediaType::kJson) << accept;
  }
}

TEST(NegotiateAcceptTest, HighestQualityWins) {
  Result<MediaType> m = NegotiateAccept(
      WithHeader("Accept", "application/json;q=0.5, application/ld+json;q=0.9"), false);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, MediaType::kLdJson);
  m = NegotiateAccept(WithHeader("Accept", "application/ld+json; q=0.2, */*; q=0.8"), false);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, MediaType::kJson);
}

TEST(NegotiateAcceptTest, EqualQualityKeepsListedOrder) {
  Result<MediaType> m = NegotiateAccept(WithHeader("Accept", "application/ld+json, application/json"), false);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, MediaType::kLdJson);
}

TEST(NegotiateAcceptTest, MediaTypesAreCaseInsensitive) {
  Result<MediaType> m = NegotiateAccept(WithHeader("Accept", "Application/LD+JSON"), false);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, MediaType::kLdJson);
}

TEST(NegotiateAcceptTest, GeoJsonOnlyWhereAllowed) {
  http::Request req = WithHeader("Accept", "application/geo+json");
  Result<MediaType> allowed = NegotiateAccept(req, true);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(*allowed, MediaType::kGeoJson);
  Result<MediaType> refused = NegotiateAccept(req, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotAcceptable);
}

TEST(NegotiateAcceptTest, NothingAcceptableIs406) {
  for (const char* accept : {"text/plain", "application/xml, text/html", "application/json;q=0"}) {
    Result<MediaType> m = NegotiateAccept(WithHeader("Accept", accept), true);
    ASSERT_FALSE(m.ok()) << accept;
    EXPECT_EQ(m.status().code(), ErrorCode::kNotAcceptable) << accept;
  }
}

// --- Link header ---

TEST(LinkContextUrlTest, NoLinkHeaderGivesNothing) {
  Result<std::optional<std::string>> url = LinkContextUrl(http::Request{});
  ASSERT_TRUE(url.ok());
  EXPECT_FALSE(url->has_value());
}

TEST(LinkContextUrlTest, FindsTheContextLinkAmongSeveral) {
  const std::string header = "<https://example.org/next>; rel=\"next\", " +
                             ContextLink("https://example.org/ctx.jsonld");
  Result<std::optional<std::string>> url = LinkContextUrl(WithHeader("Link", header));
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  ASSERT_TRUE(url->has_value());
  EXPECT_EQ(**url, "https://example.org/ctx.jsonld");
}

TEST(LinkContextUrlTest, CommasInsideQuotesDoNotSplitLinks) {
  const std::string header = "<https://example.org/a>; title=\"x, <https://example.org/b>; rel=next\", " +
                             ContextLink("https://example.org/ctx.jsonld");
  Result<std::optional<std::string>> url = LinkContextUrl(WithHeader("Link", header));
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  ASSERT_TRUE(url->has_value());
  EXPECT_EQ(**url, "https://example.org/ctx.jsonld");
}

TEST(LinkContextUrlTest, LinksWithoutTheContextRelGiveNothing) {
  Result<std::optional<std::string>> url =
      LinkContextUrl(WithHeader("Link", "<https://example.org/next>; rel=\"next\""));
  ASSERT_TRUE(url.ok());
  EXPECT_FALSE(url->has_value());
}

TEST(LinkContextUrlTest, MalformedLinkIsBadRequest) {
  for (const std::string& header :
       {std::string("https://example.org/ctx.jsonld; rel=\"") + std::string(kJsonLdContextRel) + "\"",
        std::string("<https://example.org/ctx.jsonld; rel=\"") + std::string(kJsonLdContextRel) + "\"",
        ContextLink("")}) {
    Result<std::optional<std::string>> url = LinkContextUrl(WithHeader("Link", header));
    ASSERT_FALSE(url.ok()) << header;
    EXPECT_EQ(url.status().code(), ErrorCode::kBadRequestData) << header;
  }
}

// --- ReadBody ---

class ReadBodyTest : public ::testing::Test {
 protected:
  ContextRegistry registry_{ContextOptions{}};
};

TEST_F(ReadBodyTest, JsonBodyUsesTheCoreContextWithoutLink) {
  Result<JsonLdBody> b = ReadBody(registry_, Post("application/json", R"({"id": "urn:a"})"), false);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(b->context->is_core());
  EXPECT_EQ(b->body.Find("id")->AsString(), "urn:a");
}

TEST_F(ReadBodyTest, ContentTypeParametersAreIgnored) {
  Result<JsonLdBody> b =
      ReadBody(registry_, Post("application/json; charset=utf-8", R"({"id": "urn:a"})"), false);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
}

TEST_F(ReadBodyTest, OtherContentTypesAre415) {
  for (const char* ct : {"text/plain", "application/xml", ""}) {
    Result<JsonLdBody> b = ReadBody(registry_, Post(ct, R"({"id": "urn:a"})"), false);
    ASSERT_FALSE(b.ok()) << ct;
    EXPECT_EQ(b.status().code(), ErrorCode::kUnsupportedMediaType) << ct;
  }
}

TEST_F(ReadBodyTest, MergePatchOnlyWhereAllowed) {
  http::Request req = Post("application/merge-patch+json", R"({"speed": 1})");
  EXPECT_TRUE(ReadBody(registry_, req, true).ok());
  Result<JsonLdBody> refused = ReadBody(registry_, req, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnsupportedMediaType);
}

TEST_F(ReadBodyTest, LdJsonWithoutContextIsBadRequest) {
  Result<JsonLdBody> b = ReadBody(registry_, Post("application/ld+json", R"({"id": "urn:a"})"), false);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), ErrorCode::kBadRequestData);
}

TEST_F(ReadBodyTest, LdJsonTakesTheContextFromTheBody) {
  Result<JsonLdBody> b = ReadBody(
      registry_,
      Post("application/ld+json",
           R"({"id": "urn:a", "@context": {"speed": "https://schema.org/speed"}})"),
      false);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->context->ExpandTerm("speed"), "https://schema.org/speed");
  EXPECT_EQ(b->context->ExpandTerm("color"), Default("color"));
}

TEST_F(ReadBodyTest, LdJsonBatchTakesTheContextFromTheEntities) {
  Result<JsonLdBody> b = ReadBody(
      registry_,
      Post("application/ld+json",
           R"([{"id": "urn:a", "@context": {"speed": "https://schema.org/speed"}}])"),
      false);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->context->ExpandTerm("speed"), "https://schema.org/speed");
}

TEST_F(ReadBodyTest, LdJsonWithAContextLinkIsBadRequest) {
  http::Request req = Post("application/ld+json", R"({"id": "urn:a", "@context": {"x": "urn:x"}})");
  req.headers.emplace_back("Link", ContextLink(kCoreContextUrl));
  Result<JsonLdBody> b = ReadBody(registry_, req, false);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), ErrorCode::kBadRequestData);
}

TEST_F(ReadBodyTest, JsonWithContextInBodyIsBadRequest) {
  Result<JsonLdBody> b = ReadBody(
      registry_, Post("application/json", R"({"id": "urn:a", "@context": {"x": "urn:x"}})"), false);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), ErrorCode::kBadRequestData);
}

TEST_F(ReadBodyTest, JsonUsesTheContextFromTheLinkHeader) {
  http::Request req = Post("application/json", R"({"id": "urn:a"})");
  req.headers.emplace_back("Link", ContextLink(kCoreContextUrl));
  Result<JsonLdBody> b = ReadBody(registry_, req, false);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->context->ExpandTerm("location"), std::string(domain::kLocationIri));
}

TEST_F(ReadBodyTest, MalformedJsonAndEmptyBodyAreInvalidRequests) {
  for (const char* body : {"{\"id\": ", ""}) {
    Result<JsonLdBody> b = ReadBody(registry_, Post("application/json", body), false);
    ASSERT_FALSE(b.ok()) << body;
    EXPECT_EQ(b.status().code(), ErrorCode::kInvalidRequest) << body;
  }
}

// --- Representation options ---

TEST(RenderOptionsFromQueryTest, DefaultsToNormalizedWithoutSysAttrs) {
  Result<RenderOptions> o = RenderOptionsFromQuery(http::Request{}, *LdContext::Core(), MediaType::kJson);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->format, Format::kNormalized);
  EXPECT_FALSE(o->sys_attrs);
  EXPECT_FALSE(o->include_context);
  EXPECT_FALSE(o->pick.has_value());
  EXPECT_FALSE(o->omit.has_value());
  EXPECT_FALSE(o->lang.has_value());
}

TEST(RenderOptionsFromQueryTest, LdJsonIncludesTheContext) {
  Result<RenderOptions> o = RenderOptionsFromQuery(http::Request{}, *LdContext::Core(), MediaType::kLdJson);
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->include_context);
}

TEST(RenderOptionsFromQueryTest, OptionsAndFormatSelectTheRepresentation) {
  const LdContext& core = *LdContext::Core();
  Result<RenderOptions> kv = RenderOptionsFromQuery(WithQuery({{"options", "keyValues,sysAttrs"}}), core,
                                                    MediaType::kJson);
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->format, Format::kKeyValues);
  EXPECT_TRUE(kv->sys_attrs);
  Result<RenderOptions> concise = RenderOptionsFromQuery(WithQuery({{"format", "concise"}}), core,
                                                         MediaType::kJson);
  ASSERT_TRUE(concise.ok());
  EXPECT_EQ(concise->format, Format::kConcise);
}

// Unknown values are InvalidRequest and conflicting ones BadRequestData (ETSI 018_16);
// format names the representation over options (018_15_07).
TEST(RenderOptionsFromQueryTest, ConflictingOrUnknownFormatsAreBadRequests) {
  const LdContext& core = *LdContext::Core();
  using Query = std::vector<std::pair<std::string, std::string>>;
  Result<RenderOptions> both = RenderOptionsFromQuery(WithQuery(Query{{"options", "keyValues,concise"}}),
                                                      core, MediaType::kJson);
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().code(), ErrorCode::kBadRequestData);
  for (auto query : {Query{{"format", "tabular"}}, Query{{"options", "keyValues,invalid"}},
                     Query{{"format", "keyValues"}, {"options", "invalid"}}}) {
    Result<RenderOptions> o = RenderOptionsFromQuery(WithQuery(query), core, MediaType::kJson);
    ASSERT_FALSE(o.ok()) << query.back().second;
    EXPECT_EQ(o.status().code(), ErrorCode::kInvalidRequest);
  }
  Result<RenderOptions> f = RenderOptionsFromQuery(
      WithQuery(Query{{"format", "keyValues"}, {"options", "normalized,sysAttrs"}}), core, MediaType::kJson);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->format, Format::kKeyValues);
  EXPECT_TRUE(f->sys_attrs);
}

// pick and omit follow their grammar; omit does not go with attrs; attrs names attributes.
TEST(RenderOptionsFromQueryTest, ProjectionsAreCheckedForSyntax) {
  const LdContext& core = *LdContext::Core();
  using Query = std::vector<std::pair<std::string, std::string>>;
  for (const char* bad : {"id;name", "id,locatedAt{name", "id,locatedAt{{name}", "id,,name",
                          "id,locatedAt{,name}", "id,locatedAt{}", "a}"}) {
    Result<RenderOptions> o = RenderOptionsFromQuery(WithQuery(Query{{"pick", bad}}), core, MediaType::kJson);
    EXPECT_FALSE(o.ok()) << bad;
    EXPECT_FALSE(RenderOptionsFromQuery(WithQuery(Query{{"omit", bad}}), core, MediaType::kJson).ok()) << bad;
  }
  Result<RenderOptions> nested =
      RenderOptionsFromQuery(WithQuery(Query{{"pick", "id,locatedAt{name,b{c}},name"}}), core, MediaType::kJson);
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_EQ(*nested->pick, (std::set<std::string>{"id", Default("locatedAt"), Default("name")}));
  EXPECT_FALSE(RenderOptionsFromQuery(WithQuery(Query{{"omit", "name"}, {"attrs", "category"}}), core,
                                      MediaType::kJson).ok());
  EXPECT_FALSE(RenderOptionsFromQuery(WithQuery(Query{{"attrs", "id,type"}}), core, MediaType::kJson).ok());
}

TEST(RenderOptionsFromQueryTest, AttrsPickExpandedNamesAndKeepsIdAndType) {
  Result<RenderOptions> o = RenderOptionsFromQuery(WithQuery({{"attrs", "speed,location"}}),
                                                   *LdContext::Core(), MediaType::kJson);
  ASSERT_TRUE(o.ok());
  ASSERT_TRUE(o->pick.has_value());
  EXPECT_EQ(*o->pick, (std::set<std::string>{"id", "type", "scope", Default("speed"),
                                             std::string(domain::kLocationIri)}));
}

TEST(RenderOptionsFromQueryTest, PickAndOmitExpandNamesButNotIdOrType) {
  const LdContext& core = *LdContext::Core();
  Result<RenderOptions> pick = RenderOptionsFromQuery(WithQuery({{"pick", "id,speed"}}), core, MediaType::kJson);
  ASSERT_TRUE(pick.ok());
  EXPECT_EQ(*pick->pick, (std::set<std::string>{"id", Default("speed")}));
  Result<RenderOptions> omit = RenderOptionsFromQuery(WithQuery({{"omit", "type,speed"}}), core, MediaType::kJson);
  ASSERT_TRUE(omit.ok());
  EXPECT_EQ(*omit->omit, (std::set<std::string>{"type", Default("speed")}));
}

TEST(RenderOptionsFromQueryTest, PickWithAttrsOrOmitIsBadRequest) {
  const LdContext& core = *LdContext::Core();
  for (auto query : {std::vector<std::pair<std::string, std::string>>{{"pick", "a"}, {"attrs", "b"}},
                     std::vector<std::pair<std::string, std::string>>{{"pick", "a"}, {"omit", "b"}}}) {
    Result<RenderOptions> o = RenderOptionsFromQuery(WithQuery(query), core, MediaType::kJson);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().code(), ErrorCode::kBadRequestData);
  }
}

TEST(RenderOptionsFromQueryTest, LangIsKeptAndMustNotBeEmpty) {
  const LdContext& core = *LdContext::Core();
  Result<RenderOptions> o = RenderOptionsFromQuery(WithQuery({{"lang", "vi,en;q=0.5"}}), core, MediaType::kJson);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->lang, std::optional<std::string>("vi,en;q=0.5"));
  Result<RenderOptions> empty = RenderOptionsFromQuery(WithQuery({{"lang", ""}}), core, MediaType::kJson);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), ErrorCode::kBadRequestData);
}

TEST(RenderOptionsFromQueryTest, UserContextExpandsAttrs) {
  Result<std::shared_ptr<const LdContext>> ctx =
      LdContext::Create(Json::MakeObject({{"speed", "https://schema.org/speed"}}), {});
  ASSERT_TRUE(ctx.ok());
  Result<RenderOptions> o = RenderOptionsFromQuery(WithQuery({{"pick", "speed"}}), **ctx, MediaType::kJson);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(*o->pick, (std::set<std::string>{"https://schema.org/speed"}));
}

// --- Helpers ---

TEST(SplitListTest, TrimsAndDropsEmptyParts) {
  EXPECT_EQ(SplitList(" a, b ,,c,"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(SplitList("").empty());
}

TEST(JsonResponseTest, JsonCarriesAContextLinkAndLdJsonDoesNot) {
  const LdContext& core = *LdContext::Core();
  http::Response json = JsonResponse(200, Json::MakeObject(), MediaType::kJson, core);
  ASSERT_NE(json.Header("Content-Type"), nullptr);
  EXPECT_EQ(*json.Header("Content-Type"), "application/json");
  ASSERT_NE(json.Header("Link"), nullptr);
  EXPECT_EQ(*json.Header("Link"), ContextLink(kCoreContextUrl));
  http::Response ld = JsonResponse(201, Json::MakeObject(), MediaType::kLdJson, core);
  EXPECT_EQ(ld.status, 201);
  EXPECT_EQ(*ld.Header("Content-Type"), "application/ld+json");
  EXPECT_EQ(ld.Header("Link"), nullptr);
}

}  // namespace
}  // namespace dothi::api::ngsi_ld
