#include "domain/open311/service_request.h"

#include <gtest/gtest.h>

namespace dothi::domain::open311 {
namespace {

Timestamp At(const char* iso) { return *ParseIso8601(iso); }

ServiceRequest Full() {
  ServiceRequest r;
  r.number = 42;
  r.service_code = "den-duong";
  r.service_name = "Đèn chiếu sáng công cộng hỏng";
  r.department = "Công ty Chiếu sáng đô thị";
  r.status = RequestStatus::kInProgress;
  r.status_notes = "Đội 3 đang sửa";
  r.description = "Đèn trước số 5 không sáng";
  r.requested = At("2026-11-24T01:00:00.123Z");
  r.updated = At("2026-11-24T03:00:00Z");
  r.acknowledge_by = At("2026-11-24T09:00:00Z");
  r.expected = At("2026-11-27T10:00:00Z");
  r.acknowledged_at = At("2026-11-24T02:00:00Z");
  r.lon = 105.8524;
  r.lat = 21.0287;
  r.address = "5 Đinh Tiên Hoàng";
  r.address_id = "A-5";
  r.ward = "Phường Hàng Trống";
  r.media_url = "https://anh.example.vn/1.jpg";
  r.attributes = {{"tinh-trang", "khong-sang"}, {"loai", "a"}, {"loai", "b"}};
  r.duplicate_of = 7;
  r.rating = 4;
  r.escalation = 1;
  r.transitions = {{RequestStatus::kReceived, RequestStatus::kReceived, r.requested, "citizen", "submitted"},
                   {RequestStatus::kReceived, RequestStatus::kAcknowledged, *r.acknowledged_at, "Tổ 1", ""}};
  r.updates = {{3, *r.acknowledged_at, "Tổ 1", RequestStatus::kAcknowledged, "đã nhận", ""},
               {4, r.updated, "Đội 3", RequestStatus::kInProgress, "đang sửa", "https://anh.example.vn/2.jpg"}};
  return r;
}

TEST(ServiceRequestTest, EntityRoundTripKeepsEveryField) {
  const ServiceRequest r = Full();
  const Entity e = r.ToEntity();
  EXPECT_EQ(e.id, "urn:ngsi-ld:ServiceRequest:42");
  ASSERT_EQ(e.types.size(), 1u);
  EXPECT_EQ(e.types[0], sr::kType);
  // Open311's open/closed under the core context's "status", the workflow state beside it.
  const Json* status = e.FindInstance("https://uri.etsi.org/ngsi-ld/status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->Find("value")->AsString(), "open");
  ASSERT_NE(e.FindInstance(kLocationIri), nullptr);
  Result<ServiceRequest> back = ServiceRequest::FromEntity(e);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);

  ServiceRequest bare;
  bare.number = 1;
  bare.requested = bare.updated = bare.acknowledge_by = bare.expected = At("2026-01-02T03:04:05Z");
  Result<ServiceRequest> bare_back = ServiceRequest::FromEntity(bare.ToEntity());
  ASSERT_TRUE(bare_back.ok());
  EXPECT_EQ(*bare_back, bare);
}

TEST(ServiceRequestTest, FromEntityRefusesOtherEntitiesAndWrongKinds) {
  Entity e = Full().ToEntity();
  Entity other = e;
  other.types = {"https://uri.etsi.org/ngsi-ld/default-context/Streetlight"};
  EXPECT_EQ(ServiceRequest::FromEntity(other).status().code(), ErrorCode::kBadRequestData);
  other = e;
  other.id = "urn:ngsi-ld:ServiceRequest:abc";
  EXPECT_FALSE(ServiceRequest::FromEntity(other).ok());
  other = e;
  other.attrs.Set("https://uri.etsi.org/ngsi-ld/default-context/rating",
                  Json(Json::Array{Json::MakeObject({{"type", "Property"}, {"value", 9}})}));
  EXPECT_FALSE(ServiceRequest::FromEntity(other).ok());
  other = e;
  other.attrs.Set("https://uri.etsi.org/ngsi-ld/default-context/requested_datetime",
                  Json(Json::Array{Json::MakeObject({{"type", "Property"}, {"value", "yesterday"}})}));
  EXPECT_FALSE(ServiceRequest::FromEntity(other).ok());
  EXPECT_EQ(NumberFromEntityId("urn:ngsi-ld:ServiceRequest:12"), 12u);
  EXPECT_FALSE(NumberFromEntityId("urn:ngsi-ld:ServiceRequest:"));
  EXPECT_FALSE(NumberFromEntityId("urn:ngsi-ld:Other:12"));
}

TEST(ServiceRequestTest, TransitionsAreRecordedWithTheirMilestones) {
  ServiceRequest r;
  r.requested = At("2026-11-24T01:00:00Z");
  ASSERT_TRUE(ApplyTransition(r, RequestStatus::kAcknowledged, At("2026-11-24T02:00:00Z"), "Tổ 1", "nhận").ok());
  EXPECT_EQ(r.acknowledged_at, At("2026-11-24T02:00:00Z"));
  ASSERT_TRUE(ApplyTransition(r, RequestStatus::kResolved, At("2026-11-25T02:00:00Z"), "Đội 3", "xong").ok());
  EXPECT_EQ(r.resolved_at, At("2026-11-25T02:00:00Z"));
  EXPECT_EQ(r.updated, At("2026-11-25T02:00:00Z"));
  ASSERT_TRUE(ApplyTransition(r, RequestStatus::kReopened, At("2026-11-26T02:00:00Z"), "citizen", "vẫn hỏng").ok());
  EXPECT_FALSE(r.resolved_at);
  EXPECT_EQ(r.acknowledged_at, At("2026-11-24T02:00:00Z")) << "the first answer stays";
  ASSERT_EQ(r.transitions.size(), 3u);
  EXPECT_EQ(r.transitions[2].from, RequestStatus::kResolved);
  EXPECT_EQ(r.transitions[2].to, RequestStatus::kReopened);
  EXPECT_EQ(r.transitions[2].by, "citizen");
  EXPECT_EQ(r.transitions[2].reason, "vẫn hỏng");

  const ServiceRequest before = r;
  Status s = ApplyTransition(r, RequestStatus::kClosed, At("2026-11-27T02:00:00Z"), "x", "");
  EXPECT_EQ(s.code(), ErrorCode::kConflict);
  EXPECT_EQ(r, before) << "a refused transition changes nothing";

  ServiceRequest direct;
  ASSERT_TRUE(ApplyTransition(direct, RequestStatus::kRejected, At("2026-11-24T02:00:00Z"), "Tổ 1", "không thuộc").ok());
  EXPECT_EQ(direct.acknowledged_at, At("2026-11-24T02:00:00Z")) << "a rejection answers the report";
  EXPECT_FALSE(direct.resolved_at);
}

TEST(ServiceRequestTest, EscalationGoesUpAsDeadlinesPass) {
  ServiceRequest r;
  r.requested = At("2026-11-24T00:00:00Z");
  r.acknowledge_by = At("2026-11-24T10:00:00Z");
  r.expected = At("2026-11-27T00:00:00Z");
  EXPECT_EQ(EscalationLevel(r, At("2026-11-24T09:00:00Z")), 0);
  EXPECT_EQ(EscalationLevel(r, At("2026-11-24T11:00:00Z")), 1) << "not acknowledged in time";
  EXPECT_EQ(EscalationLevel(r, At("2026-11-24T21:00:00Z")), 2) << "late by more than the ten hours given";
  r.status = RequestStatus::kAcknowledged;
  EXPECT_EQ(EscalationLevel(r, At("2026-11-24T21:00:00Z")), 0) << "acknowledged: the resolve deadline counts";
  EXPECT_EQ(EscalationLevel(r, At("2026-11-27T01:00:00Z")), 1);
  EXPECT_EQ(EscalationLevel(r, At("2026-11-30T01:00:00Z")), 2);
  r.status = RequestStatus::kResolved;
  EXPECT_EQ(EscalationLevel(r, At("2026-12-30T01:00:00Z")), 0);
}

}  // namespace
}  // namespace dothi::domain::open311
