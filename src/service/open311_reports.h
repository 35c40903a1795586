#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "core/time.h"
#include "domain/open311/service_request.h"
#include "service/entity_service.h"
#include "service/open311_catalogue.h"
#include "service/planning_service.h"
#include "storage/entity_store.h"

// Open311Reports takes citizens' reports (Open311 service requests) and answers the public
// queries over them, per jurisdiction (tenant):
//  - Each report is an NGSI-LD entity of type ServiceRequest written through EntityService
//    (durable, tenant-scoped, seen by subscriptions and the temporal history).
//  - The reporter's personal data (name, email, phone, device, account) and the report's
//    token are a separate store document (kind "open311.private"), written durably before
//    the entity; nothing public reads it, and Erase removes it without touching the report.
//  - A compact in-memory index per tenant (requested time, number, service, state, point),
//    rebuilt by Load(), serves the listing filters and the duplicate search.
// On submission the service checks the catalogue (service, attributes, anonymity), that
// the point lies in the jurisdiction (its administrative layers, else Vietnam), routes the
// report to the ward containing it, sets the deadlines from the tenant's working calendar
// and lists open reports of the same service nearby as possible duplicates.
// Tenant isolation: every call is scoped to ctx.tenant, in the index and in the store.
// Thread-safe.
namespace dothi::service {

struct Open311ReportOptions {
  double duplicate_radius_m = 50;    // a new report this close to an open one ...
  int duplicate_days = 7;            // ... of the same service, this recent, is a possible duplicate
  std::size_t max_description_bytes = 4000;
  std::size_t max_field_bytes = 200;  // names, email, phone, address, attribute values
  std::size_t max_url_bytes = 1024;
  int default_days = 90;               // GET requests without dates: the last 90 days
  std::size_t max_results = 1000;      // most reports in one answer
};

// The reporter, as POST requests gives them. Never shown on public endpoints.
struct Reporter {
  std::string email, phone, first_name, last_name, device_id, account_id;
  bool Anonymous() const { return email.empty() && phone.empty() && first_name.empty() && last_name.empty(); }
  friend bool operator==(const Reporter&, const Reporter&) = default;
};

// One POST requests.
struct Submission {
  std::string service_code;
  std::optional<double> lat, lon;
  std::string address_string, address_id;
  std::vector<std::pair<std::string, std::string>> attributes;  // attribute[code] answers
  std::string description;
  std::string media_url;
  Reporter reporter;
};

struct SubmitResult {
  domain::open311::ServiceRequest request;
  std::string token;                          // the reporter's key to their report
  std::vector<std::uint64_t> possible_duplicates;  // open reports nearby, newest first
};

// GET requests. numbers, when given, overrides everything else (as Open311 says).
struct ReportFilter {
  std::vector<std::uint64_t> numbers;
  std::vector<std::string> service_codes;  // any of; empty: all
  std::optional<Timestamp> start, end;     // requested_datetime range
  // Open311 "open"/"closed" and the detailed states; any of; empty: all.
  std::vector<std::string> statuses;
  std::size_t page = 1;       // 1-based
  std::size_t page_size = 0;  // 0: max_results
};

class Open311Reports {
 public:
  // planning may be null (no jurisdiction check beyond Vietnam, no ward routing).
  Open311Reports(EntityService& entities, storage::EntityStore& store, const Open311Catalogues& catalogues,
                 const PlanningService* planning, Open311ReportOptions options);

  // Rebuilds the index and the token map from the store. Call once before serving.
  Status Load();

  // Errors: NotFound (jurisdiction without a catalogue), BadRequestData (unknown service,
  // attributes, location missing or outside the jurisdiction, reporter required, fields
  // too long or malformed); a store failure as the store reports it. Nothing is stored on
  // error. now: the submission time (Now() in the API).
  Result<SubmitResult> Submit(const RequestContext& ctx, Submission s, Timestamp now);

  // Newest first. Errors: NotFound (jurisdiction), BadRequestData (dates: end before start,
  // a span over default_days; unknown status; page).
  Result<std::vector<domain::open311::ServiceRequest>> Find(const RequestContext& ctx, const ReportFilter& f,
                                                            Timestamp now) const;
  // Errors: NotFound.
  Result<domain::open311::ServiceRequest> Get(const RequestContext& ctx, std::uint64_t number) const;
  // The report a token was given for. Errors: NotFound.
  Result<std::uint64_t> ByToken(const RequestContext& ctx, std::string_view token) const;
  // The reporter of a report (staff only). Errors: NotFound.
  Result<Reporter> ReporterOf(const RequestContext& ctx, std::uint64_t number) const;

  const Open311ReportOptions& options() const { return options_; }

 private:
  struct Row {
    std::int64_t requested = 0;  // micros
    std::uint64_t number = 0;
    std::uint32_t service = 0;   // index into Tenant::services
    domain::open311::RequestStatus status = domain::open311::RequestStatus::kReceived;
    float lon = 0, lat = 0;
    bool placed = false;
  };
  struct Private {
    std::string token;
    Reporter reporter;
  };
  struct Tenant {
    std::vector<Row> rows;  // by (requested, number)
    std::vector<std::string> services;
    std::unordered_map<std::string, std::uint32_t> service_ids;
    std::unordered_map<std::uint64_t, Private> privates;
    std::unordered_map<std::string, std::uint64_t> tokens;
    std::uint64_t next_number = 1;
    std::uint32_t ServiceId(const std::string& code);
  };

  Tenant& TenantFor(const std::string& tenant);  // caller holds mu_ exclusive
  const Tenant* FindTenant(std::string_view tenant) const;  // caller holds mu_
  void IndexPut(Tenant& t, const domain::open311::ServiceRequest& r);
  std::vector<std::uint64_t> NearbyOpen(const Tenant& t, const std::string& code, double lon, double lat,
                                        Timestamp now) const;
  static std::string PrivateKey(std::string_view tenant, std::uint64_t number);
  static std::string EncodePrivate(const Private& p);

  EntityService& entities_;
  storage::EntityStore& store_;
  const Open311Catalogues& catalogues_;
  const PlanningService* planning_;
  Open311ReportOptions options_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Tenant, std::less<>> tenants_;
};

}  // namespace dothi::service
