#include "api/ngsi_ld/query_params.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "api/common/json_parse.h"

namespace dothi::api::ngsi_ld {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

std::string Default(std::string_view term) { return std::string(kDefaultVocab) + std::string(term); }

http::Request Get(Query query) {
  http::Request req;
  req.query = std::move(query);
  return req;
}

Result<service::EntityQuery> FromParams(Query query, bool require_filter = true,
                                        const QueryParamLimits& limits = {}) {
  return QueryFromParams(Get(std::move(query)), *LdContext::Core(), limits, require_filter);
}

void ExpectBadRequest(const Result<service::EntityQuery>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kBadRequestData) << r.status().ToString();
}

TEST(QueryFromParamsTest, TypeIsExpandedThroughTheContext) {
  Result<service::EntityQuery> q = FromParams({{"type", "Vehicle,Building"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_TRUE(q->types.has_value());
  EXPECT_TRUE(q->types->Matches({Default("Building")}));
  EXPECT_FALSE(q->types->Matches({Default("Street")}));
}

TEST(QueryFromParamsTest, TypeIsExpandedThroughAUserContext) {
  Result<std::shared_ptr<const LdContext>> ctx =
      LdContext::Create(Json::MakeObject({{"Vehicle", "https://example.org/Vehicle"}}), {});
  ASSERT_TRUE(ctx.ok());
  Result<service::EntityQuery> q = QueryFromParams(Get({{"type", "Vehicle"}}), **ctx, {}, true);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(q->types->Matches({"https://example.org/Vehicle"}));
  EXPECT_FALSE(q->types->Matches({Default("Vehicle")}));
}

TEST(QueryFromParamsTest, IdsAreSplitAndMustBeUris) {
  Result<service::EntityQuery> q = FromParams({{"id", "urn:a, urn:b"}, {"type", "T"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->ids, (std::vector<std::string>{"urn:a", "urn:b"}));
  ExpectBadRequest(FromParams({{"id", "urn:a,not a uri"}, {"type", "T"}}));
}

TEST(QueryFromParamsTest, PagingDefaultsComeFromTheLimits) {
  QueryParamLimits limits;
  limits.default_limit = 7;
  Result<service::EntityQuery> q = FromParams({{"type", "T"}}, true, limits);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->limit, 7u);
  EXPECT_EQ(q->offset, 0u);
  EXPECT_FALSE(q->count);
}

TEST(QueryFromParamsTest, LimitOffsetAndCountAreRead) {
  Result<service::EntityQuery> q =
      FromParams({{"type", "T"}, {"limit", "50"}, {"offset", "100"}, {"count", "true"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->limit, 50u);
  EXPECT_EQ(q->offset, 100u);
  EXPECT_TRUE(q->count);
}

TEST(QueryFromParamsTest, NonNumericOrNegativePagingIsRefused) {
  for (const char* bad : {"-1", "ten", "", "1.5", "5x"}) {
    ExpectBadRequest(FromParams({{"type", "T"}, {"limit", bad}}));
    ExpectBadRequest(FromParams({{"type", "T"}, {"offset", bad}}));
  }
}

TEST(QueryFromParamsTest, CountMustBeTrueOrFalse) {
  ExpectBadRequest(FromParams({{"type", "T"}, {"count", "yes"}}));
  Result<service::EntityQuery> q = FromParams({{"type", "T"}, {"count", "false"}});
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->count);
}

TEST(QueryFromParamsTest, LimitZeroOnlyWithCount) {
  ExpectBadRequest(FromParams({{"type", "T"}, {"limit", "0"}}));
  ExpectBadRequest(FromParams({{"type", "T"}, {"limit", "0"}, {"count", "false"}}));
  Result<service::EntityQuery> q = FromParams({{"type", "T"}, {"limit", "0"}, {"count", "true"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->limit, 0u);
  EXPECT_TRUE(q->count);
}

TEST(QueryFromParamsTest, GeoQueryNeedsGeorelGeometryAndCoordinatesTogether) {
  ExpectBadRequest(FromParams({{"georel", "near;maxDistance==100"}}));
  ExpectBadRequest(FromParams({{"georel", "near;maxDistance==100"}, {"geometry", "Point"}}));
  ExpectBadRequest(FromParams({{"geometry", "Point"}, {"coordinates", "[105.85,21.03]"}}));
  Result<service::EntityQuery> q = FromParams(
      {{"georel", "near;maxDistance==100"}, {"geometry", "Point"}, {"coordinates", "[105.85,21.03]"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_TRUE(q->geo.has_value());
  EXPECT_EQ(q->geo->rel, domain::GeoQuery::Rel::kNear);
  EXPECT_EQ(q->geo->max_distance, std::optional<double>(100));
  EXPECT_EQ(q->geo->geoproperty_iri, std::string(domain::kLocationIri));
}

TEST(QueryFromParamsTest, GeopropertyIsExpanded) {
  Result<service::EntityQuery> q = FromParams({{"georel", "within"}, {"geometry", "Polygon"},
      {"coordinates", "[[[0,0],[1,0],[1,1],[0,0]]]"}, {"geoproperty", "observationSpace"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->geo->geoproperty_iri, "https://uri.etsi.org/ngsi-ld/observationSpace");
}

TEST(QueryFromParamsTest, InvalidGeoQueryIsRefused) {
  for (const Query& query :
       {Query{{"georel", "nearby"}, {"geometry", "Point"}, {"coordinates", "[1,2]"}},
        Query{{"georel", "within"}, {"geometry", "Circle"}, {"coordinates", "[1,2]"}},
        Query{{"georel", "intersects"}, {"geometry", "Point"}, {"coordinates", "[1,"}}}) {
    Result<service::EntityQuery> q = FromParams(query);
    ASSERT_FALSE(q.ok()) << query[0].second << " " << query[1].second;
    EXPECT_TRUE(q.status().code() == ErrorCode::kBadRequestData ||
                q.status().code() == ErrorCode::kInvalidRequest)
        << q.status().ToString();
  }
}

TEST(QueryFromParamsTest, QIsParsedAndResolved) {
  Result<service::EntityQuery> q = FromParams({{"q", "speed>50;brand==\"VinFast\""}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_TRUE(q->q.has_value());
  EXPECT_EQ(q->q->AttributeIris(), (std::vector<std::string>{Default("speed"), Default("brand")}));
}

TEST(QueryFromParamsTest, QOrTypeSyntaxErrorsAreBadRequests) {
  ExpectBadRequest(FromParams({{"q", "speed>>"}}));
  ExpectBadRequest(FromParams({{"q", "(speed>1"}}));
  ExpectBadRequest(FromParams({{"type", "(Vehicle"}}));
  ExpectBadRequest(FromParams({{"type", "Vehicle;;Building"}}));
}

TEST(QueryFromParamsTest, ScopeQIsParsed) {
  Result<service::EntityQuery> q = FromParams({{"scopeQ", "/Hanoi/#"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(q->scope.has_value());
  ExpectBadRequest(FromParams({{"scopeQ", "Hanoi"}}));
}

TEST(QueryFromParamsTest, QueryWithoutAnyFilterIsRefusedWhenAFilterIsRequired) {
  ExpectBadRequest(FromParams({}));
  ExpectBadRequest(FromParams({{"limit", "10"}, {"options", "keyValues"}}));
  EXPECT_TRUE(FromParams({}, /*require_filter=*/false).ok());
  EXPECT_TRUE(FromParams({{"attrs", "speed"}}).ok());
  // id and idPattern alone are not enough (clause 5.7.2, ETSI 019_03_05); local=true is.
  ExpectBadRequest(FromParams({{"id", "urn:a"}}));
  ExpectBadRequest(FromParams({{"idPattern", "urn:ngsi-ld:Vehicle:.*"}}));
  EXPECT_TRUE(FromParams({{"idPattern", "urn:ngsi-ld:Vehicle:.*"}, {"type", "Vehicle"}}).ok());
  EXPECT_TRUE(FromParams({{"local", "true"}}).ok());
  ExpectBadRequest(FromParams({{"local", "yes"}, {"type", "T"}}));
}

// --- POST /entityOperations/query ---

Json J(std::string_view text) {
  Result<Json> j = ParseJson(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : Json();
}

TEST(QueryFromBodyTest, EntitySelectorsBecomeIdsAndAnOrOfTypes) {
  Result<service::EntityQuery> q = QueryFromBody(
      J(R"({"type": "Query", "entities": [{"id": "urn:a", "type": "Vehicle"}, {"type": "Building"}],
            "q": "speed>1"})"),
      Get({{"limit", "5"}}), *LdContext::Core(), {});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->ids, (std::vector<std::string>{"urn:a"}));
  EXPECT_TRUE(q->types->Matches({Default("Building")}));
  EXPECT_TRUE(q->types->Matches({Default("Vehicle")}));
  EXPECT_TRUE(q->q.has_value());
  EXPECT_EQ(q->limit, 5u);
}

TEST(QueryFromBodyTest, BodyWithoutQueryTypeIsRefused) {
  Result<service::EntityQuery> q =
      QueryFromBody(J(R"({"entities": [{"type": "Vehicle"}]})"), Get({}), *LdContext::Core(), {});
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), ErrorCode::kBadRequestData);
}

TEST(QueryFromBodyTest, GeoQWithoutCoordinatesIsRefused) {
  Result<service::EntityQuery> q = QueryFromBody(
      J(R"({"type": "Query", "geoQ": {"georel": "within", "geometry": "Polygon"}})"), Get({}),
      *LdContext::Core(), {});
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), ErrorCode::kBadRequestData);
}

}  // namespace
}  // namespace dothi::api::ngsi_ld
