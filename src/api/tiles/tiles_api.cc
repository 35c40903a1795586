#include "api/tiles/tiles_api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <optional>
#include <set>
#include <string_view>

#include "api/common/ogc_base_url.h"
#include "api/common/ogc_responses.h"
#include "api/tiles/tiles_render.h"
#include "core/json.h"

namespace dothi::api::tiles {
namespace {

constexpr std::size_t kMaxIndexDigits = 10;  // tile indexes below 2^32 (at most zoom 24 here)
constexpr const char* kVary = "Accept-Encoding, NGSILD-Tenant";

// Refuses query parameters not in allowed, and any given twice.
Status CheckParams(const http::Request& req, std::initializer_list<std::string_view> allowed) {
  std::set<std::string_view> seen;
  for (const auto& [name, value] : req.query) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return Status::InvalidRequest("unknown query parameter", name);
    }
    if (!seen.insert(name).second) {
      return Status::InvalidRequest("query parameter given more than once", name);
    }
  }
  return Status::OK();
}

// f: json (default) or, where allowed, tilejson; for tiles mvt.
Result<std::string_view> FormatOf(const http::Request& req,
                                  std::initializer_list<std::string_view> formats) {
  const std::string* f = req.Query("f");
  if (f == nullptr) return *formats.begin();
  for (std::string_view ok : formats) {
    if (*f == ok) return ok;
  }
  std::string list;
  for (std::string_view ok : formats) list += (list.empty() ? "" : ", ") + std::string(ok);
  return Status::InvalidRequest("unsupported format f (" + list + ")", *f);
}

Status CheckTileMatrixSet(std::string_view id) {
  if (id != kWebMercatorQuad) {
    return Status::NotFound("unknown tile matrix set (only WebMercatorQuad)", id);
  }
  return Status::OK();
}

// A tile path index: decimal digits only. Malformed: 400; too large for any tile: 404.
Result<std::uint32_t> ParseIndex(std::string_view name, std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Status::InvalidRequest(std::string(name) + " must be a non-negative integer", text);
  }
  std::uint64_t v = 0;
  if (text.size() > kMaxIndexDigits ||
      std::from_chars(text.data(), text.data() + text.size(), v).ec != std::errc() ||
      v > 0xFFFFFFFFull) {
    return Status::NotFound("tile outside the tile matrix set",
                            std::string(name) + " " + std::string(text));
  }
  return static_cast<std::uint32_t>(v);
}

// The tile of {tileMatrix}/{tileRow}/{tileCol}: z/y/x.
Result<geo::TileId> TileOf(const http::Request& req) {
  Result<std::uint32_t> z = ParseIndex("tileMatrix", req.PathParam("tileMatrix"));
  if (!z.ok()) return z.status();
  Result<std::uint32_t> row = ParseIndex("tileRow", req.PathParam("tileRow"));
  if (!row.ok()) return row.status();
  Result<std::uint32_t> col = ParseIndex("tileCol", req.PathParam("tileCol"));
  if (!col.ok()) return col.status();
  if (*z >= static_cast<std::uint32_t>(kTileMatrixCount)) {
    return Status::NotFound("tile outside the tile matrix set", "tileMatrix " + std::to_string(*z));
  }
  return geo::TileId{static_cast<int>(*z), *col, *row};
}

// collections=a,b,c: ids in order. Errors: InvalidRequest for an empty list or id.
Result<std::vector<std::string>> CollectionsParam(const http::Request& req) {
  std::vector<std::string> out;
  const std::string* text = req.Query("collections");
  if (text == nullptr) return out;
  std::string_view rest = *text;
  while (true) {
    const std::size_t comma = rest.find(',');
    std::string_view id = rest.substr(0, comma);
    if (id.empty()) return Status::InvalidRequest("collections: an empty collection id", *text);
    out.emplace_back(id);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether Accept-Encoding allows gzip: "gzip" (or "x-gzip", or "*" when gzip is not named)
// with a non-zero q.
bool AcceptsGzip(const http::Request& req) {
  const std::string* accept = req.Header("Accept-Encoding");
  if (accept == nullptr) return false;
  std::optional<bool> gzip, any;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const std::size_t semi = item.find(';');
    const std::string coding = Lower(Trim(item.substr(0, semi)));
    bool allowed = true;
    if (semi != std::string_view::npos) {
      std::string params = Lower(item.substr(semi + 1));
      params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
      if (params.rfind("q=", 0) == 0) {
        const std::string_view q = std::string_view(params).substr(2);
        allowed = !q.empty() && q.find_first_not_of("0.") != std::string_view::npos;
      }
    }
    if (coding == "gzip" || coding == "x-gzip") gzip = allowed;
    if (coding == "*") any = allowed;
  }
  return gzip ? *gzip : any.value_or(false);
}

// If-None-Match lists etag (weak comparison; "-gz" tags are the gzip form of the same tile).
bool NoneMatch(const http::Request& req, std::string_view etag) {
  const std::string* h = req.Header("If-None-Match");
  if (h == nullptr) return false;
  std::string_view rest = *h;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view tag = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
      tag = tag.substr(1, tag.size() - 2);
    if (tag.size() > 3 && tag.substr(tag.size() - 3) == "-gz") tag.remove_suffix(3);
    if (tag == etag) return true;
  }
  return false;
}

}  // namespace

TilesApi::TilesApi(service::TileService& tiles, service::FeatureService& features,
                   TilesOptions options)
    : tiles_(tiles), features_(features), options_(std::move(options)) {}

OgcExtension TilesApi::Extension() {
  OgcExtension e;
  for (const char* c : {"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
                        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
                        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
                        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
                        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/dataset-tilesets",
                        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/collections-selection",
                        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
                        "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
                        "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
                        "http://www.opengis.net/spec/tms/2.0/conf/tilesetmetadata",
                        "http://www.opengis.net/spec/tms/2.0/conf/json-tilesetmetadata",
                        "http://www.opengis.net/spec/tms/2.0/conf/tilematrixsetlimits",
                        "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixsetlimits"}) {
    e.conformance.emplace_back(c);
  }
  e.landing_links.push_back({"http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                             "application/json", "vector tiles of the imported layers", "/tiles"});
  e.landing_links.push_back({"http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                             "application/json", "the tile matrix sets", "/tileMatrixSets"});
  e.landing_links.push_back({"http://www.opengis.net/def/rel/ogc/1.0/styles", "application/json",
                             "map styles", "/styles"});
  e.collection_links.push_back({"http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                                "application/json", "vector tiles of this collection", "/tiles"});
  return e;
}

void TilesApi::RegisterRoutes(http::Router& router) {
  using M = http::Method;
  auto bind = [this](http::Response (TilesApi::*fn)(const RequestContext&, http::Request&) const) {
    return
        [this, fn](const RequestContext& ctx, http::Request& req) { return (this->*fn)(ctx, req); };
  };
  router.Add(M::kGet, "/ogc/tileMatrixSets", "ogc.tile_matrix_sets",
             bind(&TilesApi::GetTileMatrixSets));
  router.Add(M::kGet, "/ogc/tileMatrixSets/{tileMatrixSetId}", "ogc.tile_matrix_set",
             bind(&TilesApi::GetTileMatrixSet));
  router.Add(M::kGet, "/ogc/collections/{collectionId}/tiles", "ogc.collection_tilesets",
             bind(&TilesApi::GetCollectionTileSets));
  router.Add(M::kGet, "/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}",
             "ogc.collection_tileset", bind(&TilesApi::GetCollectionTileSet));
  router.Add(
      M::kGet,
      "/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
      "ogc.collection_tile", bind(&TilesApi::GetCollectionTile));
  router.Add(M::kGet, "/ogc/tiles", "ogc.dataset_tilesets", bind(&TilesApi::GetDatasetTileSets));
  router.Add(M::kGet, "/ogc/tiles/{tileMatrixSetId}", "ogc.dataset_tileset",
             bind(&TilesApi::GetDatasetTileSet));
  router.Add(M::kGet, "/ogc/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
             "ogc.dataset_tile", bind(&TilesApi::GetDatasetTile));
  router.Add(M::kGet, "/ogc/styles", "ogc.styles", bind(&TilesApi::GetStyles));
  router.Add(M::kGet, "/ogc/styles/{styleId}", "ogc.style", bind(&TilesApi::GetStyle));
}

RequestContext TilesApi::TenantContext(const RequestContext& ctx, const http::Request& req) const {
  RequestContext out = ctx;
  if (req.Header("NGSILD-Tenant") == nullptr) out.tenant = options_.default_tenant;
  return out;
}

std::string TilesApi::BaseUrl(const http::Request& req) const {
  return OgcBaseUrl(options_.base_url, req);
}

http::Response TilesApi::GetTileMatrixSets(const RequestContext&, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return OgcErrorResponse(s);
  if (Result<std::string_view> f = FormatOf(req, {"json"}); !f.ok()) return OgcErrorResponse(f.status());
  return JsonResponse(TileMatrixSetsJson(BaseUrl(req)), "application/json");
}

http::Response TilesApi::GetTileMatrixSet(const RequestContext&, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return OgcErrorResponse(s);
  if (Result<std::string_view> f = FormatOf(req, {"json"}); !f.ok()) return OgcErrorResponse(f.status());
  if (Status s = CheckTileMatrixSet(req.PathParam("tileMatrixSetId")); !s.ok()) return OgcErrorResponse(s);
  return JsonResponse(WebMercatorQuadJson(BaseUrl(req)), "application/json");
}

http::Response TilesApi::GetCollectionTileSets(const RequestContext& ctx,
                                               http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return OgcErrorResponse(s);
  if (Result<std::string_view> f = FormatOf(req, {"json"}); !f.ok()) return OgcErrorResponse(f.status());
  const std::string id(req.PathParam("collectionId"));
  Result<std::vector<service::TileLayerInfo>> layers =
      tiles_.Layers(TenantContext(ctx, req), {id}, false);
  if (!layers.ok()) return OgcErrorResponse(layers.status());
  const std::string base = BaseUrl(req);
  TileSetUrls urls;
  urls.tilesets = base + "/collections/" + http::PercentEncode(id) + "/tiles";
  urls.tileset = urls.tilesets + "/" + kWebMercatorQuad;
  urls.tiles = urls.tileset;
  return JsonResponse(TileSetsJson(base, urls, layers->front().title), "application/json");
}

http::Response TilesApi::GetCollectionTileSet(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return OgcErrorResponse(s);
  if (Status s = CheckTileMatrixSet(req.PathParam("tileMatrixSetId")); !s.ok()) return OgcErrorResponse(s);
  return TileSet(ctx, req, {std::string(req.PathParam("collectionId"))}, false);
}

http::Response TilesApi::GetDatasetTileSets(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f", "collections"}); !s.ok()) return OgcErrorResponse(s);
  if (Result<std::string_view> f = FormatOf(req, {"json"}); !f.ok()) return OgcErrorResponse(f.status());
  Result<std::vector<std::string>> collections = CollectionsParam(req);
  if (!collections.ok()) return OgcErrorResponse(collections.status());
  // Check the collections (and the tenant) exist.
  Result<std::vector<service::TileLayerInfo>> layers =
      tiles_.Layers(TenantContext(ctx, req), *collections, true);
  if (!layers.ok()) return OgcErrorResponse(layers.status());
  const std::string base = BaseUrl(req);
  TileSetUrls urls;
  urls.tilesets = base + "/tiles";
  urls.tileset = urls.tilesets + "/" + kWebMercatorQuad;
  urls.tiles = urls.tileset;
  if (const std::string* c = req.Query("collections"))
    urls.query = "?collections=" + http::PercentEncode(*c);
  return JsonResponse(TileSetsJson(base, urls, "dothi"), "application/json");
}

http::Response TilesApi::GetDatasetTileSet(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f", "collections"}); !s.ok()) return OgcErrorResponse(s);
  if (Status s = CheckTileMatrixSet(req.PathParam("tileMatrixSetId")); !s.ok()) return OgcErrorResponse(s);
  Result<std::vector<std::string>> collections = CollectionsParam(req);
  if (!collections.ok()) return OgcErrorResponse(collections.status());
  return TileSet(ctx, req, *collections, true);
}

http::Response TilesApi::TileSet(const RequestContext& ctx, const http::Request& req,
                                 const std::vector<std::string>& collections, bool dataset) const {
  Result<std::string_view> f = FormatOf(req, {"json", "tilejson"});
  if (!f.ok()) return OgcErrorResponse(f.status());
  Result<std::vector<service::TileLayerInfo>> layers =
      tiles_.Layers(TenantContext(ctx, req), collections, dataset);
  if (!layers.ok()) return OgcErrorResponse(layers.status());
  const std::string base = BaseUrl(req);
  TileSetUrls urls;
  std::string title = "dothi";
  if (dataset) {
    urls.tilesets = base + "/tiles";
    if (const std::string* c = req.Query("collections"))
      urls.query = "?collections=" + http::PercentEncode(*c);
  } else {
    urls.tilesets = base + "/collections/" + http::PercentEncode(collections.front()) + "/tiles";
    title = layers->front().title;
  }
  urls.tileset = urls.tilesets + "/" + kWebMercatorQuad;
  urls.tiles = urls.tileset;
  const int max_zoom = tiles_.options().max_zoom;
  if (*f == "tilejson")
    return JsonResponse(TileJson(urls, title, *layers, max_zoom), "application/json");
  return JsonResponse(TileSetJson(base, urls, title, *layers, max_zoom), "application/json");
}

http::Response TilesApi::GetCollectionTile(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return OgcErrorResponse(s);
  if (Result<std::string_view> f = FormatOf(req, {"mvt"}); !f.ok()) return OgcErrorResponse(f.status());
  if (Status s = CheckTileMatrixSet(req.PathParam("tileMatrixSetId")); !s.ok()) return OgcErrorResponse(s);
  Result<geo::TileId> tile = TileOf(req);
  if (!tile.ok()) return OgcErrorResponse(tile.status());
  service::TileQuery q;
  q.tile = *tile;
  q.collections = {std::string(req.PathParam("collectionId"))};
  return Tile(ctx, req, std::move(q));
}

http::Response TilesApi::GetDatasetTile(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f", "collections"}); !s.ok()) return OgcErrorResponse(s);
  if (Result<std::string_view> f = FormatOf(req, {"mvt"}); !f.ok()) return OgcErrorResponse(f.status());
  if (Status s = CheckTileMatrixSet(req.PathParam("tileMatrixSetId")); !s.ok()) return OgcErrorResponse(s);
  Result<geo::TileId> tile = TileOf(req);
  if (!tile.ok()) return OgcErrorResponse(tile.status());
  Result<std::vector<std::string>> collections = CollectionsParam(req);
  if (!collections.ok()) return OgcErrorResponse(collections.status());
  service::TileQuery q;
  q.tile = *tile;
  q.collections = std::move(*collections);
  q.dataset = true;
  return Tile(ctx, req, std::move(q));
}

http::Response TilesApi::Tile(const RequestContext& ctx, const http::Request& req,
                              service::TileQuery query) const {
  query.gzip = AcceptsGzip(req);
  Result<service::TileResult> t = tiles_.Tile(TenantContext(ctx, req), query);
  if (!t.ok()) return OgcErrorResponse(t.status());
  http::Response r;
  r.SetHeader("ETag", "\"" + t->etag + (t->gzip ? "-gz" : "") + "\"");
  r.SetHeader("Cache-Control", t->cacheable
                                   ? "public, max-age=" + std::to_string(options_.max_age_s)
                                   : std::string("no-cache"));
  r.SetHeader("Vary", kVary);
  if (t->truncated) r.SetHeader("X-Dothi-Tile-Truncated", "true");
  if (NoneMatch(req, t->etag)) {
    r.status = 304;
    return r;
  }
  if (t->empty) {
    r.status = 204;  // OGC API - Tiles /req/core/tc-error B: an empty tile
    return r;
  }
  r.SetHeader("Content-Type", kMvtType);
  if (t->gzip) r.SetHeader("Content-Encoding", "gzip");
  r.body = std::move(t->bytes);
  return r;
}

http::Response TilesApi::GetStyles(const RequestContext&, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return OgcErrorResponse(s);
  if (Result<std::string_view> f = FormatOf(req, {"json"}); !f.ok()) return OgcErrorResponse(f.status());
  return JsonResponse(StylesJson(BaseUrl(req)), "application/json");
}

http::Response TilesApi::GetStyle(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"f"}); !s.ok()) return OgcErrorResponse(s);
  if (Result<std::string_view> f = FormatOf(req, {"mapbox", "json"}); !f.ok())
    return OgcErrorResponse(f.status());
  if (req.PathParam("styleId") != "default") {
    return OgcErrorResponse(Status::NotFound("no such style (only default)", req.PathParam("styleId")));
  }
  const RequestContext tctx = TenantContext(ctx, req);
  Result<std::vector<service::TileLayerInfo>> layers = tiles_.Layers(tctx, {}, true);
  if (!layers.ok()) return OgcErrorResponse(layers.status());
  Result<std::vector<service::FeatureCollectionInfo>> all = features_.Collections(tctx);
  if (!all.ok()) return OgcErrorResponse(all.status());
  std::vector<std::string> types;
  for (const service::FeatureCollectionInfo& c : *all) {
    if (!c.layer) types.push_back(c.id);
  }
  std::vector<service::TileLayerInfo> entity_types;
  if (!types.empty()) {
    Result<std::vector<service::TileLayerInfo>> t = tiles_.Layers(tctx, types, true);
    if (!t.ok()) return OgcErrorResponse(t.status());
    entity_types = std::move(*t);
  }
  return JsonResponse(StyleJson(BaseUrl(req), *layers, entity_types), kStyleType);
}

}  // namespace dothi::api::tiles
