#include "api/tiles/tiles_render.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "http/request.h"

namespace dothi::api::tiles {
namespace {

constexpr const char* kCrs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
constexpr const char* kCrs3857 = "http://www.opengis.net/def/crs/EPSG/0/3857";
constexpr const char* kWebMercatorQuadUri =
    "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
constexpr const char* kRelTilingScheme = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
constexpr const char* kRelTilesetsVector = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
constexpr double kOriginMetres = 20037508.3427892;  // half the Web Mercator square's side
constexpr double kCellSize0 = 156543.033928041;     // metres per pixel at zoom 0
constexpr double kPixelMetres = 0.00028;            // the standardised rendering pixel
constexpr int kTileSize = 256;                      // pixels; WebMercatorQuad's tiles
constexpr double kMaxLatitude = 85.0511287798;      // the Web Mercator square's edge
constexpr int kCenterZoom = 14;                     // TileJSON center zoom of a dataset

Json Link(std::string href, const char* rel, const char* type, std::string title = {}) {
  Json l = Json::MakeObject({{"href", std::move(href)}, {"rel", rel}, {"type", type}});
  if (!title.empty()) l.Set("title", std::move(title));
  return l;
}

int GeometryDimension(service::TileGeometry g) {
  switch (g) {
    case service::TileGeometry::kPoint:
      return 0;
    case service::TileGeometry::kLine:
      return 1;
    case service::TileGeometry::kPolygon:
      return 2;
  }
  return 0;
}

geo::BBox Union(const std::vector<service::TileLayerInfo>& layers) {
  geo::BBox b;
  for (const auto& l : layers) {
    if (!l.bounds.empty()) b.Extend(l.bounds);
  }
  return b;
}

// Where a map of the layers opens: the smallest extent (a district rather than the country
// around it when both are there).
geo::BBox Focus(const std::vector<service::TileLayerInfo>& layers) {
  geo::BBox best;
  double best_area = 0;
  for (const auto& l : layers) {
    if (l.bounds.empty()) continue;
    const double a = (l.bounds.max_x - l.bounds.min_x) * (l.bounds.max_y - l.bounds.min_y);
    if (best.empty() || a < best_area) {
      best = l.bounds;
      best_area = a;
    }
  }
  return best;
}

Json Array4(double a, double b, double c, double d) {
  return Json(Json::Array{Json(a), Json(b), Json(c), Json(d)});
}

// Land-use code -> fill colour, in the spirit of Vietnamese planning maps (residential
// orange, trade red, green space green, water blue...). Approximate: not the official
// symbol table.
constexpr std::pair<const char*, const char*> kLandUseColours[] = {
    {"ODT", "#f4a460"}, {"ONT", "#f8c99c"}, {"OTC", "#f4a460"}, {"TMD", "#e8505b"},
    {"SKC", "#b07aa1"}, {"TSC", "#c0392b"}, {"DTS", "#d35454"}, {"CQP", "#6d4c41"},
    {"CAN", "#6d4c41"}, {"DGD", "#f6c945"}, {"DYT", "#ff7f7f"}, {"DVH", "#b39ddb"},
    {"DTT", "#66bb6a"}, {"DKV", "#9ccc65"}, {"CXX", "#4caf50"}, {"DDD", "#a1887f"},
    {"DDT", "#a1887f"}, {"TON", "#8d6e63"}, {"TIN", "#bcaaa4"}, {"NTD", "#9e9e9e"},
    {"DGT", "#c8c8c8"}, {"DTL", "#81d4fa"}, {"SON", "#64b5f6"}, {"MNC", "#64b5f6"},
    {"DCH", "#ff8a65"}, {"DNL", "#ffb74d"}, {"SKK", "#9575cd"}, {"SKN", "#9575cd"},
    {"LUC", "#dce775"}, {"HNK", "#e6ee9c"}, {"CLN", "#aed581"}, {"NTS", "#4dd0e1"},
};
// Colours of layers and types without a land-use field, in order.
constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

}  // namespace

Json TileMatrixSetsJson(const std::string& base) {
  const std::string href = base + "/tileMatrixSets/" + kWebMercatorQuad;
  Json links = Json::MakeArray();
  links.Push(Link(href, "self", "application/json", "the WebMercatorQuad tile matrix set"));
  Json sets = Json::MakeArray();
  sets.Push(Json::MakeObject({{"id", kWebMercatorQuad},
                              {"title", "Google Maps Compatible for the World"},
                              {"uri", kWebMercatorQuadUri},
                              {"crs", kCrs3857},
                              {"links", std::move(links)}}));
  Json self = Json::MakeArray();
  self.Push(Link(base + "/tileMatrixSets", "self", "application/json", "this document"));
  return Json::MakeObject({{"tileMatrixSets", std::move(sets)}, {"links", std::move(self)}});
}

Json WebMercatorQuadJson(const std::string& base) {
  Json matrices = Json::MakeArray();
  for (int z = 0; z < kTileMatrixCount; ++z) {
    const double cell = kCellSize0 / std::ldexp(1.0, z);
    const auto n = static_cast<std::int64_t>(std::int64_t{1} << z);
    matrices.Push(Json::MakeObject(
        {{"id", std::to_string(z)},
         {"scaleDenominator", cell / kPixelMetres},
         {"cellSize", cell},
         {"cornerOfOrigin", "topLeft"},
         {"pointOfOrigin", Json(Json::Array{Json(-kOriginMetres), Json(kOriginMetres)})},
         {"tileWidth", kTileSize},
         {"tileHeight", kTileSize},
         {"matrixWidth", n},
         {"matrixHeight", n}}));
  }
  Json links = Json::MakeArray();
  links.Push(Link(base + "/tileMatrixSets/" + kWebMercatorQuad, "self", "application/json",
                  "this document"));
  return Json::MakeObject(
      {{"id", kWebMercatorQuad},
       {"title", "Google Maps Compatible for the World"},
       {"uri", kWebMercatorQuadUri},
       {"crs", kCrs3857},
       {"orderedAxes", Json(Json::Array{Json("X"), Json("Y")})},
       {"wellKnownScaleSet", "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible"},
       {"tileMatrices", std::move(matrices)},
       {"links", std::move(links)}});
}

Json TileSetsJson(const std::string& base, const TileSetUrls& urls, const std::string& title) {
  Json links = Json::MakeArray();
  links.Push(Link(urls.tileset + urls.query, "self", "application/json", "the tileset"));
  links.Push(Link(base + "/tileMatrixSets/" + kWebMercatorQuad, kRelTilingScheme,
                  "application/json", "the tile matrix set"));
  Json sets = Json::MakeArray();
  sets.Push(Json::MakeObject({{"title", title},
                              {"dataType", "vector"},
                              {"crs", kCrs3857},
                              {"tileMatrixSetURI", kWebMercatorQuadUri},
                              {"links", std::move(links)}}));
  Json self = Json::MakeArray();
  self.Push(Link(urls.tilesets + urls.query, "self", "application/json", "this document"));
  return Json::MakeObject({{"tilesets", std::move(sets)}, {"links", std::move(self)}});
}

Json TileSetJson(const std::string& base, const TileSetUrls& urls, const std::string& title,
                 const std::vector<service::TileLayerInfo>& layers, int max_zoom) {
  Json limits = Json::MakeArray();
  for (int z = 0; z <= max_zoom; ++z) {
    const std::int64_t last = (std::int64_t{1} << z) - 1;
    limits.Push(Json::MakeObject({{"tileMatrix", std::to_string(z)},
                                  {"minTileRow", 0},
                                  {"maxTileRow", last},
                                  {"minTileCol", 0},
                                  {"maxTileCol", last}}));
  }
  Json ls = Json::MakeArray();
  for (const service::TileLayerInfo& l : layers) {
    Json props = Json::MakeObject();
    for (const auto& [name, type] : l.properties) {
      Json p = Json::MakeObject();
      if (!type.empty()) p.Set("type", type);
      props.Set(name, std::move(p));
    }
    Json layer = Json::MakeObject(
        {{"id", l.id},
         {"title", l.title},
         {"dataType", "vector"},
         {"geometryDimension", GeometryDimension(l.geometry)},
         {"minTileMatrix", std::to_string(l.min_zoom)},
         {"maxTileMatrix", std::to_string(l.max_zoom)},
         {"propertiesSchema",
          Json::MakeObject({{"type", "object"}, {"properties", std::move(props)}})}});
    if (!l.bounds.empty()) {
      layer.Set("boundingBox",
                Json::MakeObject(
                    {{"lowerLeft", Json(Json::Array{Json(l.bounds.min_x), Json(l.bounds.min_y)})},
                     {"upperRight", Json(Json::Array{Json(l.bounds.max_x), Json(l.bounds.max_y)})},
                     {"crs", kCrs84}}));
    }
    ls.Push(std::move(layer));
  }
  Json links = Json::MakeArray();
  links.Push(Link(urls.tileset + urls.query, "self", "application/json", "this document"));
  links.Push(Link(urls.tileset + (urls.query.empty() ? "?f=tilejson" : urls.query + "&f=tilejson"),
                  "alternate", kTileJsonType, "this tileset as TileJSON"));
  links.Push(Link(base + "/tileMatrixSets/" + kWebMercatorQuad, kRelTilingScheme,
                  "application/json", "the tile matrix set"));
  Json item = Link(urls.tiles + "/{tileMatrix}/{tileRow}/{tileCol}" + urls.query, "item", kMvtType,
                   "the tiles (Mapbox Vector Tile)");
  item.Set("templated", true);
  links.Push(std::move(item));
  Json out = Json::MakeObject({{"title", title},
                               {"dataType", "vector"},
                               {"crs", kCrs3857},
                               {"tileMatrixSetURI", kWebMercatorQuadUri},
                               {"tileMatrixSetLimits", std::move(limits)},
                               {"layers", std::move(ls)},
                               {"links", std::move(links)}});
  const geo::BBox b = Union(layers);
  if (!b.empty()) {
    out.Set("boundingBox",
            Json::MakeObject({{"lowerLeft", Json(Json::Array{Json(b.min_x), Json(b.min_y)})},
                              {"upperRight", Json(Json::Array{Json(b.max_x), Json(b.max_y)})},
                              {"crs", kCrs84}}));
    const geo::BBox f = Focus(layers);
    out.Set("centerPoint",
            Json::MakeObject({{"coordinates", Json(Json::Array{Json((f.min_x + f.max_x) / 2),
                                                               Json((f.min_y + f.max_y) / 2)})},
                              {"tileMatrix", std::to_string(std::min(kCenterZoom, max_zoom))},
                              {"crs", kCrs84}}));
  }
  return out;
}

Json TileJson(const TileSetUrls& urls, const std::string& title,
              const std::vector<service::TileLayerInfo>& layers, int max_zoom) {
  Json vector_layers = Json::MakeArray();
  int min_zoom = max_zoom;
  for (const service::TileLayerInfo& l : layers) {
    Json fields = Json::MakeObject();
    for (const auto& [name, type] : l.properties) fields.Set(name, type.empty() ? "value" : type);
    vector_layers.Push(Json::MakeObject({{"id", l.id},
                                         {"description", l.title},
                                         {"fields", std::move(fields)},
                                         {"minzoom", l.min_zoom},
                                         {"maxzoom", l.max_zoom}}));
    min_zoom = std::min(min_zoom, l.min_zoom);
  }
  if (layers.empty()) min_zoom = 0;
  Json tiles = Json::MakeArray();
  tiles.Push(urls.tiles + "/{z}/{y}/{x}" + urls.query);
  geo::BBox b = Union(layers);
  Json out = Json::MakeObject({{"tilejson", "3.0.0"},
                               {"name", title},
                               {"scheme", "xyz"},
                               {"tiles", std::move(tiles)},
                               {"vector_layers", std::move(vector_layers)},
                               {"minzoom", min_zoom},
                               {"maxzoom", max_zoom}});
  if (b.empty()) {
    out.Set("bounds", Array4(-180, -kMaxLatitude, 180, kMaxLatitude));
    out.Set("center", Json(Json::Array{Json(0.0), Json(0.0), Json(min_zoom)}));
  } else {
    const geo::BBox f = Focus(layers);
    out.Set("bounds", Array4(b.min_x, b.min_y, b.max_x, b.max_y));
    out.Set("center", Json(Json::Array{Json((f.min_x + f.max_x) / 2), Json((f.min_y + f.max_y) / 2),
                                       Json(std::clamp(kCenterZoom, min_zoom, max_zoom))}));
  }
  return out;
}

Json StylesJson(const std::string& base) {
  Json links = Json::MakeArray();
  links.Push(Link(base + "/styles/default", "stylesheet", kStyleType, "MapLibre style"));
  Json styles = Json::MakeArray();
  styles.Push(Json::MakeObject({{"id", "default"},
                                {"title", "Bản đồ mặc định / Default map"},
                                {"links", std::move(links)}}));
  Json self = Json::MakeArray();
  self.Push(Link(base + "/styles", "self", "application/json", "this document"));
  return Json::MakeObject({{"styles", std::move(styles)}, {"links", std::move(self)}});
}

Json StyleJson(const std::string& base, const std::vector<service::TileLayerInfo>& layers,
               const std::vector<service::TileLayerInfo>& entity_types) {
  Json sources = Json::MakeObject();
  sources.Set("layers",
              Json::MakeObject({{"type", "vector"},
                                {"url", base + "/tiles/" + kWebMercatorQuad + "?f=tilejson"}}));
  if (!entity_types.empty()) {
    std::string ids;
    for (const auto& t : entity_types) ids += (ids.empty() ? "" : ",") + http::PercentEncode(t.id);
    sources.Set("entities", Json::MakeObject({{"type", "vector"},
                                              {"url", base + "/tiles/" + kWebMercatorQuad +
                                                          "?f=tilejson&collections=" + ids}}));
  }
  Json style_layers = Json::MakeArray();
  style_layers.Push(
      Json::MakeObject({{"id", "background"},
                        {"type", "background"},
                        {"paint", Json::MakeObject({{"background-color", "#f8f4f0"}})}}));
  // Polygons below lines below points; larger polygon layers (provinces, wards) lowest.
  struct Entry {
    const service::TileLayerInfo* info;
    const char* source;
  };
  std::vector<Entry> order;
  for (const auto& l : layers) order.push_back({&l, "layers"});
  for (const auto& t : entity_types) order.push_back({&t, "entities"});
  auto area = [](const service::TileLayerInfo& l) {
    return l.bounds.empty() ? 0.0
                            : (l.bounds.max_x - l.bounds.min_x) * (l.bounds.max_y - l.bounds.min_y);
  };
  std::stable_sort(order.begin(), order.end(), [&](const Entry& a, const Entry& b) {
    const int da = -GeometryDimension(a.info->geometry), db = -GeometryDimension(b.info->geometry);
    if (da != db) return da < db;
    return area(*a.info) > area(*b.info);
  });
  std::size_t colour = 0;
  for (const Entry& e : order) {
    const service::TileLayerInfo& l = *e.info;
    const std::string base_colour = kPalette[colour++ % std::size(kPalette)];
    auto layer = [&](const std::string& suffix, const char* type, Json paint) {
      Json j = Json::MakeObject({{"id", l.id + suffix},
                                 {"type", type},
                                 {"source", e.source},
                                 {"source-layer", l.id},
                                 {"minzoom", l.min_zoom},
                                 {"paint", std::move(paint)}});
      style_layers.Push(std::move(j));
    };
    switch (l.geometry) {
      case service::TileGeometry::kPolygon: {
        Json fill = Json(base_colour);
        double opacity = 0.15;  // boundaries: a tint, the outline matters
        if (!l.land_use_property.empty()) {
          Json match = Json::MakeArray();
          match.Push("match");
          match.Push(Json(Json::Array{Json("get"), Json(l.land_use_property)}));
          for (const auto& [code, colour_of] : kLandUseColours) {
            match.Push(code);
            match.Push(colour_of);
          }
          match.Push("#d9d9d9");
          fill = std::move(match);
          opacity = 0.7;
        }
        layer("-fill", "fill",
              Json::MakeObject({{"fill-color", std::move(fill)}, {"fill-opacity", opacity}}));
        layer(
            "-outline", "line",
            Json::MakeObject({{"line-color", l.land_use_property.empty() ? base_colour : "#6b6b6b"},
                              {"line-width", l.land_use_property.empty() ? 1.5 : 0.5}}));
        break;
      }
      case service::TileGeometry::kLine:
        layer("-line", "line", Json::MakeObject({{"line-color", base_colour}, {"line-width", 2}}));
        break;
      case service::TileGeometry::kPoint:
        layer("-circle", "circle",
              Json::MakeObject({{"circle-color", base_colour},
                                {"circle-radius", 3.5},
                                {"circle-stroke-color", "#ffffff"},
                                {"circle-stroke-width", 0.5}}));
        break;
    }
  }
  const geo::BBox b = Focus(layers);
  Json style = Json::MakeObject({{"version", 8},
                                 {"name", "dothi"},
                                 {"sources", std::move(sources)},
                                 {"layers", std::move(style_layers)}});
  if (!b.empty()) {
    style.Set("center",
              Json(Json::Array{Json((b.min_x + b.max_x) / 2), Json((b.min_y + b.max_y) / 2)}));
    style.Set("zoom", kCenterZoom);
  }
  return style;
}

}  // namespace dothi::api::tiles
