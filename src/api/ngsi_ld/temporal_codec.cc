#include "api/ngsi_ld/temporal_codec.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "api/ngsi_ld/projection.h"
#include "api/ngsi_ld/request_support.h"
#include "domain/entity.h"

namespace dothi::api::ngsi_ld {

namespace attr = domain::attr;
using domain::temporal::AggrMethod;
using service::TemporalQuery;

namespace {

constexpr std::string_view kDeletedAt = "deletedAt";
constexpr std::string_view kInstanceId = "instanceId";

// An ISO 8601 date-time with a time part (a bare date is refused, ETSI 021_26_09).
Result<Timestamp> ParseTimeParam(const std::string& text, std::string_view name) {
  std::optional<Timestamp> t = text.size() > 10 ? ParseIso8601(text) : std::nullopt;
  if (!t) return Status::BadRequestData(std::string(name) + " must be an ISO 8601 date-time", text);
  return *t;
}

// The simplified form's member for an attribute kind, and what one element holds.
std::string_view SimplifiedMember(std::string_view kind) {
  if (kind == attr::kRelationship) return "objects";
  if (kind == attr::kLanguageProperty) return "languageMaps";
  if (kind == attr::kJsonProperty) return "jsons";
  if (kind == attr::kVocabProperty) return "vocabs";
  if (kind == attr::kListProperty) return "valueLists";
  if (kind == attr::kListRelationship) return "objectLists";
  return "values";
}

Json SimplifiedValue(const Json& body, std::string_view kind, const LdContext& context) {
  const Json* v = body.Find(attr::ValueMemberFor(kind));
  if (v == nullptr) return Json();
  if (kind == attr::kLanguageProperty) return Json::MakeObject({{"languageMap", *v}});
  if (kind == attr::kJsonProperty) return Json::MakeObject({{"json", *v}});
  if (kind == attr::kVocabProperty) {
    Json vocab = v->is_string() ? Json(context.CompactVocabValue(v->AsString())) : *v;
    return Json::MakeObject({{"vocab", std::move(vocab)}});
  }
  return *v;
}

std::string KindOf(const Json& body) {
  const Json* t = body.Find(attr::kType);
  return t != nullptr && t->is_string() ? t->AsString() : std::string(attr::kProperty);
}

}  // namespace

Result<TemporalRender> TemporalRenderFromQuery(const http::Request& req, const LdContext& context) {
  TemporalRender r;
  for (const char* param : {"pick", "omit"}) {
    const std::string* text = req.Query(param);
    if (text == nullptr) continue;
    Result<Projection> p = ParseProjection(*text, param);
    if (!p.ok()) return p.status();
    if (!p->nested.empty()) {
      return Status::BadRequestData(std::string(param) +
                                    ": linked-entity projections are not supported on the temporal API",
                                    *text);
    }
    if (req.Query("attrs") != nullptr) {
      return Status::BadRequestData(std::string(param) + " cannot be combined with attrs");
    }
    std::set<std::string> names;
    for (const std::string& n : p->names) {
      names.insert(n == "id" || n == "type" ? n : context.ExpandTerm(n));
    }
    (std::string_view(param) == "pick" ? r.pick : r.omit) = std::move(names);
  }
  if (r.pick && r.omit) {
    for (const std::string& n : *r.pick) {
      if (r.omit->count(n)) return Status::BadRequestData("pick and omit name the same member", n);
    }
  }
  std::optional<TemporalFormat> from_format, from_options;
  for (const auto& [k, v] : req.query) {
    if (k != "options" && k != "format") continue;
    for (const std::string& word : SplitList(v)) {
      std::optional<TemporalFormat> f;
      if (word == "temporalValues") f = TemporalFormat::kTemporalValues;
      else if (word == "aggregatedValues") f = TemporalFormat::kAggregated;
      else if (word == "normalized") f = TemporalFormat::kNormalized;
      else if (word == "sysAttrs" && k == "options") r.sys_attrs = true;
      else return Status::InvalidRequest(std::string("unknown ") + k, word);
      if (f) (k == "format" ? from_format : from_options) = f;
    }
  }
  r.format = from_format ? *from_format : from_options.value_or(TemporalFormat::kNormalized);
  return r;
}

Status ReadTemporalParams(const ParamLookup& param, bool aggregated, TemporalQuery& q) {
  if (const std::string* rel = param("timerel")) {
    if (*rel == "before") q.timerel = service::TimeRel::kBefore;
    else if (*rel == "after") q.timerel = service::TimeRel::kAfter;
    else if (*rel == "between") q.timerel = service::TimeRel::kBetween;
    else return Status::BadRequestData("timerel must be before, after or between", *rel);
    const std::string* at = param("timeAt");
    if (at == nullptr) return Status::BadRequestData("timerel needs timeAt");
    Result<Timestamp> t = ParseTimeParam(*at, "timeAt");
    if (!t.ok()) return t.status();
    q.time_at = *t;
    if (q.timerel == service::TimeRel::kBetween) {
      const std::string* end = param("endTimeAt");
      if (end == nullptr) return Status::BadRequestData("timerel=between needs endTimeAt");
      Result<Timestamp> e = ParseTimeParam(*end, "endTimeAt");
      if (!e.ok()) return e.status();
      if (*e <= *t) return Status::BadRequestData("endTimeAt must be after timeAt", *end);
      q.end_time_at = *e;
    }
  } else if (param("timeAt") != nullptr || param("endTimeAt") != nullptr) {
    return Status::BadRequestData("timeAt and endTimeAt need timerel");
  }
  if (const std::string* p = param("timeproperty")) {
    if (*p == "observedAt") q.time_property = service::TimeProperty::kObservedAt;
    else if (*p == "createdAt") q.time_property = service::TimeProperty::kCreatedAt;
    else if (*p == "modifiedAt") q.time_property = service::TimeProperty::kModifiedAt;
    else if (*p == "deletedAt") q.time_property = service::TimeProperty::kDeletedAt;
    else return Status::BadRequestData("timeproperty must be observedAt, createdAt, modifiedAt or deletedAt", *p);
  }
  if (const std::string* n = param("lastN")) {
    std::size_t v = 0;
    auto [ptr, ec] = std::from_chars(n->data(), n->data() + n->size(), v);
    if (ec != std::errc() || ptr != n->data() + n->size() || v == 0) {
      return Status::BadRequestData("lastN must be a positive integer", *n);
    }
    q.last_n = v;
  }
  std::vector<AggrMethod> methods;
  if (const std::string* m = param("aggrMethods")) {
    for (const std::string& name : SplitList(*m)) {
      std::optional<AggrMethod> method = domain::temporal::ParseAggrMethod(name);
      if (!method) {
        return Status::BadRequestData(
            "aggrMethods: unknown method (totalCount, distinctCount, sum, avg, min, max, stddev, sumsq)",
            name);
      }
      if (std::find(methods.begin(), methods.end(), *method) == methods.end()) {
        methods.push_back(*method);
      }
    }
    if (methods.empty()) return Status::BadRequestData("aggrMethods is empty");
  }
  if (const std::string* d = param("aggrPeriodDuration")) {
    std::optional<domain::temporal::Period> p = domain::temporal::ParsePeriod(*d);
    if (!p) return Status::BadRequestData("aggrPeriodDuration must be an ISO 8601 duration", *d);
    q.aggr_period = *p;
  }
  if (aggregated) {
    if (methods.empty()) return Status::BadRequestData("aggregatedValues needs aggrMethods");
    q.aggr_methods = std::move(methods);
  }
  return Status::OK();
}

Result<std::vector<std::pair<std::string, std::string>>> TemporalQMembers(const Json& tq) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!tq.is_object()) return Status::BadRequestData("temporalQ must be a JSON object");
  for (const auto& [k, v] : tq.AsObject()) {
    if (v.is_string()) {
      out.emplace_back(k, v.AsString());
    } else if (v.is_number()) {
      out.emplace_back(k, v.Dump());
    } else if (v.is_array()) {
      std::string joined;
      for (const Json& e : v.AsArray()) {
        if (!e.is_string()) return Status::BadRequestData("temporalQ." + k + " must hold strings");
        if (!joined.empty()) joined += ',';
        joined += e.AsString();
      }
      out.emplace_back(k, joined);
    } else {
      return Status::BadRequestData("temporalQ." + k + " has an invalid value", v.Dump());
    }
  }
  return out;
}

bool IsValidAttrName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '(' || c == ')' || c == '<' || c == '>' ||
        c == '"' || c == '\'' || c == '=' || c == ';' || c == '\\') {
      return false;
    }
  }
  return true;
}

Result<TemporalEntityBody> DecodeTemporalEntity(const Json& body, const LdContext& context,
                                                const DecodeLimits& limits, bool need_id_type) {
  if (!body.is_object()) return Status::BadRequestData("temporal entity must be a JSON object");
  TemporalEntityBody out;
  const Json* id = body.Find("id");
  if (id != nullptr) {
    if (!id->is_string() || !domain::IsValidUri(id->AsString())) {
      return Status::BadRequestData("entity id is not a URI", id->is_string() ? id->AsString() : id->Dump());
    }
    out.id = id->AsString();
  } else if (need_id_type) {
    return Status::BadRequestData("entity id missing");
  }
  const Json* type = body.Find("type");
  if (type != nullptr) {
    Result<std::vector<std::string>> types = DecodeEntityTypes(*type, context);
    if (!types.ok()) return types.status();
    out.types = std::move(*types);
  } else if (need_id_type) {
    return Status::BadRequestData("entity type missing", out.id);
  }
  std::size_t count = 0;
  for (const auto& [k, v] : body.AsObject()) {
    if (k == "id" || k == "type" || k == "@context" || k == "scope") continue;
    if (k == "createdAt" || k == "modifiedAt" || k == "deletedAt") continue;
    if (v.is_string() && v.AsString() == "urn:ngsi-ld:null") {
      return Status::BadRequestData("a temporal entity member cannot be NGSI-LD Null", k);
    }
    const Json::Array one{v};
    const Json::Array& instances = v.is_array() ? v.AsArray() : one;
    Json decoded = Json::MakeArray();
    for (const Json& given : instances) {
      if (++count > limits.max_attributes * 100) {
        return Status::BadRequestData("too many attribute instances");
      }
      Json inst = given;
      if (inst.is_object()) {
        inst.Erase(kInstanceId);
        inst.Erase(kDeletedAt);
      }
      Result<Json> one_instance = DecodeAttribute(k, inst, context, limits, true);
      if (!one_instance.ok()) return one_instance.status();
      for (Json& i : one_instance->AsArray()) decoded.Push(std::move(i));
    }
    out.attrs.Set(context.ExpandTerm(k), std::move(decoded));
  }
  return out;
}

Json RenderTemporalEntity(const service::TemporalEntity& e, const LdContext& context,
                          const TemporalRender& o, const TemporalQuery& q) {
  auto shown = [&o](const std::string& name) {
    return (!o.pick || o.pick->count(name)) && (!o.omit || !o.omit->count(name));
  };
  Json out = Json::MakeObject();
  if (shown("id")) out.Set("id", e.id);
  if (!shown("type")) {
  } else if (e.types.size() == 1) {
    out.Set("type", context.CompactIri(e.types.front()));
  } else {
    Json types = Json::MakeArray();
    for (const auto& t : e.types) types.Push(context.CompactIri(t));
    out.Set("type", std::move(types));
  }
  RenderOptions ro;
  ro.sys_attrs = o.sys_attrs;
  // Attributes in order, datasets grouped under one name.
  std::map<std::string, std::vector<const service::TemporalAttribute*>> by_name;
  std::vector<std::string> order;
  for (const auto& a : e.attrs) {
    if (!by_name.count(a.attr)) order.push_back(a.attr);
    by_name[a.attr].push_back(&a);
  }
  for (const std::string& iri : order) {
    if (!shown(iri)) continue;
    const auto& groups = by_name[iri];
    Json rendered;
    if (o.format == TemporalFormat::kNormalized) {
      rendered = Json::MakeArray();
      for (const auto* a : groups) {
        for (const auto& inst : a->instances) {
          Json body = inst.body;
          const Json* deleted = body.Find(kDeletedAt);
          std::optional<Json> deleted_at = deleted ? std::optional<Json>(*deleted) : std::nullopt;
          body.Erase(kDeletedAt);
          Json one = Json::MakeArray();
          one.Push(std::move(body));
          Json r = RenderAttribute(one, context, ro);
          r.Set(kInstanceId, service::InstanceIdUri(inst.id));
          if (deleted_at) r.Set(kDeletedAt, std::move(*deleted_at));
          rendered.Push(std::move(r));
        }
      }
    } else {
      Json list = Json::MakeArray();
      for (const auto* a : groups) {
        Json g = Json::MakeObject();
        g.Set(attr::kType, a->kind);
        if (!a->dataset_id.empty()) g.Set(attr::kDatasetId, a->dataset_id);
        if (o.format == TemporalFormat::kTemporalValues) {
          Json values = Json::MakeArray();
          for (const auto& inst : a->instances) {
            Json pair = Json::MakeArray();
            pair.Push(SimplifiedValue(inst.body, KindOf(inst.body), context));
            pair.Push(FormatIso8601(inst.t));
            values.Push(std::move(pair));
          }
          g.Set(SimplifiedMember(a->kind), std::move(values));
        } else {
          for (std::size_t m = 0; m < q.aggr_methods.size(); ++m) {
            Json values = Json::MakeArray();
            for (const auto& b : a->buckets) {
              if (!b.values[m]) continue;
              Json triple = Json::MakeArray();
              triple.Push(Json(*b.values[m]));
              triple.Push(FormatIso8601(b.start));
              triple.Push(FormatIso8601(b.end));
              values.Push(std::move(triple));
            }
            // A method with no value anywhere (avg of a Relationship) is left out.
            if (values.size() > 0) {
              g.Set(domain::temporal::AggrMethodName(q.aggr_methods[m]), std::move(values));
            }
          }
        }
        list.Push(std::move(g));
      }
      rendered = list.size() == 1 ? std::move(list.AsArray().front()) : std::move(list);
    }
    out.Set(context.CompactIri(iri), std::move(rendered));
  }
  if (o.include_context) out.Set("@context", context.source());
  return out;
}

std::string ContentRange(const service::TemporalResult& r, const TemporalQuery& q) {
  std::string out = "date-time " + FormatIso8601(r.range_start) + "-" + FormatIso8601(r.range_end);
  out += "/";
  out += q.last_n > 0 ? std::to_string(q.last_n) : "*";
  return out;
}

}  // namespace dothi::api::ngsi_ld
