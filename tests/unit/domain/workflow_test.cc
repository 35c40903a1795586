#include "domain/open311/workflow.h"

#include <gtest/gtest.h>

#include <set>

namespace dothi::domain::open311 {
namespace {

constexpr RequestStatus kAll[] = {RequestStatus::kReceived,  RequestStatus::kAcknowledged,
                                  RequestStatus::kInProgress, RequestStatus::kResolved,
                                  RequestStatus::kClosed,     RequestStatus::kDuplicate,
                                  RequestStatus::kRejected,   RequestStatus::kReopened};

TEST(WorkflowTest, NamesRoundTripAndMapOntoOpen311) {
  std::set<std::string_view> names;
  for (RequestStatus s : kAll) {
    EXPECT_EQ(ParseStatus(StatusName(s)), s);
    EXPECT_TRUE(names.insert(StatusName(s)).second);
    EXPECT_FALSE(StatusLabelVi(s).empty());
    EXPECT_FALSE(StatusLabelEn(s).empty());
  }
  EXPECT_FALSE(ParseStatus("open"));
  for (RequestStatus s : {RequestStatus::kReceived, RequestStatus::kAcknowledged, RequestStatus::kInProgress,
                          RequestStatus::kReopened}) {
    EXPECT_EQ(Open311Status(s), "open") << StatusName(s);
  }
  for (RequestStatus s : {RequestStatus::kResolved, RequestStatus::kClosed, RequestStatus::kDuplicate,
                          RequestStatus::kRejected}) {
    EXPECT_EQ(Open311Status(s), "closed") << StatusName(s);
  }
}

TEST(WorkflowTest, TransitionsFollowTheLifeOfAReport) {
  EXPECT_TRUE(CheckTransition(RequestStatus::kReceived, RequestStatus::kAcknowledged).ok());
  EXPECT_TRUE(CheckTransition(RequestStatus::kResolved, RequestStatus::kReopened).ok());
  EXPECT_TRUE(CheckTransition(RequestStatus::kReopened, RequestStatus::kInProgress).ok());
  Status s = CheckTransition(RequestStatus::kClosed, RequestStatus::kInProgress);
  EXPECT_EQ(s.code(), ErrorCode::kConflict);
  EXPECT_NE(s.message().find("closed to in_progress"), std::string::npos);
  // Duplicate and rejected are final; nothing goes back to received; no state to itself.
  for (RequestStatus from : kAll) {
    EXPECT_FALSE(CheckTransition(from, RequestStatus::kReceived).ok());
    EXPECT_FALSE(CheckTransition(from, from).ok()) << StatusName(from);
    // Only a finished report can be reopened.
    EXPECT_EQ(CheckTransition(from, RequestStatus::kReopened).ok(),
              from == RequestStatus::kResolved || from == RequestStatus::kClosed);
  }
  EXPECT_TRUE(NextStatuses(RequestStatus::kDuplicate).empty());
  EXPECT_TRUE(NextStatuses(RequestStatus::kRejected).empty());
  // Every state is reachable from received.
  std::set<RequestStatus> seen = {RequestStatus::kReceived};
  std::vector<RequestStatus> todo = {RequestStatus::kReceived};
  while (!todo.empty()) {
    RequestStatus s = todo.back();
    todo.pop_back();
    for (RequestStatus n : NextStatuses(s)) {
      if (seen.insert(n).second) todo.push_back(n);
    }
  }
  EXPECT_EQ(seen.size(), std::size(kAll));
}

}  // namespace
}  // namespace dothi::domain::open311
