#include "domain/open311/working_calendar.h"

#include <gtest/gtest.h>

#include <random>

namespace dothi::domain::open311 {
namespace {

// Local time (UTC+07:00) to an instant.
Timestamp Local(std::string_view date_time) {
  std::string text(date_time);
  text += "+07:00";
  return *ParseIso8601(text);
}

std::string Show(Timestamp t) {
  char buf[kIso8601BufferSize];
  return std::string(buf, FormatIso8601(Timestamp{t.micros + 7 * 3600LL * 1000000}, buf));
}

WorkingCalendar Calendar(std::set<LocalDate> holidays = {}, std::set<LocalDate> working = {}) {
  WorkingCalendar::Options o;
  o.holidays = std::move(holidays);
  o.working_days = std::move(working);
  return *WorkingCalendar::Make(o);
}

LocalDate D(std::string_view s) { return *LocalDate::Parse(s); }

TEST(LocalDateTest, CivilDaysRoundTripAndWeekdays) {
  EXPECT_EQ(D("1970-01-01").DaysSinceEpoch(), 0);
  EXPECT_EQ(D("2026-11-24").Weekday(), 1) << "a Tuesday";
  EXPECT_EQ(D("2026-02-17").Weekday(), 1) << "Tết Bính Ngọ falls on a Tuesday";
  EXPECT_EQ(D("2000-02-29").Weekday(), 1);
  for (std::int64_t d = -800000; d < 800000; d += 997) {
    EXPECT_EQ(LocalDate::FromDaysSinceEpoch(d).DaysSinceEpoch(), d);
  }
  EXPECT_FALSE(LocalDate::Parse("2025-02-29"));
  EXPECT_FALSE(LocalDate::Parse("2025-13-01"));
  EXPECT_FALSE(LocalDate::Parse("25-1-1"));
  EXPECT_EQ(D("2024-02-29").ToString(), "2024-02-29");
}

TEST(WorkingCalendarTest, HoursSkipLunchNightsAndWeekends) {
  WorkingCalendar c = Calendar();
  EXPECT_EQ(c.MinutesPerDay(), 8 * 60);
  // Tuesday 10:00 + 3 h: 12:00 lunch, so 14:00.
  EXPECT_EQ(Show(c.AddWorkingMinutes(Local("2026-11-24T10:00:00"), 180)), "2026-11-24T14:00:00.000Z");
  // Ending exactly at a period's end gives that end.
  EXPECT_EQ(Show(c.AddWorkingMinutes(Local("2026-11-24T10:00:00"), 120)), "2026-11-24T12:00:00.000Z");
  // Friday 16:00 + 2 h: Monday 09:00.
  EXPECT_EQ(Show(c.AddWorkingMinutes(Local("2026-11-27T16:00:00"), 120)), "2026-11-30T09:00:00.000Z");
  // A report sent on Saturday night starts counting on Monday 08:00.
  EXPECT_EQ(Show(c.AddWorkingMinutes(Local("2026-11-28T22:30:00"), 30)), "2026-11-30T08:30:00.000Z");
  // 5 working days from Wednesday 10:00: next Wednesday 10:00.
  EXPECT_EQ(Show(c.AddWorkingDays(Local("2026-11-25T10:00:00"), 5)), "2026-12-02T10:00:00.000Z");
  EXPECT_EQ(c.AddWorkingMinutes(Local("2026-11-28T22:30:00"), 0), Local("2026-11-28T22:30:00"));
  EXPECT_TRUE(c.IsWorkingTime(Local("2026-11-24T08:00:00")));
  EXPECT_FALSE(c.IsWorkingTime(Local("2026-11-24T12:30:00")));
  EXPECT_FALSE(c.IsWorkingTime(Local("2026-11-28T09:00:00")));
}

// A Tết break configured as Monday 16 to Friday 20 February 2026 (the days off are fixed by
// the government each year; here they are the test's own), and a make-up Saturday.
TEST(WorkingCalendarTest, HolidaysAndTetAreSkippedAndMakeUpDaysCount) {
  std::set<LocalDate> tet;
  for (int d = 16; d <= 20; ++d) tet.insert(LocalDate{2026, 2, d});
  WorkingCalendar c = Calendar(tet, {D("2026-02-07")});
  // Friday 13 Feb 15:00 + 3 working days: 2 h on Friday, the Tết week off, 8 h on Monday 23
  // and Tuesday 24, 6 h on Wednesday 25: 15:00.
  EXPECT_EQ(Show(c.AddWorkingDays(Local("2026-02-13T15:00:00"), 3)), "2026-02-25T15:00:00.000Z");
  // 4 working hours from Friday 13 Feb 16:00: 1 h on Friday, 3 h on Monday 23 Feb.
  EXPECT_EQ(Show(c.AddWorkingMinutes(Local("2026-02-13T16:00:00"), 240)), "2026-02-23T11:00:00.000Z");
  // The make-up Saturday counts: Friday 6 Feb 16:00 + 2 h ends on Saturday 7 Feb 09:00.
  EXPECT_EQ(Show(c.AddWorkingMinutes(Local("2026-02-06T16:00:00"), 120)), "2026-02-07T09:00:00.000Z");
  EXPECT_FALSE(c.IsWorkingDay(D("2026-02-17")));
  EXPECT_TRUE(c.IsWorkingDay(D("2026-02-07")));
  // Working time across Tết: Friday 13 Feb 12:00 to Tuesday 24 Feb 12:00 = 4 h + 8 h + 4 h.
  EXPECT_EQ(c.WorkingMicrosBetween(Local("2026-02-13T12:00:00"), Local("2026-02-24T12:00:00")),
            16LL * 3600 * 1000000);
}

// WorkingMicrosBetween undoes AddWorkingMinutes, from any start, for any amount.
TEST(WorkingCalendarTest, CountingBackGivesWhatWasAdded) {
  std::set<LocalDate> holidays = {D("2026-01-01"), D("2026-04-30"), D("2026-05-01"), D("2026-09-01"), D("2026-09-02")};
  WorkingCalendar c = Calendar(holidays, {D("2026-05-09")});
  std::mt19937_64 rng(3);
  const std::int64_t base = Local("2026-01-01T00:00:00").micros;
  for (int k = 0; k < 5000; ++k) {
    Timestamp start{base + static_cast<std::int64_t>(rng() % (360LL * 86400)) * 1000000};
    const std::int64_t minutes = static_cast<std::int64_t>(rng() % (30 * 8 * 60));
    Timestamp end = c.AddWorkingMinutes(start, minutes);
    ASSERT_EQ(c.WorkingMicrosBetween(start, end), minutes * 60000000) << Show(start) << " + " << minutes;
    if (minutes > 0) {
      ASSERT_TRUE(c.IsWorkingTime(Timestamp{end.micros - 1})) << Show(end);
    }
  }
}

TEST(WorkingCalendarTest, BadCalendarsAreRefused) {
  WorkingCalendar::Options o;
  o.periods = {{13 * 60, 17 * 60}, {8 * 60, 12 * 60}};
  EXPECT_EQ(WorkingCalendar::Make(o).status().code(), ErrorCode::kInvalidRequest);
  o.periods = {{8 * 60, 8 * 60}};
  EXPECT_FALSE(WorkingCalendar::Make(o).ok());
  o.periods = {{8 * 60, 25 * 60}};
  EXPECT_FALSE(WorkingCalendar::Make(o).ok());
  o = {};
  o.weekdays = {};
  EXPECT_FALSE(WorkingCalendar::Make(o).ok());
  o = {};
  o.utc_offset_minutes = 15 * 60;
  EXPECT_FALSE(WorkingCalendar::Make(o).ok());
}

}  // namespace
}  // namespace dothi::domain::open311
