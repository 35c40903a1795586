#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "domain/entity.h"
#include "domain/open311/workflow.h"

// ServiceRequest is one citizen report (an Open311 "service request") as the city holds it:
// what was reported, where, its workflow state with every transition, its deadlines and
// the staff's updates. Personal data (name, email, phone, device) is NOT part of it: that
// is kept apart (service/open311_reports.h) so that nothing public can show it.
// Every report is also an NGSI-LD entity of type ServiceRequest (ToEntity/FromEntity), so
// subscriptions, the temporal history and GIS clients see it like any other city data.
// Plain value type.
namespace dothi::domain::open311 {

// Expanded IRIs of the entity type and its attributes. Open311's field names in the
// default context, except "status" and "description", which the core context defines.
namespace sr {
inline constexpr std::string_view kType = "https://uri.etsi.org/ngsi-ld/default-context/ServiceRequest";
inline constexpr std::string_view kIdPrefix = "urn:ngsi-ld:ServiceRequest:";
}  // namespace sr

// One workflow step: who moved the report from one state to another, when and why.
struct Transition {
  RequestStatus from = RequestStatus::kReceived;
  RequestStatus to = RequestStatus::kReceived;
  Timestamp at;
  std::string by;      // "citizen", "system" or the staff member's name
  std::string reason;  // as given
  friend bool operator==(const Transition&, const Transition&) = default;
};

// A staff comment on a report (FixMyStreet's "service request update"), with the state the
// report had after it.
struct RequestUpdate {
  std::uint64_t id = 0;  // unique within the jurisdiction
  Timestamp at;
  std::string by;
  RequestStatus status = RequestStatus::kReceived;
  std::string description;
  std::string media_url;
  friend bool operator==(const RequestUpdate&, const RequestUpdate&) = default;
};

struct ServiceRequest {
  std::uint64_t number = 0;  // service_request_id, unique within the jurisdiction
  std::string service_code;
  std::string service_name;  // Vietnamese name at submission
  std::string department;    // agency_responsible
  RequestStatus status = RequestStatus::kReceived;
  std::string status_notes;
  std::string description;
  Timestamp requested;          // requested_datetime
  Timestamp updated;            // updated_datetime
  Timestamp acknowledge_by;     // deadline to acknowledge
  Timestamp expected;           // expected_datetime: deadline to resolve
  std::optional<Timestamp> acknowledged_at, resolved_at;
  std::optional<double> lon, lat;
  std::string address;     // address_string
  std::string address_id;
  std::string ward;        // the administrative unit containing the point, when known
  std::string media_url;
  std::vector<std::pair<std::string, std::string>> attributes;  // attribute[code] answers
  std::optional<std::uint64_t> duplicate_of;
  std::optional<int> rating;  // 1-5, the reporter's satisfaction
  int escalation = 0;         // the escalation level last recorded (EscalationLevel at that time)
  std::vector<Transition> transitions;
  std::vector<RequestUpdate> updates;
  friend bool operator==(const ServiceRequest&, const ServiceRequest&) = default;

  std::string EntityId() const;
  Entity ToEntity() const;
  // Errors: BadRequestData when e is not a ServiceRequest this code wrote (wrong type,
  // id, or a field of the wrong kind).
  static Result<ServiceRequest> FromEntity(const Entity& e);
};

// Moves r to state `to` at `at`: checks the transition (CheckTransition), records it with
// who and why, and keeps the milestones: acknowledged_at is set by the first staff answer
// (any move out of received), resolved_at by a move to resolved (or to closed without one), and cleared by
// reopened. Errors: Conflict (the transition is not allowed); r is unchanged then.
Status ApplyTransition(ServiceRequest& r, RequestStatus to, Timestamp at, std::string by, std::string reason);

// The escalation of an open report at `now` (0 when closed or on time): 1 when past a
// deadline (acknowledge_by while received or reopened, else expected_datetime); 2 when
// late by more than the time it was given (the report goes one level up each time).
int EscalationLevel(const ServiceRequest& r, Timestamp now);

// The service_request_id in "urn:ngsi-ld:ServiceRequest:<n>", or nullopt.
std::optional<std::uint64_t> NumberFromEntityId(std::string_view id);

}  // namespace dothi::domain::open311
