#include "api/ogc_features/ogc_api.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "api/common/ogc_base_url.h"
#include "api/common/ogc_responses.h"
#include "api/ogc_features/ogc_params.h"
#include "api/ogc_features/ogc_render.h"
#include "core/json.h"
#include "core/time.h"

namespace dothi::api::ogc {
namespace {

constexpr std::size_t kDefaultLimit = 10;  // items per page when the request gives no limit
constexpr std::string_view kGeoJson = "application/geo+json";
constexpr std::string_view kOpenApi = "application/vnd.oai.openapi+json;version=3.0";
constexpr std::string_view kSchemaJson = "application/schema+json";

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

// Refuses query parameters that are not in allowed (or, with a collection, not one of its
// property names), and any parameter given twice (ambiguous).
Status CheckParams(const http::Request& req, std::initializer_list<std::string_view> allowed,
                   const service::FeatureCollectionInfo* properties = nullptr) {
  std::set<std::string_view> seen;
  for (const auto& [name, value] : req.query) {
    const bool known = std::find(allowed.begin(), allowed.end(), name) != allowed.end() ||
                       (properties != nullptr && properties->PropertyIri(name) != nullptr);
    if (!known) return Status::InvalidRequest("unknown query parameter", name);
    if (!seen.insert(name).second) {
      return Status::InvalidRequest("query parameter given more than once", name);
    }
  }
  return Status::OK();
}

// The format of a request whose query parameters are all known and given once.
Result<Format> CheckedFormat(const http::Request& req,
                             std::initializer_list<std::string_view> allowed,
                             const service::FeatureCollectionInfo* properties = nullptr) {
  if (Status s = CheckParams(req, allowed, properties); !s.ok()) return s;
  return FormatOf(req);
}

http::Response HtmlResponse(std::string body) {
  http::Response r;
  r.SetHeader("Content-Type", "text/html; charset=utf-8");
  r.body = std::move(body);
  return r;
}

// The transform of the crs parameter; nullptr for CRS84 (the storage CRS) or no crs.
Result<std::unique_ptr<geo::CrsTransform>> OutputCrs(const http::Request& req) {
  const std::string* text = req.Query("crs");
  if (text == nullptr) return std::unique_ptr<geo::CrsTransform>();
  Result<geo::Crs> crs = geo::ParseCrs(*text);
  if (!crs.ok()) return Status::InvalidRequest("unsupported crs", *text);
  if (crs->kind == geo::Crs::Kind::kCrs84) return std::unique_ptr<geo::CrsTransform>();
  return geo::CrsTransform::Make(*crs);
}

std::string CrsUri(const std::unique_ptr<geo::CrsTransform>& t) {
  return t != nullptr ? t->crs().Uri() : geo::SupportedCrs().front().Uri();
}

// The bbox parameter as a CRS84 box, read in bbox-crs when given.
Result<geo::BBox> BBoxIn(const http::Request& req, std::string_view value) {
  const std::string* text = req.Query("bbox-crs");
  if (text == nullptr) return ParseBBox(value);
  Result<geo::Crs> crs = geo::ParseCrs(*text);
  if (!crs.ok()) return Status::InvalidRequest("unsupported bbox-crs", *text);
  if (crs->kind == geo::Crs::Kind::kCrs84) return ParseBBox(value);
  Result<BBoxValues> v = ParseBBoxValues(value);
  if (!v.ok()) return v.status();
  Result<std::unique_ptr<geo::CrsTransform>> t = geo::CrsTransform::Make(*crs);
  if (!t.ok()) return t.status();
  return BBoxToCrs84(*v, **t);
}

// The filter, filter-lang and filter-crs parameters as an Expression with lon/lat literals;
// nullopt without a filter. filter-lang and filter-crs are checked even then.
Result<std::optional<domain::cql2::Expression>> FilterOf(const http::Request& req,
                                                         const domain::cql2::Cql2Limits& limits) {
  FilterLang lang = FilterLang::kCql2Text;
  if (const std::string* l = req.Query("filter-lang")) {
    Result<FilterLang> parsed = ParseFilterLang(*l);
    if (!parsed.ok()) return parsed.status();
    lang = *parsed;
  }
  std::unique_ptr<geo::CrsTransform> transform;  // null: literals are in CRS84
  if (const std::string* text = req.Query("filter-crs")) {
    Result<geo::Crs> crs = geo::ParseCrs(*text);
    if (!crs.ok()) return Status::InvalidRequest("unsupported filter-crs", *text);
    if (crs->kind != geo::Crs::Kind::kCrs84) {
      Result<std::unique_ptr<geo::CrsTransform>> t = geo::CrsTransform::Make(*crs);
      if (!t.ok()) return t.status();
      transform = std::move(*t);
    }
  }
  const std::string* text = req.Query("filter");
  if (text == nullptr) return std::optional<domain::cql2::Expression>();
  domain::cql2::PositionConverter to_crs84;
  if (transform != nullptr) {
    to_crs84 = [t = transform.get()](double& x, double& y) { return t->ToCrs84(x, y); };
  }
  Result<domain::cql2::Expression> e = ParseFilter(*text, lang, limits, to_crs84);
  if (!e.ok()) return e.status();
  return std::optional<domain::cql2::Expression>(std::move(*e));
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
  router.Add(M::kGet, "/ogc/collections/{collectionId}/queryables", "ogc.queryables",
             bind(&OgcApi::GetQueryables));
  router.Add(M::kGet, "/ogc/collections/{collectionId}/items", "ogc.items",
             bind(&OgcApi::GetCollectionItems));
  router.Add(M::kGet, "/ogc/collections/{collectionId}/items/{featureId}", "ogc.item",
             bind(&OgcApi::GetCollectionItem));
  router.SetErrorRenderer("/ogc", [](const RequestContext&, const http::Request&, const Status& s) {
    return OgcErrorResponse(s);
  });
}

RequestContext OgcApi::TenantContext(const RequestContext& ctx, const http::Request& req) const {
  RequestContext out = ctx;
  if (req.Header("NGSILD-Tenant") == nullptr) out.tenant = options_.default_tenant;
  return out;
}

std::string OgcApi::BaseUrl(const http::Request& req) const {
  return OgcBaseUrl(options_.base_url, req);
}

http::Response OgcApi::LandingPage(const RequestContext&, http::Request& req) const {
  Result<Format> f = CheckedFormat(req, {"f"});
  if (!f.ok()) return OgcErrorResponse(f.status());
  const std::string base = BaseUrl(req);
  if (*f == Format::kHtml) return HtmlResponse(LandingHtml(base, options_.extension));
  return JsonResponse(LandingJson(base, options_.extension), "application/json");
}

http::Response OgcApi::Conformance(const RequestContext&, http::Request& req) const {
  Result<Format> f = CheckedFormat(req, {"f"});
  if (!f.ok()) return OgcErrorResponse(f.status());
  if (*f == Format::kHtml) return HtmlResponse(ConformanceHtml(BaseUrl(req), options_.extension));
  return JsonResponse(ConformanceJson(options_.extension), "application/json");
}

http::Response OgcApi::ApiDefinition(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = CheckedFormat(req, {"f"});
  if (!f.ok()) return OgcErrorResponse(f.status());
  Result<std::vector<service::FeatureCollectionInfo>> all =
      features_.Collections(TenantContext(ctx, req));
  std::vector<service::FeatureCollectionInfo> collections;
  if (all.ok()) collections = std::move(*all);
  const std::string base = BaseUrl(req);
  Json api = OpenApiJson(base, collections, features_.MaxLimit());
  if (*f == Format::kHtml) return HtmlResponse(OpenApiHtml(base, api));
  return JsonResponse(api, kOpenApi);
}

http::Response OgcApi::GetCollections(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = CheckedFormat(req, {"f"});
  if (!f.ok()) return OgcErrorResponse(f.status());
  Result<std::vector<service::FeatureCollectionInfo>> all =
      features_.Collections(TenantContext(ctx, req));
  if (!all.ok()) return OgcErrorResponse(all.status());
  const std::string base = BaseUrl(req);
  if (*f == Format::kHtml) return HtmlResponse(CollectionsHtml(base, *all));
  return JsonResponse(CollectionsJson(base, *all, options_.extension), "application/json");
}

http::Response OgcApi::GetCollection(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = CheckedFormat(req, {"f"});
  if (!f.ok()) return OgcErrorResponse(f.status());
  Result<service::FeatureCollectionInfo> c =
      features_.Collection(TenantContext(ctx, req), req.PathParam("collectionId"));
  if (!c.ok()) return OgcErrorResponse(c.status());
  const std::string base = BaseUrl(req);
  if (*f == Format::kHtml) return HtmlResponse(CollectionHtml(base, *c));
  return JsonResponse(CollectionJson(base, *c, options_.extension), "application/json");
}

http::Response OgcApi::GetQueryables(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = CheckedFormat(req, {"f"});
  if (!f.ok()) return OgcErrorResponse(f.status());
  Result<service::FeatureCollectionInfo> c =
      features_.Collection(TenantContext(ctx, req), req.PathParam("collectionId"));
  if (!c.ok()) return OgcErrorResponse(c.status());
  const std::string base = BaseUrl(req);
  if (*f == Format::kHtml) return HtmlResponse(QueryablesHtml(base, *c));
  return JsonResponse(QueryablesJson(base, *c), kSchemaJson);
}

http::Response OgcApi::GetCollectionItems(const RequestContext& ctx, http::Request& req) const {
  const RequestContext tctx = TenantContext(ctx, req);
  Result<service::FeatureCollectionInfo> c =
      features_.Collection(tctx, req.PathParam("collectionId"));
  if (!c.ok()) return OgcErrorResponse(c.status());
  Result<Format> f =
      CheckedFormat(req, {"f", "limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "filter",
                          "filter-lang", "filter-crs"},
                    &*c);
  if (!f.ok()) return OgcErrorResponse(f.status());
  Result<std::unique_ptr<geo::CrsTransform>> crs = OutputCrs(req);
  if (!crs.ok()) return OgcErrorResponse(crs.status());

  service::FeatureQuery q;
  q.limit = kDefaultLimit;
  for (const auto& [name, value] : req.query) {
    if (name == "f" || name == "crs" || name == "bbox-crs" || name == "filter" ||
        name == "filter-lang" || name == "filter-crs") {
      continue;
    }
    if (name == "limit") {
      Result<std::size_t> n = ParseCount("limit", value, 1);
      if (!n.ok()) return OgcErrorResponse(n.status());
      q.limit = std::min(*n, features_.MaxLimit());  // a larger limit is not an error
    } else if (name == "offset") {
      Result<std::size_t> n = ParseCount("offset", value, 0);
      if (!n.ok()) return OgcErrorResponse(n.status());
      q.offset = *n;
    } else if (name == "bbox") {
      Result<geo::BBox> b = BBoxIn(req, value);
      if (!b.ok()) return OgcErrorResponse(b.status());
      q.bbox = *b;
    } else if (name == "datetime") {
      Result<Interval> i = ParseDatetime(value);
      if (!i.ok()) return OgcErrorResponse(i.status());
      q.modified_from = i->from;
      q.modified_to = i->to;
    } else {
      q.equals.emplace_back(name, value);
    }
  }
  Result<std::optional<domain::cql2::Expression>> filter = FilterOf(req, options_.filter_limits);
  if (!filter.ok()) return OgcErrorResponse(filter.status());
  q.filter = std::move(*filter);
  Result<service::FeaturePage> page = features_.Items(tctx, *c, q);
  if (!page.ok()) return OgcErrorResponse(page.status());

  const std::string base = BaseUrl(req);
  const std::string items = base + "/collections/" + http::PercentEncode(c->id) + "/items";
  ItemsLinks links;
  links.self = items + http::QueryStringWith(req, {});
  links.alternate_json = items + http::QueryStringWith(req, {{"f", "json"}});
  links.alternate_html = items + http::QueryStringWith(req, {{"f", "html"}});
  const std::string lim = std::to_string(q.limit);
  // The HTML page's own links set f=html once (the request may carry it already).
  if (page->more) {
    const std::string next = std::to_string(q.offset + q.limit);
    links.next = items + http::QueryStringWith(req, {{"limit", lim}, {"offset", next}});
    links.next_html =
        items + http::QueryStringWith(req, {{"limit", lim}, {"offset", next}, {"f", "html"}});
  }
  if (q.offset > 0) {
    const std::size_t prev_offset = q.offset > q.limit ? q.offset - q.limit : 0;
    const std::string prev = prev_offset == 0 ? "" : std::to_string(prev_offset);
    links.prev = items + http::QueryStringWith(req, {{"limit", lim}, {"offset", prev}});
    links.prev_html =
        items + http::QueryStringWith(req, {{"limit", lim}, {"offset", prev}, {"f", "html"}});
  }
  links.collection = base + "/collections/" + http::PercentEncode(c->id);
  if (const std::string* text = req.Query("filter")) links.filter = *text;
  if (*f == Format::kHtml) return HtmlResponse(ItemsHtml(base, *c, *page, links));
  Result<Json> body = ItemsJson(base, *c, *page, links, crs->get());
  if (!body.ok()) return OgcErrorResponse(body.status());
  http::Response r = JsonResponse(*body, kGeoJson);
  r.SetHeader("Content-Crs", "<" + CrsUri(*crs) + ">");
  return r;
}

http::Response OgcApi::GetCollectionItem(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = CheckedFormat(req, {"f", "crs"});
  if (!f.ok()) return OgcErrorResponse(f.status());
  Result<std::unique_ptr<geo::CrsTransform>> crs = OutputCrs(req);
  if (!crs.ok()) return OgcErrorResponse(crs.status());
  const RequestContext tctx = TenantContext(ctx, req);
  Result<service::FeatureCollectionInfo> c =
      features_.Collection(tctx, req.PathParam("collectionId"));
  if (!c.ok()) return OgcErrorResponse(c.status());
  Result<service::Feature> e = features_.Item(tctx, *c, req.PathParam("featureId"));
  if (!e.ok()) return OgcErrorResponse(e.status());
  const std::string base = BaseUrl(req);
  if (*f == Format::kHtml) return HtmlResponse(ItemHtml(base, *c, *e));
  Result<Json> body = ItemJson(base, *c, *e, crs->get());
  if (!body.ok()) return OgcErrorResponse(body.status());
  http::Response r = JsonResponse(*body, kGeoJson);
  r.SetHeader("Content-Crs", "<" + CrsUri(*crs) + ">");
  return r;
}

}  // namespace dothi::api::ogc
