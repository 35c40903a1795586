#include "service/history_recorder.h"

#include <string>

namespace dothi::service::history {

namespace {

constexpr std::string_view kNullValue = "urn:ngsi-ld:null";
constexpr std::string_view kDeletedAt = "deletedAt";

std::string_view DatasetOf(const Json& instance) {
  const Json* ds = instance.Find(domain::attr::kDatasetId);
  return ds != nullptr && ds->is_string() ? std::string_view(ds->AsString()) : std::string_view();
}

std::optional<Timestamp> TimeMember(const Json& instance, std::string_view name) {
  const Json* t = instance.Find(name);
  if (t == nullptr || !t->is_string()) return std::nullopt;
  return ParseIso8601(t->AsString());
}

const Json* SameDataset(const Json& instances, std::string_view dataset) {
  if (!instances.is_array()) return nullptr;
  for (const Json& i : instances.AsArray()) {
    if (DatasetOf(i) == dataset) return &i;
  }
  return nullptr;
}

// Every field of the stored instance but its bytes.
storage::HistoryInstance Describe(std::string_view attr, const Json& instance,
                                  Timestamp fallback) {
  storage::HistoryInstance h;
  h.attr = std::string(attr);
  h.dataset_id = std::string(DatasetOf(instance));
  std::optional<Timestamp> t = TimeMember(instance, domain::attr::kObservedAt);
  if (!t) t = TimeMember(instance, domain::attr::kModifiedAt);
  h.time = (t ? *t : fallback).micros;
  const Json* type = instance.Find(domain::attr::kType);
  if (type == nullptr || !type->is_string() || type->AsString() == domain::attr::kProperty) {
    const Json* v = instance.Find(domain::attr::kValue);
    if (v != nullptr && v->is_number()) h.number = v->AsDouble();
  }
  return h;
}

}  // namespace

storage::HistoryInstance MakeInstance(std::string_view attr, const Json& instance,
                                      Timestamp fallback) {
  storage::HistoryInstance h = Describe(attr, instance, fallback);
  instance.EncodeBinary(h.bytes);
  return h;
}

storage::HistoryInstance MakeInstance(std::string_view attr, const Json& instance,
                                      std::string_view encoded, Timestamp fallback) {
  storage::HistoryInstance h = Describe(attr, instance, fallback);
  Json::EncodeBinaryFromValue(h.bytes, encoded);
  return h;
}

storage::HistoryInstance MakeDeletion(std::string_view attr, const Json& instance, Timestamp at) {
  Json marker = Json::MakeObject();
  const Json* type = instance.Find(domain::attr::kType);
  const std::string_view kind =
      type != nullptr && type->is_string() ? std::string_view(type->AsString()) : domain::attr::kProperty;
  marker.Set(domain::attr::kType, Json(kind));
  marker.Set(domain::attr::ValueMemberFor(kind), Json(kNullValue));
  const std::string_view dataset = DatasetOf(instance);
  if (!dataset.empty()) marker.Set(domain::attr::kDatasetId, Json(dataset));
  marker.Set(kDeletedAt, Json(FormatIso8601(at)));
  storage::HistoryInstance h;
  h.attr = std::string(attr);
  h.dataset_id = std::string(dataset);
  h.time = at.micros;
  marker.EncodeBinary(h.bytes);
  return h;
}

void RecordAttr(std::string_view attr, const Json* before, const Json* after, Timestamp now,
                std::vector<storage::HistoryInstance>* out) {
  if (after != nullptr && after->is_array()) {
    for (const Json& inst : after->AsArray()) {
      const Json* was = before != nullptr ? SameDataset(*before, DatasetOf(inst)) : nullptr;
      if (was != nullptr && *was == inst) continue;
      out->push_back(MakeInstance(attr, inst, now));
    }
  }
  if (before != nullptr && before->is_array()) {
    for (const Json& inst : before->AsArray()) {
      if (after != nullptr && SameDataset(*after, DatasetOf(inst)) != nullptr) continue;
      out->push_back(MakeDeletion(attr, inst, now));
    }
  }
}

std::string EncodeTypes(const std::vector<std::string>& types) {
  Json arr = Json::MakeArray();
  for (const auto& t : types) arr.Push(Json(t));
  std::string out;
  arr.EncodeBinary(out);
  return out;
}

void RecordChange(const domain::Entity* before, const domain::Entity* after, Timestamp now,
                  storage::EntityWrite& w) {
  w.history_time = now.micros;
  if (after != nullptr && (before == nullptr || before->types != after->types)) {
    w.history_types = EncodeTypes(after->types);
  }
  if (after != nullptr) {
    for (const auto& [iri, instances] : after->attrs.AsObject()) {
      const Json* was = before != nullptr ? before->attrs.Find(iri) : nullptr;
      RecordAttr(iri, was, &instances, now, &w.history);
    }
  }
  if (before != nullptr) {
    for (const auto& [iri, instances] : before->attrs.AsObject()) {
      if (after != nullptr && after->attrs.Contains(iri)) continue;
      RecordAttr(iri, &instances, nullptr, now, &w.history);
    }
  }
}

}  // namespace dothi::service::history
