#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/status.h"

// The life of a citizen report (service request), richer than Open311's open/closed and
// mapped onto it for plain Open311 clients:
//   received -> acknowledged -> in_progress -> resolved -> closed
//   received | acknowledged | in_progress -> duplicate (merged into another) | rejected
//   resolved | closed -> reopened (by the reporter, within the window) -> acknowledged ...
// Every transition is recorded by the caller with who, when and why.
namespace dothi::domain::open311 {

enum class RequestStatus {
  kReceived,
  kAcknowledged,
  kInProgress,
  kResolved,
  kClosed,
  kDuplicate,
  kRejected,
  kReopened,
};

std::string_view StatusName(RequestStatus s);  // "received", "in_progress", ...
std::optional<RequestStatus> ParseStatus(std::string_view name);
// Open311's two states: "closed" for resolved, closed, duplicate and rejected; else "open".
std::string_view Open311Status(RequestStatus s);
// Vietnamese and English labels for people.
std::string_view StatusLabelVi(RequestStatus s);
std::string_view StatusLabelEn(RequestStatus s);

// Whether staff (or, for kReopened, the reporter) may move a report from one state to the
// other. Errors: Conflict naming both states when not.
Status CheckTransition(RequestStatus from, RequestStatus to);
// The states reachable from s.
std::vector<RequestStatus> NextStatuses(RequestStatus s);

}  // namespace dothi::domain::open311
