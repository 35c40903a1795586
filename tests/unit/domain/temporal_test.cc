#include "domain/temporal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

namespace dothi::domain::temporal {
namespace {

constexpr std::int64_t kHour = 3'600'000'000;

Timestamp At(std::string_view iso) { return *ParseIso8601(iso); }

TEST(TemporalPeriodTest, ParsesIso8601Durations) {
  EXPECT_EQ(ParsePeriod("PT1H")->micros, kHour);
  EXPECT_EQ(ParsePeriod("PT1H")->months, 0);
  EXPECT_EQ(ParsePeriod("P1D")->micros, 24 * kHour);
  EXPECT_EQ(ParsePeriod("P1W")->micros, 7 * 24 * kHour);
  EXPECT_EQ(ParsePeriod("PT90M")->micros, 90 * 60'000'000LL);
  EXPECT_EQ(ParsePeriod("PT1.5S")->micros, 1'500'000);
  EXPECT_TRUE(ParsePeriod("PT0S")->IsZero());
  const Period mixed = *ParsePeriod("P1Y2M10DT2H30M");
  EXPECT_EQ(mixed.months, 14);
  EXPECT_EQ(mixed.micros, 10 * 24 * kHour + 2 * kHour + 30 * 60'000'000LL);
  for (const char* bad : {"", "P", "PT", "bogus", "1H", "PT1", "P1H", "PT1D", "P1.5D", "PT-1H",
                          "P1DT", "PTH"}) {
    EXPECT_FALSE(ParsePeriod(bad).has_value()) << bad;
  }
}

TEST(TemporalPeriodTest, RefusesPeriodsBeyondTenThousandYears) {
  // Found by temporal_fuzz: these overflowed 64-bit micros (or the int month count).
  for (const char* huge : {"P116410100D", "P999999999W", "PT999999999H", "P999999999Y",
                           "P999999999M", "P5000Y5001Y", "P3000000DT999999999H"}) {
    EXPECT_FALSE(ParsePeriod(huge).has_value()) << huge;
  }
  EXPECT_EQ(ParsePeriod("P10000Y")->months, 120000);
  EXPECT_EQ(ParsePeriod("P3650000D")->micros, 3650000 * 24 * kHour);
}

TEST(TemporalPeriodTest, AddsCalendarMonthsClampingTheDay) {
  Period month{1, 0};
  EXPECT_EQ(AddPeriod(At("2024-01-31T10:00:00Z"), month), At("2024-02-29T10:00:00Z"));
  EXPECT_EQ(AddPeriod(At("2023-01-31T10:00:00Z"), month), At("2023-02-28T10:00:00Z"));
  EXPECT_EQ(AddPeriod(At("2026-12-15T00:00:00Z"), month), At("2027-01-15T00:00:00Z"));
  EXPECT_EQ(AddPeriod(At("2026-11-24T06:00:00Z"), *ParsePeriod("PT1H")), At("2026-11-24T07:00:00Z"));
}

TEST(TemporalAggregateTest, MethodNamesRoundTrip) {
  for (const char* name : {"totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq"}) {
    std::optional<AggrMethod> m = ParseAggrMethod(name);
    ASSERT_TRUE(m.has_value()) << name;
    EXPECT_EQ(AggrMethodName(*m), name);
  }
  EXPECT_FALSE(ParseAggrMethod("median").has_value());
  EXPECT_FALSE(ParseAggrMethod("AVG").has_value());
}

// Every method, per hour, against sums written out here: random readings over ten hours
// with one hour left empty.
TEST(TemporalAggregateTest, EveryMethodPerHourMatchesAnIndependentComputation) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> value(-20.0, 40.0);
  const Timestamp origin = At("2026-11-01T00:00:00Z");
  std::vector<Sample> samples;
  std::map<int, std::vector<double>> by_hour;
  for (int minute = 0; minute < 600; minute += 7) {
    const int hour = minute / 60;
    if (hour == 4) continue;  // an empty bucket
    const double v = std::round(value(rng) * 4) / 4;  // repeats, for distinctCount
    samples.push_back({Timestamp{origin.micros + minute * 60'000'000LL}, v, std::to_string(v)});
    by_hour[hour].push_back(v);
  }
  const std::vector<AggrMethod> methods = {
      AggrMethod::kTotalCount, AggrMethod::kDistinctCount, AggrMethod::kSum, AggrMethod::kAvg,
      AggrMethod::kMin,        AggrMethod::kMax,           AggrMethod::kStddev, AggrMethod::kSumsq};
  std::vector<Bucket> buckets = Aggregate(samples, methods, *ParsePeriod("PT1H"), origin, origin);
  ASSERT_EQ(buckets.size(), by_hour.size());  // the empty hour is left out
  std::size_t i = 0;
  for (const auto& [hour, values] : by_hour) {
    const Bucket& b = buckets[i++];
    EXPECT_EQ(b.start.micros, origin.micros + hour * kHour);
    EXPECT_EQ(b.end.micros, origin.micros + (hour + 1) * kHour);
    double sum = 0, sumsq = 0, mn = values[0], mx = values[0];
    std::set<double> distinct;
    for (double v : values) {
      sum += v;
      sumsq += v * v;
      mn = std::min(mn, v);
      mx = std::max(mx, v);
      distinct.insert(v);
    }
    const double n = static_cast<double>(values.size());
    const double mean = sum / n;
    double dev = 0;
    for (double v : values) dev += (v - mean) * (v - mean);
    const double stddev = values.size() > 1 ? std::sqrt(dev / (n - 1)) : 0.0;
    ASSERT_EQ(b.values.size(), methods.size());
    EXPECT_DOUBLE_EQ(*b.values[0], n);
    EXPECT_DOUBLE_EQ(*b.values[1], static_cast<double>(distinct.size()));
    EXPECT_NEAR(*b.values[2], sum, 1e-9);
    EXPECT_NEAR(*b.values[3], mean, 1e-9);
    EXPECT_DOUBLE_EQ(*b.values[4], mn);
    EXPECT_DOUBLE_EQ(*b.values[5], mx);
    EXPECT_NEAR(*b.values[6], stddev, 1e-9);
    EXPECT_NEAR(*b.values[7], sumsq, 1e-6);
  }
}

TEST(TemporalAggregateTest, ZeroPeriodIsOneBucketAndTextValuesOnlyCount) {
  const Timestamp t0 = At("2026-11-01T00:00:00Z");
  std::vector<Sample> samples = {
      {t0, std::nullopt, "\"open\""},
      {Timestamp{t0.micros + 10}, std::nullopt, "\"closed\""},
      {Timestamp{t0.micros + 20}, std::nullopt, "\"open\""},
  };
  const Timestamp end = At("2026-11-02T00:00:00Z");
  std::vector<Bucket> b = Aggregate(samples, {AggrMethod::kTotalCount, AggrMethod::kDistinctCount, AggrMethod::kAvg},
                                    Period{}, t0, end);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].start, t0);
  EXPECT_EQ(b[0].end, end);
  EXPECT_DOUBLE_EQ(*b[0].values[0], 3);
  EXPECT_DOUBLE_EQ(*b[0].values[1], 2);
  EXPECT_FALSE(b[0].values[2].has_value());  // no number to average
}

TEST(TemporalAggregateTest, SamplesBeforeTheOriginAndFarGapsLandRight) {
  const Timestamp origin = At("2026-11-01T00:00:00Z");
  std::vector<Sample> samples = {
      {Timestamp{origin.micros - 1}, 100.0, "100"},           // before the origin: not counted
      {origin, 1.0, "1"},
      {Timestamp{origin.micros + 1000 * kHour + 5}, 3.0, "3"},  // 1000 hours later
  };
  std::vector<Bucket> b = Aggregate(samples, {AggrMethod::kSum}, *ParsePeriod("PT1H"), origin, origin);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_DOUBLE_EQ(*b[0].values[0], 1.0);
  EXPECT_EQ(b[1].start.micros, origin.micros + 1000 * kHour);
  EXPECT_DOUBLE_EQ(*b[1].values[0], 3.0);
}

}  // namespace
}  // namespace dothi::domain::temporal
