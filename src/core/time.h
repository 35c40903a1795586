#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Timestamp is a UTC instant in microseconds since the Unix epoch, with ISO 8601 parse and
// format ("2026-11-23T08:15:00.000Z"), the form NGSI-LD uses for DateTime values.
namespace dothi {

struct Timestamp {
  std::int64_t micros = 0;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

// Current wall-clock time.
Timestamp Now();

// Parses an ISO 8601 date-time with a Z or ±hh:mm offset (fractions to microseconds).
// Without an offset the time is taken as UTC. Returns nullopt on anything else.
std::optional<Timestamp> ParseIso8601(std::string_view text);

// Formats as "YYYY-MM-DDThh:mm:ss.sssZ" (milliseconds, as NGSI-LD brokers print them).
std::string FormatIso8601(Timestamp t);
// The same text written into buf (no allocation); returns its length.
constexpr std::size_t kIso8601BufferSize = 48;
std::size_t FormatIso8601(Timestamp t, char (&buf)[kIso8601BufferSize]);

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar, and back.
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d);
void CivilFromDays(std::int64_t days, std::int64_t& y, unsigned& m, unsigned& d);

}  // namespace dothi
