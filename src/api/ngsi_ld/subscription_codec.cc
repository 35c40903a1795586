#include "api/ngsi_ld/subscription_codec.h"

#include <cstdio>
#include <random>

#include "api/ngsi_ld/query_params.h"
#include "domain/entity.h"
#include "domain/query/scope_query.h"
#include "domain/query/type_query.h"
#include "http/request.h"
#include "mqtt/url.h"

namespace dothi::api::ngsi_ld {
namespace {

Status Bad(std::string_view what, std::string_view detail = {}) {
  return Status::BadRequestData(what, detail);
}

Result<std::string> StringMember(const Json& v, std::string_view name) {
  if (!v.is_string()) return Bad(std::string(name) + " must be a string");
  return v.AsString();
}

Result<bool> BoolMember(const Json& v, std::string_view name) {
  if (!v.is_bool()) return Bad(std::string(name) + " must be true or false");
  return v.AsBool();
}

// A non-empty array of names, each expanded.
Result<std::vector<std::string>> NameList(const Json& v, std::string_view name,
                                          const LdContext& context, std::size_t max) {
  if (!v.is_array() || v.size() == 0) return Bad(std::string(name) + " must be a non-empty array");
  if (v.size() > max) return Bad(std::string(name) + " has too many members", "at most " + std::to_string(max));
  std::vector<std::string> out;
  for (const Json& n : v.AsArray()) {
    if (!n.is_string() || n.AsString().empty()) return Bad(std::string(name) + " must hold names");
    out.push_back(context.ExpandTerm(n.AsString()));
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> KeyValues(const Json& v,
                                                                   std::string_view name,
                                                                   std::size_t max) {
  if (!v.is_array()) return Bad(std::string(name) + " must be an array of {key, value}");
  if (v.size() > max) return Bad(std::string(name) + " has too many members");
  std::vector<std::pair<std::string, std::string>> out;
  for (const Json& kv : v.AsArray()) {
    const Json* k = kv.is_object() ? kv.Find("key") : nullptr;
    const Json* val = kv.is_object() ? kv.Find("value") : nullptr;
    if (!k || !val || !k->is_string() || !val->is_string() || k->AsString().empty()) {
      return Bad(std::string(name) + " members must be {\"key\": string, \"value\": string}");
    }
    // Sent as HTTP headers: a token for the name and no control characters in the value
    // (a CR or LF would inject headers).
    for (unsigned char ch : k->AsString()) {
      if (ch <= 0x20 || ch >= 0x7f || std::string_view("()<>@,;:\\\"/[]?={}").find(ch) != std::string_view::npos) {
        return Bad(std::string(name) + " key is not an HTTP header name", k->AsString());
      }
    }
    for (unsigned char ch : val->AsString()) {
      if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
        return Bad(std::string(name) + " value has control characters", k->AsString());
      }
    }
    out.emplace_back(k->AsString(), val->AsString());
  }
  return out;
}

Result<std::vector<domain::EntitySelector>> Selectors(const Json& v, const LdContext& context,
                                                      std::size_t max) {
  if (!v.is_array() || v.size() == 0) return Bad("entities must be a non-empty array");
  if (v.size() > max) return Bad("entities has too many members", "at most " + std::to_string(max));
  std::vector<domain::EntitySelector> out;
  for (const Json& e : v.AsArray()) {
    if (!e.is_object()) return Bad("entities members must be objects");
    domain::EntitySelector sel;
    const Json* type = e.Find("type");
    if (!type || !type->is_string() || type->AsString().empty()) {
      return Bad("entities members need a type");
    }
    // A type expression ("(Building|Tower)") is kept as given and resolved; one name is
    // expanded (ETSI 046_16).
    Result<domain::TypeQuery> tq = domain::ParseTypeQuery(type->AsString());
    if (!tq.ok()) return tq.status();
    DOTHI_RETURN_IF_ERROR(tq->Resolve([&context](std::string_view t) { return context.ExpandTerm(t); }));
    if (tq->names().size() == 1 && tq->nodes().size() == 1) {
      sel.type = tq->names()[0].iri;
    } else {
      sel.type = type->AsString();
      sel.type_query = std::move(*tq);
    }
    if (const Json* id = e.Find("id")) {
      if (!id->is_string() || !domain::IsValidUri(id->AsString())) return Bad("entities id must be a URI");
      sel.id = id->AsString();
    }
    if (const Json* p = e.Find("idPattern")) {
      if (!p->is_string()) return Bad("idPattern must be a string");
      Result<domain::SafeRegex> re = domain::SafeRegex::Compile(p->AsString());
      if (!re.ok()) return re.status();
      sel.id_pattern = p->AsString();
      sel.id_regex = std::move(*re);
    }
    out.push_back(std::move(sel));
  }
  return out;
}

Status ApplyEndpoint(domain::NotificationParams& n, const Json& v, const SubscriptionLimits& limits) {
  if (!v.is_object()) return Bad("notification.endpoint must be an object");
  if (const Json* uri = v.Find("uri")) {
    if (!uri->is_string() || !domain::IsValidUri(uri->AsString())) {
      return Bad("notification.endpoint.uri must be an absolute URI");
    }
    const std::string& u = uri->AsString();
    if (u.rfind("mqtts://", 0) == 0) {
      return Status::Unsupported("MQTT over TLS (mqtts://) is not supported yet", u);
    }
    if (u.rfind("mqtt://", 0) == 0) {
      if (Result<mqtt::MqttUrl> m = mqtt::ParseMqttUrl(u); !m.ok()) return m.status();
    } else if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
      return Bad("notification.endpoint.uri must be http://, https:// or mqtt://", u);
    } else if (const std::size_t host = u.find("://") + 3;
               u.substr(host, u.find('/', host) - host).find('@') != std::string::npos) {
      // Not echoed back: credentials would end up in the error (and nowhere else).
      return Bad("credentials in an http(s) endpoint URI are not supported; send an "
                 "Authorization header with receiverInfo");
    }
    n.uri = u;
  }
  if (const Json* accept = v.Find("accept")) {
    if (!accept->is_string() || (accept->AsString() != "application/json" &&
                                 accept->AsString() != "application/ld+json")) {
      return Bad("notification.endpoint.accept must be application/json or application/ld+json");
    }
    n.accept = accept->AsString();
  }
  if (const Json* ri = v.Find("receiverInfo")) {
    Result<std::vector<std::pair<std::string, std::string>>> kv =
        KeyValues(*ri, "receiverInfo", limits.max_receiver_info);
    if (!kv.ok()) return kv.status();
    n.receiver_info = std::move(*kv);
  }
  if (const Json* ni = v.Find("notifierInfo")) {
    Result<std::vector<std::pair<std::string, std::string>>> kv =
        KeyValues(*ni, "notifierInfo", limits.max_receiver_info);
    if (!kv.ok()) return kv.status();
    for (const auto& [key, value] : *kv) {  // the MQTT binding's settings
      if (key == "MQTT-Version" && value != "mqtt3.1.1" && value != "mqtt5.0") {
        return Bad("MQTT-Version must be mqtt3.1.1 or mqtt5.0", value);
      }
      if (key == "MQTT-QoS" && value != "0" && value != "1" && value != "2") {
        return Bad("MQTT-QoS must be 0, 1 or 2", value);
      }
    }
    n.notifier_info = std::move(*kv);
  }
  return Status::OK();
}

Status ApplyNotification(domain::NotificationParams& n, const Json& v, const LdContext& context,
                         const SubscriptionLimits& limits) {
  if (!v.is_object()) return Bad("notification must be an object");
  if (const Json* a = v.Find("attributes")) {
    Result<std::vector<std::string>> names =
        NameList(*a, "notification.attributes", context, limits.max_attributes);
    if (!names.ok()) return names.status();
    n.attributes = std::move(*names);
  }
  for (const char* member : {"pick", "omit"}) {
    const Json* p = v.Find(member);
    if (p == nullptr) continue;
    if (!p->is_array() || p->size() == 0) {
      return Bad(std::string("notification.") + member + " must be a non-empty array of names");
    }
    std::vector<std::string>& out = std::string_view(member) == "pick" ? n.pick : n.omit;
    out.clear();
    for (const Json& name : p->AsArray()) {
      if (!name.is_string() || name.AsString().empty()) {
        return Bad(std::string("notification.") + member + " must hold names");
      }
      const std::string& t = name.AsString();
      out.push_back(t == "id" || t == "type" ? t : context.ExpandTerm(t));
    }
  }
  if (!n.pick.empty() && !n.omit.empty()) return Bad("notification.pick and omit cannot be used together");
  if ((!n.pick.empty() || !n.omit.empty()) && !n.attributes.empty()) {
    return Bad("notification.pick or omit cannot be used with notification.attributes");
  }
  if (const Json* f = v.Find("format")) {
    if (!f->is_string()) return Bad("notification.format must be a string");
    const std::string& s = f->AsString();
    if (s == "normalized") {
      n.format = domain::NotificationFormat::kNormalized;
    } else if (s == "concise") {
      n.format = domain::NotificationFormat::kConcise;
    } else if (s == "keyValues" || s == "simplified") {  // simplified: keyValues' other name
      n.format = domain::NotificationFormat::kKeyValues;
    } else {
      return Bad("notification.format must be normalized, concise or keyValues", s);
    }
  }
  if (const Json* b = v.Find("sysAttrs")) {
    Result<bool> x = BoolMember(*b, "notification.sysAttrs");
    if (!x.ok()) return x.status();
    n.sys_attrs = *x;
    n.sys_attrs_given = true;
  }
  if (const Json* b = v.Find("showChanges")) {
    Result<bool> x = BoolMember(*b, "notification.showChanges");
    if (!x.ok()) return x.status();
    n.show_changes = *x;
    n.show_changes_given = true;
  }
  if (const Json* e = v.Find("endpoint")) DOTHI_RETURN_IF_ERROR(ApplyEndpoint(n, *e, limits));
  return Status::OK();
}

std::string NewSubscriptionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[64];
  std::snprintf(buf, sizeof buf, "urn:ngsi-ld:Subscription:%016llx",
                static_cast<unsigned long long>(rng()));
  return buf;
}

std::string_view FormatName(domain::NotificationFormat f) {
  switch (f) {
    case domain::NotificationFormat::kConcise: return "concise";
    case domain::NotificationFormat::kKeyValues: return "keyValues";
    case domain::NotificationFormat::kNormalized: break;
  }
  return "normalized";
}

Json KeyValueArray(const std::vector<std::pair<std::string, std::string>>& kv) {
  Json out = Json::MakeArray();
  for (const auto& [k, v] : kv) out.Push(Json::MakeObject({{"key", k}, {"value", v}}));
  return out;
}

Json CompactList(const std::vector<std::string>& iris, const LdContext& context) {
  Json out = Json::MakeArray();
  for (const auto& iri : iris) out.Push(context.CompactIri(iri));
  return out;
}

}  // namespace

Result<domain::Subscription> ApplySubscriptionBody(domain::Subscription s, const Json& body,
                                                   const LdContext& context,
                                                   const Json& context_value, bool create,
                                                   const SubscriptionLimits& limits) {
  if (!body.is_object()) return Bad("a subscription must be a JSON object");
  if (create) {
    const Json* type = body.Find("type");
    if (!type || !type->is_string() || type->AsString() != "Subscription") {
      return Bad("type must be Subscription");
    }
    if (const Json* id = body.Find("id")) {
      if (!id->is_string() || !domain::IsValidUri(id->AsString())) return Bad("id must be a URI");
      s.id = id->AsString();
    } else {
      s.id = NewSubscriptionId();
    }
    s.context = context_value;
  } else {
    if (const Json* id = body.Find("id"); id && !(id->is_string() && id->AsString() == s.id)) {
      return Bad("id cannot be changed");
    }
    if (const Json* type = body.Find("type"); type && !(type->is_string() && type->AsString() == "Subscription")) {
      return Bad("type must be Subscription");
    }
  }
  for (const auto& [key, v] : body.AsObject()) {
    if (key == "subscriptionName" || key == "description") {
      Result<std::string> text = StringMember(v, key);
      if (!text.ok()) return text.status();
      (key == "description" ? s.description : s.name) = std::move(*text);
    } else if (key == "entities") {
      Result<std::vector<domain::EntitySelector>> sel = Selectors(v, context, limits.max_entities);
      if (!sel.ok()) return sel.status();
      s.entities = std::move(*sel);
    } else if (key == "watchedAttributes") {
      Result<std::vector<std::string>> names = NameList(v, key, context, limits.max_attributes);
      if (!names.ok()) return names.status();
      s.watched_attributes = std::move(*names);
    } else if (key == "notificationTrigger") {
      if (!v.is_array() || v.size() == 0) return Bad("notificationTrigger must be a non-empty array");
      s.triggers.clear();
      for (const Json& t : v.AsArray()) {
        std::optional<domain::Trigger> trig =
            t.is_string() ? domain::ParseTrigger(t.AsString()) : std::nullopt;
        if (!trig) return Bad("unknown notificationTrigger", t.is_string() ? t.AsString() : t.Dump());
        s.triggers.push_back(*trig);
      }
    } else if (key == "timeInterval") {
      if (!v.is_number() || v.AsDouble() < limits.min_time_interval) {
        return Bad("timeInterval must be a number of seconds, at least " +
                   std::to_string(limits.min_time_interval));
      }
      s.time_interval = v.AsDouble();
    } else if (key == "q") {
      Result<std::string> text = StringMember(v, key);
      if (!text.ok()) return text.status();
      // Percent-escapes are decoded as in a query string (ETSI 046_05: "Eiffel%20Tower").
      std::string decoded;
      const bool escaped = text->find('%') != std::string::npos &&
                           http::PercentDecode(*text, decoded, /*plus_is_space=*/false);
      Result<domain::QQuery> q = ParseResolvedQ(escaped ? decoded : *text, context);
      if (!q.ok()) return q.status();
      s.q_text = std::move(*text);
      s.q = std::move(*q);
    } else if (key == "geoQ") {
      Result<domain::GeoQuery> g = GeoQueryFromMember(v, context, limits.geometry);
      if (!g.ok()) return g.status();
      s.geo_q_json = v;
      s.geo_q = std::move(*g);
    } else if (key == "scopeQ") {
      Result<std::string> text = StringMember(v, key);
      if (!text.ok()) return text.status();
      Result<domain::ScopeQuery> sq = domain::ParseScopeQuery(*text);
      if (!sq.ok()) return sq.status();
      s.scope_q_text = std::move(*text);
      s.scope_q = std::move(*sq);
    } else if (key == "lang") {
      Result<std::string> text = StringMember(v, key);
      if (!text.ok()) return text.status();
      s.lang = std::move(*text);
    } else if (key == "isActive") {
      Result<bool> b = BoolMember(v, key);
      if (!b.ok()) return b.status();
      s.is_active = *b;
      s.is_active_given = true;
    } else if (key == "datasetId") {
      if (!v.is_array() || v.size() == 0) return Bad("datasetId must be a non-empty array of URIs");
      s.dataset_ids.clear();
      for (const Json& d : v.AsArray()) {
        if (!d.is_string() || !domain::IsValidUri(d.AsString())) return Bad("datasetId must hold URIs");
        s.dataset_ids.push_back(d.AsString());
      }
    } else if (key == "expiresAt") {
      std::optional<Timestamp> t = v.is_string() ? ParseIso8601(v.AsString()) : std::nullopt;
      if (!t) return Bad("expiresAt must be a DateTime");
      s.expires_at = *t;
    } else if (key == "throttling") {
      if (!v.is_number() || v.AsDouble() <= 0) return Bad("throttling must be a positive number");
      s.throttling = v.AsDouble();
    } else if (key == "notification") {
      DOTHI_RETURN_IF_ERROR(ApplyNotification(s.notification, v, context, limits));
    } else if (key == "jsonldContext") {
      if (!v.is_string() || !domain::IsValidUri(v.AsString())) return Bad("jsonldContext must be a URI");
      s.context = v;
    }
    // id, type and @context are handled above; status members are read-only; other
    // members are ignored, as for entities.
  }
  if (s.entities.empty() && s.watched_attributes.empty()) {
    return Bad("a subscription needs entities or watchedAttributes");
  }
  if (s.time_interval && !s.watched_attributes.empty()) {
    return Bad("timeInterval and watchedAttributes cannot be used together");
  }
  if (s.time_interval && s.throttling) {
    return Bad("timeInterval and throttling cannot be used together");
  }
  if (s.notification.show_changes && s.notification.format == domain::NotificationFormat::kKeyValues) {
    return Bad("showChanges needs the normalized or concise format");
  }
  if (s.notification.uri.empty()) return Bad("notification.endpoint.uri is required");
  return s;
}

Json RenderSubscription(const service::SubscriptionView& view, const LdContext& context,
                        Timestamp now) {
  const domain::Subscription& s = *view.subscription;
  Json out = Json::MakeObject({{"id", s.id}, {"type", "Subscription"}});
  if (s.name) out.Set("subscriptionName", *s.name);
  if (s.description) out.Set("description", *s.description);
  if (!s.entities.empty()) {
    Json entities = Json::MakeArray();
    for (const auto& sel : s.entities) {
      Json e = Json::MakeObject();
      if (sel.id) e.Set("id", *sel.id);
      if (sel.id_pattern) e.Set("idPattern", *sel.id_pattern);
      e.Set("type", sel.type_query ? sel.type : context.CompactIri(sel.type));
      entities.Push(std::move(e));
    }
    out.Set("entities", std::move(entities));
  }
  if (!s.watched_attributes.empty()) out.Set("watchedAttributes", CompactList(s.watched_attributes, context));
  {
    Json t = Json::MakeArray();
    for (domain::Trigger trig : domain::kAllTriggers) {
      if (s.WantsTrigger(trig)) t.Push(std::string(domain::TriggerName(trig)));
    }
    out.Set("notificationTrigger", std::move(t));  // the default ones when none were given
  }
  if (s.q_text) out.Set("q", *s.q_text);
  if (s.geo_q_json) out.Set("geoQ", *s.geo_q_json);
  if (s.scope_q_text) out.Set("scopeQ", *s.scope_q_text);
  if (s.lang) out.Set("lang", *s.lang);
  if (s.is_active_given) out.Set("isActive", s.is_active);
  out.Set("status", std::string(s.StatusAt(now)));
  if (!s.dataset_ids.empty()) {
    Json ds = Json::MakeArray();
    for (const auto& d : s.dataset_ids) ds.Push(d);
    out.Set("datasetId", std::move(ds));
  }
  if (s.expires_at) out.Set("expiresAt", FormatIso8601(*s.expires_at));
  if (s.throttling) out.Set("throttling", *s.throttling);
  if (s.time_interval) out.Set("timeInterval", *s.time_interval);
  if (s.context.is_string()) out.Set("jsonldContext", s.context);

  const domain::NotificationParams& n = s.notification;
  Json notification = Json::MakeObject();
  if (!n.attributes.empty()) notification.Set("attributes", CompactList(n.attributes, context));
  for (const auto& [member, names] : {std::pair<const char*, const std::vector<std::string>*>{"pick", &n.pick},
                                      {"omit", &n.omit}}) {
    if (names->empty()) continue;
    Json list = Json::MakeArray();
    for (const auto& iri : *names) list.Push(iri == "id" || iri == "type" ? iri : context.CompactIri(iri));
    notification.Set(member, std::move(list));
  }
  notification.Set("format", std::string(FormatName(n.format)));
  if (n.sys_attrs_given) notification.Set("sysAttrs", n.sys_attrs);
  if (n.show_changes_given) notification.Set("showChanges", n.show_changes);
  Json endpoint = Json::MakeObject({{"uri", n.uri}, {"accept", n.accept}});
  if (!n.receiver_info.empty()) endpoint.Set("receiverInfo", KeyValueArray(n.receiver_info));
  if (!n.notifier_info.empty()) endpoint.Set("notifierInfo", KeyValueArray(n.notifier_info));
  notification.Set("endpoint", std::move(endpoint));
  const service::NotificationStatus& st = view.status;
  // ok / failed say how the last attempt went: shown once there was one.
  if (st.last_notification) {  // the delivery members exist once there was an attempt (028_06)
    notification.Set("status", st.ok ? "ok" : "failed");
    notification.Set("timesSent", static_cast<std::int64_t>(st.times_sent));
    notification.Set("timesFailed", static_cast<std::int64_t>(st.times_failed));
  }
  if (st.last_notification) notification.Set("lastNotification", FormatIso8601(*st.last_notification));
  if (st.last_success) notification.Set("lastSuccess", FormatIso8601(*st.last_success));
  if (st.last_failure) notification.Set("lastFailure", FormatIso8601(*st.last_failure));
  out.Set("notification", std::move(notification));
  return out;
}

std::string StoredSubscriptionCodec::Encode(const domain::Subscription& s) const {
  Result<std::shared_ptr<const LdContext>> context = contexts_.Resolve(s.context);
  const LdContext& c = context.ok() ? **context : *contexts_.Core();
  Json doc = Json::MakeObject({{"subscription", RenderSubscription({std::make_shared<const domain::Subscription>(s), {}}, c, s.created_at)},
                               {"@context", s.context},
                               {"createdAt", s.created_at.micros},
                               {"modifiedAt", s.modified_at.micros}});
  std::string bytes;
  doc.EncodeBinary(bytes);
  return bytes;
}

Result<domain::Subscription> StoredSubscriptionCodec::Decode(std::string_view bytes) const {
  Result<Json> doc = Json::DecodeBinary(bytes);
  if (!doc.ok()) return doc.status();
  const Json* body = doc->Find("subscription");
  const Json* context_value = doc->Find("@context");
  const Json* created = doc->Find("createdAt");
  const Json* modified = doc->Find("modifiedAt");
  if (!body || !context_value || !created || !modified || !created->is_int() || !modified->is_int()) {
    return Status::Internal("corrupt stored subscription");
  }
  Result<std::shared_ptr<const LdContext>> context = contexts_.Resolve(*context_value);
  if (!context.ok()) return context.status();
  Json definition = *body;
  // Read-only members of the rendering are not part of the definition.
  definition.Erase("status");
  Result<domain::Subscription> s = ApplySubscriptionBody(domain::Subscription{}, definition,
                                                         **context, *context_value, true, limits_);
  if (!s.ok()) return s.status();
  s->context = *context_value;
  s->created_at = Timestamp{created->AsInt()};
  s->modified_at = Timestamp{modified->AsInt()};
  return s;
}

}  // namespace dothi::api::ngsi_ld
