#include "api/ogc_features/ogc_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

#include "api/ogc_features/ogc_render.h"
#include "core/json.h"
#include "core/time.h"
#include "http/status_mapping.h"

namespace dothi::api::ogc {
namespace {

constexpr std::size_t kDefaultLimit = 10;  // items per page when the request gives no limit
constexpr std::string_view kGeoJson = "application/geo+json";
constexpr std::string_view kOpenApi = "application/vnd.oai.openapi+json;version=3.0";

enum class Format { kJson, kHtml };

// f=json|html wins; otherwise an Accept header naming text/html before any JSON type
// (as browsers send) gives HTML, and everything else JSON.
Result<Format> FormatOf(const http::Request& req) {
  if (const std::string* f = req.Query("f")) {
    if (*f == "json") return Format::kJson;
    if (*f == "html") return Format::kHtml;
    return Status::InvalidRequest("unsupported format f (json or html)", *f);
  }
  const std::string* accept = req.Header("Accept");
  if (accept == nullptr) return Format::kJson;
  const std::size_t html = accept->find("text/html");
  if (html == std::string::npos) return Format::kJson;
  const std::size_t json = accept->find("json");
  return json == std::string::npos || html < json ? Format::kHtml : Format::kJson;
}

// Refuses query parameters outside allowed (and outside extra, when given).
Status CheckParams(const http::Request& req, std::initializer_list<std::string_view> allowed,
                   const service::FeatureCollectionInfo* properties = nullptr) {
  for (const auto& [name, value] : req.query) {
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    if (properties != nullptr && properties->PropertyIri(name) != nullptr) continue;
    return Status::InvalidRequest("unknown query parameter", name);
  }
  // A parameter given twice is ambiguous.
  for (std::size_t i = 0; i < req.query.size(); ++i) {
    for (std::size_t j = i + 1; j < req.query.size(); ++j) {
      if (req.query[i].first == req.query[j].first) {
        return Status::InvalidRequest("query parameter given more than once", req.query[i].first);
      }
    }
  }
  return Status::OK();
}

Result<std::size_t> ParseCount(std::string_view name, std::string_view text, std::size_t min) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || end != text.data() + text.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range) || v < min) {
    return Status::InvalidRequest(std::string(name) + " must be an integer of at least " +
                                      std::to_string(min),
                                  text);
  }
  if (ec == std::errc::result_out_of_range) v = static_cast<std::size_t>(-1);
  return v;
}

Result<geo::BBox> ParseBBox(std::string_view text) {
  std::vector<double> v;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    std::string_view part = text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
    double d = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || !std::isfinite(d)) {
      return Status::InvalidRequest("bbox must be 4 or 6 comma-separated numbers", text);
    }
    v.push_back(d);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (v.size() != 4 && v.size() != 6) {
    return Status::InvalidRequest("bbox must be 4 or 6 comma-separated numbers", text);
  }
  geo::BBox b;
  const std::size_t half = v.size() / 2;  // with 6 numbers the third and sixth are heights
  b.min_x = v[0];
  b.min_y = v[1];
  b.max_x = v[half];
  b.max_y = v[half + 1];
  for (double x : {b.min_x, b.max_x}) {
    if (x < -180.0 || x > 180.0) return Status::InvalidRequest("bbox longitude out of range", text);
  }
  for (double y : {b.min_y, b.max_y}) {
    if (y < -90.0 || y > 90.0) return Status::InvalidRequest("bbox latitude out of range", text);
  }
  if (b.min_y > b.max_y) return Status::InvalidRequest("bbox minimum latitude above maximum", text);
  return b;
}

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// One end of a datetime: an RFC 3339 date-time, or a date (its first or last microsecond).
std::optional<Timestamp> ParseEnd(std::string_view s, bool is_start) {
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    std::optional<Timestamp> day = ParseIso8601(std::string(s) + "T00:00:00Z");
    if (!day) return std::nullopt;
    if (!is_start) day->micros += kMicrosPerDay - 1;
    return day;
  }
  if (s.find('T') == std::string_view::npos && s.find('t') == std::string_view::npos) {
    return std::nullopt;
  }
  return ParseIso8601(s);
}

struct Interval {
  std::optional<Timestamp> from, to;
};

// datetime: an instant, or an interval "a/b" whose ends may be open (".." or empty).
Result<Interval> ParseDatetime(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidRequest("datetime must be an RFC 3339 instant or interval", text);
  };
  Interval out;
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    if (text.size() == 10) {  // a date: the whole day
      out.from = ParseEnd(text, true);
      out.to = ParseEnd(text, false);
    } else {
      out.from = out.to = ParseEnd(text, true);
    }
    if (!out.from || !out.to) return bad();
    return out;
  }
  const std::string_view a = text.substr(0, slash);
  const std::string_view b = text.substr(slash + 1);
  if (b.find('/') != std::string_view::npos) return bad();
  const bool open_a = a.empty() || a == "..";
  const bool open_b = b.empty() || b == "..";
  if (open_a && open_b) return bad();
  if (!open_a && !(out.from = ParseEnd(a, true))) return bad();
  if (!open_b && !(out.to = ParseEnd(b, false))) return bad();
  if (out.from && out.to && *out.from > *out.to) {
    return Status::InvalidRequest("datetime interval ends before it starts", text);
  }
  return out;
}

// The OGC API exception body {"code", "description"} with the status of s's code.
http::Response Error(const Status& s) {
  http::Response r;
  r.status = http::HttpStatusFor(s.code());
  r.SetHeader("Content-Type", "application/json");
  r.body = ExceptionJson(s).Dump();
  return r;
}

http::Response JsonResponse(const Json& body, std::string_view content_type) {
  http::Response r;
  r.SetHeader("Content-Type", std::string(content_type));
  r.body = body.Dump();
  return r;
}

http::Response HtmlResponse(std::string body) {
  http::Response r;
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  r.body = std::move(body);
  return r;
}

// The query string of req with the given parameters replaced (others kept in order).
std::string QueryWith(const http::Request& req,
                      std::initializer_list<std::pair<std::string_view, std::string>> set) {
  std::string out;
  auto add = [&](std::string_view k, std::string_view v) {
    out += out.empty() ? '?' : '&';
    out += http::PercentEncode(k);
    out += '=';
    out += http::PercentEncode(v);
  };
  for (const auto& [k, v] : req.query) {
    bool replaced = false;
    for (const auto& [sk, sv] : set) replaced = replaced || sk == k;
    if (!replaced) add(k, v);
  }
  for (const auto& [k, v] : set) {
    if (!v.empty()) add(k, v);
  }
  return out;
}

}  // namespace

OgcApi::OgcApi(service::FeatureService& features, OgcOptions options)
    : features_(features), options_(std::move(options)) {}

void OgcApi::RegisterRoutes(http::Router& router) {
  using M = http::Method;
  auto bind = [this](http::Response (OgcApi::*fn)(const RequestContext&, http::Request&) const) {
    return [this, fn](const RequestContext& ctx, http::Request& req) { return (this->*fn)(ctx, req); };
  };
  router.Add(M::kGet, "/ogc", "ogc.landing", bind(&OgcApi::LandingPage));
  router.Add(M::kGet, "/ogc/conformance", "ogc.conformance", bind(&OgcApi::Conformance));
  router.Add(M::kGet, "/ogc/api", "ogc.api", bind(&OgcApi::ApiDefinition));
  router.Add(M::kGet, "/ogc/collections", "ogc.collections", bind(&OgcApi::GetCollections));
  router.Add(M::kGet, "/ogc/collections/{collectionId}", "ogc.collection",
             bind(&OgcApi::GetCollection));
  router.Add(M::kGet, "/ogc/collections/{collectionId}/items", "ogc.items",
             bind(&OgcApi::GetCollectionItems));
  router.Add(M::kGet, "/ogc/collections/{collectionId}/items/{featureId}", "ogc.item",
             bind(&OgcApi::GetCollectionItem));
  router.SetErrorRenderer("/ogc", [](const RequestContext&, const http::Request&, const Status& s) {
    return Error(s);
  });
}

RequestContext OgcApi::TenantContext(const RequestContext& ctx, const http::Request& req) const {
  RequestContext out = ctx;
  if (req.Header("NGSILD-Tenant") == nullptr) out.tenant = options_.default_tenant;
  return out;
}

std::string OgcApi::BaseUrl(const http::Request& req) const {
  if (!options_.base_url.empty()) return options_.base_url + "/ogc";
  const std::string* host = req.Header("Host");
  std::string h = host != nullptr && !host->empty() ? *host : "localhost";
  // A Host header is one authority: refuse characters that would break a URL.
  if (h.find_first_of("/\\ \"<>?#@") != std::string::npos) h = "localhost";
  return "http://" + h + "/ogc";
}

http::Response OgcApi::LandingPage(const RequestContext&, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return Error(s);
  Result<Format> f = FormatOf(req);
  if (!f.ok()) return Error(f.status());
  const std::string base = BaseUrl(req);
  if (*f == Format::kHtml) return HtmlResponse(LandingHtml(base));
  return JsonResponse(LandingJson(base), "application/json");
}

http::Response OgcApi::Conformance(const RequestContext&, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return Error(s);
  Result<Format> f = FormatOf(req);
  if (!f.ok()) return Error(f.status());
  if (*f == Format::kHtml) return HtmlResponse(ConformanceHtml(BaseUrl(req)));
  return JsonResponse(ConformanceJson(), "application/json");
}

http::Response OgcApi::ApiDefinition(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return Error(s);
  Result<Format> f = FormatOf(req);
  if (!f.ok()) return Error(f.status());
  Result<std::vector<service::FeatureCollectionInfo>> all =
      features_.Collections(TenantContext(ctx, req));
  std::vector<service::FeatureCollectionInfo> collections;
  if (all.ok()) collections = std::move(*all);
  Json api = OpenApiJson(BaseUrl(req), collections, features_.MaxLimit());
  if (*f == Format::kHtml) return HtmlResponse(OpenApiHtml(BaseUrl(req), api));
  return JsonResponse(api, kOpenApi);
}

http::Response OgcApi::GetCollections(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return Error(s);
  Result<Format> f = FormatOf(req);
  if (!f.ok()) return Error(f.status());
  Result<std::vector<service::FeatureCollectionInfo>> all =
      features_.Collections(TenantContext(ctx, req));
  if (!all.ok()) return Error(all.status());
  const std::string base = BaseUrl(req);
  if (*f == Format::kHtml) return HtmlResponse(CollectionsHtml(base, *all));
  return JsonResponse(CollectionsJson(base, *all), "application/json");
}

http::Response OgcApi::GetCollection(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return Error(s);
  Result<Format> f = FormatOf(req);
  if (!f.ok()) return Error(f.status());
  Result<service::FeatureCollectionInfo> c =
      features_.Collection(TenantContext(ctx, req), req.PathParam("collectionId"));
  if (!c.ok()) return Error(c.status());
  const std::string base = BaseUrl(req);
  if (*f == Format::kHtml) return HtmlResponse(CollectionHtml(base, *c));
  return JsonResponse(CollectionJson(base, *c), "application/json");
}

http::Response OgcApi::GetCollectionItems(const RequestContext& ctx, http::Request& req) const {
  const RequestContext tctx = TenantContext(ctx, req);
  Result<service::FeatureCollectionInfo> c =
      features_.Collection(tctx, req.PathParam("collectionId"));
  if (!c.ok()) return Error(c.status());
  if (Status s = CheckParams(req, {"f", "limit", "offset", "bbox", "datetime"}, &*c); !s.ok()) {
    return Error(s);
  }
  Result<Format> f = FormatOf(req);
  if (!f.ok()) return Error(f.status());

  service::FeatureQuery q;
  q.limit = kDefaultLimit;
  for (const auto& [name, value] : req.query) {
    if (name == "f") continue;
    if (name == "limit") {
      Result<std::size_t> n = ParseCount("limit", value, 1);
      if (!n.ok()) return Error(n.status());
      q.limit = std::min(*n, features_.MaxLimit());  // a larger limit is not an error
    } else if (name == "offset") {
      Result<std::size_t> n = ParseCount("offset", value, 0);
      if (!n.ok()) return Error(n.status());
      q.offset = *n;
    } else if (name == "bbox") {
      Result<geo::BBox> b = ParseBBox(value);
      if (!b.ok()) return Error(b.status());
      q.bbox = *b;
    } else if (name == "datetime") {
      Result<Interval> i = ParseDatetime(value);
      if (!i.ok()) return Error(i.status());
      q.modified_from = i->from;
      q.modified_to = i->to;
    } else {
      q.equals.emplace_back(name, value);
    }
  }
  Result<service::FeaturePage> page = features_.Items(tctx, *c, q);
  if (!page.ok()) return Error(page.status());

  const std::string base = BaseUrl(req);
  const std::string items = base + "/collections/" + http::PercentEncode(c->id) + "/items";
  ItemsLinks links;
  links.self = items + QueryWith(req, {});
  links.alternate_json = items + QueryWith(req, {{"f", "json"}});
  links.alternate_html = items + QueryWith(req, {{"f", "html"}});
  const std::string lim = std::to_string(q.limit);
  if (page->more) {
    links.next = items + QueryWith(req, {{"limit", lim}, {"offset", std::to_string(q.offset + q.limit)}});
  }
  if (q.offset > 0) {
    const std::size_t prev = q.offset > q.limit ? q.offset - q.limit : 0;
    links.prev = items + QueryWith(req, {{"limit", lim}, {"offset", prev == 0 ? "" : std::to_string(prev)}});
  }
  links.collection = base + "/collections/" + http::PercentEncode(c->id);
  if (*f == Format::kHtml) return HtmlResponse(ItemsHtml(base, *c, *page, links));
  return JsonResponse(ItemsJson(base, *c, *page, links), kGeoJson);
}

http::Response OgcApi::GetCollectionItem(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return Error(s);
  Result<Format> f = FormatOf(req);
  if (!f.ok()) return Error(f.status());
  const RequestContext tctx = TenantContext(ctx, req);
  Result<service::FeatureCollectionInfo> c =
      features_.Collection(tctx, req.PathParam("collectionId"));
  if (!c.ok()) return Error(c.status());
  Result<domain::Entity> e = features_.Item(tctx, *c, req.PathParam("featureId"));
  if (!e.ok()) return Error(e.status());
  const std::string base = BaseUrl(req);
  if (*f == Format::kHtml) return HtmlResponse(ItemHtml(base, *c, *e));
  return JsonResponse(ItemJson(base, *c, *e), kGeoJson);
}

}  // namespace dothi::api::ogc
