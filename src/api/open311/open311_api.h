#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/router.h"
#include "service/open311_catalogue.h"
#include "service/open311_reports.h"

// Open311 GeoReport v2 at /open311/v2, in JSON and XML (the path's .json or .xml):
//   GET /open311/v2/services.{json,xml}             the jurisdiction's services
//   GET /open311/v2/services/{service_code}.{json,xml}   a service definition (attributes)
//   POST /open311/v2/requests.{json,xml}            a citizen's report (form-urlencoded)
//   GET /open311/v2/requests.{json,xml}             reports: service_request_id, service_code,
//                                                   start_date, end_date, status; page, page_size
//   GET /open311/v2/requests/{id}.{json,xml}        one report
//   GET /open311/v2/tokens/{token}.{json,xml}       the report a token was given for
//   POST /open311/v2/servicerequestupdates.{json,xml}   staff: a state change and/or comment
//   GET /open311/v2/servicerequestupdates.{json,xml}    the updates (FixMyStreet's extension)
//   POST /open311/v2/requests/{id}/feedback.{json,xml}  the reporter (token): rating, reopen
//   POST /open311/v2/requests/{id}/erase.{json,xml}     the reporter (token) or staff: erase
//                                                       the personal data
//   GET /open311/v2/requests/{id}/reporter.{json,xml}   staff: who reported it
//   GET /open311/v2/statistics.{json,xml}           counts, times, on-time shares, satisfaction
//   GET /open311/v2/media/{name}                    an uploaded photo (POST requests and
//                                                   servicerequestupdates take multipart/form-data
//                                                   with one file: JPEG, PNG or WebP, metadata removed)
// Staff actions take an administrator api_key (Open311Options::admin_api_keys).
// jurisdiction_id names the tenant (a province or city), else Open311Options::default_tenant.
// Names and descriptions are Vietnamese, or English with lang=en (or an Accept-Language
// preferring English). Errors are Open311's: [{"code": 404, "description": "..."}] or
// <errors><error><code>404</code><description>...</description></error></errors>, with that
// HTTP status. Extensions beside the standard are in docs/open311.md.
namespace dothi::api::open311 {

struct Open311Options {
  std::string default_tenant;
  // Keys a client must send as api_key to POST requests; empty: no key needed.
  std::vector<std::string> client_api_keys;
  // Keys for staff actions (updates, erasing personal data, reading the reporter); empty:
  // staff actions are off.
  std::vector<std::string> admin_api_keys;
  // Largest photo accepted in a multipart POST (the server's body limit applies too).
  std::size_t max_media_bytes = std::size_t{6} << 20;
  // Public base URL (scheme://host[:port]) for photo links; empty: from the Host header.
  std::string base_url;
};

class Open311Api {
 public:
  Open311Api(service::Open311Catalogues& catalogues, service::Open311Reports& reports, Open311Options options);
  void RegisterRoutes(http::Router& router);

  http::Response Services(const RequestContext& ctx, http::Request& req) const;
  http::Response Definition(const RequestContext& ctx, http::Request& req) const;
  http::Response PostRequest(const RequestContext& ctx, http::Request& req) const;
  http::Response Requests(const RequestContext& ctx, http::Request& req) const;
  http::Response OneRequest(const RequestContext& ctx, http::Request& req) const;
  http::Response Token(const RequestContext& ctx, http::Request& req) const;
  http::Response PostUpdate(const RequestContext& ctx, http::Request& req) const;
  http::Response UpdatesList(const RequestContext& ctx, http::Request& req) const;
  http::Response RequestAction(const RequestContext& ctx, http::Request& req) const;
  http::Response Reporter(const RequestContext& ctx, http::Request& req) const;
  http::Response Statistics(const RequestContext& ctx, http::Request& req) const;
  http::Response Media(const RequestContext& ctx, http::Request& req) const;

 private:
  // jurisdiction_id from params (query and form fields) when given, else from the query.
  RequestContext TenantContext(const RequestContext& ctx, const http::Request& req,
                               const std::vector<std::pair<std::string, std::string>>* params = nullptr) const;
  // Errors: Forbidden (no administrator key configured, or a wrong one), Unauthorized (none).
  Status CheckAdmin(const std::vector<std::pair<std::string, std::string>>& params) const;
  // For a merged duplicate: whether its original is open.
  std::optional<bool> OriginalOpen(const RequestContext& ctx, const domain::open311::ServiceRequest& r) const;

  service::Open311Catalogues& catalogues_;
  service::Open311Reports& reports_;
  Open311Options options_;
};

}  // namespace dothi::api::open311
