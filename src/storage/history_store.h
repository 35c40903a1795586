#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"

// HistoryStore keeps the temporal evolution of NGSI-LD attributes: append-only series of
// attribute instances, one series per (tenant, entity, attribute, datasetId), partitioned
// by the instance's time. Ordinary entity writes add instances in the same transaction as
// the entity change (EntityWrite::history); the temporal API edits history directly
// (EditHistory). Tenant scoping is the caller's (the temporal service always passes
// ctx.tenant); every method takes the tenant.
namespace dothi::storage {

// One instance as written.
struct HistoryInstance {
  std::string attr;         // expanded attribute IRI
  std::string dataset_id;   // "" for the default instance
  std::int64_t time = 0;    // microseconds since the epoch: observedAt, else modifiedAt
  std::optional<double> number;  // the value when it is a number (aggregations read it)
  std::string bytes;        // the instance (binary Json object, expanded names)
};

// The entity a series belongs to, as history knows it (it outlives the entity).
struct HistoryEntity {
  std::string id;
  std::string types;  // binary Json array of expanded type IRIs
  std::optional<std::int64_t> deleted_at;  // microseconds; set once the entity was deleted
};

struct HistorySeries {
  std::int64_t id = 0;  // store-assigned; valid for this tenant and entity only
  std::string attr;
  std::string dataset_id;
};

// A time window [from, to) over instance times, and at most the last last_n of them.
struct HistoryRange {
  std::int64_t from = std::numeric_limits<std::int64_t>::min();
  std::int64_t to = std::numeric_limits<std::int64_t>::max();
  std::size_t last_n = 0;   // 0: all; otherwise the newest last_n, still returned oldest first
  bool need_bytes = true;   // false: rows carry time and number only (faster aggregations)
};

struct HistoryRow {
  std::int64_t time = 0;
  std::int64_t instance = 0;  // store-assigned, unique per store
  std::optional<double> number;
  std::string_view bytes;  // valid during the callback only; empty without need_bytes
};

// A change made through the temporal API. Never fails for a missing target: the affected
// count says what it found (so one edit cannot roll back others in a group commit).
struct HistoryEdit {
  enum class Kind {
    kAppend,           // add instances (and record the entity's types when given)
    kReplaceInstance,  // replace instance `instance` of attr with instances[0]
    kDeleteInstance,   // delete instance `instance` of attr
    kDeleteAttr,       // delete attr's series (dataset_id, or every dataset with all_datasets)
    kDeleteEntity,     // delete the entity's history entirely
  };
  Kind kind = Kind::kAppend;
  std::string tenant;
  std::string entity;
  std::optional<std::string> types;  // kAppend: binary Json array of type IRIs
  std::vector<HistoryInstance> instances;
  std::string attr;
  std::string dataset_id;
  bool all_datasets = false;
  std::int64_t instance = 0;
};

// What a retention sweep step did.
struct PruneStep {
  std::size_t rows_deleted = 0;
  std::int64_t next_series = 0;  // resume after this series id
  bool done = false;             // no series of the tenant left beyond next_series
};

class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // Applies the edits in one durable transaction; affected[i] counts what edit i found
  // (instances added, replaced or deleted; series or entities deleted).
  virtual Result<std::vector<std::size_t>> EditHistory(std::vector<HistoryEdit> edits) = 0;
  virtual Result<std::optional<HistoryEntity>> GetHistoryEntity(std::string_view tenant,
                                                                std::string_view id) = 0;
  // Every entity of the tenant with history, in id order.
  using HistoryEntityFn = std::function<void(const HistoryEntity&)>;
  virtual Status ScanHistoryEntities(std::string_view tenant, const HistoryEntityFn& fn) = 0;
  virtual Result<std::vector<HistorySeries>> ListSeries(std::string_view tenant,
                                                        std::string_view entity) = 0;
  // Calls fn for the series' instances in range, oldest first (time, then instance).
  // fn returns false to stop early.
  using HistoryRowFn = std::function<bool(const HistoryRow&)>;
  virtual Status ReadSeries(std::string_view tenant, std::int64_t series, const HistoryRange& range,
                            const HistoryRowFn& fn) = 0;
  // Retention: deletes the instances older than cutoff of up to max_series series of the
  // tenant with ids above after_series, in one short transaction of its own (so writes
  // interleave with a long sweep), and drops time partitions left empty.
  virtual Result<PruneStep> PruneHistory(std::string_view tenant, std::int64_t cutoff,
                                         std::int64_t after_series, std::size_t max_series) = 0;
  // Tenants that have history.
  virtual Result<std::vector<std::string>> HistoryTenants() = 0;
  // True while entities stored before history existed still need their first instances;
  // MarkBackfilled() clears it once they have them.
  virtual Result<bool> NeedsBackfill() = 0;
  virtual Status MarkBackfilled() = 0;
  // Sets NeedsBackfill (a server running with history off: changes it does not record are
  // caught up, as current state, by the next start with history on).
  virtual Status MarkNeedsBackfill() = 0;
};

}  // namespace dothi::storage
