#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "domain/layer.h"
#include "geo/crs.h"
#include "geo/geometry.h"
#include "geo/spatial_index.h"
#include "storage/feature_source.h"
#include "storage/layer_store.h"

// LayerService owns the imported GIS layers: it imports a file's features (CRS conversion
// to CRS84, validation and repair, all or nothing), keeps every layer in memory with a
// spatial index for the OGC API, the tiles and the planning lookup, and follows the store
// when another process (`dothi import`) replaces a layer. Every call is scoped to
// ctx.tenant: a tenant never sees another's layers. Safe from any thread: readers get an
// immutable snapshot (LayerData) that an import swaps, never changes.
namespace dothi::service {

// One version of one layer, in memory. Immutable; share it as shared_ptr<const LayerData>.
class LayerData {
 public:
  LayerData(domain::LayerInfo info, std::vector<domain::LayerFeature> features);
  LayerData(const LayerData&) = delete;
  LayerData& operator=(const LayerData&) = delete;

  const domain::LayerInfo& info() const { return info_; }
  const std::vector<domain::LayerFeature>& features() const { return features_; }
  // The index of a feature by id, or -1.
  std::ptrdiff_t Find(std::string_view id) const;
  // Calls fn(index) for the features whose geometry's box intersects box (a superset of
  // those whose geometry does), in no particular order, until fn returns false.
  void Candidates(const geo::BBox& box, const std::function<bool(std::size_t)>& fn) const;
  // Calls fn(index) for each polygonal feature containing the point (boundary included), in
  // import order.
  void Containing(double lon, double lat, const std::function<void(std::size_t)>& fn) const;
  // The prepared form of a polygonal feature's geometry (nullptr for other features).
  const geo::PreparedGeometry* Prepared(std::size_t index) const { return prepared_[index].get(); }
  // For name search: per feature, the values of the mapped name-like planning fields
  // (name, plan_name, zone_code, commune, address) folded (domain::FoldForSearch, case and
  // accents), one per field in that order ("" when unmapped). Built on first use.
  const std::vector<std::array<std::string, 5>>& FoldedNames() const;
  static const std::array<std::string_view, 5>& NameFields();

 private:
  domain::LayerInfo info_;
  std::vector<domain::LayerFeature> features_;
  std::unordered_map<std::string_view, std::size_t> by_id_;
  geo::SpatialIndex index_;
  std::vector<std::unique_ptr<geo::PreparedGeometry>> prepared_;
  mutable std::once_flag names_once_;
  mutable std::vector<std::array<std::string, 5>> folded_names_;
};

enum class InvalidGeometryPolicy { kRepair, kRefuse };

struct LayerImport {
  std::string name;   // the layer (collection id); see domain::ValidateLayerName
  std::string title;  // "" keeps the previous title, or the name for a new layer
  std::string source_name;  // the file name, for the record
  std::optional<geo::Crs> srs;  // the source coordinates' CRS when the file's is wrong/absent
  bool replace = false;  // an existing layer is replaced (else AlreadyExists)
  std::optional<std::int64_t> expected_version;  // replace only this version (Conflict else)
  InvalidGeometryPolicy invalid = InvalidGeometryPolicy::kRepair;
  // When set, features with the same value of this property become one (their polygons'
  // union, id the value, the properties all of them share): old provinces into new ones.
  std::string dissolve_by;
  std::optional<domain::LayerRole> role;  // absent: keep the previous (general for new)
  std::optional<std::vector<std::pair<std::string, std::string>>> fields;  // as role
};

struct LayerImportReport {
  domain::LayerInfo info;  // as stored (version, extent, properties)
  std::string crs;         // the CRS the coordinates were read in
  std::string note;        // a warning about that CRS, or ""
  // Features whose geometry was invalid and is stored repaired: id and GEOS's reason.
  std::vector<std::pair<std::string, std::string>> repaired;
};

class LayerService {
 public:
  struct Limits {
    std::size_t max_features = 2'000'000;  // per layer
    std::size_t max_vertices = 1'000'000;  // per feature
  };

  explicit LayerService(storage::LayerStore& store) : LayerService(store, Limits{}) {}
  LayerService(storage::LayerStore& store, Limits limits);

  // Reads every layer from the store (at start), or the ones that changed since.
  Status Refresh();
  // Refresh, when the store's change counter moved since the last look.
  Status RefreshIfChanged();

  // Imports source as layer request.name of ctx.tenant, replacing it atomically.
  // Errors: InvalidRequest (bad name, no CRS and coordinates not lon/lat, CRS unknown to
  // PROJ), BadRequestData (geometries refused: their count and the first ids), AlreadyExists
  // (the layer exists and replace is false), Conflict (expected_version differs). On error
  // nothing changes.
  Result<LayerImportReport> Import(const RequestContext& ctx, const LayerImport& request,
                                   storage::SourceLayer source);

  // Sets a layer's role and planning field mapping (each field's property must exist).
  // Errors: NotFound, InvalidRequest (unknown field or property).
  Result<domain::LayerInfo> SetRole(const RequestContext& ctx, std::string_view name,
                                    domain::LayerRole role,
                                    std::vector<std::pair<std::string, std::string>> fields);

  // Errors: NotFound.
  Status Delete(const RequestContext& ctx, std::string_view name);

  // ctx.tenant's layers, by name.
  std::vector<std::shared_ptr<const LayerData>> Layers(const RequestContext& ctx) const;
  // One layer, or nullptr.
  std::shared_ptr<const LayerData> Layer(const RequestContext& ctx, std::string_view name) const;

  // Called after a layer of a tenant changed or went away (tile caches listen).
  void SetChangeListener(std::function<void(const std::string& tenant, const std::string& name)> fn);

 private:
  using TenantLayers = std::map<std::string, std::shared_ptr<const LayerData>, std::less<>>;
  void Put(const std::string& tenant, std::shared_ptr<const LayerData> data);
  void Notify(const std::string& tenant, const std::string& name);

  storage::LayerStore& store_;
  Limits limits_;
  mutable std::mutex mu_;
  std::map<std::string, TenantLayers, std::less<>> layers_;  // guarded by mu_
  std::optional<std::uint64_t> seen_counter_;                // guarded by refresh_mu_
  std::mutex refresh_mu_;  // one Refresh or Import at a time
  std::function<void(const std::string&, const std::string&)> listener_;
};

}  // namespace dothi::service
