#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/request_context.h"
#include "core/result.h"
#include "core/time.h"
#include "domain/geo_query.h"
#include "domain/query/q_query.h"
#include "domain/query/scope_query.h"
#include "domain/query/type_query.h"
#include "domain/temporal.h"
#include "storage/entity_store.h"
#include "storage/history_store.h"

// TemporalService answers the NGSI-LD temporal API from the store's history: the temporal
// evolution of entities (GET /temporal/entities[/{id}], POST /temporal/entityOperations/query)
// and direct edits of history (create/append, instance modify/delete, attribute and entity
// delete). Every call is scoped to ctx.tenant. It also runs the retention sweep.
namespace dothi::service {

enum class TimeRel { kNone, kBefore, kAfter, kBetween };
enum class TimeProperty { kObservedAt, kCreatedAt, kModifiedAt, kDeletedAt };

struct TemporalQuery {
  // Which entities: ids, idPattern, type expression; q, geoQ and scopeQ are evaluated against
  // the instances inside the time window (an entity matches when, for each term, some
  // instance in the window satisfies it).
  std::vector<std::string> ids;
  std::optional<std::string> id_pattern;
  std::optional<domain::TypeQuery> types;
  std::optional<domain::QQuery> q;
  std::optional<domain::GeoQuery> geo;
  std::optional<domain::ScopeQuery> scope;
  std::vector<std::string> attrs;  // expanded IRIs; empty: all
  std::optional<std::vector<std::string>> dataset_ids;  // "" for the default instance
  // The window: before = (-inf, time_at), after = [time_at, +inf), between = [time_at, end_time_at).
  TimeRel timerel = TimeRel::kNone;
  Timestamp time_at, end_time_at;
  TimeProperty time_property = TimeProperty::kObservedAt;
  std::size_t last_n = 0;  // 0: no lastN
  // Aggregation: when methods is non-empty the result carries buckets, not instances.
  std::vector<domain::temporal::AggrMethod> aggr_methods;
  domain::temporal::Period aggr_period;
  // Entity paging.
  std::size_t limit = 20;
  std::size_t offset = 0;
  bool count = false;
};

// One instance as read from history.
struct TemporalInstance {
  Timestamp t;            // the time it is filed under (the asked timeproperty)
  std::int64_t id = 0;    // store-assigned; rendered as an instanceId URI
  Json body;              // the instance (expanded names), with deletedAt when a deletion
};

struct TemporalAttribute {
  std::string attr;
  std::string dataset_id;
  std::vector<TemporalInstance> instances;  // oldest first
  std::vector<domain::temporal::Bucket> buckets;  // with aggregation
  std::string kind;  // "Property", "Relationship", ... (of the newest instance)
};

struct TemporalEntity {
  std::string id;
  std::vector<std::string> types;
  std::vector<TemporalAttribute> attrs;  // by attribute, then datasetId
};

struct TemporalResult {
  std::vector<TemporalEntity> entities;
  std::size_t total = 0;  // entities matching in all (when count was asked)
  bool more = false;      // another page of entities exists after this one
  // Set when the instance cap cut some attribute: the range every attribute was cut to,
  // [range_start, range_end] (descending with lastN), for the Content-Range header.
  bool partial = false;
  Timestamp range_start, range_end;
};

struct TemporalServiceOptions {
  // Most instances returned per attribute; more makes a partial (206) answer.
  std::size_t max_instances = 10000;
  std::size_t max_page_size = 1000;
  // Most instances one request may read (aggregations and q/geoQ filters read every
  // instance in their window); more is 403 TooManyResults: narrow the window or the query.
  std::size_t max_read_instances = 5'000'000;
  // Retention per tenant in days (0: keep forever); default_retention_days for the others.
  std::vector<std::pair<std::string, std::int64_t>> retention_days;
  std::int64_t default_retention_days = 0;
};

class TemporalService {
 public:
  TemporalService(storage::HistoryStore& store, TemporalServiceOptions options);
  ~TemporalService();  // stops the sweeper
  TemporalService(const TemporalService&) = delete;
  TemporalService& operator=(const TemporalService&) = delete;

  // Runs SweepRetention at once and then every interval on a thread of its own (only when
  // some tenant has a retention). Stop() ends it; idempotent.
  void StartRetention(std::chrono::seconds interval);
  void Stop();

  const TemporalServiceOptions& options() const { return options_; }

  // One entity's temporal evolution; NotFound when history has no such entity (or none of
  // the asked attributes).
  // The result holds exactly that entity (possibly with no attribute in the window).
  Result<TemporalResult> Retrieve(const RequestContext& ctx, std::string_view id,
                                  const TemporalQuery& query);
  Result<TemporalResult> Query(const RequestContext& ctx, const TemporalQuery& query);

  // POST /temporal/entities: adds the instances (an instance with the same attribute,
  // datasetId and observedAt replaces the stored one) and unions the types. Returns true
  // when the entity had no history before.
  Result<bool> CreateOrUpdate(const RequestContext& ctx, std::string_view id,
                              const std::vector<std::string>& types, const Json& attrs);
  // POST /temporal/entities/{id}/attrs. NotFound when the entity has no history.
  Status Append(const RequestContext& ctx, std::string_view id, const Json& attrs);
  Status DeleteEntity(const RequestContext& ctx, std::string_view id);
  Status DeleteAttribute(const RequestContext& ctx, std::string_view id, std::string_view attr,
                         std::optional<std::string> dataset_id, bool delete_all);
  // PATCH: merges fragment (value, observedAt, sub-attributes) into the instance.
  Status ModifyInstance(const RequestContext& ctx, std::string_view id, std::string_view attr,
                        std::int64_t instance, const Json& fragment);
  Status DeleteInstance(const RequestContext& ctx, std::string_view id, std::string_view attr,
                        std::int64_t instance);

  // Once, after an upgrade from a store without history or a run with history off: every
  // stored entity's current attribute instances are added to its history. A no-op otherwise.
  Status Backfill(storage::EntityStore& entities);

  // Retention: for each tenant with a retention, deletes instances older than now minus
  // the retention, in steps of max_series series (each its own short transaction).
  // Returns the instances deleted.
  Result<std::size_t> SweepRetention(Timestamp now, std::size_t max_series = 1000);
  std::int64_t RetentionDays(std::string_view tenant) const;

 private:
  Result<std::optional<TemporalEntity>> Evolution(const RequestContext& ctx,
                                                  const storage::HistoryEntity& entity,
                                                  const TemporalQuery& query,
                                                  bool* truncated_any, std::size_t* read_budget);
  // NotFound unless the tenant's history knows the entity.
  Status RequireEntity(const RequestContext& ctx, std::string_view id);
  // Applies one edit; what it found (HistoryStore::EditHistory's count).
  Result<std::size_t> EditOne(storage::HistoryEdit edit);

  storage::HistoryStore& store_;
  TemporalServiceOptions options_;
  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;  // guarded by sweep_mu_
  std::atomic<bool> stop_sweep_{false};  // read between sweep steps
  std::thread sweeper_;
};

// "urn:ngsi-ld:Instance:<n>" and back (nullopt for any other form).
std::string InstanceIdUri(std::int64_t id);
std::optional<std::int64_t> ParseInstanceIdUri(std::string_view uri);

}  // namespace dothi::service
