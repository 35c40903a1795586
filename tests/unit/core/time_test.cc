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

namespace dothi {
namespace {

TEST(TimeTest, FormatRoundTripsAcrossYearsAndLeapDays) {
  // Independent reference: days-from-civil computed here by counting days per year.
  auto days_before = [](int year) {
    std::int64_t days = 0;
    for (int y = 1970; y < year; ++y) days += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365;
    return days;
  };
  const std::int64_t t2000 = days_before(2000) * 86400;  // 2000-01-01T00:00:00Z
  EXPECT_EQ(FormatIso8601(Timestamp{t2000 * 1000000}), "2000-01-01T00:00:00.000Z");
  const std::int64_t leap = (days_before(2024) + 31 + 28) * 86400 + 23 * 3600 + 59 * 60 + 59;
  EXPECT_EQ(FormatIso8601(Timestamp{leap * 1000000 + 999000}), "2024-02-29T23:59:59.999Z");
  // Beyond four digits of year the text widens; the buffer form writes the same text.
  const Timestamp y10k{days_before(10000) * 86400 * 1000000 + 7000};
  EXPECT_EQ(FormatIso8601(y10k), "10000-01-01T00:00:00.007Z");
  char buf[kIso8601BufferSize];
  EXPECT_EQ(std::string_view(buf, FormatIso8601(y10k, buf)), "10000-01-01T00:00:00.007Z");
  EXPECT_EQ(std::string_view(buf, FormatIso8601(Timestamp{leap * 1000000}, buf)),
            "2024-02-29T23:59:59.000Z");
  for (const char* s : {"0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "1900-03-01T12:00:00.500Z"}) {
    auto t = ParseIso8601(s);
    ASSERT_TRUE(t.has_value()) << s;
    EXPECT_EQ(FormatIso8601(*t), s);
  }
}

}  // namespace
}  // namespace dothi
