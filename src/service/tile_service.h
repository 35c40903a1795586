#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "geo/geometry.h"
#include "geo/mvt.h"
#include "service/entity_service.h"
#include "service/feature_service.h"
#include "service/layer_service.h"
#include "service/tile_cache.h"

// TileService makes Mapbox Vector Tiles (WebMercatorQuad) of a tenant's collections: one
// MVT layer per collection, named by the collection id. Layers' features come from their
// spatial index (LayerData::Candidates over the tile grown by the encoder's buffer),
// entity types' from an EntityService bbox query; the encoder (geo/mvt.h) clips, simplifies
// at tile resolution and encodes. Every feature carries its text id as the string property
// "id"; a layer feature's MVT id is its index in the layer + 1, an entity's a hash of its id.
//
// A tile holds at most Options::max_features features: beyond that the largest (by bounding
// box) are kept, layers before entity types, and the result says it was truncated. Tiles
// made of layers only are kept gzip-compressed in a TileCache, dropped when one of their
// layers changes (OnLayerChanged, wired to LayerService's change listener); tiles that show
// an entity type are made for each request. Tenant isolation is LayerService's and
// EntityService's. Safe from any thread.
namespace dothi::service {

struct TileServiceOptions {
  // Most features in one tile, over all its layers; the largest are kept beyond it.
  std::size_t max_features = 50'000;
  // Bytes of tiles kept in the cache (gzip bytes, keys and overhead); 0: no cache.
  std::size_t cache_bytes = std::size_t{64} << 20;
  // Highest zoom served (the tile matrix set limits); WebMercatorQuad defines 0 to 24.
  int max_zoom = 22;
  // In a dataset (multi-layer) tile, parcel layers (LayerRole::kParcel) appear from this
  // zoom on: below it they are thousands of specks per tile. Single-collection tiles serve
  // every zoom.
  int parcel_min_zoom = 14;
  // zlib level of the gzip bytes (1 fastest .. 9 smallest).
  int gzip_level = 1;
};

struct TileQuery {
  geo::TileId tile;
  // Collection ids, in the tile's layer order. Empty: every layer of the tenant (not its
  // entity types), in name order.
  std::vector<std::string> collections;
  // A dataset (multi-layer) tile: layers with a minimum zoom stay out below it.
  bool dataset = false;
  // The caller wants the bytes gzip-compressed (else the plain MVT message).
  bool gzip = false;
};

struct TileResult {
  std::string bytes;  // gzip when gzip is set; "" for an empty tile
  bool gzip = false;
  std::string etag;        // 16 hex digits: a hash of the uncompressed tile
  bool empty = false;      // no feature in the tile
  bool truncated = false;  // the feature limit left features out
  bool cacheable = false;  // made of layers only: the same bytes until a layer changes
  bool from_cache = false;
};

enum class TileGeometry { kPoint, kLine, kPolygon };

// What a collection looks like in tiles (for tileset metadata, TileJSON and styles).
struct TileLayerInfo {
  std::string id;
  std::string title;
  bool entity_type = false;
  TileGeometry geometry = TileGeometry::kPoint;  // the kind most of its features have
  int min_zoom = 0;  // in this tile set (dataset tiles: parcels from parcel_min_zoom)
  int max_zoom = 22;
  geo::BBox bounds;  // CRS84 extent; empty when not known (entity types)
  // Property name -> JSON schema type ("string", "number", ...; "" when unknown), plus "id".
  std::vector<std::pair<std::string, std::string>> properties;
  std::string land_use_property;  // the property mapped to the planning field land_use, or ""
};

class TileService {
 public:
  TileService(EntityService& entities, LayerService& layers, FeatureService& features,
              TileServiceOptions options);

  // The tile. Errors: NotFound (tile outside 0..max_zoom or its matrix, unknown collection),
  // NonexistentTenant, BadRequestData (a collection named twice).
  Result<TileResult> Tile(const RequestContext& ctx, const TileQuery& query) const;

  // The collections as tile layers (empty: every layer of the tenant). Errors as Tile.
  Result<std::vector<TileLayerInfo>> Layers(const RequestContext& ctx,
                                            const std::vector<std::string>& collections,
                                            bool dataset) const;

  // Drops the cached tiles that show the layer; LayerService's change listener.
  void OnLayerChanged(const std::string& tenant, const std::string& name);

  TileCache::Stats CacheStats() const { return cache_.stats(); }
  // Runs fn after a tile is built and before it is offered to the cache (to change a layer
  // in between). Set before any call to Tile.
  void SetBeforeCacheInsertForTesting(std::function<void()> fn) { before_insert_ = std::move(fn); }
  const TileServiceOptions& options() const { return options_; }

  // The gzip bytes of data at level, and back. Errors: Internal (zlib failed),
  // BadRequestData (not gzip data).
  static Result<std::string> Gzip(std::string_view data, int level);
  static Result<std::string> Gunzip(std::string_view gzip);
  // The ETag value (16 hex digits, unquoted) of a tile's uncompressed bytes.
  static std::string Etag(std::string_view bytes);

 private:
  struct Part;
  Result<std::vector<Part>> Resolve(const RequestContext& ctx,
                                    const std::vector<std::string>& collections, bool dataset,
                                    bool* cacheable) const;

  EntityService& entities_;
  LayerService& layers_;
  FeatureService& features_;
  TileServiceOptions options_;
  // Idle layer builders, so that a tile reuses buffers grown by earlier tiles instead of
  // allocating (and page-faulting) its own.
  std::unique_ptr<geo::MvtLayerBuilder> TakeBuilder() const;  // nullptr when none is idle
  void GiveBuilder(std::unique_ptr<geo::MvtLayerBuilder> builder) const;

  mutable TileCache cache_;
  mutable std::mutex pool_mu_;
  mutable std::vector<std::unique_ptr<geo::MvtLayerBuilder>> pool_;  // guarded by pool_mu_
  std::function<void()> before_insert_;                              // tests only
};

}  // namespace dothi::service
