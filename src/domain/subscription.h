#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/time.h"
#include "domain/entity.h"
#include "domain/geo_query.h"
#include "domain/query/q_query.h"
#include "domain/query/safe_regex.h"
#include "domain/query/scope_query.h"
#include "domain/query/type_query.h"

// Subscription is an NGSI-LD subscription (ETSI GS CIM 009 v1.8 clause 5.2.12) in canonical
// form: every entity type and attribute name expanded to its IRI, q and geoQ parsed and
// resolved. The API codec builds it from a request body and renders it back; the
// subscription service keeps it per tenant and asks Matches which entity changes notify.
// A Subscription is a plain value; once stored it is shared read-only between threads.
namespace dothi::domain {

// Why a notification is sent (notificationTrigger, v1.8 clause 5.2.12).
enum class Trigger : std::uint8_t {
  kEntityCreated,
  kEntityUpdated,
  kEntityDeleted,
  kAttributeCreated,
  kAttributeUpdated,
  kAttributeDeleted,
};
inline constexpr Trigger kAllTriggers[] = {
    Trigger::kEntityCreated,    Trigger::kEntityUpdated,    Trigger::kEntityDeleted,
    Trigger::kAttributeCreated, Trigger::kAttributeUpdated, Trigger::kAttributeDeleted};
std::string_view TriggerName(Trigger t);
std::optional<Trigger> ParseTrigger(std::string_view name);

// One member of "entities": which entities the subscription is about.
struct EntitySelector {
  std::optional<std::string> id;          // exact entity id
  std::optional<std::string> id_pattern;  // ECMAScript regex over the id (text)
  std::optional<SafeRegex> id_regex;      // id_pattern compiled
  std::string type;                       // expanded IRI of one name, or an expression as given
  std::optional<TypeQuery> type_query;    // set for an expression ("(A|B)", "A;B"): resolved

  bool Matches(const Entity& e) const;
};

enum class NotificationFormat : std::uint8_t { kNormalized, kConcise, kKeyValues };

struct NotificationParams {
  std::vector<std::string> attributes;  // expanded IRIs; empty = all
  std::vector<std::string> pick;        // expanded IRIs and "id", "type"; empty = not given
  std::vector<std::string> omit;
  NotificationFormat format = NotificationFormat::kNormalized;
  bool sys_attrs = false;
  bool show_changes = false;
  bool sys_attrs_given = false;         // the client set sysAttrs (it is shown back only then)
  bool show_changes_given = false;
  std::string uri;                      // endpoint (http, https)
  std::string accept = "application/json";  // application/json or application/ld+json
  std::vector<std::pair<std::string, std::string>> receiver_info;  // extra HTTP headers
  std::vector<std::pair<std::string, std::string>> notifier_info;  // kept, not interpreted
};

struct Subscription {
  std::string id;
  std::optional<std::string> name;         // subscriptionName
  std::optional<std::string> description;
  std::vector<EntitySelector> entities;    // any of; empty = any entity
  std::vector<std::string> watched_attributes;  // expanded IRIs; empty = any attribute
  std::vector<Trigger> triggers;           // empty = entityCreated, entityUpdated (+ attributes)
  std::optional<std::string> q_text;       // as given
  std::optional<QQuery> q;                 // parsed and resolved
  std::optional<Json> geo_q_json;          // as given: {geometry, coordinates, georel, geoproperty}
  std::optional<GeoQuery> geo_q;
  std::optional<std::string> scope_q_text;
  std::optional<ScopeQuery> scope_q;
  std::optional<std::string> lang;
  bool is_active = true;
  bool is_active_given = false;            // the client set isActive (shown back only then)
  std::vector<std::string> dataset_ids;    // datasetId: kept and shown; not used in matching yet
  std::optional<Timestamp> expires_at;
  std::optional<double> throttling;        // seconds between two notifications at least
  std::optional<double> time_interval;     // seconds: notify all matches periodically instead
  NotificationParams notification;
  Json context;                            // the @context notifications are compacted with
  Timestamp created_at;
  Timestamp modified_at;

  // "active", "paused" (isActive false) or "expired" (expiresAt passed), at now.
  std::string_view StatusAt(Timestamp now) const;
  bool WantsTrigger(Trigger t) const;
  // The trigger a change of one entity raises for this subscription, if any: before and
  // after are the entity's states (nullptr: did not exist / was deleted). Checks the
  // entity selectors, watchedAttributes (an update notifies only when a watched attribute
  // was created, changed or deleted), q, geoQ and scopeQ (on the state after, or before for
  // a deletion) and the notificationTrigger list. Not the status, expiry or throttling.
  // Deleting an entity raises entityDeleted, or else attributeDeleted when it had a (watched)
  // attribute. A timeInterval subscription is periodic only: no change triggers it.
  std::optional<Trigger> TriggerFor(const Entity* before, const Entity* after) const;
  // Whether an entity is one this subscription is about: selectors, q, geoQ, scopeQ (what
  // a periodic notification sends).
  bool Selects(const Entity& e) const;
};

}  // namespace dothi::domain
