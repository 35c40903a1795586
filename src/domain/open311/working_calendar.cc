#include "domain/open311/working_calendar.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace dothi::domain::open311 {
namespace {

constexpr std::int64_t kMicrosPerMinute = 60'000'000;
constexpr std::int64_t kMicrosPerDay = 24 * 60 * kMicrosPerMinute;
// A deadline further than this is a configuration error, not a plan: stop counting.
constexpr std::int64_t kMaxDays = 366 * 20;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

// Days from civil and back: Howard Hinnant's algorithms (public domain description).
std::int64_t LocalDate::DaysSinceEpoch() const {
  const int y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

LocalDate LocalDate::FromDaysSinceEpoch(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return LocalDate{static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0)), m, d};
}

int LocalDate::Weekday() const {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  return static_cast<int>(((DaysSinceEpoch() % 7) + 7 + 3) % 7);
}

std::optional<LocalDate> LocalDate::Parse(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && end == text.data() + pos + len;
  };
  LocalDate d;
  if (!num(0, 4, d.year) || !num(5, 2, d.month) || !num(8, 2, d.day)) return std::nullopt;
  if (d.month < 1 || d.month > 12 || d.day < 1) return std::nullopt;
  if (FromDaysSinceEpoch(d.DaysSinceEpoch()) != d) return std::nullopt;  // 2025-02-30
  return d;
}

std::string LocalDate::ToString() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

WorkingCalendar::WorkingCalendar(Options options) : options_(std::move(options)) {
  for (const Period& p : options_.periods) minutes_per_day_ += p.end_minute - p.start_minute;
}

Result<WorkingCalendar> WorkingCalendar::Make(Options options) {
  if (options.utc_offset_minutes < -14 * 60 || options.utc_offset_minutes > 14 * 60) {
    return Status::InvalidRequest("the UTC offset is within ±14 hours");
  }
  if (options.periods.empty()) return Status::InvalidRequest("a working day has at least one period");
  int previous_end = 0;
  for (const Period& p : options.periods) {
    if (p.start_minute < previous_end || p.end_minute <= p.start_minute || p.end_minute > 24 * 60) {
      return Status::InvalidRequest("working periods are non-empty, in order, apart and within the day");
    }
    previous_end = p.end_minute;
  }
  if (std::none_of(options.weekdays.begin(), options.weekdays.end(), [](bool b) { return b; })) {
    return Status::InvalidRequest("a working week has at least one working day");
  }
  return WorkingCalendar(std::move(options));
}

bool WorkingCalendar::IsWorkingDay(const LocalDate& date) const {
  if (options_.working_days.count(date) != 0) return true;
  if (options_.holidays.count(date) != 0) return false;
  return options_.weekdays[static_cast<std::size_t>(date.Weekday())];
}

LocalDate WorkingCalendar::DateOf(Timestamp t) const {
  const std::int64_t local = t.micros + options_.utc_offset_minutes * kMicrosPerMinute;
  return LocalDate::FromDaysSinceEpoch(FloorDiv(local, kMicrosPerDay));
}

bool WorkingCalendar::IsWorkingTime(Timestamp t) const {
  const std::int64_t local = t.micros + options_.utc_offset_minutes * kMicrosPerMinute;
  const std::int64_t day = FloorDiv(local, kMicrosPerDay);
  if (!IsWorkingDay(LocalDate::FromDaysSinceEpoch(day))) return false;
  const std::int64_t in_day = local - day * kMicrosPerDay;
  return std::any_of(options_.periods.begin(), options_.periods.end(), [&](const Period& p) {
    return in_day >= p.start_minute * kMicrosPerMinute && in_day < p.end_minute * kMicrosPerMinute;
  });
}

Timestamp WorkingCalendar::AddWorkingMinutes(Timestamp start, std::int64_t minutes) const {
  if (minutes <= 0) return start;
  const std::int64_t offset = options_.utc_offset_minutes * kMicrosPerMinute;
  const std::int64_t local = start.micros + offset;
  std::int64_t day = FloorDiv(local, kMicrosPerDay);
  std::int64_t cursor = local - day * kMicrosPerDay;  // within the day
  std::int64_t remaining = minutes * kMicrosPerMinute;
  for (std::int64_t n = 0; n < kMaxDays; ++n, ++day, cursor = 0) {
    if (!IsWorkingDay(LocalDate::FromDaysSinceEpoch(day))) continue;
    for (const Period& p : options_.periods) {
      const std::int64_t s = p.start_minute * kMicrosPerMinute, e = p.end_minute * kMicrosPerMinute;
      if (cursor >= e) continue;
      const std::int64_t begin = std::max(cursor, s);
      if (remaining <= e - begin) return Timestamp{day * kMicrosPerDay + begin + remaining - offset};
      remaining -= e - begin;
    }
  }
  return Timestamp{day * kMicrosPerDay - offset};
}

Timestamp WorkingCalendar::AddWorkingDays(Timestamp start, std::int64_t days) const {
  return AddWorkingMinutes(start, days * minutes_per_day_);
}

std::int64_t WorkingCalendar::WorkingMicrosBetween(Timestamp a, Timestamp b) const {
  if (b.micros <= a.micros) return 0;
  const std::int64_t offset = options_.utc_offset_minutes * kMicrosPerMinute;
  const std::int64_t from = a.micros + offset, to = b.micros + offset;
  std::int64_t total = 0;
  const std::int64_t last = FloorDiv(to, kMicrosPerDay);
  for (std::int64_t day = FloorDiv(from, kMicrosPerDay), n = 0; day <= last && n < kMaxDays; ++day, ++n) {
    if (!IsWorkingDay(LocalDate::FromDaysSinceEpoch(day))) continue;
    for (const Period& p : options_.periods) {
      const std::int64_t s = std::max(day * kMicrosPerDay + p.start_minute * kMicrosPerMinute, from);
      const std::int64_t e = std::min(day * kMicrosPerDay + p.end_minute * kMicrosPerMinute, to);
      if (e > s) total += e - s;
    }
  }
  return total;
}

}  // namespace dothi::domain::open311
