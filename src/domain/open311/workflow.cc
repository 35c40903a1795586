#include "domain/open311/workflow.h"

#include <algorithm>
#include <string>

namespace dothi::domain::open311 {
namespace {

struct Info {
  RequestStatus status;
  std::string_view name, vi, en;
  bool closed;
};
constexpr Info kInfo[] = {
    {RequestStatus::kReceived, "received", "Đã tiếp nhận", "Received", false},
    {RequestStatus::kAcknowledged, "acknowledged", "Đã xác nhận, chuyển xử lý", "Acknowledged", false},
    {RequestStatus::kInProgress, "in_progress", "Đang xử lý", "In progress", false},
    {RequestStatus::kResolved, "resolved", "Đã xử lý xong", "Resolved", true},
    {RequestStatus::kClosed, "closed", "Đã đóng", "Closed", true},
    {RequestStatus::kDuplicate, "duplicate", "Trùng phản ánh khác", "Duplicate", true},
    {RequestStatus::kRejected, "rejected", "Không tiếp nhận", "Rejected", true},
    {RequestStatus::kReopened, "reopened", "Mở lại", "Reopened", false},
};

const Info& Of(RequestStatus s) { return kInfo[static_cast<int>(s)]; }

}  // namespace

std::string_view StatusName(RequestStatus s) { return Of(s).name; }
std::string_view StatusLabelVi(RequestStatus s) { return Of(s).vi; }
std::string_view StatusLabelEn(RequestStatus s) { return Of(s).en; }
std::string_view Open311Status(RequestStatus s) { return Of(s).closed ? "closed" : "open"; }

std::optional<RequestStatus> ParseStatus(std::string_view name) {
  for (const Info& i : kInfo) {
    if (i.name == name) return i.status;
  }
  return std::nullopt;
}

std::vector<RequestStatus> NextStatuses(RequestStatus s) {
  using S = RequestStatus;
  switch (s) {
    case S::kReceived: return {S::kAcknowledged, S::kInProgress, S::kResolved, S::kDuplicate, S::kRejected};
    case S::kAcknowledged: return {S::kInProgress, S::kResolved, S::kDuplicate, S::kRejected};
    case S::kInProgress: return {S::kResolved, S::kDuplicate, S::kRejected};
    case S::kResolved: return {S::kClosed, S::kReopened};
    case S::kClosed: return {S::kReopened};
    case S::kReopened: return {S::kAcknowledged, S::kInProgress, S::kResolved, S::kDuplicate, S::kRejected};
    case S::kDuplicate:
    case S::kRejected: return {};
  }
  return {};
}

Status CheckTransition(RequestStatus from, RequestStatus to) {
  const std::vector<RequestStatus> next = NextStatuses(from);
  if (std::find(next.begin(), next.end(), to) != next.end()) return Status::OK();
  return Status::Conflict("a report cannot go from " + std::string(StatusName(from)) + " to " +
                          std::string(StatusName(to)));
}

}  // namespace dothi::domain::open311
