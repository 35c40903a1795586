#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

// WorkingCalendar counts working time the way a Vietnamese public office does, for the
// deadlines of citizen reports ("acknowledge within N working hours, resolve within M
// working days"): working days are the configured weekdays (Monday to Friday by default)
// minus public holidays (Tết included, given as dates since most follow the lunar calendar
// and the government fixes the days off each year), plus make-up working days (a Saturday
// worked in exchange for a bridge day off); working hours are the day's periods (08:00-12:00
// and 13:00-17:00 by default) in local time (UTC+07:00 by default, no daylight saving).
// A working day lasts as long as its periods together, so "M working days" is M times that.
// Immutable once made; safe to share between threads.
namespace dothi::domain::open311 {

struct LocalDate {
  int year = 1970, month = 1, day = 1;
  friend auto operator<=>(const LocalDate&, const LocalDate&) = default;
  // "YYYY-MM-DD", or nullopt.
  static std::optional<LocalDate> Parse(std::string_view text);
  std::string ToString() const;
  std::int64_t DaysSinceEpoch() const;  // 1970-01-01 is 0
  static LocalDate FromDaysSinceEpoch(std::int64_t days);
  int Weekday() const;  // 0 Monday ... 6 Sunday
};

class WorkingCalendar {
 public:
  struct Period {
    int start_minute = 0;  // minutes after local midnight
    int end_minute = 0;    // exclusive, at most 24 * 60
  };
  struct Options {
    int utc_offset_minutes = 7 * 60;
    std::array<bool, 7> weekdays = {true, true, true, true, true, false, false};  // Mon..Sun
    std::vector<Period> periods = {{8 * 60, 12 * 60}, {13 * 60, 17 * 60}};
    std::set<LocalDate> holidays;      // days off although their weekday works
    std::set<LocalDate> working_days;  // days worked although their weekday does not
  };

  // Errors: InvalidRequest for periods that are empty, overlapping, out of order or outside
  // the day, an offset beyond ±14 h, or a week without a working day.
  static Result<WorkingCalendar> Make(Options options);

  const Options& options() const { return options_; }
  std::int64_t MinutesPerDay() const { return minutes_per_day_; }

  bool IsWorkingDay(const LocalDate& date) const;
  bool IsWorkingTime(Timestamp t) const;
  // The local date of an instant.
  LocalDate DateOf(Timestamp t) const;

  // The instant at which `minutes` of working time have passed since start (start itself
  // when minutes is 0; the end of a period, not the next start, when the count ends there).
  Timestamp AddWorkingMinutes(Timestamp start, std::int64_t minutes) const;
  // AddWorkingMinutes(start, days * MinutesPerDay()).
  Timestamp AddWorkingDays(Timestamp start, std::int64_t days) const;
  // Working time between a and b in microseconds (0 when b <= a).
  std::int64_t WorkingMicrosBetween(Timestamp a, Timestamp b) const;

 private:
  explicit WorkingCalendar(Options options);
  Options options_;
  std::int64_t minutes_per_day_ = 0;
};

}  // namespace dothi::domain::open311
