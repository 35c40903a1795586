#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/json.h"
#include "core/request_context.h"
#include "core/result.h"
#include "domain/entity.h"
#include "domain/geo_query.h"
#include "domain/query/q_query.h"
#include "domain/query/scope_query.h"
#include "domain/query/type_query.h"
#include "service/stripe_locks.h"
#include "storage/entity_store.h"

// EntityService applies the NGSI-LD entity use cases (create, replace, merge, append,
// update, delete, batch, query, discovery) for one tenant at a time. The store is the
// truth; the service keeps every entity in memory (encoded) with indexes by id, type and
// location, rebuilt from the store by Load() and updated only after the store commits.
// Tenant isolation lives here: every call is scoped to ctx.tenant and no index is shared
// between tenants.
// Thread-safe: writes to one entity are serialised by a striped lock (StripeLocks) held from
// reading the entity until its commit is durable and indexed; writes to different entities
// commit together (group commit). The *Async writes never block the calling thread: their
// callback runs once the write is durable and visible to reads (or has failed), on the
// store's writer thread or on the calling thread. The plain writes wait for that callback.
namespace dothi::service {

struct EntityServiceOptions {
  // Largest page a query may ask for (limit); larger limits get 400 / TooManyResults.
  std::size_t max_page_size = 1000;
  // Page size when a query gives no limit.
  std::size_t default_page_size = 20;
  // Most entities in one batch operation; more gets 413.
  std::size_t max_batch_entities = 1000;
  // Largest offset a query may ask for; larger offsets get 400.
  std::size_t max_offset = 1000000;
  // Keep the temporal history: every change writes its attribute instances to the store's
  // history in the same transaction (service/history_recorder.h).
  bool record_history = true;
};

// An entity selection: GET /entities and POST /entityOperations/query.
struct EntityQuery {
  std::vector<std::string> ids;          // exact ids (any of)
  std::optional<std::string> id_pattern; // ECMAScript regex over the id
  std::optional<domain::TypeQuery> types;
  std::optional<domain::QQuery> q;
  std::optional<domain::GeoQuery> geo;
  // With geo: entities that lack the geoproperty match too (an OGC API bbox matches the
  // features without a geometry).
  bool geo_keeps_unplaced = false;
  std::optional<domain::ScopeQuery> scope;
  // Only entities whose modifiedAt lies in [modified_from, modified_to]; an absent end is
  // open (OGC API Features datetime).
  std::optional<Timestamp> modified_from;
  std::optional<Timestamp> modified_to;
  // A last test on each candidate that passed all of the above (the OGC API Features
  // filter); limit, offset and count apply after it. Called under the index's read lock:
  // it must not call back into this service.
  std::function<bool(const domain::Entity&)> matches;
  std::size_t limit = 20;
  std::size_t offset = 0;
  bool count = false;
};

struct QueryResult {
  std::vector<domain::Entity> entities;
  std::size_t total = 0;  // matches in all; valid when count was asked
  bool more = false;      // another page exists after this one
};

// Outcome of an operation on some attributes: which were applied and which not, and why.
struct AttrOutcome {
  std::vector<std::string> updated;                              // expanded IRIs
  std::vector<std::pair<std::string, std::string>> not_updated;  // IRI, reason
};

// Entity-level members an attribute write (append, update) may carry besides attributes.
struct EntityMembers {
  std::vector<std::string> types;  // expanded type IRIs to add
  std::optional<Json> scope;       // array of scopes: replaces (or, with noOverwrite, joins)
};

// One entity's outcome in a batch operation.
struct BatchItemResult {
  std::string id;
  Status status;
  bool created = false;  // the entity did not exist before (upsert reports it)
};

enum class UpsertMode { kReplace, kUpdate };

// A write made on an entity's encoded bytes, decoding only the attributes it touches (the
// fast path of attribute updates; used inside EntityService).
struct EncodedChange {
  std::optional<std::string> bytes;  // nullopt: nothing changed, nothing to write
  bool same_shape = false;  // same types, attribute names and kinds, and location
  std::vector<storage::HistoryInstance> history;  // the instances the change wrote
};

// Per-type and per-attribute summaries for the discovery endpoints (expanded IRIs).
struct TypeInfo {
  std::string type;
  std::size_t entity_count = 0;
  std::vector<std::string> attributes;
};
struct AttributeInfo {
  std::string attribute;
  std::size_t attribute_count = 0;  // entities having it
  std::vector<std::string> types;   // entity types that have it
  std::vector<std::string> attribute_types;  // Property, Relationship, ...
};

// Told about every committed change of an entity (EntityService::SetChangeListener).
class EntityChangeListener {
 public:
  virtual ~EntityChangeListener() = default;
  // Cheap: whether this tenant's changes are wanted at all (nothing is decoded otherwise).
  virtual bool WatchesTenant(std::string_view tenant) const = 0;
  // Called once the change is durable and indexed, while the entity's write lock is still
  // held, so the changes of one entity arrive in order. before == nullptr: the entity was
  // created; after == nullptr: deleted. Runs on the store's writer side: must not block.
  virtual void OnEntityChange(std::string_view tenant, const domain::Entity* before,
                              const domain::Entity* after) = 0;
};

class EntityService {
 public:
  EntityService(storage::EntityStore& store, EntityServiceOptions options);
  ~EntityService();
  EntityService(const EntityService&) = delete;
  EntityService& operator=(const EntityService&) = delete;

  // Rebuilds the in-memory indexes from the store. Call once before serving.
  Status Load();

  const EntityServiceOptions& options() const { return options_; }
  // Who hears about committed changes (subscriptions). Set before serving; nullptr: nobody.
  void SetChangeListener(EntityChangeListener* listener) { listener_ = listener; }

  // Reads. kNotFound when the tenant or entity does not exist.
  Result<domain::Entity> Get(const RequestContext& ctx, std::string_view id) const;
  Result<QueryResult> Query(const RequestContext& ctx, const EntityQuery& query) const;
  bool TenantExists(std::string_view tenant) const;
  // Calls fn with every entity of ctx.tenant that has the type type_iri (nothing for an
  // unknown tenant), under the index's read lock: fn must not call back into this service.
  void ForEachOfType(const RequestContext& ctx, std::string_view type_iri,
                     const std::function<void(const domain::Entity&)>& fn) const;
  Result<std::vector<TypeInfo>> Types(const RequestContext& ctx) const;
  Result<std::vector<AttributeInfo>> Attributes(const RequestContext& ctx) const;
  // Entities per tenant, for /metrics.
  std::vector<std::pair<std::string, std::size_t>> EntityCounts() const;

  // Asynchronous writes. done is called exactly once, after the write is durable and
  // visible to reads or has failed, on the store's writer thread or on this thread; it must
  // not block. ctx must stay valid until done is called.
  using StatusCallback = std::function<void(Status)>;
  using OutcomeCallback = std::function<void(Result<AttrOutcome>)>;
  void CreateAsync(const RequestContext& ctx, domain::Entity entity, StatusCallback done);
  // PUT: all attributes; an entity without types keeps the current ones.
  void ReplaceAsync(const RequestContext& ctx, domain::Entity entity, StatusCallback done);
  void MergeAsync(const RequestContext& ctx, domain::Entity patch, StatusCallback done);
  void DeleteAsync(const RequestContext& ctx, std::string id, StatusCallback done);
  // POST /entities/{id}/attrs. attrs: canonical attrs object.
  void AppendAttrsAsync(const RequestContext& ctx, std::string id, Json attrs, bool no_overwrite,
                        EntityMembers members, OutcomeCallback done);
  // PATCH /entities/{id}/attrs: attributes are replaced or appended (as the ETSI conformance
  // suite expects); an instance whose value is NGSI-LD Null deletes that instance; a scope
  // replaces the entity's scope (not updated when it has none).
  void UpdateAttrsAsync(const RequestContext& ctx, std::string id, Json attrs,
                        EntityMembers members, OutcomeCallback done);
  // PATCH /entities/{id}/attrs/{attrId}: merge the fragment into the instance.
  void PartialAttrUpdateAsync(const RequestContext& ctx, std::string id, std::string attr_iri,
                              Json instance, StatusCallback done);
  // PUT /entities/{id}/attrs/{attrId}
  void ReplaceAttrAsync(const RequestContext& ctx, std::string id, std::string attr_iri,
                        Json instances, StatusCallback done);
  // DELETE /entities/{id}/attrs/{attrId}?datasetId=&deleteAll=
  void DeleteAttrAsync(const RequestContext& ctx, std::string id, std::string attr_iri,
                       std::optional<std::string> dataset_id, bool delete_all,
                       StatusCallback done);

  // The same writes, returning once durable (or failed).
  Status Create(const RequestContext& ctx, domain::Entity entity) {
    return Wait<Status>([&](StatusCallback cb) { CreateAsync(ctx, std::move(entity), cb); });
  }
  Status Replace(const RequestContext& ctx, domain::Entity entity) {
    return Wait<Status>([&](StatusCallback cb) { ReplaceAsync(ctx, std::move(entity), cb); });
  }
  Status Merge(const RequestContext& ctx, domain::Entity patch) {
    return Wait<Status>([&](StatusCallback cb) { MergeAsync(ctx, std::move(patch), cb); });
  }
  Status Delete(const RequestContext& ctx, std::string_view id) {
    return Wait<Status>([&](StatusCallback cb) { DeleteAsync(ctx, std::string(id), cb); });
  }
  Result<AttrOutcome> AppendAttrs(const RequestContext& ctx, std::string_view id, Json attrs,
                                  bool no_overwrite, EntityMembers members = {}) {
    return Wait<Result<AttrOutcome>>([&](OutcomeCallback cb) {
      AppendAttrsAsync(ctx, std::string(id), std::move(attrs), no_overwrite, std::move(members),
                       cb);
    });
  }
  Result<AttrOutcome> UpdateAttrs(const RequestContext& ctx, std::string_view id, Json attrs,
                                  EntityMembers members = {}) {
    return Wait<Result<AttrOutcome>>([&](OutcomeCallback cb) {
      UpdateAttrsAsync(ctx, std::string(id), std::move(attrs), std::move(members), cb);
    });
  }
  Status PartialAttrUpdate(const RequestContext& ctx, std::string_view id,
                           std::string_view attr_iri, Json instance) {
    return Wait<Status>([&](StatusCallback cb) {
      PartialAttrUpdateAsync(ctx, std::string(id), std::string(attr_iri), std::move(instance), cb);
    });
  }
  Status ReplaceAttr(const RequestContext& ctx, std::string_view id, std::string_view attr_iri,
                     Json instances) {
    return Wait<Status>([&](StatusCallback cb) {
      ReplaceAttrAsync(ctx, std::string(id), std::string(attr_iri), std::move(instances), cb);
    });
  }
  Status DeleteAttr(const RequestContext& ctx, std::string_view id, std::string_view attr_iri,
                    std::optional<std::string> dataset_id, bool delete_all) {
    return Wait<Status>([&](StatusCallback cb) {
      DeleteAttrAsync(ctx, std::string(id), std::string(attr_iri), std::move(dataset_id),
                      delete_all, cb);
    });
  }

  // Batch operations: one result per input entity, in input order; one durable commit.
  Result<std::vector<BatchItemResult>> BatchCreate(const RequestContext& ctx,
                                                   std::vector<domain::Entity> entities);
  Result<std::vector<BatchItemResult>> BatchUpsert(const RequestContext& ctx,
                                                   std::vector<domain::Entity> entities,
                                                   UpsertMode mode);
  Result<std::vector<BatchItemResult>> BatchUpdate(const RequestContext& ctx,
                                                   std::vector<domain::Entity> entities,
                                                   bool no_overwrite);
  Result<std::vector<BatchItemResult>> BatchMerge(const RequestContext& ctx,
                                                  std::vector<domain::Entity> entities);
  Result<std::vector<BatchItemResult>> BatchDelete(const RequestContext& ctx,
                                                   std::vector<std::string> ids);

 private:
  struct TenantIndex;
  // A mutation of one entity: given the current entity (nullopt when absent), produce the
  // new one (nullopt to delete) or an error; nothing is written on error.
  using Mutation =
      std::function<Result<std::optional<domain::Entity>>(std::optional<domain::Entity>)>;
  // The same change made on the encoded entity, decoding only the attributes it touches
  // (the fast path of attribute updates). Returns nullopt to leave it to the Mutation.
  using Patch = std::function<std::optional<Result<EncodedChange>>(std::string_view current)>;
  struct PendingWrite {
    std::string id;
    Mutation mutate;
    Patch patch;  // optional; used for a single write of an existing entity
  };

  // Runs the mutations of one tenant under their entity locks and commits all successful
  // ones in one durable step; then done gets one Status per write (or the commit's error).
  using ApplyCallback = std::function<void(Result<std::vector<Status>>)>;
  struct ApplyOp;
  void ApplyAsync(const RequestContext& ctx, std::vector<PendingWrite> writes, ApplyCallback done);
  void RunLocked(const std::shared_ptr<ApplyOp>& op);
  // The Patch path of RunLocked; false when it does not apply (then the Mutation runs).
  bool RunPatch(const std::shared_ptr<ApplyOp>& op);
  // store_.CommitAsync, or CommitAsyncFinishingOn with op's finish_on when it has one.
  void Commit(const std::shared_ptr<ApplyOp>& op, std::vector<storage::EntityWrite> writes,
              storage::EntityStore::CommitCallback done);
  // After the commit of RunLocked's writes, and of RunPatch's (on op's finish_on thread):
  // updates the index, tells the listener and finishes.
  void Committed(const std::shared_ptr<ApplyOp>& op, Status s);
  void PatchCommitted(const std::shared_ptr<ApplyOp>& op, Status s, std::string bytes,
                      bool same_shape, std::optional<std::string> before);
  void Finish(const std::shared_ptr<ApplyOp>& op, Result<std::vector<Status>> result);
  Result<std::vector<Status>> Apply(const RequestContext& ctx, std::vector<PendingWrite> writes) {
    return Wait<Result<std::vector<Status>>>(
        [&](ApplyCallback cb) { ApplyAsync(ctx, std::move(writes), cb); });
  }
  void ApplyOneAsync(const RequestContext& ctx, std::string id, Mutation mutate,
                     StatusCallback done, Patch patch = nullptr);

  // Starts an asynchronous call with a callback and waits for the value it reports.
  template <typename T, typename Start>
  static T Wait(Start start) {
    auto promise = std::make_shared<std::promise<T>>();  // owned by the callback too
    std::future<T> result = promise->get_future();
    start([promise](T value) { promise->set_value(std::move(value)); });
    return result.get();
  }
  // One mutation per entity, made by make, applied in one durable step (batch operations).
  Result<std::vector<BatchItemResult>> ApplyBatch(const RequestContext& ctx,
                                                  std::vector<domain::Entity> entities,
                                                  const std::function<Mutation(domain::Entity)>& make);

  TenantIndex* FindTenant(std::string_view tenant) const;  // caller holds mu_ shared
  TenantIndex& TenantFor(std::string_view tenant);          // caller holds mu_ exclusive
  void IndexPut(TenantIndex& t, const domain::Entity& e, std::string bytes);
  void IndexRemove(TenantIndex& t, std::string_view id);
  // New bytes for an indexed entity whose shape and location did not change.
  void IndexReplaceBytes(TenantIndex& t, std::string_view id, std::string bytes);

  // Tells the listener about one committed change, if it watches the tenant.
  void Publish(std::string_view tenant, const domain::Entity* before, const domain::Entity* after);
  bool Watched(std::string_view tenant) const {
    return listener_ != nullptr && listener_->WatchesTenant(tenant);
  }

  storage::EntityStore& store_;
  EntityServiceOptions options_;
  EntityChangeListener* listener_ = nullptr;
  mutable std::shared_mutex mu_;  // guards tenants_ and every TenantIndex
  std::map<std::string, std::unique_ptr<TenantIndex>, std::less<>> tenants_;
  static constexpr std::size_t kLockStripes = 1024;  // entity write locks
  StripeLocks locks_{kLockStripes};
};

}  // namespace dothi::service
