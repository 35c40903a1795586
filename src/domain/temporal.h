#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

// The pure parts of NGSI-LD temporal queries: aggregation methods (aggrMethods), ISO 8601
// periods (aggrPeriodDuration) and bucketing a series into aggregated values.
namespace dothi::domain::temporal {

enum class AggrMethod { kTotalCount, kDistinctCount, kSum, kAvg, kMin, kMax, kStddev, kSumsq };

std::optional<AggrMethod> ParseAggrMethod(std::string_view name);
std::string_view AggrMethodName(AggrMethod m);
// True for the methods that only look at numeric values.
bool IsNumeric(AggrMethod m);

// An ISO 8601 duration (PnYnMnWnDTnHnMnS): calendar months plus a fixed length.
struct Period {
  int months = 0;
  std::int64_t micros = 0;
  bool IsZero() const { return months == 0 && micros == 0; }
};
// nullopt for anything but a well-formed, non-negative duration.
std::optional<Period> ParsePeriod(std::string_view text);
// t plus the period (months by the calendar, day clamped to the month's length, in UTC).
Timestamp AddPeriod(Timestamp t, const Period& p);

// One instance as aggregation sees it: its time, its number (when numeric) and its value
// in a canonical text form (for distinctCount); null values are left out by the caller.
struct Sample {
  Timestamp t;
  std::optional<double> number;
  std::string value;
};

// One bucket: [start, end) and one value per asked method (nullopt: nothing to aggregate,
// e.g. avg over non-numeric values).
struct Bucket {
  Timestamp start, end;
  std::vector<std::optional<double>> values;
};

// Buckets samples (sorted by time) into consecutive periods starting at origin; empty
// buckets are left out. A zero period is one bucket [origin, single_end).
// stddev is the sample standard deviation (n - 1), as PostgreSQL's stddev; with one value it
// is 0.
std::vector<Bucket> Aggregate(const std::vector<Sample>& samples,
                              const std::vector<AggrMethod>& methods, const Period& period,
                              Timestamp origin, Timestamp single_end);

}  // namespace dothi::domain::temporal
