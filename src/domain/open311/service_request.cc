#include "domain/open311/service_request.h"

#include <charconv>
#include <string>
#include <unordered_map>

#include "core/check.h"

namespace dothi::domain::open311 {
namespace {

constexpr std::string_view kVocab = "https://uri.etsi.org/ngsi-ld/default-context/";
constexpr std::string_view kStatusIri = "https://uri.etsi.org/ngsi-ld/status";
constexpr std::string_view kDescriptionIri = "http://purl.org/dc/terms/description";

std::string MakeIri(std::string_view name) {
  if (name == "status") return std::string(kStatusIri);
  if (name == "description") return std::string(kDescriptionIri);
  if (name == "location") return std::string(kLocationIri);
  return std::string(kVocab) + std::string(name);
}

// The attributes' IRIs, made once (reading a report looks up two dozen of them).
const std::string& Iri(std::string_view name) {
  static const auto* const kIris = [] {
    auto* m = new std::unordered_map<std::string_view, std::string>;
    for (std::string_view n :
         {"acknowledge_by", "acknowledged_datetime", "address", "address_id", "agency_responsible", "attribute",
          "description", "duplicate_of", "escalation_level", "expected_datetime", "location", "media_url", "rating", "requested_datetime",
          "resolved_datetime", "service_code", "service_name", "service_request_id", "status", "status_detail",
          "status_notes", "transitions", "updated_datetime", "updates", "ward"}) {
      m->emplace(n, MakeIri(n));
    }
    return m;
  }();
  auto it = kIris->find(name);
  DOTHI_CHECK(it != kIris->end());  // every name is listed above
  return it->second;
}

void Put(Entity& e, std::string_view name, Json instance) {
  Json arr = Json::MakeArray();
  arr.Push(std::move(instance));
  e.attrs.Set(Iri(name), std::move(arr));
}
void PutText(Entity& e, std::string_view name, const std::string& value) {
  if (!value.empty()) Put(e, name, Json::MakeObject({{"type", "Property"}, {"value", value}}));
}
Json DateTimeValue(Timestamp t) {
  return Json::MakeObject({{"@type", "DateTime"}, {"@value", FormatIso8601(t)}});
}
void PutTime(Entity& e, std::string_view name, Timestamp t) {
  Put(e, name, Json::MakeObject({{"type", "Property"}, {"value", DateTimeValue(t)}}));
}
void PutJson(Entity& e, std::string_view name, Json value) {
  Put(e, name, Json::MakeObject({{"type", "JsonProperty"}, {"json", std::move(value)}}));
}

std::optional<std::uint64_t> ParseNumber(std::string_view s) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

// Reads an entity's fields back; remembers the first problem.
class Reader {
 public:
  explicit Reader(const Entity& e) : e_(e) {}

  const Json* Instance(std::string_view name) const { return e_.FindInstance(Iri(name)); }
  const Json* Value(std::string_view name, std::string_view member = "value") {
    const Json* inst = Instance(name);
    if (inst == nullptr) return nullptr;
    const Json* v = inst->Find(member);
    if (v == nullptr) Fail(name);
    return v;
  }
  std::string Text(std::string_view name) {
    const Json* v = Value(name);
    if (v == nullptr) return {};
    if (!v->is_string()) {
      Fail(name);
      return {};
    }
    return v->AsString();
  }
  std::optional<Timestamp> Time(std::string_view name) {
    const Json* v = Value(name);
    if (v == nullptr) return std::nullopt;
    const Json* text = v->is_object() ? v->Find("@value") : v;
    std::optional<Timestamp> t;
    if (text != nullptr && text->is_string()) t = ParseIso8601(text->AsString());
    if (!t) Fail(name);
    return t;
  }
  std::optional<RequestStatus> Status(std::string_view name) {
    const std::string s = Text(name);
    if (s.empty()) return std::nullopt;
    std::optional<RequestStatus> st = ParseStatus(s);
    if (!st) Fail(name);
    return st;
  }
  const Json* JsonValue(std::string_view name) { return Value(name, "json"); }

  void Fail(std::string_view name) {
    if (problem_.empty()) problem_ = std::string(name);
  }
  const std::string& problem() const { return problem_; }

 private:
  const Entity& e_;
  std::string problem_;
};

Json TransitionsJson(const std::vector<Transition>& ts) {
  Json out = Json::MakeArray();
  for (const Transition& t : ts) {
    Json o = Json::MakeObject({{"from", std::string(StatusName(t.from))},
                               {"to", std::string(StatusName(t.to))},
                               {"at", FormatIso8601(t.at)},
                               {"by", t.by}});
    if (!t.reason.empty()) o.Set("reason", t.reason);
    out.Push(std::move(o));
  }
  return out;
}

Json UpdatesJson(const std::vector<RequestUpdate>& us) {
  Json out = Json::MakeArray();
  for (const RequestUpdate& u : us) {
    Json o = Json::MakeObject({{"update_id", std::to_string(u.id)},
                               {"at", FormatIso8601(u.at)},
                               {"by", u.by},
                               {"status", std::string(StatusName(u.status))},
                               {"description", u.description}});
    if (!u.media_url.empty()) o.Set("media_url", u.media_url);
    out.Push(std::move(o));
  }
  return out;
}

const std::string* StringMember(const Json& o, std::string_view key) {
  const Json* v = o.Find(key);
  return v != nullptr && v->is_string() ? &v->AsString() : nullptr;
}

}  // namespace

Status ApplyTransition(ServiceRequest& r, RequestStatus to, Timestamp at, std::string by, std::string reason) {
  DOTHI_RETURN_IF_ERROR(CheckTransition(r.status, to));
  r.transitions.push_back({r.status, to, at, std::move(by), std::move(reason)});
  if (!r.acknowledged_at && to != RequestStatus::kReopened) r.acknowledged_at = at;
  if (to == RequestStatus::kResolved || (to == RequestStatus::kClosed && !r.resolved_at)) r.resolved_at = at;
  if (to == RequestStatus::kReopened) r.resolved_at.reset();
  r.status = to;
  r.updated = at;
  return Status::OK();
}

int EscalationLevel(const ServiceRequest& r, Timestamp now) {
  if (Open311Status(r.status) != "open") return 0;
  const bool waiting = r.status == RequestStatus::kReceived;
  const Timestamp deadline = waiting ? r.acknowledge_by : r.expected;
  if (now <= deadline) return 0;
  const std::int64_t given = deadline.micros - r.requested.micros;
  return now.micros - deadline.micros > given ? 2 : 1;
}

std::string ServiceRequest::EntityId() const { return std::string(sr::kIdPrefix) + std::to_string(number); }

std::optional<std::uint64_t> NumberFromEntityId(std::string_view id) {
  if (id.substr(0, sr::kIdPrefix.size()) != sr::kIdPrefix) return std::nullopt;
  return ParseNumber(id.substr(sr::kIdPrefix.size()));
}

Entity ServiceRequest::ToEntity() const {
  Entity e;
  e.id = EntityId();
  e.types = {std::string(sr::kType)};
  PutText(e, "service_request_id", std::to_string(number));
  PutText(e, "service_code", service_code);
  PutText(e, "service_name", service_name);
  PutText(e, "agency_responsible", department);
  PutText(e, "status", std::string(Open311Status(status)));
  PutText(e, "status_detail", std::string(StatusName(status)));
  PutText(e, "status_notes", status_notes);
  PutText(e, "description", description);
  PutTime(e, "requested_datetime", requested);
  PutTime(e, "updated_datetime", updated);
  PutTime(e, "acknowledge_by", acknowledge_by);
  PutTime(e, "expected_datetime", expected);
  if (acknowledged_at) PutTime(e, "acknowledged_datetime", *acknowledged_at);
  if (resolved_at) PutTime(e, "resolved_datetime", *resolved_at);
  if (lon && lat) {
    Put(e, "location",
        Json::MakeObject({{"type", "GeoProperty"},
                          {"value", Json::MakeObject({{"type", "Point"},
                                                      {"coordinates", Json(Json::Array{Json(*lon), Json(*lat)})}})}}));
  }
  PutText(e, "address", address);
  PutText(e, "address_id", address_id);
  PutText(e, "ward", ward);
  PutText(e, "media_url", media_url);
  if (!attributes.empty()) {
    Json a = Json::MakeArray();
    for (const auto& [code, value] : attributes) a.Push(Json(Json::Array{Json(code), Json(value)}));
    PutJson(e, "attribute", std::move(a));
  }
  if (duplicate_of) {
    Put(e, "duplicate_of",
        Json::MakeObject({{"type", "Relationship"},
                          {"object", std::string(sr::kIdPrefix) + std::to_string(*duplicate_of)}}));
  }
  if (rating) Put(e, "rating", Json::MakeObject({{"type", "Property"}, {"value", *rating}}));
  if (escalation > 0) Put(e, "escalation_level", Json::MakeObject({{"type", "Property"}, {"value", escalation}}));
  PutJson(e, "transitions", TransitionsJson(transitions));
  if (!updates.empty()) PutJson(e, "updates", UpdatesJson(updates));
  return e;
}

Result<ServiceRequest> ServiceRequest::FromEntity(const Entity& e) {
  bool typed = false;
  for (const std::string& t : e.types) typed = typed || t == sr::kType;
  std::optional<std::uint64_t> number = NumberFromEntityId(e.id);
  if (!typed || !number) return Status::BadRequestData("not a ServiceRequest entity", e.id);

  ServiceRequest r;
  r.number = *number;
  Reader in(e);
  r.service_code = in.Text("service_code");
  r.service_name = in.Text("service_name");
  r.department = in.Text("agency_responsible");
  r.status = in.Status("status_detail").value_or(in.Text("status") == "closed" ? RequestStatus::kClosed
                                                                                 : RequestStatus::kReceived);
  r.status_notes = in.Text("status_notes");
  r.description = in.Text("description");
  r.requested = in.Time("requested_datetime").value_or(e.created_at);
  r.updated = in.Time("updated_datetime").value_or(e.modified_at);
  r.acknowledge_by = in.Time("acknowledge_by").value_or(r.requested);
  r.expected = in.Time("expected_datetime").value_or(r.requested);
  r.acknowledged_at = in.Time("acknowledged_datetime");
  r.resolved_at = in.Time("resolved_datetime");
  if (const Json* loc = in.Value("location"); loc != nullptr) {
    const Json* c = loc->is_object() ? loc->Find("coordinates") : nullptr;
    if (c != nullptr && c->is_array() && c->size() >= 2 && c->AsArray()[0].is_number() &&
        c->AsArray()[1].is_number()) {
      r.lon = c->AsArray()[0].AsDouble();
      r.lat = c->AsArray()[1].AsDouble();
    } else {
      in.Fail("location");
    }
  }
  r.address = in.Text("address");
  r.address_id = in.Text("address_id");
  r.ward = in.Text("ward");
  r.media_url = in.Text("media_url");
  if (const Json* a = in.JsonValue("attribute"); a != nullptr) {
    if (!a->is_array()) in.Fail("attribute");
    for (const Json& pair : a->is_array() ? a->AsArray() : Json::Array{}) {
      if (pair.is_array() && pair.size() == 2 && pair.AsArray()[0].is_string() && pair.AsArray()[1].is_string()) {
        r.attributes.emplace_back(pair.AsArray()[0].AsString(), pair.AsArray()[1].AsString());
      } else {
        in.Fail("attribute");
      }
    }
  }
  if (const Json* d = in.Value("duplicate_of", "object"); d != nullptr) {
    r.duplicate_of = d->is_string() ? NumberFromEntityId(d->AsString()) : std::nullopt;
    if (!r.duplicate_of) in.Fail("duplicate_of");
  }
  if (const Json* v = in.Value("rating"); v != nullptr) {
    if (v->is_int() && v->AsInt() >= 1 && v->AsInt() <= 5) {
      r.rating = static_cast<int>(v->AsInt());
    } else {
      in.Fail("rating");
    }
  }
  if (const Json* v = in.Value("escalation_level"); v != nullptr) {
    if (v->is_int() && v->AsInt() >= 1 && v->AsInt() <= 2) {
      r.escalation = static_cast<int>(v->AsInt());
    } else {
      in.Fail("escalation_level");
    }
  }
  if (const Json* ts = in.JsonValue("transitions"); ts != nullptr && ts->is_array()) {
    for (const Json& t : ts->AsArray()) {
      const std::string* from = StringMember(t, "from");
      const std::string* to = StringMember(t, "to");
      const std::string* at = StringMember(t, "at");
      std::optional<RequestStatus> f = from ? ParseStatus(*from) : std::nullopt;
      std::optional<RequestStatus> g = to ? ParseStatus(*to) : std::nullopt;
      std::optional<Timestamp> when = at ? ParseIso8601(*at) : std::nullopt;
      if (!f || !g || !when) {
        in.Fail("transitions");
        continue;
      }
      const std::string* by = StringMember(t, "by");
      const std::string* reason = StringMember(t, "reason");
      r.transitions.push_back({*f, *g, *when, by ? *by : std::string(), reason ? *reason : std::string()});
    }
  }
  if (const Json* us = in.JsonValue("updates"); us != nullptr && us->is_array()) {
    for (const Json& u : us->AsArray()) {
      const std::string* id = StringMember(u, "update_id");
      const std::string* at = StringMember(u, "at");
      const std::string* st = StringMember(u, "status");
      std::optional<std::uint64_t> n = id ? ParseNumber(*id) : std::nullopt;
      std::optional<Timestamp> when = at ? ParseIso8601(*at) : std::nullopt;
      std::optional<RequestStatus> s = st ? ParseStatus(*st) : std::nullopt;
      if (!n || !when || !s) {
        in.Fail("updates");
        continue;
      }
      RequestUpdate out;
      out.id = *n;
      out.at = *when;
      out.status = *s;
      if (const std::string* by = StringMember(u, "by")) out.by = *by;
      if (const std::string* d = StringMember(u, "description")) out.description = *d;
      if (const std::string* m = StringMember(u, "media_url")) out.media_url = *m;
      r.updates.push_back(std::move(out));
    }
  }
  if (!in.problem().empty()) {
    return Status::BadRequestData("ServiceRequest attribute of the wrong kind", in.problem());
  }
  return r;
}

}  // namespace dothi::domain::open311
