#include "domain/subscription.h"

#include <algorithm>

namespace dothi::domain {
namespace {

constexpr std::size_t kMaxIdSubject = 1024;  // ids longer than this never match a pattern

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The attribute's instances, or nullptr.
const Json* AttrOf(const Entity* e, std::string_view iri) {
  return e == nullptr ? nullptr : e->attrs.Find(iri);
}

bool Selected(const Subscription& s, const Entity& e) {
  if (s.entities.empty()) return true;
  for (const EntitySelector& sel : s.entities) {
    if (sel.Matches(e)) return true;
  }
  return false;
}

bool Filtered(const Subscription& s, const Entity& e) {
  if (s.q && !s.q->Matches(e)) return false;
  if (s.geo_q && !s.geo_q->Matches(e)) return false;
  if (s.scope_q && !s.scope_q->Matches(e.scope)) return false;
  return true;
}

}  // namespace

std::string_view TriggerName(Trigger t) {
  switch (t) {
    case Trigger::kEntityCreated: return "entityCreated";
    case Trigger::kEntityUpdated: return "entityUpdated";
    case Trigger::kEntityDeleted: return "entityDeleted";
    case Trigger::kAttributeCreated: return "attributeCreated";
    case Trigger::kAttributeUpdated: return "attributeUpdated";
    case Trigger::kAttributeDeleted: return "attributeDeleted";
  }
  return "entityUpdated";
}

std::optional<Trigger> ParseTrigger(std::string_view name) {
  for (Trigger t : kAllTriggers) {
    if (TriggerName(t) == name) return t;
  }
  return std::nullopt;
}

bool EntitySelector::Matches(const Entity& e) const {
  if (type_query ? !type_query->Matches(e.types) : !Contains(e.types, type)) return false;
  if (id && e.id != *id) return false;
  if (id_regex && !id_regex->Search(e.id, kMaxIdSubject)) return false;
  return true;
}

std::string_view Subscription::StatusAt(Timestamp now) const {
  if (expires_at && expires_at->micros <= now.micros) return "expired";
  return is_active ? "active" : "paused";
}

bool Subscription::WantsTrigger(Trigger t) const {
  if (triggers.empty()) {
    // v1.8 default: attributeCreated and attributeUpdated.
    return t == Trigger::kAttributeCreated || t == Trigger::kAttributeUpdated;
  }
  return std::find(triggers.begin(), triggers.end(), t) != triggers.end();
}

bool Subscription::Selects(const Entity& e) const { return Selected(*this, e) && Filtered(*this, e); }

std::optional<Trigger> Subscription::TriggerFor(const Entity* before, const Entity* after) const {
  const Entity* subject = after != nullptr ? after : before;
  if (time_interval || subject == nullptr || !Selects(*subject)) return std::nullopt;
  if (before == nullptr) {
    if (WantsTrigger(Trigger::kEntityCreated) && watched_attributes.empty()) {
      return Trigger::kEntityCreated;
    }
    // A new entity creates each of its attributes.
    for (const auto& [iri, instances] : after->attrs.AsObject()) {
      if (!watched_attributes.empty() && !Contains(watched_attributes, iri)) continue;
      if (WantsTrigger(Trigger::kEntityCreated)) return Trigger::kEntityCreated;
      if (WantsTrigger(Trigger::kAttributeCreated)) return Trigger::kAttributeCreated;
    }
    return std::nullopt;
  }
  if (after == nullptr) {
    if (WantsTrigger(Trigger::kEntityDeleted)) return Trigger::kEntityDeleted;
    // Deleting the entity deletes each of its attributes (ETSI 046_22_12).
    if (!WantsTrigger(Trigger::kAttributeDeleted)) return std::nullopt;
    for (const auto& [iri, instances] : before->attrs.AsObject()) {
      if (watched_attributes.empty() || Contains(watched_attributes, iri)) return Trigger::kAttributeDeleted;
    }
    return std::nullopt;
  }
  // An update: which (watched) attributes were created, changed or deleted.
  bool created = false, updated = false, deleted = false;
  auto consider = [&](std::string_view iri) {
    if (!watched_attributes.empty() && !Contains(watched_attributes, iri)) return;
    const Json* was = AttrOf(before, iri);
    const Json* now = AttrOf(after, iri);
    if (was == nullptr && now != nullptr) created = true;
    if (was != nullptr && now == nullptr) deleted = true;
    if (was != nullptr && now != nullptr && !(*was == *now)) updated = true;
  };
  for (const auto& [iri, instances] : after->attrs.AsObject()) consider(iri);
  for (const auto& [iri, instances] : before->attrs.AsObject()) {
    if (after->attrs.Find(iri) == nullptr) consider(iri);
  }
  const bool entity_changed = created || updated || deleted || (watched_attributes.empty() &&
                                                                (before->types != after->types ||
                                                                 !(before->scope == after->scope)));
  if (entity_changed && WantsTrigger(Trigger::kEntityUpdated)) return Trigger::kEntityUpdated;
  if (created && WantsTrigger(Trigger::kAttributeCreated)) return Trigger::kAttributeCreated;
  if (updated && WantsTrigger(Trigger::kAttributeUpdated)) return Trigger::kAttributeUpdated;
  if (deleted && WantsTrigger(Trigger::kAttributeDeleted)) return Trigger::kAttributeDeleted;
  return std::nullopt;
}

}  // namespace dothi::domain
