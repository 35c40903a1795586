#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/result.h"
#include "storage/layer_store.h"

// The embedded LayerStore: one SQLite database file (`layers.db` in the data directory),
// WAL mode, synchronous=FULL, separate from the entity store so that a large import never
// holds up entity writes. Tables:
//   layers(tenant, name, version, info)                  one row per layer
//   layer_features(tenant, name, version, seq, id, geometry, properties)
// info, geometry (GeoJSON) and properties are dothi's binary JSON. A replacement inserts the
// new version's rows, points the layer row at it and deletes the old rows, in one
// transaction. One connection behind a mutex: layers are read once at start and written by
// imports, so there is no contention to speak of.
namespace dothi::storage::sqlite {

class SqliteLayerStore final : public LayerStore {
 public:
  // Opens (creating when missing) the database at path.
  static Result<std::unique_ptr<SqliteLayerStore>> Open(const std::string& path);
  ~SqliteLayerStore() override;

  Result<std::vector<domain::LayerInfo>> List() override;
  Result<std::int64_t> Replace(domain::LayerInfo& info,
                               const std::vector<domain::LayerFeature>& features,
                               std::optional<std::int64_t> expected_version) override;
  Status UpdateInfo(const domain::LayerInfo& info) override;
  Status Load(const std::string& tenant, const std::string& name, std::int64_t version,
              const std::function<Status(domain::LayerFeature&&)>& fn) override;
  Status Delete(const std::string& tenant, const std::string& name,
                std::optional<std::int64_t> expected_version) override;
  Result<std::uint64_t> ChangeCounter() override;

 private:
  struct Impl;
  explicit SqliteLayerStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dothi::storage::sqlite
