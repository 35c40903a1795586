#include "api/ngsi_ld/context_registry.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/common/json_parse.h"

namespace dothi::api::ngsi_ld {
namespace {

Json J(std::string_view text) {
  Result<Json> j = ParseJson(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : Json();
}

// Serves documents from a map and counts calls per URL.
struct FakeFetcher {
  std::map<std::string, std::string, std::less<>> bodies;
  std::map<std::string, int, std::less<>> calls;
  std::atomic<int> total{0};
  std::mutex mu;
  ContextFetcher Fn() {
    return [this](std::string_view url) -> Result<std::string> {
      std::lock_guard lock(mu);
      ++total;
      ++calls[std::string(url)];
      auto it = bodies.find(url);
      if (it == bodies.end()) return Status::NotFound("404", url);
      return it->second;
    };
  }
};

constexpr std::string_view kVehicleUrl = "https://ctx.example.org/vehicle.jsonld";
constexpr std::string_view kVehicleDoc =
    R"({"@context": {"brandName": "https://schema.org/brand", "speed": "https://schema.org/speed"}})";

ContextOptions RemoteOptions() {
  ContextOptions o;
  o.allow_remote = true;
  o.base_url = "http://broker.test:1026/";
  return o;
}

class ContextRegistryTest : public ::testing::Test {
 protected:
  ContextRegistryTest() { fetcher_.bodies[std::string(kVehicleUrl)] = std::string(kVehicleDoc); }
  FakeFetcher fetcher_;
};

TEST_F(ContextRegistryTest, NullGivesTheSharedCoreContext) {
  ContextRegistry reg(ContextOptions{}, fetcher_.Fn());
  auto ctx = reg.Resolve(Json());
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(ctx->get(), LdContext::Core().get());
  EXPECT_EQ((*ctx)->source(), Json(kCoreContextUrl));
  EXPECT_EQ(reg.ResolvedCacheSizeForTesting(), 0u);
}

TEST_F(ContextRegistryTest, CoreUrlsResolveOfflineWithoutFetching) {
  ContextRegistry reg(RemoteOptions(), fetcher_.Fn());
  for (std::string_view url : {
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
           "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld",
       }) {
    auto ctx = reg.Resolve(Json(url));
    ASSERT_TRUE(ctx.ok()) << url;
    EXPECT_EQ((*ctx)->ExpandTerm("location"), "https://uri.etsi.org/ngsi-ld/location");
    Json arr = Json::MakeArray();
    arr.Push(Json(url));
    ASSERT_TRUE(reg.Resolve(arr).ok());
  }
  EXPECT_EQ(fetcher_.total, 0);
}

TEST_F(ContextRegistryTest, RemoteContextIsFetchedOnceThenCached) {
  ContextRegistry reg(RemoteOptions(), fetcher_.Fn());
  for (int i = 0; i < 3; ++i) {
    auto ctx = reg.Resolve(Json(kVehicleUrl));
    ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
    EXPECT_EQ((*ctx)->ExpandTerm("brandName"), "https://schema.org/brand");
    EXPECT_EQ((*ctx)->CompactIri("https://schema.org/brand"), "brandName");
  }
  // The document cache also serves a different context value naming the same URL.
  Json arr = J(R"(["https://ctx.example.org/vehicle.jsonld", {"x": "https://ex.org/x"}])");
  auto ctx = reg.Resolve(arr);
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ((*ctx)->ExpandTerm("speed"), "https://schema.org/speed");
  EXPECT_EQ((*ctx)->ExpandTerm("x"), "https://ex.org/x");
  EXPECT_EQ(fetcher_.total, 1);
  EXPECT_EQ(reg.ResolvedCacheSizeForTesting(), 2u);

  // Listed as Cached with its hits.
  Json list = reg.List(true, ContextKind::kCached);
  ASSERT_EQ(list.size(), 2u);  // core + vehicle
  const Json& info = list.AsArray()[1];
  EXPECT_EQ(info.Find("URL")->AsString(), kVehicleUrl);
  EXPECT_EQ(info.Find("kind")->AsString(), "Cached");
  EXPECT_EQ(info.Find("numberOfHits")->AsInt(), 4);
  EXPECT_NE(info.Find("lastUsage"), nullptr);
  EXPECT_NE(info.Find("createdAt"), nullptr);
}

TEST_F(ContextRegistryTest, InlineContextIsCachedByValue) {
  ContextRegistry reg(ContextOptions{}, fetcher_.Fn());
  Json inline_ctx = J(R"({"brandName": "https://schema.org/brand"})");
  auto a = reg.Resolve(inline_ctx);
  auto b = reg.Resolve(inline_ctx);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ((*a)->source(), inline_ctx);
  EXPECT_EQ((*a)->ExpandTerm("brandName"), "https://schema.org/brand");
}

TEST_F(ContextRegistryTest, RemoteDisabledIsNotAvailable) {
  ContextRegistry reg(ContextOptions{}, fetcher_.Fn());
  auto ctx = reg.Resolve(Json(kVehicleUrl));
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), ErrorCode::kLdContextNotAvailable);
  EXPECT_EQ(fetcher_.total, 0);
}

TEST_F(ContextRegistryTest, DisallowedHostIsNotAvailable) {
  ContextOptions o = RemoteOptions();
  o.allowed_hosts = {"contexts.example.com", "*.example.org"};
  fetcher_.bodies["https://evil.test/ctx.jsonld"] = std::string(kVehicleDoc);
  ContextRegistry reg(o, fetcher_.Fn());
  auto bad = reg.Resolve(Json("https://evil.test/ctx.jsonld"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kLdContextNotAvailable);
  EXPECT_EQ(fetcher_.total, 0);
  // ctx.example.org matches *.example.org.
  EXPECT_TRUE(reg.Resolve(Json(kVehicleUrl)).ok());
  EXPECT_EQ(fetcher_.total, 1);
}

TEST_F(ContextRegistryTest, NonHttpAndRelativeUrlsAreNotAvailable) {
  ContextRegistry reg(RemoteOptions(), fetcher_.Fn());
  for (std::string_view url : {"file:///etc/passwd", "./local.jsonld", "ftp://x.org/c"}) {
    auto ctx = reg.Resolve(Json(url));
    ASSERT_FALSE(ctx.ok()) << url;
    EXPECT_EQ(ctx.status().code(), ErrorCode::kLdContextNotAvailable) << url;
  }
  EXPECT_EQ(fetcher_.total, 0);
}

TEST_F(ContextRegistryTest, FetchFailureIsNotAvailable) {
  ContextRegistry reg(RemoteOptions(), fetcher_.Fn());
  auto ctx = reg.Resolve(Json("https://ctx.example.org/missing.jsonld"));
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), ErrorCode::kLdContextNotAvailable);
}

TEST_F(ContextRegistryTest, OversizeDocumentIsNotAvailable) {
  ContextOptions o = RemoteOptions();
  o.max_bytes = 16;
  ContextRegistry reg(o, fetcher_.Fn());
  auto ctx = reg.Resolve(Json(kVehicleUrl));
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), ErrorCode::kLdContextNotAvailable);
}

TEST_F(ContextRegistryTest, InvalidDocumentsAreInvalidContext) {
  fetcher_.bodies["https://ctx.example.org/notjson"] = "{not json";
  fetcher_.bodies["https://ctx.example.org/nocontext"] = R"({"brandName": "x"})";
  fetcher_.bodies["https://ctx.example.org/badterm"] = R"({"@context": {"a": 1}})";
  ContextRegistry reg(RemoteOptions(), fetcher_.Fn());
  for (std::string_view url :
       {"https://ctx.example.org/notjson", "https://ctx.example.org/nocontext",
        "https://ctx.example.org/badterm"}) {
    auto ctx = reg.Resolve(Json(url));
    ASSERT_FALSE(ctx.ok()) << url;
    EXPECT_EQ(ctx.status().code(), ErrorCode::kInvalidContext) << url;
  }
}

TEST_F(ContextRegistryTest, CycleBetweenRemoteDocumentsIsAnError) {
  fetcher_.bodies["https://ctx.example.org/a"] = R"({"@context": "https://ctx.example.org/b"})";
  fetcher_.bodies["https://ctx.example.org/b"] =
      R"({"@context": ["https://ctx.example.org/a", {"x": "https://ex.org/x"}]})";
  ContextRegistry reg(RemoteOptions(), fetcher_.Fn());
  auto ctx = reg.Resolve(Json("https://ctx.example.org/a"));
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), ErrorCode::kInvalidContext);
  EXPECT_EQ(fetcher_.total, 2);
}

TEST_F(ContextRegistryTest, HostedContextLifecycle) {
  std::map<std::string, std::string> saved;
  ContextPersistence persistence;
  persistence.persist = [&saved](std::string_view id, std::string_view bytes) {
    saved[std::string(id)] = std::string(bytes);
    return Status::OK();
  };
  persistence.remove = [&saved](std::string_view id) {
    saved.erase(std::string(id));
    return Status::OK();
  };
  ContextOptions options;
  options.base_url = "http://broker.test:1026/";
  ContextRegistry reg(options, fetcher_.Fn(), persistence);

  auto added = reg.AddHosted(J(R"({"@context": {"brandName": "https://schema.org/brand"}})"));
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(added->kind, ContextKind::kHosted);
  EXPECT_EQ(added->url, "http://broker.test:1026/ngsi-ld/v1/jsonldContexts/" + added->local_id);
  ASSERT_EQ(saved.count(added->local_id), 1u);

  // Resolving the hosted URL is served locally.
  auto ctx = reg.Resolve(Json(added->url));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ((*ctx)->ExpandTerm("brandName"), "https://schema.org/brand");
  EXPECT_EQ(fetcher_.total, 0);

  // List: URLs, details, kind filter.
  Json urls = reg.List(false);
  ASSERT_EQ(urls.size(), 2u);
  EXPECT_EQ(urls.AsArray()[0], Json(kCoreContextUrl));
  EXPECT_EQ(urls.AsArray()[1], Json(added->url));
  Json hosted = reg.List(true, ContextKind::kHosted);
  ASSERT_EQ(hosted.size(), 1u);
  EXPECT_EQ(hosted.AsArray()[0].Find("localId")->AsString(), added->local_id);
  EXPECT_EQ(hosted.AsArray()[0].Find("kind")->AsString(), "Hosted");
  EXPECT_EQ(hosted.AsArray()[0].Find("numberOfHits"), nullptr);
  EXPECT_EQ(reg.List(false, ContextKind::kImplicitlyCreated).size(), 0u);

  // Get by localId and by URL.
  auto doc = reg.Get(added->local_id);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(*doc, J(R"({"@context": {"brandName": "https://schema.org/brand"}})"));
  auto by_url = reg.Get(added->url, true);
  ASSERT_TRUE(by_url.ok());
  EXPECT_EQ(by_url->Find("URL")->AsString(), added->url);

  // Reload of a hosted context is refused; delete removes it everywhere.
  EXPECT_EQ(reg.Delete(added->local_id, true).code(), ErrorCode::kBadRequestData);
  EXPECT_TRUE(reg.Delete(added->local_id).ok());
  EXPECT_EQ(saved.count(added->local_id), 0u);
  EXPECT_EQ(reg.Get(added->local_id).status().code(), ErrorCode::kNotFound);
  auto gone = reg.Resolve(Json(added->url));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), ErrorCode::kLdContextNotAvailable);
  EXPECT_EQ(fetcher_.total, 0);
  EXPECT_EQ(reg.Delete(added->local_id).code(), ErrorCode::kNotFound);
}

TEST_F(ContextRegistryTest, HostedContextsSurviveARestart) {
  std::map<std::string, std::string> saved;
  ContextPersistence persistence;
  persistence.persist = [&saved](std::string_view id, std::string_view bytes) {
    saved[std::string(id)] = std::string(bytes);
    return Status::OK();
  };
  std::string url;
  {
    ContextRegistry reg(ContextOptions{}, nullptr, persistence);
    auto added = reg.AddHosted(J(R"({"@context": [{"speed": "https://schema.org/speed"}]})"));
    ASSERT_TRUE(added.ok());
    url = added->url;
  }
  ContextRegistry reg(ContextOptions{}, nullptr, persistence);
  for (const auto& [id, bytes] : saved) ASSERT_TRUE(reg.LoadHosted(id, bytes).ok());
  auto ctx = reg.Resolve(Json(url));
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  EXPECT_EQ((*ctx)->ExpandTerm("speed"), "https://schema.org/speed");
  EXPECT_EQ(reg.LoadHosted(saved.begin()->first, saved.begin()->second).code(),
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(reg.LoadHosted("x", "{bad").code(), ErrorCode::kInvalidContext);
}

TEST_F(ContextRegistryTest, AddHostedRejectsBadBodies) {
  ContextRegistry reg(ContextOptions{}, fetcher_.Fn());
  EXPECT_EQ(reg.AddHosted(J(R"([1])")).status().code(), ErrorCode::kInvalidRequest);
  // No @context member: InvalidRequest (ETSI 050_02_01).
  EXPECT_EQ(reg.AddHosted(J(R"({"x": 1})")).status().code(), ErrorCode::kInvalidRequest);
  EXPECT_EQ(reg.AddHosted(J(R"({"@context": 5})")).status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(reg.AddHosted(J(R"({"@context": {"a": true}})")).status().code(),
            ErrorCode::kBadRequestData);
  // A remote URL that cannot be fetched stays a 503.
  EXPECT_EQ(reg.AddHosted(J(R"({"@context": ["https://ctx.example.org/vehicle.jsonld"]})"))
                .status()
                .code(),
            ErrorCode::kLdContextNotAvailable);
}

TEST_F(ContextRegistryTest, PersistFailureAddsNothing) {
  ContextPersistence persistence;
  persistence.persist = [](std::string_view, std::string_view) {
    return Status::Unavailable("disk full");
  };
  ContextRegistry reg(ContextOptions{}, nullptr, persistence);
  auto added = reg.AddHosted(J(R"({"@context": {"a": "https://ex.org/a"}})"));
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(reg.List(false).size(), 1u);  // only the core context
}

TEST_F(ContextRegistryTest, CoreContextCannotBeDeleted) {
  ContextRegistry reg(ContextOptions{}, fetcher_.Fn());
  EXPECT_EQ(reg.Delete(kCoreContextUrl).code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(reg.Delete(ContextRegistry::kCoreLocalId).code(), ErrorCode::kBadRequestData);
  // Reloading the built-in core context is a no-op (ETSI 051_09_01).
  EXPECT_TRUE(reg.Delete("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld", true).ok());
  // reload names a cached context by its URL; anything else is a bad request (051_04_01).
  EXPECT_EQ(reg.Delete("wrong_id_context", true).code(), ErrorCode::kBadRequestData);
  auto core = reg.Get(kCoreContextUrl);
  ASSERT_TRUE(core.ok());
  ASSERT_NE(core->Find("@context"), nullptr);
  auto info = reg.Get(ContextRegistry::kCoreLocalId, true);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->Find("kind")->AsString(), "Cached");
}

TEST_F(ContextRegistryTest, CachedContextDeleteAndReload) {
  ContextRegistry reg(RemoteOptions(), fetcher_.Fn());
  ASSERT_TRUE(reg.Resolve(Json(kVehicleUrl)).ok());
  EXPECT_EQ(fetcher_.total, 1);

  // reload fetches again and the new terms take effect.
  fetcher_.bodies[std::string(kVehicleUrl)] =
      R"({"@context": {"brandName": "https://schema.org/brandV2"}})";
  ASSERT_TRUE(reg.Delete(kVehicleUrl, true).ok());
  EXPECT_EQ(fetcher_.total, 2);
  auto ctx = reg.Resolve(Json(kVehicleUrl));
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ((*ctx)->ExpandTerm("brandName"), "https://schema.org/brandV2");
  EXPECT_EQ(fetcher_.total, 2);

  // Plain delete drops it from the cache: the next use fetches again.
  Json list = reg.List(true, ContextKind::kCached);
  ASSERT_EQ(list.size(), 2u);
  std::string local_id = list.AsArray()[1].Find("localId")->AsString();
  ASSERT_TRUE(reg.Delete(local_id).ok());
  EXPECT_EQ(reg.List(false, ContextKind::kCached).size(), 1u);
  ASSERT_TRUE(reg.Resolve(Json(kVehicleUrl)).ok());
  EXPECT_EQ(fetcher_.total, 3);
}

TEST_F(ContextRegistryTest, ImplicitContextsGetAUrl) {
  ContextRegistry reg(ContextOptions{}, fetcher_.Fn());
  Json value = J(R"([{"speed": "http://example.org/speed"},
                     "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"])");
  auto a = reg.AddImplicit(value);
  auto b = reg.AddImplicit(value);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->local_id, b->local_id);
  EXPECT_EQ(a->kind, ContextKind::kImplicitlyCreated);
  Json list = reg.List(true, ContextKind::kImplicitlyCreated);
  ASSERT_EQ(list.size(), 1u);
  auto ctx = reg.Resolve(Json(a->url));
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ((*ctx)->ExpandTerm("speed"), "http://example.org/speed");
  EXPECT_EQ(reg.Delete(a->local_id, true).code(), ErrorCode::kBadRequestData);
  EXPECT_TRUE(reg.Delete(a->local_id).ok());
}

TEST_F(ContextRegistryTest, ResolvedCacheIsBounded) {
  ContextOptions o;
  o.max_cached = 16;
  ContextRegistry reg(o, fetcher_.Fn());
  for (int i = 0; i < 100; ++i) {
    Json v = Json::MakeObject({{"t" + std::to_string(i), "https://ex.org/t"}});
    ASSERT_TRUE(reg.Resolve(v).ok());
  }
  EXPECT_LE(reg.ResolvedCacheSizeForTesting(), 16u);
}

TEST_F(ContextRegistryTest, ConcurrentResolvesAgree) {
  ContextRegistry reg(RemoteOptions(), fetcher_.Fn());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&reg, &failures, t] {
      for (int i = 0; i < 200; ++i) {
        Json v = (i % 2 == 0)
                     ? Json(kVehicleUrl)
                     : Json::MakeObject({{"k" + std::to_string((t + i) % 10), "https://ex.org/k"}});
        auto ctx = reg.Resolve(v);
        if (!ctx.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(fetcher_.total, 8);  // at most one racing fetch per thread
}

TEST(ContextKindTest, ParsesSpecNames) {
  EXPECT_EQ(*ParseContextKind("Hosted"), ContextKind::kHosted);
  EXPECT_EQ(*ParseContextKind("Cached"), ContextKind::kCached);
  EXPECT_EQ(*ParseContextKind("ImplicitlyCreated"), ContextKind::kImplicitlyCreated);
  EXPECT_EQ(ParseContextKind("hosted").status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(ContextKindName(ContextKind::kImplicitlyCreated), "ImplicitlyCreated");
}

}  // namespace
}  // namespace dothi::api::ngsi_ld
