#pragma once

#include <string>

#include "api/common/ogc_extension.h"
#include "http/router.h"
#include "service/feature_service.h"
#include "service/tile_service.h"

// OGC API - Tiles (Part 1: Core) at /ogc, vector tiles only (Mapbox Vector Tile 2.1) in the
// WebMercatorQuad tile matrix set, zoom 0 to TileServiceOptions::max_zoom:
//   /ogc/collections/{collectionId}/tiles                     tilesets of a collection
//   /ogc/collections/{collectionId}/tiles/WebMercatorQuad     tileset (?f=tilejson: TileJSON 3.0)
//   /ogc/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}
//   /ogc/tiles, /ogc/tiles/WebMercatorQuad[?f=tilejson], /ogc/tiles/WebMercatorQuad/{z}/{y}/{x}
//       the dataset: every imported layer of the tenant, or ?collections=a,b (any collections)
//   /ogc/tileMatrixSets, /ogc/tileMatrixSets/WebMercatorQuad   the tile matrix set (TMS 2.0)
//   /ogc/styles, /ogc/styles/default                          a MapLibre style of the tenant
// Tiles: 200 application/vnd.mapbox-vector-tile (gzip when Accept-Encoding allows), 204 when
// empty, ETag (If-None-Match -> 304), Cache-Control. Errors are OGC exception JSON
// {"code", "description"}: 400 for malformed numbers or parameters, 404 for unknown
// collections, tile matrix sets and tiles outside the limits. The tenant is the
// NGSILD-Tenant header's, else TilesOptions::default_tenant. Handlers are const; safe from
// any thread.
namespace dothi::api::tiles {

struct TilesOptions {
  // Tenant served when a request has no NGSILD-Tenant header ("" is the default tenant).
  std::string default_tenant;
  // Public base URL for links (scheme://host[:port], no trailing slash); empty: taken from
  // the request's Host header.
  std::string base_url;
  // Cache-Control max-age of tiles made of layers only, in seconds (entity tiles: no-cache).
  int max_age_s = 60;
};

class TilesApi {
 public:
  TilesApi(service::TileService& tiles, service::FeatureService& features, TilesOptions options);
  void RegisterRoutes(http::Router& router);

  // The conformance classes and links this API adds to OGC API - Features' resources.
  static OgcExtension Extension();

  // GET /ogc/tileMatrixSets -> {"tileMatrixSets": [...]}
  http::Response GetTileMatrixSets(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/tileMatrixSets/{tileMatrixSetId} -> the TMS 2.0 JSON definition; errors 404
  http::Response GetTileMatrixSet(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/collections/{collectionId}/tiles -> {"tilesets": [...]}; errors 404
  http::Response GetCollectionTileSets(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/collections/{collectionId}/tiles/{tileMatrixSetId}?f=json|tilejson
  // Out: tileset metadata (TMS 2.0) or TileJSON 3.0.0. Errors: 400, 404.
  http::Response GetCollectionTileSet(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}
  // Out: 200 MVT, 204 empty, 304 If-None-Match. Errors: 400, 404.
  http::Response GetCollectionTile(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/tiles?collections= -> the dataset's tilesets
  http::Response GetDatasetTileSets(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/tiles/{tileMatrixSetId}?f=json|tilejson&collections=
  http::Response GetDatasetTileSet(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}?collections=a,b
  // Out: one MVT layer per collection. Errors: 400, 404.
  http::Response GetDatasetTile(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/styles -> {"styles": [{"id": "default", ...}]}
  http::Response GetStyles(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/styles/{styleId} -> MapLibre style JSON (application/vnd.mapbox.style+json)
  http::Response GetStyle(const RequestContext& ctx, http::Request& req) const;

 private:
  RequestContext TenantContext(const RequestContext& ctx, const http::Request& req) const;
  std::string BaseUrl(const http::Request& req) const;
  http::Response Tile(const RequestContext& ctx, const http::Request& req,
                      service::TileQuery query) const;
  http::Response TileSet(const RequestContext& ctx, const http::Request& req,
                         const std::vector<std::string>& collections, bool dataset) const;

  service::TileService& tiles_;
  service::FeatureService& features_;
  TilesOptions options_;
};

}  // namespace dothi::api::tiles
