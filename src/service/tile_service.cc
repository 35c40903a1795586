#include "service/tile_service.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <set>

#include "core/hash.h"
#include "domain/entity.h"
#include "domain/geo_query.h"
#include "domain/query/type_query.h"

namespace dothi::service {
namespace {

constexpr std::size_t kMaxGunzipBytes = std::size_t{1} << 30;  // a tile is far smaller
constexpr std::size_t kGeometrySample = 5;      // entities looked at for a type's geometry kind
constexpr std::size_t kMaxPooledBuilders = 8;  // idle layer builders kept (a few MiB each)

std::string TileText(const geo::TileId& t) {
  return std::to_string(t.z) + "/" + std::to_string(t.x) + "/" + std::to_string(t.y);
}

std::string CacheKey(const std::string& tenant, const TileQuery& q) {
  std::string key = tenant;
  key += '\x1f';
  if (q.collections.empty()) key += '*';
  for (std::size_t i = 0; i < q.collections.size(); ++i) {
    if (i > 0) key += ',';
    key += q.collections[i];
  }
  key += '\x1f';
  key += q.dataset ? 'd' : 's';
  key += TileText(q.tile);
  return key;
}

// The geoQ "location intersects box".
Result<domain::GeoQuery> BoxQuery(const geo::BBox& b) {
  Json ring = Json::MakeArray();
  for (auto [x, y] : {std::pair{b.min_x, b.min_y},
                      {b.max_x, b.min_y},
                      {b.max_x, b.max_y},
                      {b.min_x, b.max_y},
                      {b.min_x, b.min_y}}) {
    ring.Push(Json(Json::Array{Json(x), Json(y)}));
  }
  return domain::GeoQueryFromJson("intersects", "Polygon", Json(Json::Array{std::move(ring)}),
                                  std::string(domain::kLocationIri));
}

TileGeometry KindOf(const geo::Geometry& g) {
  if (g.is_puntal()) return TileGeometry::kPoint;
  if (g.is_lineal()) return TileGeometry::kLine;
  return TileGeometry::kPolygon;
}

double BoxArea(const geo::BBox& b) { return (b.max_x - b.min_x) * (b.max_y - b.min_y); }

constexpr std::size_t kPrefetchFar = 8;   // features ahead: their property arrays, positions
constexpr std::size_t kPrefetchNear = 4;  // features ahead: their string values, id

// Hints the cache about a feature's blocks (no effect on results).
void PrefetchMembers(const domain::LayerFeature& f) {
  if (f.properties.is_object() && !f.properties.AsObject().empty()) {
    __builtin_prefetch(f.properties.AsObject().data());
  }
  if (f.geometry) __builtin_prefetch(f.geometry->positions().data());
}
void PrefetchValues(const domain::LayerFeature& f) {
  __builtin_prefetch(f.id.data());
  if (!f.properties.is_object()) return;
  for (const Json::Member& m : f.properties.AsObject()) {
    if (m.second.is_string()) __builtin_prefetch(m.second.AsString().data());
  }
}

}  // namespace

// One layer of a tile: an imported layer or an entity type.
struct TileService::Part {
  std::string name;  // the MVT layer name: the collection id
  std::shared_ptr<const LayerData> layer;
  std::optional<FeatureCollectionInfo> type;
  int min_zoom = 0;
};

TileService::TileService(EntityService& entities, LayerService& layers, FeatureService& features,
                         TileServiceOptions options)
    : entities_(entities),
      layers_(layers),
      features_(features),
      options_(options),
      cache_(options.cache_bytes) {}

std::unique_ptr<geo::MvtLayerBuilder> TileService::TakeBuilder() const {
  std::lock_guard lock(pool_mu_);
  if (pool_.empty()) return nullptr;
  std::unique_ptr<geo::MvtLayerBuilder> b = std::move(pool_.back());
  pool_.pop_back();
  return b;
}

void TileService::GiveBuilder(std::unique_ptr<geo::MvtLayerBuilder> builder) const {
  if (!builder) return;
  std::lock_guard lock(pool_mu_);
  if (pool_.size() < kMaxPooledBuilders) pool_.push_back(std::move(builder));
}

void TileService::OnLayerChanged(const std::string& tenant, const std::string& name) {
  cache_.InvalidateLayer(tenant, name);
}

Result<std::vector<TileService::Part>> TileService::Resolve(
    const RequestContext& ctx, const std::vector<std::string>& collections, bool dataset,
    bool* cacheable) const {
  *cacheable = true;
  std::vector<Part> parts;
  auto min_zoom = [&](const LayerData& l) {
    return dataset && l.info().role == domain::LayerRole::kParcel ? options_.parcel_min_zoom : 0;
  };
  if (collections.empty()) {
    for (std::shared_ptr<const LayerData>& l : layers_.Layers(ctx)) {
      Part p;
      p.name = l->info().name;
      p.min_zoom = min_zoom(*l);
      p.layer = std::move(l);
      parts.push_back(std::move(p));
    }
    if (parts.empty()) {  // an empty dataset, or no such tenant
      Result<std::vector<FeatureCollectionInfo>> all = features_.Collections(ctx);
      if (!all.ok()) return all.status();
    }
    return parts;
  }
  std::set<std::string_view> seen;
  for (const std::string& id : collections) {
    if (!seen.insert(id).second) return Status::BadRequestData("collection named twice", id);
    Part p;
    p.name = id;
    if (std::shared_ptr<const LayerData> l = layers_.Layer(ctx, id)) {
      p.min_zoom = min_zoom(*l);
      p.layer = std::move(l);
    } else {
      Result<FeatureCollectionInfo> c = features_.Collection(ctx, id);
      if (!c.ok()) return c.status();
      p.type = std::move(*c);
      *cacheable = false;  // entities change continuously
    }
    parts.push_back(std::move(p));
  }
  return parts;
}

Result<TileResult> TileService::Tile(const RequestContext& ctx, const TileQuery& query) const {
  const geo::TileId& tile = query.tile;
  if (!tile.valid() || tile.z > options_.max_zoom) {
    return Status::NotFound("tile outside the tile matrix set limits", TileText(tile));
  }
  const bool use_cache = cache_.max_bytes() > 0;
  const std::string key = use_cache ? CacheKey(ctx.tenant, query) : std::string();
  // Read before the layers: an invalidation after this point keeps the tile out of the cache.
  const std::uint64_t generation = use_cache ? cache_.generation() : 0;
  if (use_cache) {
    if (std::shared_ptr<const TileCache::Entry> hit = cache_.Find(key)) {
      TileResult r;
      r.etag = hit->etag;
      r.empty = hit->empty;
      r.truncated = hit->truncated;
      r.cacheable = true;
      r.from_cache = true;
      if (hit->empty || query.gzip) {
        if (!hit->empty) r.bytes = *hit->gzip;
        r.gzip = !hit->empty;
        return r;
      }
      Result<std::string> plain = Gunzip(*hit->gzip);
      if (!plain.ok()) return plain.status();
      r.bytes = std::move(*plain);
      return r;
    }
  }

  bool cacheable = false;
  Result<std::vector<Part>> resolved = Resolve(ctx, query.collections, query.dataset, &cacheable);
  if (!resolved.ok()) return resolved.status();
  std::vector<Part>& parts = *resolved;

  geo::MvtOptions mvt;
  mvt.max_features = std::max<std::size_t>(options_.max_features, 1);
  const geo::BBox box = geo::BufferedTileBBox(tile, mvt);
  const std::size_t limit = options_.max_features;
  bool truncated = false;

  // Layer candidates by the spatial index; beyond the limit the largest boxes stay.
  std::vector<std::vector<std::uint32_t>> picked(parts.size());
  std::size_t total = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    if (!parts[p].layer || tile.z < parts[p].min_zoom) continue;
    const auto& features = parts[p].layer->features();
    parts[p].layer->Candidates(box, [&](std::size_t i) {
      if (features[i].geometry) picked[p].push_back(static_cast<std::uint32_t>(i));
      return true;
    });
    std::sort(picked[p].begin(), picked[p].end());
    total += picked[p].size();
  }
  if (total > limit) {
    struct Candidate {
      double area;
      std::uint32_t part;
      std::uint32_t index;
    };
    std::vector<Candidate> all;
    all.reserve(total);
    for (std::size_t p = 0; p < parts.size(); ++p) {
      for (std::uint32_t i : picked[p]) {
        all.push_back({BoxArea(parts[p].layer->features()[i].geometry->bbox()),
                       static_cast<std::uint32_t>(p), i});
      }
      picked[p].clear();
    }
    auto larger = [](const Candidate& a, const Candidate& b) {
      if (a.area != b.area) return a.area > b.area;
      return a.part != b.part ? a.part < b.part : a.index < b.index;
    };
    std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(limit), all.end(),
                     larger);
    all.resize(limit);
    for (const Candidate& c : all) picked[c.part].push_back(c.index);
    for (auto& v : picked) std::sort(v.begin(), v.end());
    total = limit;
    truncated = true;
  }
  std::size_t remaining = limit - total;

  geo::MvtTileBuilder builder;
  // A pooled builder: its buffers keep their capacity from tile to tile.
  std::unique_ptr<geo::MvtLayerBuilder> layer = TakeBuilder();
  struct GiveBack {
    const TileService* service;
    std::unique_ptr<geo::MvtLayerBuilder>& builder;
    ~GiveBack() { service->GiveBuilder(std::move(builder)); }
  } give_back{this, layer};
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const Part& part = parts[p];
    if (tile.z < part.min_zoom) continue;
    if (layer) {
      layer->Reset(part.name, tile);
    } else {
      layer = std::make_unique<geo::MvtLayerBuilder>(part.name, tile, mvt);
    }
    if (part.layer) {
      const auto& features = part.layer->features();
      const std::vector<std::uint32_t>& ids = picked[p];
      for (std::size_t k = 0; k < ids.size(); ++k) {
        // The encoder waits on memory (each feature's properties and positions are their
        // own heap blocks): fetch those of the features a few steps ahead.
        if (k + kPrefetchFar < ids.size()) PrefetchMembers(features[ids[k + kPrefetchFar]]);
        if (k + kPrefetchNear < ids.size()) PrefetchValues(features[ids[k + kPrefetchNear]]);
        const domain::LayerFeature& f = features[ids[k]];
        layer->AddFeature(std::uint64_t{ids[k]} + 1, *f.geometry, f.properties, "id", f.id);
      }
      builder.AddLayer(*layer);
      continue;
    }
    // An entity type: a bbox query, page by page, while the limit allows.
    const FeatureCollectionInfo& c = *part.type;
    EntityQuery q;
    Result<domain::TypeQuery> types = domain::ParseTypeQuery("T");
    if (!types.ok()) return types.status();
    if (Status s = types->Resolve([&](std::string_view) { return c.type_iri; }); !s.ok()) return s;
    q.types = std::move(*types);
    Result<domain::GeoQuery> geo = BoxQuery(box);
    if (!geo.ok()) return geo.status();
    q.geo = std::move(*geo);
    const std::size_t page = std::max<std::size_t>(entities_.options().max_page_size, 1);
    if (remaining == 0) {  // the layers took the whole limit: is anything left out?
      q.limit = 1;
      Result<QueryResult> r = entities_.Query(ctx, q);
      if (!r.ok()) return r.status();
      truncated = truncated || !r->entities.empty();
    }
    while (remaining > 0) {
      q.limit = std::min(page, remaining);
      Result<QueryResult> r = entities_.Query(ctx, q);
      if (!r.ok()) return r.status();
      for (const domain::Entity& e : r->entities) {
        Feature f = FeatureService::EntityFeature(c, e);
        if (f.geometry.is_null()) continue;
        Result<geo::Geometry> g = geo::Geometry::FromGeoJson(f.geometry);
        if (!g.ok()) continue;  // stored locations are valid; nothing to draw otherwise
        if (layer->AddFeature(HashBytes(e.id), *g, f.properties, "id", e.id)) --remaining;
      }
      if (!r->more) break;
      if (remaining == 0) truncated = true;
      q.offset += r->entities.size();
    }
    builder.AddLayer(*layer);
  }

  const bool empty = builder.empty();
  std::string raw = builder.Finish();
  TileResult r;
  r.etag = Etag(raw);
  r.empty = empty;
  r.truncated = truncated;
  r.cacheable = cacheable;
  std::string gz;
  if (!empty && (query.gzip || (cacheable && use_cache))) {
    Result<std::string> z = Gzip(raw, options_.gzip_level);
    if (!z.ok()) return z.status();
    gz = std::move(*z);
  }
  if (!empty) {
    r.gzip = query.gzip;
    r.bytes = query.gzip ? gz : std::move(raw);
  }
  if (cacheable && use_cache) {
    if (before_insert_) before_insert_();
    auto entry = std::make_shared<TileCache::Entry>();
    entry->gzip = std::make_shared<const std::string>(std::move(gz));
    entry->etag = r.etag;
    entry->empty = empty;
    entry->truncated = truncated;
    entry->tenant = ctx.tenant;
    entry->all_layers = query.collections.empty();
    for (const Part& part : parts) entry->layers.push_back(part.name);
    cache_.Insert(key, std::move(entry), generation);
  }
  return r;
}

Result<std::vector<TileLayerInfo>> TileService::Layers(const RequestContext& ctx,
                                                       const std::vector<std::string>& collections,
                                                       bool dataset) const {
  bool cacheable = false;
  Result<std::vector<Part>> parts = Resolve(ctx, collections, dataset, &cacheable);
  if (!parts.ok()) return parts.status();
  std::vector<TileLayerInfo> out;
  for (const Part& p : *parts) {
    TileLayerInfo info;
    info.id = p.name;
    info.min_zoom = p.min_zoom;
    info.max_zoom = options_.max_zoom;
    info.properties.emplace_back("id", "string");
    if (p.layer) {
      const domain::LayerInfo& li = p.layer->info();
      info.title = li.title;
      info.bounds = li.extent;
      std::array<std::size_t, 3> kinds{};
      for (const domain::LayerFeature& f : p.layer->features()) {
        if (f.geometry) ++kinds[static_cast<std::size_t>(KindOf(*f.geometry))];
      }
      info.geometry =
          static_cast<TileGeometry>(std::max_element(kinds.begin(), kinds.end()) - kinds.begin());
      for (const domain::LayerProperty& prop : li.properties) {
        if (prop.name != "id") info.properties.emplace_back(prop.name, prop.type);
      }
      if (const std::string* use = li.FieldProperty("land_use")) info.land_use_property = *use;
    } else {
      const FeatureCollectionInfo& c = *p.type;
      info.title = c.title;
      info.entity_type = true;
      FeatureQuery sample;
      sample.limit = kGeometrySample;
      Result<FeaturePage> page = features_.Items(ctx, c, sample);
      if (!page.ok()) return page.status();
      for (const Feature& f : page->features) {
        const Json* type = f.geometry.is_object() ? f.geometry.Find("type") : nullptr;
        if (type == nullptr || !type->is_string()) continue;
        const std::string& t = type->AsString();
        info.geometry = t.find("Polygon") != std::string::npos ? TileGeometry::kPolygon
                        : t.find("Line") != std::string::npos  ? TileGeometry::kLine
                                                               : TileGeometry::kPoint;
        break;
      }
      for (const auto& [name, iri] : c.properties) {
        if (name == "id") continue;
        auto t = c.property_types.find(name);
        info.properties.emplace_back(name, t != c.property_types.end() ? t->second : "");
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::string TileService::Etag(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t h = HashBytes(bytes);
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[static_cast<std::size_t>(i)] = kHex[h & 0xF];
  return out;
}

Result<std::string> TileService::Gzip(std::string_view data, int level) {
  z_stream zs{};
  constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper
  constexpr int kMemLevel = 8;              // zlib's default
  if (deflateInit2(&zs, std::clamp(level, 1, 9), Z_DEFLATED, kGzipWindowBits, kMemLevel,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("zlib deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const std::size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("zlib deflate failed", std::to_string(rc));
  out.resize(written);
  return out;
}

Result<std::string> TileService::Gunzip(std::string_view gzip) {
  z_stream zs{};
  constexpr int kGzipWindowBits = 15 + 16;
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK)
    return Status::Internal("zlib inflateInit2 failed");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzip.data()));
  zs.avail_in = static_cast<uInt>(gzip.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (out.size() >= kMaxGunzipBytes) break;
    const std::size_t have = out.size();
    out.resize(std::max<std::size_t>(have * 2, gzip.size() * 4 + 64));
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    zs.avail_out = static_cast<uInt>(out.size() - have);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(have + (out.size() - have - zs.avail_out));
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::BadRequestData("not gzip data", std::to_string(rc));
  return out;
}

}  // namespace dothi::service
