// libFuzzer target for the OGC API Features parameter parsers (bbox, datetime, limit,
// filter-lang and filter in both encodings).
// Input: the parameter text. Checks what every accepted value promises: a bbox has finite,
// in-range, ordered latitudes; a datetime interval is ordered and has at least one end.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/ogc_features/ogc_params.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace ogc = dothi::api::ogc;
  if (auto b = ogc::ParseBBox(text); b.ok()) {
    for (double v : {b->min_x, b->max_x}) {
      if (!std::isfinite(v) || v < -180 || v > 180) std::abort();
    }
    for (double v : {b->min_y, b->max_y}) {
      if (!std::isfinite(v) || v < -90 || v > 90) std::abort();
    }
    if (b->min_y > b->max_y) std::abort();
  }
  if (auto i = ogc::ParseDatetime(text); i.ok()) {
    if (!i->from && !i->to) std::abort();
    if (i->from && i->to && *i->from > *i->to) std::abort();
  }
  if (auto n = ogc::ParseCount("limit", text, 1); n.ok() && *n < 1) std::abort();
  if (auto v = ogc::ParseBBoxValues(text); v.ok()) {
    for (double d : {v->min_a, v->min_b, v->max_a, v->max_b}) {
      if (!std::isfinite(d)) std::abort();
    }
  }
  for (auto lang : {ogc::FilterLang::kCql2Text, ogc::FilterLang::kCql2Json}) {
    (void)ogc::ParseFilter(text, lang, dothi::domain::cql2::Cql2Limits{});
  }
  (void)ogc::ParseFilterLang(text);
  return 0;
}
