#pragma once

#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/time.h"
#include "domain/entity.h"
#include "storage/entity_store.h"
#include "storage/history_store.h"

// What a change of an entity adds to its temporal history: every attribute instance that is
// new or different (a re-sent identical reading still differs by its modifiedAt), and for
// every instance that went away an instance with NGSI-LD Null as its value and deletedAt
// (NGSI-LD's form for a deleted attribute in the temporal representation).
namespace dothi::service::history {

// The stored form of one attribute instance: its time (observedAt, else modifiedAt, else
// fallback), its number (for aggregations) and its binary encoding.
storage::HistoryInstance MakeInstance(std::string_view attr, const Json& instance,
                                      Timestamp fallback);
// The same, for a caller that already holds the instance's value encoding
// (Json::EncodeValue of `instance`): copies those bytes instead of encoding it again.
storage::HistoryInstance MakeInstance(std::string_view attr, const Json& instance,
                                      std::string_view encoded, Timestamp fallback);
// The deletion instance for an instance that went away at `at`.
storage::HistoryInstance MakeDeletion(std::string_view attr, const Json& instance, Timestamp at);

// Instances of one attribute from before (nullptr: absent) to after (nullptr: deleted).
void RecordAttr(std::string_view attr, const Json* before, const Json* after, Timestamp now,
                std::vector<storage::HistoryInstance>* out);
// The whole change of an entity; fills w.history, and w.history_types when the entity is new
// or its types changed, and w.history_time.
void RecordChange(const domain::Entity* before, const domain::Entity* after, Timestamp now,
                  storage::EntityWrite& w);
// The entity's types as stored in history (binary Json array).
std::string EncodeTypes(const std::vector<std::string>& types);

}  // namespace dothi::service::history
