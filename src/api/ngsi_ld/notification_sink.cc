#include "api/ngsi_ld/notification_sink.h"

#include <algorithm>
#include <string>

#include "api/ngsi_ld/entity_codec.h"
#include "api/ngsi_ld/request_support.h"
#include "http/client.h"
#include "mqtt/publisher.h"

namespace dothi::api::ngsi_ld {
namespace {

Format FormatOf(domain::NotificationFormat f) {
  switch (f) {
    case domain::NotificationFormat::kConcise: return Format::kConcise;
    case domain::NotificationFormat::kKeyValues: return Format::kKeyValues;
    case domain::NotificationFormat::kNormalized: break;
  }
  return Format::kNormalized;
}

// The member of an instance holding its value, and the showChanges member for it.
constexpr std::pair<std::string_view, std::string_view> kPreviousMembers[] = {
    {"value", "previousValue"},
    {"object", "previousObject"},
    {"objectList", "previousObjectList"},
    {"languageMap", "previousLanguageMap"},
    {"valueList", "previousValueList"},
    {"json", "previousJson"},
    {"vocab", "previousVocab"},
};

// The instance of instances with this datasetId (nullptr: the default instance), or nullptr.
const Json* SameDataset(const Json& instances, const Json* ds) {
  if (!instances.is_array()) return nullptr;
  for (const Json& inst : instances.AsArray()) {
    const Json* other = inst.Find(domain::attr::kDatasetId);
    if ((ds == nullptr) == (other == nullptr) && (ds == nullptr || *ds == *other)) return &inst;
  }
  return nullptr;
}

// showChanges: each rendered instance whose value changed gets the value it had before (the
// instance with the same datasetId), as previousValue, previousObject, ... (ETSI 046_31).
void AddPreviousValues(Json& rendered, const domain::Entity& before, const domain::Entity& after,
                       const LdContext& context) {
  if (!rendered.is_object()) return;
  for (auto& [name, v] : rendered.AsObject()) {
    if (name == "id" || name == "type" || name == "scope" || name == "@context") continue;
    const std::string iri = context.ExpandTerm(name);
    const Json* was = before.attrs.Find(iri);
    const Json* now = after.attrs.Find(iri);
    if (was == nullptr || !was->is_array()) continue;
    auto apply = [&](Json& inst) {
      if (!inst.is_object()) return;
      const Json* ds = inst.Find(domain::attr::kDatasetId);
      const Json* old = SameDataset(*was, ds);
      const Json* current = now != nullptr ? SameDataset(*now, ds) : nullptr;
      if (old == nullptr) return;
      for (const auto& [member, previous] : kPreviousMembers) {
        const Json* value = old->Find(member);
        if (value == nullptr) continue;
        const Json* new_value = current != nullptr ? current->Find(member) : nullptr;
        if (new_value != nullptr && *new_value == *value) return;  // unchanged
        inst.Set(previous, *value);
      }
    };
    if (v.is_array()) {
      for (Json& inst : v.AsArray()) apply(inst);
    } else {
      apply(v);
    }
  }
}

// A deleted attribute as NGSI-LD shows it: its kind with the NGSI-LD Null as value
// (ETSI 046_22); with sysAttrs, when it was deleted.
Json NullAttribute(const Json& instances, bool key_values, bool sys_attrs, bool show_changes,
                   const std::string& at) {
  constexpr std::string_view kNull = "urn:ngsi-ld:null";
  if (key_values) return Json(std::string(kNull));
  const Json* first = instances.is_array() && instances.size() > 0 ? &instances.AsArray()[0] : nullptr;
  const Json* type = first != nullptr ? first->Find(domain::attr::kType) : nullptr;
  const std::string kind = type != nullptr && type->is_string() ? type->AsString() : "Property";
  Json out = Json::MakeObject({{"type", kind}});
  const std::string_view member = domain::attr::ValueMemberFor(kind);
  if (member == "languageMap") {
    out.Set(member, Json::MakeObject({{"@none", std::string(kNull)}}));
  } else if (member == "valueList" || member == "objectList") {
    Json list = Json::MakeArray();
    list.Push(std::string(kNull));
    out.Set(member, std::move(list));
  } else {
    out.Set(member, std::string(kNull));
  }
  if (sys_attrs) out.Set("deletedAt", at);
  if (show_changes && first != nullptr) {  // what it was (ETSI 046_34, 046_37)
    for (const auto& [value_member, previous] : kPreviousMembers) {
      if (const Json* value = first->Find(value_member)) out.Set(previous, *value);
    }
  }
  return out;
}

// The attributes of before that after lacks (all of them when the entity is gone), within
// the notified attributes, added to rendered as deleted.
void AddDeletedAttributes(Json& rendered, const domain::Entity& before, const domain::Entity* after,
                          const domain::NotificationParams& params, const LdContext& context,
                          bool key_values, const std::string& at) {
  for (const auto& [iri, instances] : before.attrs.AsObject()) {
    if (after != nullptr && after->attrs.Find(iri) != nullptr) continue;
    if (!params.attributes.empty() &&
        std::find(params.attributes.begin(), params.attributes.end(), iri) == params.attributes.end()) {
      continue;
    }
    rendered.Set(context.CompactIri(iri), NullAttribute(instances, key_values, params.sys_attrs,
                                                        params.show_changes && !key_values, at));
  }
}

}  // namespace

Status HttpNotificationSink::Deliver(const service::Notification& n) {
  const domain::Subscription& s = *n.subscription;
  Result<std::shared_ptr<const LdContext>> context = contexts_.Resolve(s.context);
  if (!context.ok()) return context.status();
  const bool ld = s.notification.accept == "application/ld+json";
  RenderOptions opts;
  opts.format = FormatOf(s.notification.format);
  opts.sys_attrs = s.notification.sys_attrs;
  opts.lang = s.lang;
  if (!s.notification.attributes.empty()) {
    opts.pick = std::set<std::string>(s.notification.attributes.begin(),
                                      s.notification.attributes.end());
    opts.pick->insert("id");
    opts.pick->insert("type");
  }
  if (!s.notification.pick.empty()) {
    opts.pick = std::set<std::string>(s.notification.pick.begin(), s.notification.pick.end());
  }
  if (!s.notification.omit.empty()) {
    opts.omit = std::set<std::string>(s.notification.omit.begin(), s.notification.omit.end());
  }
  if (!s.dataset_ids.empty()) {  // only those instances are notified (ETSI 046_19)
    opts.dataset_ids = std::set<std::string>(s.dataset_ids.begin(), s.dataset_ids.end());
  }
  const Json context_value =
      s.context.is_null() ? Json(std::string(kCoreContextUrl)) : s.context;
  Json data = Json::MakeArray();
  const std::string notified_at = FormatIso8601(n.notified_at);
  const bool key_values = opts.format == Format::kKeyValues;
  for (const domain::Entity& e : n.entities) {
    Json rendered;
    if (n.entity_deleted) {
      // A deleted entity is its id, type and deletedAt (ETSI 046_21); attributeDeleted
      // subscriptions see its attributes as deleted (046_22_12).
      RenderOptions bare = opts;
      bare.pick = std::set<std::string>{"id", "type"};
      bare.omit.reset();
      bare.sys_attrs = false;
      rendered = RenderEntity(e, **context, bare);
      rendered.Set("deletedAt", notified_at);
      if (opts.sys_attrs) {
        rendered.Set("createdAt", FormatIso8601(e.created_at));
        rendered.Set("modifiedAt", FormatIso8601(e.modified_at));
      }
      if (n.trigger == domain::Trigger::kAttributeDeleted || s.notification.show_changes) {
        AddDeletedAttributes(rendered, e, nullptr, s.notification, **context, key_values, notified_at);
      }
    } else {
      rendered = RenderEntity(e, **context, opts);
      if (n.previous && s.notification.show_changes && !key_values) {
        AddPreviousValues(rendered, *n.previous, e, **context);
      }
      if (n.previous && n.trigger == domain::Trigger::kAttributeDeleted) {
        AddDeletedAttributes(rendered, *n.previous, &e, s.notification, **context, key_values, notified_at);
      }
    }
    if (opts.sys_attrs && key_values && !n.entity_deleted) {
      // Entity-level system attributes in keyValues notifications too (ETSI 046_17).
      rendered.Set("createdAt", FormatIso8601(e.created_at));
      rendered.Set("modifiedAt", FormatIso8601(e.modified_at));
    }
    if (ld) rendered.Set("@context", context_value);  // each entity carries it (ETSI 046_14)
    data.Push(std::move(rendered));
  }
  Json body = Json::MakeObject({{"id", n.id},
                                {"type", "Notification"},
                                {"subscriptionId", s.id},
                                {"notifiedAt", FormatIso8601(n.notified_at)},
                                {"data", std::move(data)}});
  if (n.trigger) body.Set("triggerReason", std::string(domain::TriggerName(*n.trigger)));
  http::ClientOptions client;
  client.timeout = options_.timeout;
  client.headers.emplace_back("Content-Type", ld ? "application/ld+json" : "application/json");
  if (!ld) {
    // The Link names the context the data is compacted with: its URL, or an implicitly
    // created one serving an inline context.
    std::string url;
    if (context_value.is_string()) {
      url = context_value.AsString();
    } else if (context_value.is_array() && context_value.size() == 1 &&
               context_value.AsArray()[0].is_string()) {
      url = context_value.AsArray()[0].AsString();
    } else {
      Result<ContextInfo> implicit = contexts_.AddImplicit(context_value);
      if (!implicit.ok()) return implicit.status();
      url = implicit->url;
    }
    client.headers.emplace_back("Link", "<" + url + ">; rel=\"" + std::string(kJsonLdContextRel) +
                                            "\"; type=\"application/ld+json\"");
  }
  if (!n.tenant.empty()) client.headers.emplace_back("NGSILD-Tenant", n.tenant);
  for (const auto& [k, v] : s.notification.receiver_info) client.headers.emplace_back(k, v);
  if (s.notification.uri.rfind("mqtt://", 0) == 0) {
    // MQTT binding: the headers an HTTP notification would have go in "metadata".
    Json metadata = Json::MakeObject();
    for (const auto& [k, v] : client.headers) metadata.Set(k, v);
    mqtt::PublishOptions po;
    po.timeout = options_.timeout;
    for (const auto& [k, v] : s.notification.notifier_info) {
      if (k == "MQTT-QoS") po.qos = v[0] - '0';
      if (k == "MQTT-Version") po.mqtt5 = v == "mqtt5.0";
    }
    const Json message = Json::MakeObject({{"metadata", std::move(metadata)}, {"body", std::move(body)}});
    static thread_local mqtt::Publisher publisher;  // one connection per broker and thread
    return publisher.Publish(s.notification.uri, message.Dump(), po);
  }
  // One keep-alive connection per receiver and sender thread.
  static thread_local http::KeepAliveClient connections;
  Result<http::ClientResponse> r =
      connections.Send(http::Method::kPost, s.notification.uri, body.Dump(), client);
  if (!r.ok()) return r.status();
  if (r->status < 200 || r->status > 299) {
    return Status::Unavailable("notification receiver answered " + std::to_string(r->status),
                               s.notification.uri);
  }
  return Status::OK();
}

}  // namespace dothi::api::ngsi_ld
