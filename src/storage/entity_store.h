#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "core/task_runner.h"
#include "storage/history_store.h"

// EntityStore persists NGSI-LD entities, each scoped to one tenant, as opaque encoded
// bytes (domain::Entity::Encode). It is the store of record: services keep in-memory
// indexes and rebuild them from ScanAll on start.
// Implementations are safe to call from several threads; each Commit is atomic and durable
// when it returns (or reports, for CommitAsync) OK: it survives kill -9. Implementations
// batch concurrent commits into one transaction (group commit).
namespace dothi::storage {

struct EntityWrite {
  enum class Kind { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string tenant;
  std::string id;
  std::string bytes;  // encoded entity; empty for kDelete
  // Temporal history written in the same transaction (stores without history ignore it):
  // the attribute instances this change made, and the entity's types (binary Json array)
  // when they are new or changed. A kDelete marks the entity deleted at history_time.
  std::vector<HistoryInstance> history;
  std::optional<std::string> history_types;
  std::int64_t history_time = 0;

  static EntityWrite Put(std::string tenant, std::string id, std::string bytes) {
    EntityWrite w;
    w.tenant = std::move(tenant);
    w.id = std::move(id);
    w.bytes = std::move(bytes);
    return w;
  }
  static EntityWrite Delete(std::string tenant, std::string id) {
    EntityWrite w;
    w.kind = Kind::kDelete;
    w.tenant = std::move(tenant);
    w.id = std::move(id);
    return w;
  }
};

// Counters a store reports for /metrics.
struct StoreStats {
  std::uint64_t commits = 0;           // Commit calls that succeeded
  std::uint64_t transactions = 0;      // database transactions (fewer when batched)
  std::uint64_t commit_micros_sum = 0; // time spent inside transactions
  std::uint64_t checkpoints = 0;       // write-ahead log copies that let it start over (0 if none)
  std::size_t wal_pages = 0;           // pages in the write-ahead log after the last commit
};

class EntityStore {
 public:
  virtual ~EntityStore() = default;

  // Creates or migrates the schema. Call once before anything else.
  virtual Status Open() = 0;
  // Applies all writes in one atomic, durable step and then calls done exactly once with
  // the outcome, from the store's writer thread (or from the calling thread when the store
  // refuses at once, e.g. when closed). Commits are applied in the order they were made:
  // of two CommitAsync calls, the later one never lands before the earlier one.
  // done must not block for long (it delays the next group) and must not call Close().
  using CommitCallback = std::function<void(Status)>;
  virtual void CommitAsync(std::vector<EntityWrite> writes, CommitCallback done) = 0;
  // CommitAsync whose done is run by finish_on. A store may hand it to finish_on straight
  // from its writer, so that no thread of its own wakes up for it; done may then run before
  // the callbacks of earlier commits made with plain CommitAsync. The default reports as
  // CommitAsync does and then hands done to finish_on.
  virtual void CommitAsyncFinishingOn(std::vector<EntityWrite> writes, TaskRunner finish_on,
                                      CommitCallback done) {
    CommitAsync(std::move(writes), [finish_on = std::move(finish_on),
                                    done = std::move(done)](Status s) mutable {
      finish_on([done = std::move(done), s = std::move(s)]() mutable { done(std::move(s)); });
    });
  }
  // CommitAsync, waiting for the outcome.
  Status Commit(std::vector<EntityWrite> writes);
  // The stored bytes of one entity, or nullopt.
  virtual Result<std::optional<std::string>> Get(std::string_view tenant, std::string_view id) = 0;
  // Calls fn for every stored entity of every tenant, in no particular order.
  using ScanFn = std::function<void(std::string_view tenant, std::string_view id,
                                    std::string_view bytes)>;
  virtual Status ScanAll(const ScanFn& fn) = 0;
  // Named small documents (JSON-LD contexts, settings) kept beside the entities.
  virtual Status PutDocument(std::string_view kind, std::string_view key, std::string_view bytes) = 0;
  // PutDocument reporting through done (as CommitAsync does), ordered with CommitAsync: a
  // later CommitAsync never lands before it. The default waits for PutDocument.
  virtual void PutDocumentAsync(std::string_view kind, std::string_view key, std::string_view bytes,
                                CommitCallback done) {
    done(PutDocument(kind, key, bytes));
  }
  virtual Status DeleteDocument(std::string_view kind, std::string_view key) = 0;
  using DocFn = std::function<void(std::string_view key, std::string_view bytes)>;
  virtual Status ScanDocuments(std::string_view kind, const DocFn& fn) = 0;
  virtual StoreStats Stats() const = 0;
  // Flushes and closes; later calls return kUnavailable.
  virtual void Close() = 0;
};

inline Status EntityStore::Commit(std::vector<EntityWrite> writes) {
  // The promise is owned by the callback, so it outlives the writer's set_value.
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> result = done->get_future();
  CommitAsync(std::move(writes), [done](Status s) { done->set_value(std::move(s)); });
  return result.get();
}

}  // namespace dothi::storage
