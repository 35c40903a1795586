#pragma once

#include <string>

#include "http/router.h"
#include "service/planning_service.h"

// The planning lookup (tra cứu thông tin quy hoạch) at /planning/v1, our own small JSON API
// over the tenant's planning, parcel and administrative layers (docs/planning-api.md):
//   GET /planning/v1/lookup?lon=&lat=            (WGS 84)
//   GET /planning/v1/lookup?x=&y=&srs=VN2000:<province>|EPSG:<code>
//        (VN-2000 as on a land certificate: x northing, y easting, metres)
//   GET /planning/v1/parcels?commune=&sheet=&parcel=
//   GET /planning/v1/search?q=&limit=
//   GET /planning/v1/fields                      (field and land-use labels)
// Every planning field comes with its Vietnamese and English label; land-use codes with
// their names. The tenant is NGSILD-Tenant's, else the `tenant` parameter, else
// PlanningOptions::default_tenant. Errors: {"code", "description"} as under /ogc, 400 for
// malformed or out-of-area coordinates, 404 for unknown parcels or tenants without data.
namespace dothi::api::planning {

struct PlanningOptions {
  std::string default_tenant;
  std::size_t max_search_results = 50;
};

class PlanningApi {
 public:
  PlanningApi(service::PlanningService& planning, PlanningOptions options);
  void RegisterRoutes(http::Router& router);

  http::Response Lookup(const RequestContext& ctx, http::Request& req) const;
  http::Response Parcels(const RequestContext& ctx, http::Request& req) const;
  http::Response Search(const RequestContext& ctx, http::Request& req) const;
  http::Response Fields(const RequestContext& ctx, http::Request& req) const;

 private:
  RequestContext TenantContext(const RequestContext& ctx, const http::Request& req) const;

  service::PlanningService& planning_;
  PlanningOptions options_;
};

}  // namespace dothi::api::planning
