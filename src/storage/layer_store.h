#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "domain/layer.h"

// LayerStore keeps the imported GIS layers (domain/layer.h) of every tenant. A layer is
// replaced whole, in one transaction: readers see the old version or the new one, never a
// mix, and a failed import leaves the old one. Implementations are safe to call from any
// thread; another process may write the same store (the `dothi import` command beside a
// running server), which ChangeCounter reveals.
namespace dothi::storage {

class LayerStore {
 public:
  virtual ~LayerStore() = default;

  // Every layer's description (no features), ordered by tenant and name.
  virtual Result<std::vector<domain::LayerInfo>> List() = 0;

  // Stores info and features as the new version of (info.tenant, info.name): the current
  // version + 1 (1 for a new layer), written to info.version and returned. When
  // expected_version is set, the current version must equal it (0: the layer must not
  // exist), else Conflict and nothing changes. Durable when it returns.
  virtual Result<std::int64_t> Replace(domain::LayerInfo& info,
                                       const std::vector<domain::LayerFeature>& features,
                                       std::optional<std::int64_t> expected_version) = 0;

  // Rewrites a layer's description (role, planning fields, title) without its features.
  // info.version must be the current version, else Conflict. NotFound for no such layer.
  virtual Status UpdateInfo(const domain::LayerInfo& info) = 0;

  // Calls fn with each feature of that version of the layer, in import order.
  // NotFound when the version is not the stored one.
  virtual Status Load(const std::string& tenant, const std::string& name, std::int64_t version,
                      const std::function<Status(domain::LayerFeature&&)>& fn) = 0;

  // Removes a layer. NotFound when absent; Conflict when expected_version is set and differs.
  virtual Status Delete(const std::string& tenant, const std::string& name,
                        std::optional<std::int64_t> expected_version) = 0;

  // A number that changes whenever a commit, by this or another process, may have changed
  // a layer. Cheap (no table read).
  virtual Result<std::uint64_t> ChangeCounter() = 0;
};

}  // namespace dothi::storage
