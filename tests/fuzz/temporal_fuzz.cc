// libFuzzer target: the temporal API's untrusted text. The first line is read as a query
// string (timerel, timeAt, endTimeAt, timeproperty, lastN, aggrMethods, aggrPeriodDuration,
// options) and also as an ISO 8601 period; the rest as a JSON body: a temporal entity
// (attributes as arrays of instances) and a temporalQ object. What decodes is aggregated and
// rendered in every temporal representation. Nothing may crash, hang or trip a sanitizer;
// a period that parses must add up consistently (a violation traps).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "api/common/json_parse.h"
#include "api/ngsi_ld/ld_context.h"
#include "api/ngsi_ld/temporal_codec.h"
#include "domain/temporal.h"

using namespace dothi;
using namespace dothi::api::ngsi_ld;

namespace {

std::map<std::string, std::string, std::less<>> ParseQueryString(std::string_view line) {
  std::map<std::string, std::string, std::less<>> out;
  while (!line.empty()) {
    const std::size_t amp = line.find('&');
    const std::string_view part = line.substr(0, amp);
    const std::size_t eq = part.find('=');
    if (eq != std::string_view::npos) out[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    line.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = text.find('\n');
  const std::string_view line = text.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

  if (std::optional<domain::temporal::Period> p = domain::temporal::ParsePeriod(line)) {
    if (p->months < 0 || p->micros < 0) __builtin_trap();
    const Timestamp t0{1'700'000'000'000'000};
    if (p->months == 0 && domain::temporal::AddPeriod(t0, *p).micros != t0.micros + p->micros) {
      __builtin_trap();
    }
  }

  auto params = ParseQueryString(line);
  auto lookup = [&params](std::string_view name) -> const std::string* {
    auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
  };
  service::TemporalQuery q;
  const bool aggregated = params.count("aggrMethods") > 0;
  Status read = ReadTemporalParams(lookup, aggregated, q);
  if (read.ok() && q.timerel == service::TimeRel::kBetween && !(q.time_at < q.end_time_at)) {
    __builtin_trap();  // between must be a non-empty window
  }

  Result<Json> json = api::ParseJson(body);
  if (!json.ok()) return 0;
  (void)TemporalQMembers(*json);
  const LdContext& context = *LdContext::Core();
  DecodeLimits limits;
  limits.geometry.max_vertices = 1000;
  Result<TemporalEntityBody> e = DecodeTemporalEntity(*json, context, limits, false);
  if (!e.ok()) return 0;

  // Every decoded instance becomes a stored one; render it in every form.
  service::TemporalEntity te;
  te.id = e->id.empty() ? "urn:ngsi-ld:Fuzz:1" : e->id;
  te.types = e->types;
  std::int64_t n = 0;
  for (const auto& [iri, instances] : e->attrs.AsObject()) {
    service::TemporalAttribute a;
    a.attr = iri;
    a.kind = "Property";
    std::vector<domain::temporal::Sample> samples;
    for (const Json& inst : instances.AsArray()) {
      service::TemporalInstance ti{Timestamp{1'700'000'000'000'000 + n * 60'000'000}, ++n, inst};
      const Json* v = inst.Find("value");
      samples.push_back({ti.t, v != nullptr && v->is_number() ? std::optional<double>(v->AsDouble()) : std::nullopt,
                         v != nullptr ? v->Dump() : std::string()});
      a.instances.push_back(std::move(ti));
    }
    if (!q.aggr_methods.empty() && !samples.empty()) {
      a.buckets = domain::temporal::Aggregate(samples, q.aggr_methods, q.aggr_period,
                                              samples.front().t, samples.back().t);
    }
    te.attrs.push_back(std::move(a));
  }
  for (TemporalFormat f : {TemporalFormat::kNormalized, TemporalFormat::kTemporalValues,
                           TemporalFormat::kAggregated}) {
    TemporalRender r;
    r.format = f;
    r.sys_attrs = true;
    (void)RenderTemporalEntity(te, context, r, q).Dump();
  }
  return 0;
}
