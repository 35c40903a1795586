#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "geo/geometry.h"

// Mapbox Vector Tile 2.1 encoding of lon/lat geometries for one tile of the WebMercatorQuad
// tile matrix set (https://github.com/mapbox/vector-tile-spec/tree/master/2.1).
//
// A MvtLayerBuilder projects each feature to Web Mercator and then to the tile's integer grid,
// clips it to the tile grown by a buffer, simplifies it at tile resolution, fixes polygon
// winding as the spec requires and encodes it; a MvtTileBuilder concatenates layers into the
// tile's bytes (uncompressed; gzip is the caller's business). No I/O. Longitudes do not wrap:
// a tile at the antimeridian does not show features from the other side.
//
// Threading: builders are plain values, not synchronised; use one per thread (separate
// layers of one tile may be built on separate threads and added to the tile afterwards).
namespace dothi::geo {

// Highest zoom level accepted: x and y stay below 2^30 and tile units stay exact in doubles.
inline constexpr int kMaxTileZoom = 30;
// Latitudes beyond this limit (degrees) are clamped onto it: the edge of the Web Mercator
// square, where the top and bottom tile rows end.
inline constexpr double kMaxMercatorLatitude = 85.0511287798;

// A tile of WebMercatorQuad in the XYZ scheme: zoom z has 2^z x 2^z tiles, x grows eastwards
// from -180 degrees and y grows southwards from the north edge (y = 0 at the top). OGC API
// Tiles' {tileMatrix}/{tileRow}/{tileCol} are z/y/x.
struct TileId {
  int z = 0;
  std::uint32_t x = 0;
  std::uint32_t y = 0;

  // 0 <= z <= kMaxTileZoom and x, y < 2^z. Check this before building a tile from a request.
  bool valid() const {
    return z >= 0 && z <= kMaxTileZoom && x < (std::uint64_t{1} << z) &&
           y < (std::uint64_t{1} << z);
  }
  friend bool operator==(const TileId&, const TileId&) = default;
};

struct MvtOptions {
  // Tile grid size in tile units on each side (the layer's extent); the spec's default.
  std::uint32_t extent = 4096;
  // Margin kept around the tile, in tile units, so that renderers draw strokes and labels
  // across tile edges without seams. Geometries are clipped to [-buffer, extent + buffer].
  std::uint32_t buffer = 64;
  // Douglas-Peucker at a tolerance of 1 tile unit after rounding to the grid. Consecutive
  // duplicate points are always dropped.
  bool simplify = true;
  // Most features one layer keeps; AddFeature refuses more (see MvtLayerBuilder::full()).
  std::size_t max_features = 200000;
};

// The tile's lon/lat box (its Web Mercator square; latitudes within kMaxMercatorLatitude).
BBox TileBBox(const TileId& tile);

// The lon/lat box holding every position a MvtLayerBuilder for this tile keeps: the tile
// grown by options.buffer tile units on each side, longitudes cut at +-180, and reaching
// latitude 90 (-90) in the top (bottom) row since positions beyond the Mercator limit are
// clamped onto the edge. Query a spatial index with this box to find a tile's candidates.
BBox BufferedTileBBox(const TileId& tile, const MvtOptions& options = {});

// Builds one layer (version 2) of one tile. AddFeature projects, clips, simplifies and
// encodes the feature at once, so the builder holds only encoded bytes and its scratch
// buffers, which it reuses from feature to feature (no allocation per point).
//
// Geometry types: Point and MultiPoint become POINT features, (Multi)LineString LINESTRING
// and (Multi)Polygon POLYGON. Lines are cut where they leave the buffered tile (a line that
// leaves and comes back becomes several parts). Polygon rings are clipped one by one to the
// buffered tile (Sutherland-Hodgman, so a concave ring crossing the edge may keep zero-width
// slivers along it); a ring left with fewer than 3 distinct points or zero area is dropped,
// and a polygon whose exterior ring is dropped goes with its holes. Exterior rings are
// written with positive area by the spec's surveyor's formula (clockwise with y down),
// holes with negative area, whatever the input orientation.
//
// Properties are a flat Json object: strings become string_value, integers int_value
// (sint_value when negative), doubles double_value, booleans bool_value, objects and arrays
// their JSON text as a string_value; null members are left out. Keys are stored once per
// layer and so are values, except those of a key whose first 64 values in the layer were
// all different (addresses, areas): its later values are appended without looking for an
// equal one, which is where the time of a layer of many features went (a value that does
// repeat is then stored twice, against the spec's SHOULD NOT in 4.1; decoders accept it).
// A properties value that is not an object adds no tags.
class MvtLayerBuilder {
 public:
  // tile must be valid(), options.extent > 0 and extent + 2 * buffer < 2^30 (programmer
  // errors otherwise).
  MvtLayerBuilder(std::string_view name, const TileId& tile, const MvtOptions& options = {});
  ~MvtLayerBuilder();
  MvtLayerBuilder(MvtLayerBuilder&&) noexcept;
  MvtLayerBuilder& operator=(MvtLayerBuilder&&) noexcept;
  MvtLayerBuilder(const MvtLayerBuilder&) = delete;
  MvtLayerBuilder& operator=(const MvtLayerBuilder&) = delete;

  // Adds one feature; id is the feature's optional id (the spec asks for ids unique within
  // the layer). Returns false when nothing of the geometry is left in the buffered tile
  // after clipping and simplification, or when the layer is full(); the layer is unchanged.
  bool AddFeature(std::optional<std::uint64_t> id, const Geometry& lonlat_geometry,
                  const Json& properties);
  // The same with one more string property, key: value, written first; a member of
  // properties with that key is left out. For a feature's text id (MVT ids are integers)
  // without copying its properties: value is taken to be unique in the layer and is added
  // to its value table without looking for an equal entry.
  bool AddFeature(std::optional<std::uint64_t> id, const Geometry& lonlat_geometry,
                  const Json& properties, std::string_view key, std::string_view value);

  std::string_view name() const;
  const TileId& tile() const;
  std::size_t num_features() const;
  bool empty() const { return num_features() == 0; }
  // True once the layer holds options.max_features features.
  bool full() const;

  // Starts a new, empty layer, keeping the buffers' capacity (for reuse across tiles) up to
  // 1 MiB each, so that an idle builder holds a few MiB at most.
  void Reset(std::string_view name, const TileId& tile);

 private:
  friend class MvtTileBuilder;
  struct Impl;
  bool Add(std::optional<std::uint64_t> id, const Geometry& lonlat_geometry,
           const Json& properties, const std::string_view* key, std::string_view value);
  std::unique_ptr<Impl> impl_;
};

// Collects layers into one tile. Not synchronised; one tile per builder.
class MvtTileBuilder {
 public:
  // Appends the layer's current features as the tile's next layer; an empty layer is
  // omitted. Layer names must differ within a tile (spec 4.1).
  void AddLayer(const MvtLayerBuilder& layer);

  // True when no layer with features was added (the tile's bytes are then empty).
  bool empty() const { return bytes_.empty(); }
  // The tile's encoded size so far, in bytes.
  std::size_t size() const { return bytes_.size(); }

  // The tile's bytes (an uncompressed vector_tile.Tile message); leaves the builder empty.
  std::string Finish();

 private:
  std::string bytes_;
  std::vector<std::string> layer_names_;  // to check the spec's unique-name rule
};

}  // namespace dothi::geo
