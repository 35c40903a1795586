#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "core/time.h"
#include "domain/cql2/expression.h"
#include "geo/crs.h"
#include "geo/geometry.h"

// Parsers of the OGC API Features query parameters (untrusted text; fuzzed by
// tests/fuzz/ogc_params_fuzz.cc). Errors are InvalidRequest naming the value. Pure functions.
namespace dothi::api::ogc {

// A non-negative decimal integer of at least min (limit, offset); values beyond size_t
// saturate.
Result<std::size_t> ParseCount(std::string_view name, std::string_view text, std::size_t min);

// The four numbers of a bbox in its CRS's axis order (heights dropped).
struct BBoxValues {
  double min_a, min_b, max_a, max_b;
};
// bbox numbers: 4 or 6 finite numbers. No range checks (the CRS decides).
Result<BBoxValues> ParseBBoxValues(std::string_view text);
// A bbox given in another CRS (bbox-crs), as the CRS84 box that holds it (its edges are
// sampled and converted). Errors: InvalidRequest when it is reversed or outside the CRS.
Result<geo::BBox> BBoxToCrs84(const BBoxValues& v, const geo::CrsTransform& t);

// bbox: "minLon,minLat,maxLon,maxLat" or with heights "minLon,minLat,minH,maxLon,maxLat,maxH"
// in CRS84. minLon > maxLon crosses the antimeridian; latitudes must be ordered.
Result<geo::BBox> ParseBBox(std::string_view text);

// A datetime selection: closed bounds, an absent one open.
struct Interval {
  std::optional<Timestamp> from, to;
};
// datetime: an RFC 3339 date-time or date (a date is its whole day), or an interval "a/b"
// whose ends may be open (".." or empty), not both.
Result<Interval> ParseDatetime(std::string_view text);

// filter-lang (OGC API Features Part 3): cql2-text (the default) or cql2-json. "cql-text",
// the name of the drafts before CQL2 1.0 that GDAL 3.6 sends, is read as cql2-text (the
// standard lets servers accept more values; the API definition does not list it).
enum class FilterLang { kCql2Text, kCql2Json };
Result<FilterLang> ParseFilterLang(std::string_view text);

// The filter parameter in lang, within limits (max_text_length bounds the text of either
// encoding). With to_crs84, geometry literals are in another CRS (filter-crs).
// Errors: BadRequestData with the parser's message ("invalid cql2-text: ... at position n").
Result<domain::cql2::Expression> ParseFilter(std::string_view text, FilterLang lang,
                                             const domain::cql2::Cql2Limits& limits,
                                             const domain::cql2::PositionConverter& to_crs84 = {});

}  // namespace dothi::api::ogc
