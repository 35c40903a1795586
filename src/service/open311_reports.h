#pragma once

#include <array>
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
#include "domain/media/image_sanitizer.h"
#include "domain/open311/service_request.h"
#include "service/entity_service.h"
#include "service/open311_catalogue.h"
#include "service/planning_service.h"
#include "storage/entity_store.h"
#include "storage/media_store.h"

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
  int feedback_days = 14;            // days after resolution the reporter may rate or reopen
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
  std::optional<domain::media::CleanImage> photo;  // uploaded: stored, and media_url set to it
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
  std::optional<std::string> ward;  // routed to this ward
  bool overdue_only = false;        // open and past a deadline at `now`
  std::size_t page = 1;       // 1-based
  std::size_t page_size = 0;  // 0: max_results
};

// A staff action on a report: a move to another state and/or a public comment.
struct StaffUpdate {
  std::uint64_t number = 0;
  std::optional<domain::open311::RequestStatus> status;  // nullopt: a comment only
  std::string by;           // the staff member or unit, shown publicly
  std::string description;  // the comment, or why (shown publicly)
  std::string media_url;
  std::optional<domain::media::CleanImage> photo;  // uploaded: stored, and media_url set to it
  std::optional<std::uint64_t> duplicate_of;  // with status duplicate: the original
};

// The reporter's word after a resolution, proven by the token they were given.
struct Feedback {
  std::uint64_t number = 0;
  std::string token;
  std::optional<int> rating;  // 1-5
  bool reopen = false;
  std::string comment;
};

// One service request update (FixMyStreet's GET servicerequestupdates).
struct ReportUpdateRow {
  std::uint64_t number = 0;
  domain::open311::RequestUpdate update;
};

// Figures of one group of reports (a service, department or ward; key "" for all).
struct ReportStats {
  std::string key;
  std::size_t total = 0;
  std::map<std::string, std::size_t> by_status;  // detailed states
  std::size_t acknowledged = 0, acknowledged_on_time = 0;
  std::size_t resolved = 0, resolved_on_time = 0;
  std::optional<double> acknowledge_hours_median, acknowledge_hours_p90;  // wall-clock hours
  std::optional<double> resolve_hours_median, resolve_hours_p90;
  std::size_t overdue = 0;  // open and past a deadline now
  std::size_t ratings = 0;
  std::optional<double> satisfaction_mean;  // 1-5
};

enum class StatsGroup { kNone, kService, kDepartment, kWard };

class Open311Reports {
 public:
  // planning may be null (no jurisdiction check beyond Vietnam, no ward routing); media may
  // be null (photo uploads refused).
  Open311Reports(EntityService& entities, storage::EntityStore& store, const Open311Catalogues& catalogues,
                 const PlanningService* planning, storage::MediaStore* media, Open311ReportOptions options);

  // Where an uploaded photo is served: kMediaPath + its name.
  static constexpr std::string_view kMediaPath = "/open311/v2/media/";
  // An uploaded photo's bytes, or nullopt. Photos are public (their names are random).
  Result<std::optional<std::string>> Media(std::string_view name) const;

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

  // A staff action. Errors: NotFound (report), Conflict (transition not allowed; a
  // duplicate of itself, of a duplicate or of an unknown report), BadRequestData (fields).
  Result<domain::open311::RequestUpdate> Update(const RequestContext& ctx, StaffUpdate u, Timestamp now);
  // The reporter rates and/or reopens a resolved report within feedback_days. Errors:
  // NotFound (report, or a token that is not this report's), Conflict (not resolved, or the
  // window has passed), BadRequestData (rating outside 1-5, nothing asked).
  Result<domain::open311::ServiceRequest> GiveFeedback(const RequestContext& ctx, Feedback f, Timestamp now);
  // Removes the reporter's personal data (the report stays). token: the report's token, or
  // empty when staff ask. Errors: NotFound (report or token).
  Status ErasePersonalData(const RequestContext& ctx, std::uint64_t number, std::string_view token);
  // Records the escalations that `now` brings (domain::open311::EscalationLevel above the
  // level last recorded) in every tenant: the report's escalation_level and an update by
  // "system" saying who now has it, so that subscriptions and the operations centre hear
  // of it. Returns how many reports went up: at most `limit`, the rest wait for the next
  // call (so that a backlog never holds a shutdown for long). Run periodically (ServerApp,
  // every minute).
  Result<std::size_t> RecordEscalations(Timestamp now, std::size_t limit = 1000);
  // Updates made in [start, end] (default: the last default_days), oldest first, or those of
  // the given reports. Errors: NotFound (jurisdiction), BadRequestData (dates).
  Result<std::vector<ReportUpdateRow>> Updates(const RequestContext& ctx, std::optional<Timestamp> start,
                                               std::optional<Timestamp> end, const std::vector<std::uint64_t>& numbers,
                                               Timestamp now) const;
  // Figures over the reports requested in [start, end] (default: the last default_days; no
  // span limit), one entry for all and one per group. Errors: NotFound (jurisdiction),
  // BadRequestData (dates).
  Result<std::vector<ReportStats>> Statistics(const RequestContext& ctx, std::optional<Timestamp> start,
                                              std::optional<Timestamp> end, const std::vector<std::string>& services,
                                              StatsGroup group, Timestamp now) const;

  const Open311ReportOptions& options() const { return options_; }

 private:
  struct Row {
    std::int64_t requested = 0;  // micros
    std::uint64_t number = 0;
    std::int64_t acknowledge_by = 0, expected = 0;
    std::int64_t acknowledged = 0, resolved = 0;  // 0: not yet
    std::uint64_t duplicate_of = 0;               // 0: none
    std::uint32_t service = 0;                    // index into Tenant::names
    std::uint32_t ward = 0;                       // index into Tenant::names ("" for none)
    double lon = 0, lat = 0;
    domain::open311::RequestStatus status = domain::open311::RequestStatus::kReceived;
    std::int8_t rating = 0;  // 0: none
    std::int8_t escalation = 0;  // the level last recorded
    bool placed = false;
  };
  struct Private {
    std::string token;
    Reporter reporter;
  };
  struct Tenant {
    std::vector<Row> rows;  // by (requested, number)
    std::unordered_map<std::uint64_t, std::int64_t> requested_of;  // number -> requested
    std::vector<std::string> names;  // services and wards, interned
    std::unordered_map<std::string, std::uint32_t> name_ids;
    std::vector<std::pair<std::int64_t, std::uint64_t>> updates;  // (time, number), by time
    // Placed reports by service and cell of 0.001 degrees (about 100 m): (requested,
    // number) by time, for the duplicate search. Entries may be stale; rows decide.
    std::unordered_map<std::uint64_t, std::vector<std::pair<std::int64_t, std::uint64_t>>> cells;
    std::unordered_map<std::uint64_t, Private> privates;
    std::unordered_map<std::string, std::uint64_t> tokens;
    std::uint64_t next_number = 1;
    std::uint64_t next_update = 1;
    std::uint32_t Intern(const std::string& name);
    const Row* Find(std::uint64_t number) const;
    // Open311's open/closed of a row; a merged duplicate follows its original.
    bool Open(const Row& row) const;
  };

  Tenant& TenantFor(const std::string& tenant);  // caller holds mu_ exclusive
  const Tenant* FindTenant(std::string_view tenant) const;  // caller holds mu_
  void IndexPut(Tenant& t, const domain::open311::ServiceRequest& r);
  std::vector<std::uint64_t> NearbyOpen(const Tenant& t, const std::string& code, double lon, double lat,
                                        Timestamp now) const;
  // The requested-time window of a listing: [start, end] with the defaults of Open311 (the
  // last default_days; start + default_days). Errors: BadRequestData (end before start; a
  // span over default_days when limit_span).
  Result<std::pair<Timestamp, Timestamp>> Window(std::optional<Timestamp> start, std::optional<Timestamp> end,
                                                 Timestamp now, bool limit_span) const;
  static std::uint64_t CellKey(std::uint32_t service, std::int64_t cx, std::int64_t cy);
  static std::string PrivateKey(std::string_view tenant, std::uint64_t number);
  // Writes r (its entity) and updates the index; caller holds WriteLock(r.number).
  Status Write(const RequestContext& ctx, const domain::open311::ServiceRequest& r);
  static std::string EncodePrivate(const Private& p);
  // Stores a photo durably; its public path. Errors: BadRequestData (uploads off), the store's.
  Result<std::string> StorePhoto(const domain::media::CleanImage& photo);

  EntityService& entities_;
  storage::EntityStore& store_;
  const Open311Catalogues& catalogues_;
  const PlanningService* planning_;
  storage::MediaStore* media_;
  Open311ReportOptions options_;
  // Serialise read-modify-write of one report (staff and reporters), by number.
  std::mutex& WriteLock(std::uint64_t number) { return write_mu_[number % write_mu_.size()]; }
  std::array<std::mutex, 64> write_mu_;
  mutable std::shared_mutex mu_;
  std::map<std::string, Tenant, std::less<>> tenants_;
};

}  // namespace dothi::service
