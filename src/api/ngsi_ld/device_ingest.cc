#include "api/ngsi_ld/device_ingest.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "api/common/json_parse.h"
#include "api/ngsi_ld/ld_context.h"
#include "core/time.h"

namespace dothi::api::ngsi_ld {
namespace {

// The first value of a Property / the object of a Relationship / the json of a
// JsonProperty, from the canonical instances of an attribute.
const Json* Member(const domain::Entity& e, std::string_view name, std::string_view member) {
  const Json* instances = e.attrs.Find(LdContext::Core()->ExpandTerm(name));
  if (instances == nullptr || !instances->is_array() || instances->size() == 0) return nullptr;
  return instances->AsArray()[0].Find(member);
}

// "dothi/{tenant}/{device}/attrs" -> tenant ("_": default), device.
bool ParseTopic(std::string_view topic, std::string* tenant, std::string* device) {
  constexpr std::string_view kPrefix = "dothi/", kSuffix = "/attrs";
  if (topic.size() <= kPrefix.size() + kSuffix.size() || topic.substr(0, kPrefix.size()) != kPrefix ||
      topic.substr(topic.size() - kSuffix.size()) != kSuffix) {
    return false;
  }
  std::string_view mid = topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kSuffix.size());
  const std::size_t slash = mid.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == mid.size() ||
      mid.find('/', slash + 1) != std::string_view::npos) {
    return false;
  }
  *tenant = mid.substr(0, slash) == "_" ? std::string() : std::string(mid.substr(0, slash));
  *device = std::string(mid.substr(slash + 1));
  return true;
}

bool SameKey(std::string_view a, std::string_view b) {  // without an early exit on content
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

void DeviceIngest::Count(std::atomic<std::uint64_t>& counter, std::string_view what,
                         std::string_view topic) {
  const std::uint64_t n = counter.fetch_add(1) + 1;
  // The first few, then one in a thousand: a misbehaving device cannot flood the log.
  if (n <= 10 || n % 1000 == 0) {
    spdlog::warn("mqtt ingest: {} on topic {} ({} so far)", what, topic, n);
  }
}

void DeviceIngest::OnMessage(std::string_view topic, std::string_view payload) {
  received_.fetch_add(1);
  if (payload.size() > options_.max_payload_bytes) return Count(oversized_, "message too large", topic);
  std::string tenant, device;
  if (!ParseTopic(topic, &tenant, &device)) return Count(malformed_, "unexpected topic", topic);
  Result<Json> body = ParseJson(payload);
  if (!body.ok() || !body->is_object()) return Count(malformed_, "payload is not a JSON object", topic);

  auto ctx = std::make_shared<RequestContext>(RequestContext{tenant, "mqtt " + device, Now(), /*finish_on=*/{}});
  const std::string device_id = "urn:ngsi-ld:Device:" + device;
  if (!domain::IsValidUri(device_id)) return Count(malformed_, "bad device name", topic);
  Result<domain::Entity> dev = entities_.Get(*ctx, device_id);
  if (!dev.ok()) return Count(unknown_device_, "unknown device", topic);
  const Json* target = Member(*dev, "controlledAsset", domain::attr::kObject);
  const Json* key = Member(*dev, "deviceKey", domain::attr::kValue);
  if (target == nullptr || !target->is_string()) return Count(unknown_device_, "device without controlledAsset", topic);
  const Json* given = body->Find("key");
  if (key == nullptr || !key->is_string() || given == nullptr || !given->is_string() ||
      !SameKey(given->AsString(), key->AsString())) {
    return Count(rejected_key_, "wrong device key", topic);
  }
  const Json* type = Member(*dev, "assetType", domain::attr::kValue);
  const Json* map = Member(*dev, "attributeMap", "json");

  std::string observed_at = FormatIso8601(Now());
  if (const Json* ts = body->Find("ts")) {
    std::optional<Timestamp> t = ts->is_string() ? ParseIso8601(ts->AsString()) : std::nullopt;
    if (!t) return Count(malformed_, "ts is not a DateTime", topic);
    observed_at = FormatIso8601(*t);
  }
  const LdContext& context = *LdContext::Core();
  Json attrs = Json::MakeObject();
  for (const auto& [name, value] : body->AsObject()) {
    if (name == "key" || name == "ts") continue;
    std::string attr_name = name;
    Json fragment = value;
    const Json* mapping = map != nullptr && map->is_object() ? map->Find(name) : nullptr;
    if (mapping != nullptr && mapping->is_object()) {
      if (const Json* n = mapping->Find("name"); n && n->is_string()) attr_name = n->AsString();
    }
    if (!value.is_object() || value.Find("type") == nullptr) {
      fragment = Json::MakeObject({{"type", "Property"}, {"value", value}, {"observedAt", observed_at}});
      if (mapping != nullptr && mapping->is_object()) {
        if (const Json* u = mapping->Find("unitCode"); u && u->is_string()) fragment.Set("unitCode", *u);
      }
    }
    Result<Json> decoded = DecodeAttribute(attr_name, fragment, context, options_.limits);
    if (!decoded.ok()) return Count(malformed_, "bad measure " + name, topic);
    attrs.Set(context.ExpandTerm(attr_name), std::move(*decoded));
  }
  if (attrs.size() == 0) return Count(malformed_, "no measures", topic);

  // Append (replacing each attribute) to the target entity; create it when it is missing.
  domain::Entity create;
  create.id = target->AsString();
  if (type != nullptr && type->is_string()) create.types = {context.ExpandTerm(type->AsString())};
  create.attrs = attrs;
  const std::string target_id = target->AsString();
  const std::string topic_text(topic);
  entities_.AppendAttrsAsync(
      *ctx, target_id, std::move(attrs), /*no_overwrite=*/false, {},
      [this, ctx, create = std::move(create), topic_text](Result<service::AttrOutcome> r) mutable {
        if (r.ok()) {
          written_.fetch_add(1);
          return;
        }
        if (r.status().code() != ErrorCode::kNotFound || create.types.empty()) {
          return Count(failed_, "write failed: " + r.status().ToString(), topic_text);
        }
        entities_.CreateAsync(*ctx, std::move(create), [this, ctx, topic_text](Status s) {
          if (s.ok()) {
            written_.fetch_add(1);
          } else {
            Count(failed_, "create failed: " + s.ToString(), topic_text);
          }
        });
      });
}

IngestStats DeviceIngest::Stats() const {
  IngestStats s;
  s.received = received_.load();
  s.written = written_.load();
  s.unknown_device = unknown_device_.load();
  s.rejected_key = rejected_key_.load();
  s.malformed = malformed_.load();
  s.oversized = oversized_.load();
  s.failed = failed_.load();
  return s;
}

}  // namespace dothi::api::ngsi_ld
