#include "core/time.h"

#include <gtest/gtest.h>

namespace dothi {
namespace {

TEST(TimeTest, ParsesUtcWithMilliseconds) {
  auto t = ParseIso8601("2026-11-23T08:15:00.123Z");
  ASSERT_TRUE(t.has_value());
  // 2026-11-23T08:15:00Z is 1795421700 s after the epoch (computed with `date -u -d`).
  EXPECT_EQ(t->micros, 1795421700LL * 1000000 + 123000);
  EXPECT_EQ(FormatIso8601(*t), "2026-11-23T08:15:00.123Z");
}

TEST(TimeTest, AppliesOffsets) {
  auto vn = ParseIso8601("2026-11-23T15:15:00+07:00");
  auto utc = ParseIso8601("2026-11-23T08:15:00Z");
  ASSERT_TRUE(vn && utc);
  EXPECT_EQ(vn->micros, utc->micros);
}

TEST(TimeTest, RefusesInvalidDates) {
  EXPECT_FALSE(ParseIso8601("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseIso8601("2026-13-01"));
  EXPECT_FALSE(ParseIso8601("yesterday"));
  EXPECT_FALSE(ParseIso8601("2026-11-23T25:00:00Z"));
  EXPECT_FALSE(ParseIso8601("2026-11-23T08:15:00Zjunk"));
  EXPECT_TRUE(ParseIso8601("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(ParseIso8601("2026-11-23"));
}

TEST(TimeTest, FormatsBeforeEpoch) {
  EXPECT_EQ(FormatIso8601(Timestamp{-1000}), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace dothi
