#include "api/ogc_features/ogc_params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "api/common/json_parse.h"
#include "domain/cql2/parser.h"

namespace dothi::api::ogc {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// One end of a datetime: an RFC 3339 date-time, or a date (its first or last microsecond).
std::optional<Timestamp> ParseEnd(std::string_view s, bool is_start) {
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
    std::optional<Timestamp> day = ParseIso8601(std::string(s) + "T00:00:00Z");
    if (!day) return std::nullopt;
    if (!is_start) day->micros += kMicrosPerDay - 1;
    return day;
  }
  // RFC 3339: a date-time has a time and a zone (Z or an offset after the time).
  const std::size_t t = s.find_first_of("Tt");
  if (t == std::string_view::npos) return std::nullopt;
  if (s.back() != 'Z' && s.back() != 'z' && s.find_first_of("+-", t) == std::string_view::npos) {
    return std::nullopt;
  }
  return ParseIso8601(s);
}

}  // namespace

Result<std::size_t> ParseCount(std::string_view name, std::string_view text, std::size_t min) {
  std::size_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) v = static_cast<std::size_t>(-1);
  if (text.empty() || end != text.data() + text.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range) || v < min) {
    return Status::InvalidRequest(std::string(name) + " must be an integer of at least " +
                                      std::to_string(min),
                                  text);
  }
  return v;
}

Result<BBoxValues> ParseBBoxValues(std::string_view text) {
  std::vector<double> v;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    std::string_view part = text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
    double d = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size() || !std::isfinite(d)) {
      return Status::InvalidRequest("bbox must be 4 or 6 comma-separated numbers", text);
    }
    v.push_back(d);
    if (v.size() > 6) break;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (v.size() != 4 && v.size() != 6) {
    return Status::InvalidRequest("bbox must be 4 or 6 comma-separated numbers", text);
  }
  const std::size_t half = v.size() / 2;  // with 6 numbers the third and sixth are heights
  return BBoxValues{v[0], v[1], v[half], v[half + 1]};
}

Result<geo::BBox> ParseBBox(std::string_view text) {
  Result<BBoxValues> v = ParseBBoxValues(text);
  if (!v.ok()) return v.status();
  geo::BBox b{v->min_a, v->min_b, v->max_a, v->max_b};
  for (double x : {b.min_x, b.max_x}) {
    if (x < -180.0 || x > 180.0) return Status::InvalidRequest("bbox longitude out of range", text);
  }
  for (double y : {b.min_y, b.max_y}) {
    if (y < -90.0 || y > 90.0) return Status::InvalidRequest("bbox latitude out of range", text);
  }
  if (b.min_y > b.max_y) return Status::InvalidRequest("bbox minimum latitude above maximum", text);
  return b;
}

Result<geo::BBox> BBoxToCrs84(const BBoxValues& v, const geo::CrsTransform& t) {
  if (v.min_a > v.max_a || v.min_b > v.max_b) {
    return Status::InvalidRequest("bbox minimum above maximum in bbox-crs");
  }
  // The box's edges, sampled, converted: their envelope holds the converted box.
  constexpr int kSteps = 16;  // samples per edge
  geo::BBox out;
  for (int i = 0; i <= kSteps; ++i) {
    const double f = static_cast<double>(i) / kSteps;
    const double a = v.min_a + (v.max_a - v.min_a) * f;
    const double b = v.min_b + (v.max_b - v.min_b) * f;
    for (auto [x, y] : {std::pair{a, v.min_b}, {a, v.max_b}, {v.min_a, b}, {v.max_a, b}}) {
      if (Status s = t.ToCrs84(x, y); !s.ok()) {
        return Status::InvalidRequest("bbox outside the domain of bbox-crs");
      }
      out.min_x = std::min(out.min_x, x);
      out.max_x = std::max(out.max_x, x);
      out.min_y = std::min(out.min_y, y);
      out.max_y = std::max(out.max_y, y);
    }
  }
  out.min_x = std::max(out.min_x, -180.0);
  out.max_x = std::min(out.max_x, 180.0);
  out.min_y = std::max(out.min_y, -90.0);
  out.max_y = std::min(out.max_y, 90.0);
  if (out.empty()) return Status::InvalidRequest("bbox outside the domain of bbox-crs");
  return out;
}

// datetime: an instant, or an interval "a/b" whose ends may be open (".." or empty).
Result<Interval> ParseDatetime(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidRequest("datetime must be an RFC 3339 instant or interval", text);
  };
  Interval out;
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    if (text.size() == 10) {  // a date: the whole day
      out.from = ParseEnd(text, true);
      out.to = ParseEnd(text, false);
    } else {
      out.from = out.to = ParseEnd(text, true);
    }
    if (!out.from || !out.to) return bad();
    return out;
  }
  const std::string_view a = text.substr(0, slash);
  const std::string_view b = text.substr(slash + 1);
  if (b.find('/') != std::string_view::npos) return bad();
  const bool open_a = a.empty() || a == "..";
  const bool open_b = b.empty() || b == "..";
  if (open_a && open_b) return bad();
  if (!open_a && !(out.from = ParseEnd(a, true))) return bad();
  if (!open_b && !(out.to = ParseEnd(b, false))) return bad();
  if (out.from && out.to && *out.from > *out.to) {
    return Status::InvalidRequest("datetime interval ends before it starts", text);
  }
  return out;
}

Result<FilterLang> ParseFilterLang(std::string_view text) {
  if (text == "cql2-text" || text == "cql-text") return FilterLang::kCql2Text;
  if (text == "cql2-json") return FilterLang::kCql2Json;
  return Status::InvalidRequest("unsupported filter-lang (cql2-text or cql2-json)", text);
}

Result<domain::cql2::Expression> ParseFilter(std::string_view text, FilterLang lang,
                                             const domain::cql2::Cql2Limits& limits,
                                             const domain::cql2::PositionConverter& to_crs84) {
  if (lang == FilterLang::kCql2Text) return domain::cql2::ParseCql2Text(text, limits, to_crs84);
  if (text.size() > limits.max_text_length) {
    return Status::BadRequestData("invalid cql2-json", "longer than " +
                                                           std::to_string(limits.max_text_length) +
                                                           " bytes");
  }
  // Each CQL2 level takes two JSON levels (an object and its "args"); geometries add four.
  const std::size_t depth =
      std::max(kDefaultMaxJsonDepth, 2 * static_cast<std::size_t>(limits.max_depth) + 8);
  Result<Json> json = ParseJson(text, depth);
  if (!json.ok()) return Status::BadRequestData("invalid cql2-json", json.status().message());
  return domain::cql2::ParseCql2Json(*json, limits, to_crs84);
}

}  // namespace dothi::api::ogc
