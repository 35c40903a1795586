#pragma once

#include <string>

#include "http/router.h"
#include "service/open311_catalogue.h"

// Open311 GeoReport v2 at /open311/v2, in JSON and XML (the path's .json or .xml):
//   GET /open311/v2/services.{json,xml}             the jurisdiction's services
//   GET /open311/v2/services/{service_code}.{json,xml}   a service definition (attributes)
// jurisdiction_id names the tenant (a province or city), else Open311Options::default_tenant.
// Names and descriptions are Vietnamese, or English with lang=en (or an Accept-Language
// preferring English). Errors are Open311's: [{"code": 404, "description": "..."}] or
// <errors><error><code>404</code><description>...</description></error></errors>, with that
// HTTP status. Not yet: requests and tokens (reports).
namespace dothi::api::open311 {

struct Open311Options {
  std::string default_tenant;
};

class Open311Api {
 public:
  Open311Api(service::Open311Catalogues& catalogues, Open311Options options);
  void RegisterRoutes(http::Router& router);

  http::Response Services(const RequestContext& ctx, http::Request& req) const;
  http::Response Definition(const RequestContext& ctx, http::Request& req) const;

 private:
  RequestContext TenantContext(const RequestContext& ctx, const http::Request& req) const;

  service::Open311Catalogues& catalogues_;
  Open311Options options_;
};

}  // namespace dothi::api::open311
