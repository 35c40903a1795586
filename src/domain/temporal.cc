#include "domain/temporal.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace dothi::domain::temporal {

namespace {

struct MethodName {
  AggrMethod method;
  std::string_view name;
};
constexpr MethodName kMethods[] = {
    {AggrMethod::kTotalCount, "totalCount"}, {AggrMethod::kDistinctCount, "distinctCount"},
    {AggrMethod::kSum, "sum"},               {AggrMethod::kAvg, "avg"},
    {AggrMethod::kMin, "min"},               {AggrMethod::kMax, "max"},
    {AggrMethod::kStddev, "stddev"},         {AggrMethod::kSumsq, "sumsq"},
};

constexpr std::int64_t kSecond = 1'000'000;

// Accumulates one bucket.
struct Acc {
  std::size_t count = 0;     // every sample
  std::size_t numbers = 0;   // numeric samples
  double sum = 0, sumsq = 0, min = 0, max = 0;
  // Welford's running mean and squared deviations: stable for large values.
  double mean = 0, m2 = 0;
  std::set<std::string> distinct;

  void Add(const Sample& s, bool want_distinct) {
    ++count;
    if (want_distinct) distinct.insert(s.value);
    if (!s.number) return;
    const double x = *s.number;
    if (numbers == 0) {
      min = max = x;
    } else {
      min = std::min(min, x);
      max = std::max(max, x);
    }
    ++numbers;
    sum += x;
    sumsq += x * x;
    const double delta = x - mean;
    mean += delta / static_cast<double>(numbers);
    m2 += delta * (x - mean);
  }

  std::optional<double> Value(AggrMethod m) const {
    switch (m) {
      case AggrMethod::kTotalCount: return static_cast<double>(count);
      case AggrMethod::kDistinctCount: return static_cast<double>(distinct.size());
      default: break;
    }
    if (numbers == 0) return std::nullopt;
    switch (m) {
      case AggrMethod::kSum: return sum;
      case AggrMethod::kAvg: return sum / static_cast<double>(numbers);
      case AggrMethod::kMin: return min;
      case AggrMethod::kMax: return max;
      case AggrMethod::kSumsq: return sumsq;
      case AggrMethod::kStddev:
        return numbers < 2 ? 0.0 : std::sqrt(m2 / static_cast<double>(numbers - 1));
      default: return std::nullopt;
    }
  }
};

}  // namespace

std::optional<AggrMethod> ParseAggrMethod(std::string_view name) {
  for (const auto& m : kMethods) {
    if (m.name == name) return m.method;
  }
  return std::nullopt;
}

std::string_view AggrMethodName(AggrMethod m) {
  for (const auto& e : kMethods) {
    if (e.method == m) return e.name;
  }
  return "";
}

bool IsNumeric(AggrMethod m) {
  return m != AggrMethod::kTotalCount && m != AggrMethod::kDistinctCount;
}

// Longest period accepted: 10,000 years (in micros, and in months).
constexpr std::int64_t kMaxPeriodMicros = std::int64_t{10'000} * 366 * 86400 * kSecond;
constexpr std::int64_t kMaxPeriodMonths = std::int64_t{10'000} * 12;

std::optional<Period> ParsePeriod(std::string_view s) {
  if (s.size() < 2 || s[0] != 'P') return std::nullopt;
  Period p;
  bool in_time = false, any = false;
  std::size_t i = 1;
  while (i < s.size()) {
    if (s[i] == 'T') {
      if (in_time) return std::nullopt;
      in_time = true;
      ++i;
      if (i == s.size()) return std::nullopt;  // "PT" names nothing
      continue;
    }
    // A number (seconds may have a fraction), then its unit.
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    std::size_t int_end = i;
    std::int64_t frac_micros = 0;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      std::int64_t scale = 100'000;
      std::size_t digits = 0;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        frac_micros += (s[i] - '0') * scale;
        scale /= 10;
        ++i;
        ++digits;
      }
      if (digits == 0) return std::nullopt;
    }
    if (int_end == start || i >= s.size() || int_end - start > 9) return std::nullopt;
    const std::int64_t n = std::stoll(std::string(s.substr(start, int_end - start)));
    const char unit = s[i++];
    const bool fraction = frac_micros != 0 || int_end != i - 1;
    if (fraction && !(in_time && unit == 'S')) return std::nullopt;
    // Each part and the sum stay within kMaxPeriodMicros (and months within
    // kMaxPeriodMonths), so later date arithmetic cannot overflow.
    std::int64_t per_unit = 0;  // micros per unit, or 0 for months
    std::int64_t months = 0;
    if (!in_time) {
      switch (unit) {
        case 'Y': months = 12; break;
        case 'M': months = 1; break;
        case 'W': per_unit = 7 * 86400 * kSecond; break;
        case 'D': per_unit = 86400 * kSecond; break;
        default: return std::nullopt;
      }
    } else {
      switch (unit) {
        case 'H': per_unit = 3600 * kSecond; break;
        case 'M': per_unit = 60 * kSecond; break;
        case 'S': per_unit = kSecond; break;
        default: return std::nullopt;
      }
    }
    if (months != 0) {
      if (n > kMaxPeriodMonths / months || p.months + n * months > kMaxPeriodMonths) {
        return std::nullopt;
      }
      p.months += static_cast<int>(n * months);
    } else {
      if (n > kMaxPeriodMicros / per_unit) return std::nullopt;
      const std::int64_t add = n * per_unit + frac_micros;
      if (add > kMaxPeriodMicros - p.micros) return std::nullopt;
      p.micros += add;
    }
    any = true;
  }
  if (!any) return std::nullopt;
  return p;
}

Timestamp AddPeriod(Timestamp t, const Period& p) {
  if (p.months != 0) {
    constexpr std::int64_t kDay = 86400 * kSecond;
    std::int64_t days = t.micros / kDay;
    std::int64_t rest = t.micros % kDay;
    if (rest < 0) {
      rest += kDay;
      --days;
    }
    std::int64_t y;
    unsigned m, d;
    CivilFromDays(days, y, m, d);
    std::int64_t months = y * 12 + (m - 1) + p.months;
    y = months / 12;
    m = static_cast<unsigned>(months % 12) + 1;
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    d = std::min(d, kDays[m - 1] + (m == 2 && leap ? 1u : 0u));
    t.micros = DaysFromCivil(y, m, d) * kDay + rest;
  }
  t.micros += p.micros;
  return t;
}

std::vector<Bucket> Aggregate(const std::vector<Sample>& samples,
                              const std::vector<AggrMethod>& methods, const Period& period,
                              Timestamp origin, Timestamp single_end) {
  std::vector<Bucket> out;
  const bool want_distinct =
      std::find(methods.begin(), methods.end(), AggrMethod::kDistinctCount) != methods.end();
  auto flush = [&](const Acc& acc, Timestamp start, Timestamp end) {
    if (acc.count == 0) return;
    Bucket b{start, end, {}};
    for (AggrMethod m : methods) b.values.push_back(acc.Value(m));
    out.push_back(std::move(b));
  };
  if (period.IsZero()) {
    Acc acc;
    for (const Sample& s : samples) acc.Add(s, want_distinct);
    flush(acc, origin, single_end);
    return out;
  }
  Timestamp start = origin, end = AddPeriod(origin, period);
  Acc acc;
  for (const Sample& s : samples) {
    if (s.t < origin) continue;
    if (s.t >= end) {
      flush(acc, start, end);
      acc = Acc();
      // Skip whole empty periods; a fixed period jumps there at once.
      if (period.months == 0) {
        const std::int64_t n = (s.t.micros - origin.micros) / period.micros;
        start.micros = origin.micros + n * period.micros;
        end.micros = start.micros + period.micros;
      } else {
        while (s.t >= end) {
          start = end;
          end = AddPeriod(end, period);
        }
      }
    }
    acc.Add(s, want_distinct);
  }
  flush(acc, start, end);
  return out;
}

}  // namespace dothi::domain::temporal
