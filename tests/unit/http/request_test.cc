#include "http/request.h"

#include <gtest/gtest.h>

namespace dothi::http {
namespace {

TEST(RequestTest, ParsesAndNamesMethods) {
  EXPECT_EQ(ParseMethod("GET"), Method::kGet);
  EXPECT_EQ(ParseMethod("PATCH"), Method::kPatch);
  EXPECT_EQ(ParseMethod("OPTIONS"), Method::kOptions);
  EXPECT_EQ(ParseMethod("get"), Method::kOther);  // methods are case-sensitive
  EXPECT_STREQ(MethodName(Method::kDelete), "DELETE");
}

TEST(RequestTest, FindsHeadersIgnoringCase) {
  Headers h = {{"Content-Type", "application/json"}, {"NGSILD-Tenant", "hanoi"}};
  ASSERT_NE(FindHeader(h, "content-type"), nullptr);
  EXPECT_EQ(*FindHeader(h, "ngsild-tenant"), "hanoi");
  EXPECT_EQ(FindHeader(h, "Accept"), nullptr);
}

TEST(RequestTest, SetHeaderReplacesExistingValue) {
  Response res;
  res.SetHeader("Content-Type", "text/plain").SetHeader("content-type", "application/json");
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(*res.Header("CONTENT-TYPE"), "application/json");
}

TEST(RequestTest, ParsesQueryStringInOrderAndDecodes) {
  auto q = ParseQueryString("type=Bus&q=speed%3E50&attrs=a,b&name=Hai+Ba+Trung&flag&&x=%zz");
  ASSERT_EQ(q.size(), 6u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>("type", "Bus")));
  EXPECT_EQ(q[1].second, "speed>50");
  EXPECT_EQ(q[2].second, "a,b");
  EXPECT_EQ(q[3].second, "Hai Ba Trung");
  EXPECT_EQ(q[4], (std::pair<std::string, std::string>("flag", "")));
  EXPECT_EQ(q[5].second, "%zz");  // invalid escape kept as is
}

TEST(RequestTest, QueryAndPathParamAccessors) {
  Request req;
  req.query = {{"limit", "10"}, {"limit", "20"}};
  req.path_params = {{"id", "urn:ngsi-ld:Bus:1"}};
  ASSERT_NE(req.Query("limit"), nullptr);
  EXPECT_EQ(*req.Query("limit"), "10");
  EXPECT_EQ(req.Query("offset"), nullptr);
  EXPECT_EQ(req.PathParam("id"), "urn:ngsi-ld:Bus:1");
  EXPECT_EQ(req.PathParam("attr"), "");
}

TEST(RequestTest, PercentDecodeRejectsMalformedEscapes) {
  std::string out;
  EXPECT_TRUE(PercentDecode("urn%3Angsi-ld%3aBus%3A1", out, false));
  EXPECT_EQ(out, "urn:ngsi-ld:Bus:1");
  EXPECT_TRUE(PercentDecode("a+b", out, false));
  EXPECT_EQ(out, "a+b");
  EXPECT_TRUE(PercentDecode("a+b", out, true));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(PercentDecode("bad%2", out, false));
  EXPECT_FALSE(PercentDecode("bad%g1", out, false));
}

TEST(RequestTest, PercentEncodeRoundTrips) {
  std::string raw = "urn:ngsi-ld:Bus:1/ä &?=";
  std::string enc = PercentEncode(raw);
  EXPECT_EQ(enc.find_first_of(":/ &?="), std::string::npos);
  EXPECT_EQ(PercentEncode("a-b_c.d~e"), "a-b_c.d~e");
  std::string back;
  ASSERT_TRUE(PercentDecode(enc, back, false));
  EXPECT_EQ(back, raw);
}

TEST(RequestTest, ResetClearsEveryFieldAndKeepsTheBuffers) {
  Request req;
  req.method = Method::kPatch;
  req.target = "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:1/attrs?x=1";
  req.path = "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:1/attrs";
  req.query = {{"x", "1"}};
  req.path_params = {{"id", "urn:ngsi-ld:AirQualityObserved:1"}};
  req.path_segments = {"ngsi-ld", "v1"};
  req.path_split = true;
  req.route_lookup = Request::RouteLookup{&req, 3};
  req.headers = {{"Content-Type", "application/json"}};
  req.body = std::string(300, 'x');
  const std::size_t body_capacity = req.body.capacity();
  const std::size_t header_capacity = req.headers.capacity();

  req.Reset();
  EXPECT_EQ(req.method, Method::kGet);
  EXPECT_TRUE(req.target.empty());
  EXPECT_TRUE(req.path.empty());
  EXPECT_TRUE(req.query.empty());
  EXPECT_TRUE(req.path_params.empty());
  EXPECT_FALSE(req.path_split);  // the old segments are not used again
  EXPECT_FALSE(req.route_lookup.has_value());
  EXPECT_TRUE(req.headers.empty());
  EXPECT_EQ(req.Header("Content-Type"), nullptr);
  EXPECT_TRUE(req.body.empty());
  EXPECT_EQ(req.body.capacity(), body_capacity);
  EXPECT_EQ(req.headers.capacity(), header_capacity);
}

}  // namespace
}  // namespace dothi::http

namespace dothi::http {
namespace {

TEST(RedactedTargetTest, SecretsInTheQueryAndTokenPathsAreHidden) {
  EXPECT_EQ(RedactedTarget("/open311/v2/requests.json?service_code=a&page=2"),
            "/open311/v2/requests.json?service_code=a&page=2");
  EXPECT_EQ(RedactedTarget("/open311/v2/requests/5/reporter.json?api_key=s3cr3t&jurisdiction_id=demo"),
            "/open311/v2/requests/5/reporter.json?api_key=REDACTED&jurisdiction_id=demo");
  EXPECT_EQ(RedactedTarget("/x?API%5FKEY=a&Token=b&keyword=c&password=d&flag&secret="),
            "/x?API%5FKEY=REDACTED&Token=REDACTED&keyword=c&password=REDACTED&flag&secret=REDACTED");
  EXPECT_EQ(RedactedTarget("/open311/v2/tokens/0123456789abcdef.json?jurisdiction_id=demo"),
            "/open311/v2/tokens/REDACTED.json?jurisdiction_id=demo");
  EXPECT_EQ(RedactedTarget("/open311/v2/tokens/abc"), "/open311/v2/tokens/REDACTED");
  EXPECT_EQ(RedactedTarget("/ngsi-ld/v1/entities"), "/ngsi-ld/v1/entities");
}

}  // namespace
}  // namespace dothi::http
