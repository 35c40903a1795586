#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/ngsi_ld/entity_codec.h"
#include "api/ngsi_ld/ld_context.h"
#include "core/json.h"
#include "core/result.h"
#include "http/request.h"
#include "service/temporal_service.h"

// temporal_codec reads the temporal query parameters (clause 6.18/6.19: timerel, timeAt,
// endTimeAt, timeproperty, lastN, aggrMethods, aggrPeriodDuration, options/format) and the
// temporalQ member of a POST query, decodes temporal entity bodies (attributes as arrays of
// instances) and renders the temporal representations: normalized (arrays of instances with
// instanceId), simplified (temporalValues: "values": [[v, t], ...]) and aggregated
// ("avg": [[v, start, end], ...]). Pure functions.
namespace dothi::api::ngsi_ld {

enum class TemporalFormat { kNormalized, kTemporalValues, kAggregated };

struct TemporalRender {
  TemporalFormat format = TemporalFormat::kNormalized;
  bool sys_attrs = false;
  bool include_context = false;
  // pick= / omit=: expanded attribute names, and "id" / "type".
  std::optional<std::set<std::string>> pick, omit;
};

// options= and format= (format wins): normalized, temporalValues, aggregatedValues,
// sysAttrs; anything else is 400 InvalidRequest. pick= and omit= (top-level names only: a
// linked-entity projection is 400; either with attrs=, or a name in both, is 400).
Result<TemporalRender> TemporalRenderFromQuery(const http::Request& req, const LdContext& context);

// timerel/timeAt/endTimeAt/timeproperty/lastN/aggrMethods/aggrPeriodDuration from a
// parameter lookup (query string, or temporalQ members as text), into q.
using ParamLookup = std::function<const std::string*(std::string_view)>;
Status ReadTemporalParams(const ParamLookup& param, bool aggregated, service::TemporalQuery& q);
// The temporalQ object of POST /temporal/entityOperations/query as a lookup (numbers and
// arrays turned into the parameters' text form).
Result<std::vector<std::pair<std::string, std::string>>> TemporalQMembers(const Json& temporal_q);

// A temporal entity body: id, type and attributes whose instances each decode on their own
// (so several instances without datasetId are allowed). Returns the attributes as the
// canonical object iri -> array of instances.
struct TemporalEntityBody {
  std::string id;
  std::vector<std::string> types;
  Json attrs = Json::MakeObject();
};
Result<TemporalEntityBody> DecodeTemporalEntity(const Json& body, const LdContext& context,
                                                const DecodeLimits& limits, bool need_id_type);

// True when name can be an attribute name in a path (no brackets, quotes, spaces, dot
// segments); ETSI 015_02/016_02 refuse "invalid(Name" with 400.
bool IsValidAttrName(std::string_view name);

Json RenderTemporalEntity(const service::TemporalEntity& e, const LdContext& context,
                          const TemporalRender& o, const service::TemporalQuery& q);

// "date-time <start>-<end>/<size>" for a partial answer.
std::string ContentRange(const service::TemporalResult& r, const service::TemporalQuery& q);

}  // namespace dothi::api::ngsi_ld
