#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "service/tile_service.h"

// Renderings of the OGC API - Tiles resources: the WebMercatorQuad tile matrix set (OGC
// 17-083r4, TMS 2.0 JSON), tilesets lists and tileset metadata, TileJSON 3.0.0 and a
// MapLibre (Mapbox GL v8) style. `base` is the absolute URL of the /ogc mount. Pure
// functions; safe from any thread.
namespace dothi::api::tiles {

inline constexpr const char* kWebMercatorQuad = "WebMercatorQuad";
inline constexpr const char* kMvtType = "application/vnd.mapbox-vector-tile";
inline constexpr const char* kStyleType = "application/vnd.mapbox.style+json";
inline constexpr const char* kTileJsonType = "application/vnd.mapbox.tile+json";
// Zoom levels WebMercatorQuad defines (0 to 24).
inline constexpr int kTileMatrixCount = 25;

Json TileMatrixSetsJson(const std::string& base);
// The standard definition of WebMercatorQuad (zoom 0 to 24, 256-pixel tiles).
Json WebMercatorQuadJson(const std::string& base);

// One tile set as its resources name it.
struct TileSetUrls {
  std::string tileset;   // .../tiles/WebMercatorQuad
  std::string tiles;     // .../tiles/WebMercatorQuad/{z}/{y}/{x}-style template without query
  std::string query;     // "" or "?collections=..." appended to tile URLs
  std::string tilesets;  // .../tiles (the list)
};

// {"tilesets": [one WebMercatorQuad vector tileset], "links": [...]}
Json TileSetsJson(const std::string& base, const TileSetUrls& urls, const std::string& title);

// Tileset metadata: dataType vector, tile matrix set (URI, link, limits to max_zoom), one
// entry per layer (geometry dimension, zooms, properties schema), the bounding box and the
// tile URL template ({tileMatrix}/{tileRow}/{tileCol}).
Json TileSetJson(const std::string& base, const TileSetUrls& urls, const std::string& title,
                 const std::vector<service::TileLayerInfo>& layers, int max_zoom);

// TileJSON 3.0.0: tiles ({z}/{y}/{x}), vector_layers with their fields, zooms, bounds, center.
Json TileJson(const TileSetUrls& urls, const std::string& title,
              const std::vector<service::TileLayerInfo>& layers, int max_zoom);

Json StylesJson(const std::string& base);

// A MapLibre style over the tenant's dataset: source "layers" (the imported layers' dataset
// tiles) and, when there are entity types, source "entities" (their dataset tiles); fill and
// outline for polygons (planning and parcel layers coloured by land-use code), line for
// lines, circle for points.
Json StyleJson(const std::string& base, const std::vector<service::TileLayerInfo>& layers,
               const std::vector<service::TileLayerInfo>& entity_types);

}  // namespace dothi::api::tiles
