#include "http/router.h"

#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include "http/status_mapping.h"

namespace dothi::http {
namespace {

Handler Named(std::string tag) {
  return [tag](const RequestContext&, Request& req) {
    Response res;
    res.body = tag;
    for (const auto& [k, v] : req.path_params) res.body += "|" + k + "=" + v;
    return res;
  };
}

Request Make(Method m, std::string target) {
  Request req;
  req.method = m;
  req.target = target;
  std::string_view t = target;
  std::string_view raw = t.substr(0, t.find('?'));
  if (!PercentDecode(raw, req.path, false)) req.path = std::string(raw);
  return req;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.Add(Method::kGet, "/ngsi-ld/v1/entities", "list", Named("list"));
    router_.Add(Method::kPost, "/ngsi-ld/v1/entities", "create", Named("create"));
    router_.Add(Method::kGet, "/ngsi-ld/v1/entities/{id}", "get", Named("get"));
    router_.Add(Method::kDelete, "/ngsi-ld/v1/entities/{id}", "delete", Named("delete"));
    router_.Add(Method::kPatch, "/ngsi-ld/v1/entities/{id}/attrs/{attr}", "patch_attr",
                Named("patch_attr"));
    router_.Add(Method::kGet, "/ngsi-ld/v1/entities/special", "special", Named("special"));
    router_.Add(Method::kGet, "/health", "health", Named("health"), RouteOptions{.run_inline = true});
  }

  Response Run(Method m, std::string target, std::string* route = nullptr) {
    Request req = Make(m, std::move(target));
    std::string name;
    Response res = router_.Dispatch(ctx_, req, &name);
    if (route != nullptr) *route = name;
    return res;
  }

  Router router_;
  RequestContext ctx_;
};

TEST_F(RouterTest, MatchesLiteralRoute) {
  std::string route;
  Response res = Run(Method::kGet, "/ngsi-ld/v1/entities?type=Bus", &route);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "list");
  EXPECT_EQ(route, "list");
}

TEST_F(RouterTest, DecodesEncodedEntityIdParameter) {
  EXPECT_EQ(Run(Method::kGet, "/ngsi-ld/v1/entities/urn%3Angsi-ld%3ABus%3A1").body,
            "get|id=urn:ngsi-ld:Bus:1");
  EXPECT_EQ(Run(Method::kGet, "/ngsi-ld/v1/entities/urn:ngsi-ld:Bus:1").body,
            "get|id=urn:ngsi-ld:Bus:1");
}

TEST_F(RouterTest, EncodedSlashStaysInsideOneParameter) {
  EXPECT_EQ(Run(Method::kGet, "/ngsi-ld/v1/entities/a%2Fb").body, "get|id=a/b");
}

TEST_F(RouterTest, FillsSeveralParameters) {
  EXPECT_EQ(Run(Method::kPatch, "/ngsi-ld/v1/entities/urn:x:1/attrs/speed").body,
            "patch_attr|id=urn:x:1|attr=speed");
}

// "/entities//attrs/speed" reaches the route with an empty id, for the handler to refuse
// in its API's terms (NGSI-LD: 400 BadRequestData), rather than a 404 for the path.
TEST_F(RouterTest, EmptySegmentFillsAParameter) {
  EXPECT_EQ(Run(Method::kPatch, "/ngsi-ld/v1/entities//attrs/speed").body,
            "patch_attr|id=|attr=speed");
}

// An asynchronous route answers through its AsyncCall; a plain Dispatch waits for it.
TEST_F(RouterTest, AsyncRouteAnswersThroughItsCall) {
  router_.AddAsync(Method::kPost, "/ngsi-ld/v1/entities/{id}/attrs", "append",
                   [](const RequestContext&, Request& req, AsyncCall call) {
                     std::string id(req.PathParam("id"));
                     std::thread([id, call] {
                       Response res;
                       res.status = 204;
                       res.body = "appended " + id;
                       call.respond(std::move(res));
                     }).detach();
                   });
  Request req = Make(Method::kPost, "/ngsi-ld/v1/entities/urn:x:1/attrs");
  EXPECT_EQ(router_.ExecutionOf(req), Router::Execution::kAsync);
  std::string route;
  Response res = router_.Dispatch(ctx_, req, &route);
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.body, "appended urn:x:1");
  EXPECT_EQ(route, "append");

  // DispatchAsync of a plain route answers at once through respond.
  std::optional<Response> got;
  AsyncCall call;
  call.respond = [&](Response r) { got = std::move(r); };
  call.offload = [](std::function<void()> fn) { fn(); };
  Request get = Make(Method::kGet, "/ngsi-ld/v1/entities/urn:x:2");
  router_.DispatchAsync(ctx_, get, &route, call);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->body, "get|id=urn:x:2");
}

TEST_F(RouterTest, ReusedRequestIsRoutedByItsNewPath) {
  // The server resets one Request per connection; the second request must not see the
  // first one's segments, route or parameters.
  Request req = Make(Method::kPatch, "/ngsi-ld/v1/entities/urn:ngsi-ld:Bus:1/attrs/speed");
  std::string name;
  EXPECT_EQ(router_.Dispatch(ctx_, req, &name).body, "patch_attr|id=urn:ngsi-ld:Bus:1|attr=speed");
  req.Reset();
  req.method = Method::kGet;
  req.target = "/ngsi-ld/v1/entities/b2";
  req.path = req.target;
  EXPECT_EQ(router_.Dispatch(ctx_, req, &name).body, "get|id=b2");
  EXPECT_EQ(name, "get");
  req.Reset();
  req.method = Method::kGet;
  req.target = "/health";
  req.path = req.target;
  EXPECT_EQ(router_.Dispatch(ctx_, req, &name).body, "health");
  req.Reset();
  req.method = Method::kGet;
  req.target = "/ngsi-ld/v1/entities/a/";  // trailing slash, longer than the last path
  req.path = req.target;
  EXPECT_EQ(router_.Dispatch(ctx_, req, &name).body, "get|id=a");
}

TEST_F(RouterTest, PrefersExactMatchOverParameter) {
  EXPECT_EQ(Run(Method::kGet, "/ngsi-ld/v1/entities/special").body, "special");
  EXPECT_EQ(Run(Method::kGet, "/ngsi-ld/v1/entities/other").body, "get|id=other");
}

TEST_F(RouterTest, ToleratesTrailingSlash) {
  EXPECT_EQ(Run(Method::kGet, "/ngsi-ld/v1/entities/").body, "list");
  EXPECT_EQ(Run(Method::kGet, "/health/").body, "health");
}

TEST_F(RouterTest, UnknownPathIs404FromRenderer) {
  std::string route;
  Response res = Run(Method::kGet, "/nothing/here", &route);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(route, "unmatched");
  EXPECT_NE(res.body.find("no such resource"), std::string::npos);
  EXPECT_EQ(*res.Header("Content-Type"), "application/json");
}

TEST_F(RouterTest, WrongMethodIs405WithAllowFromTable) {
  Response res = Run(Method::kPut, "/ngsi-ld/v1/entities/urn:x:1");
  EXPECT_EQ(res.status, 405);
  ASSERT_NE(res.Header("Allow"), nullptr);
  EXPECT_EQ(*res.Header("Allow"), "GET, HEAD, DELETE, OPTIONS");
  res = Run(Method::kDelete, "/ngsi-ld/v1/entities");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(*res.Header("Allow"), "GET, HEAD, POST, OPTIONS");
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  std::string route;
  Response res = Run(Method::kHead, "/ngsi-ld/v1/entities/x", &route);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(route, "get");
}

TEST_F(RouterTest, OptionsAnswers204WithAllow) {
  Response res = Run(Method::kOptions, "/ngsi-ld/v1/entities/x/attrs/y");
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(*res.Header("Allow"), "PATCH, OPTIONS");
}

TEST_F(RouterTest, UsesRendererOfLongestPrefix) {
  router_.SetErrorRenderer("/", [](const RequestContext&, const Request&, const Status& s) {
    Response res;
    res.status = HttpStatusFor(s.code());
    res.body = "root:" + s.message();
    return res;
  });
  router_.SetErrorRenderer("/ngsi-ld/", [](const RequestContext&, const Request&,
                                           const Status& s) {
    Response res;
    res.status = HttpStatusFor(s.code());
    res.body = "ngsi:" + s.message();
    return res;
  });
  EXPECT_EQ(Run(Method::kGet, "/ngsi-ld/v1/nope").body, "ngsi:no such resource: /ngsi-ld/v1/nope");
  EXPECT_EQ(Run(Method::kGet, "/other").body, "root:no such resource: /other");
  Response res = Run(Method::kPut, "/ngsi-ld/v1/entities");
  EXPECT_EQ(res.status, 405);  // the renderer maps kMethodNotAllowed to 405
  EXPECT_EQ(res.body, "ngsi:method not allowed: PUT");
}

TEST_F(RouterTest, ReportsInlineRoutes) {
  Request health = Make(Method::kGet, "/health");
  Request entities = Make(Method::kGet, "/ngsi-ld/v1/entities");
  Request nothing = Make(Method::kGet, "/nothing");
  EXPECT_EQ(router_.ExecutionOf(health), Router::Execution::kInline);
  EXPECT_EQ(router_.ExecutionOf(entities), Router::Execution::kPool);
  EXPECT_EQ(router_.ExecutionOf(nothing), Router::Execution::kPool);
}

TEST_F(RouterTest, WorksFromPathWhenTargetIsEmpty) {
  Request req;
  req.method = Method::kGet;
  req.path = "/ngsi-ld/v1/entities/urn:ngsi-ld:Bus:7";
  EXPECT_EQ(router_.Dispatch(ctx_, req, nullptr).body, "get|id=urn:ngsi-ld:Bus:7");
  EXPECT_EQ(req.PathParam("id"), "urn:ngsi-ld:Bus:7");
}

TEST(RouterLengthTest, MatchesOnlyPatternsOfThePathsLength) {
  Router router;
  router.Add(Method::kGet, "/", "root", Named("root"));
  router.Add(Method::kGet, "/a/{x}", "a", Named("a"));
  router.Add(Method::kPost, "/a/b/c", "abc", Named("abc"));
  router.Add(Method::kGet, "/{x}/b", "xb", Named("xb"));
  RequestContext ctx;
  std::string name;
  Request root = Make(Method::kGet, "/");
  EXPECT_EQ(router.Dispatch(ctx, root, &name).body, "root");
  Request a = Make(Method::kGet, "/a/b");
  EXPECT_EQ(router.Dispatch(ctx, a, &name).body, "a|x=b") << "both two-segment patterns fit; literal first wins";
  Request abc = Make(Method::kGet, "/a/b/c");
  Response wrong_method = router.Dispatch(ctx, abc, &name);
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(*wrong_method.Header("Allow"), "POST, OPTIONS");
  Request longer = Make(Method::kGet, "/a/b/c/d/e/f/g/h");
  EXPECT_EQ(router.Dispatch(ctx, longer, &name).status, 404);
  EXPECT_EQ(name, "unmatched");
}

TEST(AllowHeaderTest, ListsMethodsInFixedOrder) {
  EXPECT_EQ(AllowHeaderValue(0), "OPTIONS");
}

}  // namespace
}  // namespace dothi::http
