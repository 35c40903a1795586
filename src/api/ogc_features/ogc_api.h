#pragma once

#include <string>

#include "domain/cql2/expression.h"
#include "api/common/ogc_extension.h"
#include "http/router.h"
#include "service/feature_service.h"

// OGC API - Features Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0), Part 2 (CRS) and Part 3
// (Filtering: queryables, CQL2 filters) at /ogc: the landing page, /conformance, /api (the
// OpenAPI definition), /collections, /collections/{collectionId},
// /collections/{collectionId}/queryables, /collections/{collectionId}/items and
// /collections/{collectionId}/items/{featureId}.
// Each NGSI-LD entity type with a location is a collection (service/feature_service.h).
// The tenant is the NGSILD-Tenant header's, else OgcOptions::default_tenant. Errors are
// OGC exception JSON {"code", "description"}. Handlers are const; safe from any thread.
namespace dothi::api::ogc {

struct OgcOptions {
  // Tenant served when a request has no NGSILD-Tenant header ("" is the default tenant).
  std::string default_tenant;
  // Public base URL for links (scheme://host[:port], no trailing slash); empty: taken from
  // the request's Host header.
  std::string base_url;
  // Bounds on the filter parameter: its length in bytes in either encoding
  // (max_text_length), nodes, nesting, IN items, geometry positions, LIKE patterns.
  domain::cql2::Cql2Limits filter_limits;
  // What the other APIs under /ogc (OGC API - Tiles) add to the landing page, the
  // conformance classes and the collections.
  OgcExtension extension;
};

class OgcApi {
 public:
  OgcApi(service::FeatureService& features, OgcOptions options);
  void RegisterRoutes(http::Router& router);

  // GET /ogc -> landing page (JSON or HTML)
  http::Response LandingPage(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/conformance -> {"conformsTo": [...]}
  http::Response Conformance(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/api -> OpenAPI 3.0 definition (application/vnd.oai.openapi+json;version=3.0)
  http::Response ApiDefinition(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/collections -> {"collections": [...], "links": [...]}; errors 400, 404 (tenant)
  http::Response GetCollections(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/collections/{collectionId}; errors 400, 404
  http::Response GetCollection(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/collections/{collectionId}/queryables -> JSON Schema of the properties a filter
  // may use (application/schema+json) or HTML; errors 400, 404
  http::Response GetQueryables(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/collections/{collectionId}/items?limit=&offset=&bbox=&bbox-crs=&datetime=&crs=
  //     &filter=&filter-lang=&filter-crs=&<property>=
  // Out: GeoJSON FeatureCollection with numberMatched (after every selection, the filter
  // included), numberReturned and next/prev links that repeat the selection.
  // Errors: 400 (unknown or invalid parameter, invalid filter, unknown queryable), 404.
  http::Response GetCollectionItems(const RequestContext& ctx, http::Request& req) const;
  // GET /ogc/collections/{collectionId}/items/{featureId} -> GeoJSON Feature; errors 400, 404
  http::Response GetCollectionItem(const RequestContext& ctx, http::Request& req) const;

 private:
  RequestContext TenantContext(const RequestContext& ctx, const http::Request& req) const;
  std::string BaseUrl(const http::Request& req) const;

  service::FeatureService& features_;
  OgcOptions options_;
};

}  // namespace dothi::api::ogc
