#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"

// EntityStore persists NGSI-LD entities, each scoped to one tenant, as opaque encoded
// bytes (domain::Entity::Encode). It is the store of record: services keep in-memory
// indexes and rebuild them from ScanAll on start.
// Implementations are safe to call from several threads; each Commit is atomic and durable
// when it returns OK (it survives kill -9). Implementations batch concurrent commits into
// one transaction (group commit).
namespace dothi::storage {

struct EntityWrite {
  enum class Kind { kPut, kDelete };
  Kind kind = Kind::kPut;
  std::string tenant;
  std::string id;
  std::string bytes;  // encoded entity; empty for kDelete
};

// Counters a store reports for /metrics.
struct StoreStats {
  std::uint64_t commits = 0;           // Commit calls that succeeded
  std::uint64_t transactions = 0;      // database transactions (fewer when batched)
  std::uint64_t commit_micros_sum = 0; // time spent inside transactions
};

class EntityStore {
 public:
  virtual ~EntityStore() = default;

  // Creates or migrates the schema. Call once before anything else.
  virtual Status Open() = 0;
  // Applies all writes in one atomic, durable step. Blocks until committed.
  virtual Status Commit(std::vector<EntityWrite> writes) = 0;
  // The stored bytes of one entity, or nullopt.
  virtual Result<std::optional<std::string>> Get(std::string_view tenant, std::string_view id) = 0;
  // Calls fn for every stored entity of every tenant, in no particular order.
  using ScanFn = std::function<void(std::string_view tenant, std::string_view id,
                                    std::string_view bytes)>;
  virtual Status ScanAll(const ScanFn& fn) = 0;
  // Named small documents (JSON-LD contexts, settings) kept beside the entities.
  virtual Status PutDocument(std::string_view kind, std::string_view key, std::string_view bytes) = 0;
  virtual Status DeleteDocument(std::string_view kind, std::string_view key) = 0;
  using DocFn = std::function<void(std::string_view key, std::string_view bytes)>;
  virtual Status ScanDocuments(std::string_view kind, const DocFn& fn) = 0;
  virtual StoreStats Stats() const = 0;
  // Flushes and closes; later calls return kUnavailable.
  virtual void Close() = 0;
};

}  // namespace dothi::storage
