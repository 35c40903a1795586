#include "http/status_mapping.h"

#include <gtest/gtest.h>

namespace dothi::http {
namespace {

TEST(StatusMappingTest, FollowsNgsiLdErrorTypeTable) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidRequest), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kBadRequestData), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnsupported), 422);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kTooManyResults), 403);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kLdContextNotAvailable), 503);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNonexistentTenant), 404);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInternal), 500);
}

TEST(StatusMappingTest, MapsTransportCodes) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kConflict), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kPayloadTooLarge), 413);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotAcceptable), 406);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnsupportedMediaType), 415);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidContext), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kOk), 200);
}

TEST(StatusMappingTest, KnowsReasonPhrases) {
  EXPECT_STREQ(ReasonPhrase(404), "Not Found");
  EXPECT_STREQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_STREQ(ReasonPhrase(599), "Unknown");
}

}  // namespace
}  // namespace dothi::http
