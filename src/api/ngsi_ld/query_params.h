#pragma once

#include "api/ngsi_ld/ld_context.h"
#include "core/json.h"
#include "core/result.h"
#include "geo/geometry.h"
#include "http/request.h"
#include "service/entity_service.h"

// Builds a service::EntityQuery from GET /entities query parameters or from the Query
// object of POST /entityOperations/query, resolving names through the @context.
namespace dothi::api::ngsi_ld {

struct QueryParamLimits {
  std::size_t default_limit = 20;
  geo::GeometryLimits geometry;
};

// limit=, offset= and count= into q (limit defaults to limits.default_limit).
Status ReadPaging(const http::Request& req, const QueryParamLimits& limits, service::EntityQuery& q);
// q text parsed and its names expanded through context.
Result<domain::QQuery> ParseResolvedQ(std::string_view text, const LdContext& context);
// A geoQ object {georel, geometry, coordinates, geoproperty?} (POST query, subscriptions).
Result<domain::GeoQuery> GeoQueryFromMember(const Json& g, const LdContext& context,
                                            const geo::GeometryLimits& limits);

// GET /entities?id=&idPattern=&type=&q=&georel=&geometry=&coordinates=&geoproperty=&scopeQ=
// &limit=&offset=&count=. require_filter: refuse a query with no selector (400).
Result<service::EntityQuery> QueryFromParams(const http::Request& req, const LdContext& context,
                                             const QueryParamLimits& limits, bool require_filter);
// POST /entityOperations/query body (type "Query"); paging still comes from req's params.
Result<service::EntityQuery> QueryFromBody(const Json& body, const http::Request& req,
                                           const LdContext& context,
                                           const QueryParamLimits& limits);

}  // namespace dothi::api::ngsi_ld
