#include "service/tile_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <map>
#include <protozero/pbf_reader.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fakes/memory_entity_store.h"
#include "fakes/memory_layer_store.h"

namespace dothi::service {
namespace {

constexpr double kPi = 3.14159265358979323846;

RequestContext Ctx(std::string tenant) { return RequestContext{std::move(tenant), "t", Now(), /*finish_on=*/{}}; }

// The tile holding lon/lat at zoom z (the slippy-map formulas, written out here).
geo::TileId TileAt(double lon, double lat, int z) {
  const double n = std::ldexp(1.0, z);
  const double phi = lat * kPi / 180.0;
  return geo::TileId{
      z, static_cast<std::uint32_t>(std::floor((lon + 180.0) / 360.0 * n)),
      static_cast<std::uint32_t>(std::floor((1.0 - std::asinh(std::tan(phi)) / kPi) / 2.0 * n))};
}

// ---------------------------------------------------------------------------------------
// A small MVT reader: layer names and, per feature, the string value of its "id" tag.

struct DecodedLayer {
  std::string name;
  std::vector<std::string> ids;  // in feature order
  std::vector<std::uint64_t> mvt_ids;
};

std::vector<DecodedLayer> Decode(const std::string& bytes) {
  std::vector<DecodedLayer> out;
  protozero::pbf_reader tile(bytes);
  while (tile.next(3)) {  // Tile.layers
    protozero::pbf_reader layer = tile.get_message();
    DecodedLayer l;
    std::vector<std::string> keys, string_values;
    std::vector<std::vector<std::uint32_t>> tags;
    while (layer.next()) {
      switch (layer.tag()) {
        case 1:
          l.name = layer.get_string();
          break;
        case 2: {
          protozero::pbf_reader f = layer.get_message();
          std::vector<std::uint32_t> t;
          std::uint64_t id = 0;
          while (f.next()) {
            if (f.tag() == 1) {
              id = f.get_uint64();
            } else if (f.tag() == 2) {
              auto range = f.get_packed_uint32();
              t.assign(range.begin(), range.end());
            } else {
              f.skip();
            }
          }
          tags.push_back(std::move(t));
          l.mvt_ids.push_back(id);
          break;
        }
        case 3:
          keys.push_back(layer.get_string());
          break;
        case 4: {
          protozero::pbf_reader v = layer.get_message();
          std::string s = "(not a string)";
          while (v.next()) {
            if (v.tag() == 1)
              s = v.get_string();
            else
              v.skip();
          }
          string_values.push_back(s);
          break;
        }
        default:
          layer.skip();
      }
    }
    for (const auto& t : tags) {
      std::string id;
      for (std::size_t i = 0; i + 1 < t.size(); i += 2) {
        if (keys.at(t[i]) == "id") id = string_values.at(t[i + 1]);
      }
      l.ids.push_back(id);
    }
    out.push_back(std::move(l));
  }
  return out;
}

// Layer name -> ids of a tile's bytes (plain MVT).
std::map<std::string, std::set<std::string>> IdsByLayer(const TileResult& r) {
  std::map<std::string, std::set<std::string>> out;
  EXPECT_FALSE(r.gzip);
  for (const DecodedLayer& l : Decode(r.bytes)) out[l.name].insert(l.ids.begin(), l.ids.end());
  return out;
}

// ---------------------------------------------------------------------------------------

Json Square(double x, double y, double side) {
  auto pos = [](double a, double b) { return Json(Json::Array{Json(a), Json(b)}); };
  Json ring(Json::Array{pos(x, y), pos(x + side, y), pos(x + side, y + side), pos(x, y + side),
                        pos(x, y)});
  return Json::MakeObject({{"type", "Polygon"}, {"coordinates", Json(Json::Array{ring})}});
}

struct Sq {
  std::string id;
  double x, y, side;
};

storage::SourceLayer Squares(const std::vector<Sq>& squares) {
  storage::SourceLayer s;
  for (const Sq& q : squares) {
    storage::SourceFeature f;
    f.id = q.id;
    f.geometry = Square(q.x, q.y, q.side);
    f.properties = Json::MakeObject({{"ma_dat", "ODT"}, {"side", q.side}});
    s.features.push_back(std::move(f));
  }
  return s;
}

Json Instance(std::string_view type, std::string_view member, Json value) {
  Json arr = Json::MakeArray();
  arr.Push(Json::MakeObject({{"type", Json(type)}, {std::string(member), std::move(value)}}));
  return arr;
}

domain::Entity Lamp(int i, double lon, double lat) {
  domain::Entity e;
  e.id = "urn:ngsi-ld:Streetlight:" + std::to_string(i);
  e.types = {"https://example.org/Streetlight"};
  e.attrs.Set("https://example.org/powerState", Instance("Property", "value", Json("on")));
  e.attrs.Set(
      std::string(domain::kLocationIri),
      Instance("GeoProperty", "value",
               Json::MakeObject(
                   {{"type", "Point"}, {"coordinates", Json(Json::Array{Json(lon), Json(lat)})}})));
  return e;
}

// Hoàn Kiếm lake; the z16 tile there is about 0.0055 degrees wide.
constexpr double kLon = 105.8523, kLat = 21.0287;

class TileServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(store_.Open().ok());
    ASSERT_TRUE(entities_.Load().ok());
    layers_.SetChangeListener([this](const std::string& tenant, const std::string& name) {
      tiles_->OnLayerChanged(tenant, name);
    });
    Make(TileServiceOptions{});
  }
  void Make(TileServiceOptions o) {
    tiles_ = std::make_unique<TileService>(entities_, layers_, features_, o);
  }
  void Import(const std::string& tenant, const std::string& name, const std::vector<Sq>& squares,
              domain::LayerRole role = domain::LayerRole::kGeneral) {
    LayerImport r;
    r.name = name;
    r.source_name = "test.geojson";
    r.replace = true;
    r.role = role;
    Result<LayerImportReport> rep = layers_.Import(Ctx(tenant), r, Squares(squares));
    ASSERT_TRUE(rep.ok()) << rep.status().message();
  }
  Result<TileResult> Get(const std::string& tenant, geo::TileId t,
                         std::vector<std::string> collections, bool dataset = false,
                         bool gzip = false) {
    TileQuery q;
    q.tile = t;
    q.collections = std::move(collections);
    q.dataset = dataset;
    q.gzip = gzip;
    return tiles_->Tile(Ctx(tenant), q);
  }

  testing::MemoryEntityStore store_;
  EntityService entities_{store_, EntityServiceOptions{}};
  testing::MemoryLayerStore layer_store_;
  LayerService layers_{layer_store_};
  FeatureService features_{entities_, layers_};
  std::unique_ptr<TileService> tiles_;
};

TEST_F(TileServiceTest, FeaturesLandInTheTilesTheyIntersect) {
  const geo::TileId t = TileAt(kLon, kLat, 16);
  const geo::BBox b = geo::TileBBox(t);
  const double w = b.max_x - b.min_x;
  Import("hn", "zones",
         {{"inside", b.min_x + w * 0.4, b.min_y + w * 0.3, w * 0.1},
          {"across-east-edge", b.max_x - w * 0.05, b.min_y + w * 0.3, w * 0.1},
          {"next-tile", b.max_x + w * 0.3, b.min_y + w * 0.3, w * 0.1},
          {"far", b.min_x + 0.5, b.min_y, w * 0.1}});
  Result<TileResult> r = Get("hn", t, {"zones"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->empty);
  EXPECT_TRUE(r->cacheable);
  EXPECT_EQ(
      IdsByLayer(*r),
      (std::map<std::string, std::set<std::string>>{{"zones", {"inside", "across-east-edge"}}}));

  geo::TileId east = t;
  east.x += 1;
  r = Get("hn", east, {"zones"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(IdsByLayer(*r)["zones"], (std::set<std::string>{"across-east-edge", "next-tile"}));

  // Layer feature MVT ids are the feature's index + 1, the same in every tile.
  std::vector<DecodedLayer> d = Decode(r->bytes);
  ASSERT_EQ(d.size(), 1u);
  for (std::size_t i = 0; i < d[0].ids.size(); ++i) {
    EXPECT_EQ(d[0].mvt_ids[i], d[0].ids[i] == "across-east-edge" ? 2u : 3u);
  }

  // Nothing there: an empty tile, no bytes.
  r = Get("hn", TileAt(0, 0, 16), {"zones"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty);
  EXPECT_TRUE(r->bytes.empty());
}

TEST_F(TileServiceTest, TheFeatureLimitKeepsTheLargestFeatures) {
  TileServiceOptions o;
  o.max_features = 3;
  Make(o);
  const geo::TileId t = TileAt(kLon, kLat, 14);
  const geo::BBox b = geo::TileBBox(t);
  const double w = b.max_x - b.min_x;
  std::vector<Sq> squares;
  for (int i = 0; i < 6; ++i) {
    squares.push_back(
        {"s" + std::to_string(i), b.min_x + w * 0.1 * i, b.min_y + w * 0.2, w * 0.01 * (i + 1)});
  }
  Import("hn", "zones", squares);
  Result<TileResult> r = Get("hn", t, {"zones"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(IdsByLayer(*r)["zones"], (std::set<std::string>{"s3", "s4", "s5"}));

  o.max_features = 6;
  Make(o);
  r = Get("hn", t, {"zones"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->truncated);
  EXPECT_EQ(IdsByLayer(*r)["zones"].size(), 6u);
}

TEST_F(TileServiceTest, CachedTilesLastUntilTheirLayerChanges) {
  const geo::TileId t = TileAt(kLon, kLat, 15);
  const geo::BBox b = geo::TileBBox(t);
  const double w = b.max_x - b.min_x;
  Import("hn", "zones", {{"a", b.min_x + w * 0.2, b.min_y + w * 0.2, w * 0.1}});
  Import("hn", "roads", {{"r", b.min_x + w * 0.5, b.min_y + w * 0.5, w * 0.1}});
  Import("hcm", "zones", {{"z", b.min_x + w * 0.2, b.min_y + w * 0.2, w * 0.1}});

  Result<TileResult> first = Get("hn", t, {"zones"});
  Result<TileResult> dataset = Get("hn", t, {}, /*dataset=*/true);
  ASSERT_TRUE(first.ok() && dataset.ok());
  EXPECT_FALSE(first->from_cache);
  EXPECT_EQ(IdsByLayer(*dataset),
            (std::map<std::string, std::set<std::string>>{{"roads", {"r"}}, {"zones", {"a"}}}));
  Result<TileResult> again = Get("hn", t, {"zones"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->etag, first->etag);
  EXPECT_EQ(again->bytes, first->bytes) << "inflated from the cached gzip bytes";

  // Another layer, or the same name in another tenant, changes: the tile stays.
  Import("hn", "roads", {{"r2", b.min_x + w * 0.5, b.min_y + w * 0.5, w * 0.1}});
  Import("hcm", "zones", {{"z2", b.min_x + w * 0.2, b.min_y + w * 0.2, w * 0.1}});
  again = Get("hn", t, {"zones"});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->from_cache);
  // ... but the dataset tile showed roads: made again, with the new road.
  dataset = Get("hn", t, {}, true);
  ASSERT_TRUE(dataset.ok());
  EXPECT_FALSE(dataset->from_cache);
  EXPECT_EQ(IdsByLayer(*dataset)["roads"], (std::set<std::string>{"r2"}));

  // Its own layer replaced: made again from the new version, with another ETag.
  Import("hn", "zones", {{"b", b.min_x + w * 0.6, b.min_y + w * 0.2, w * 0.1}});
  Result<TileResult> after = Get("hn", t, {"zones"});
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->from_cache);
  EXPECT_NE(after->etag, first->etag);
  EXPECT_EQ(IdsByLayer(*after)["zones"], (std::set<std::string>{"b"}));

  // Deleted: the collection is gone (not served from the cache).
  ASSERT_TRUE(layers_.Delete(Ctx("hn"), "zones").ok());
  EXPECT_EQ(Get("hn", t, {"zones"}).status().code(), ErrorCode::kNotFound);
  EXPECT_GE(tiles_->CacheStats().invalidations, 3u);
}

// The layer is replaced while a tile is being made from the old version: that tile is
// answered but not cached, so the next request sees the new version.
TEST_F(TileServiceTest, ATileMadeFromAReplacedVersionIsNotCached) {
  const geo::TileId t = TileAt(kLon, kLat, 15);
  const geo::BBox b = geo::TileBBox(t);
  Import("hn", "zones", {{"old", b.min_x + 0.001, b.min_y + 0.001, 0.001}});
  bool replaced = false;
  tiles_->SetBeforeCacheInsertForTesting([&] {
    if (replaced) return;
    replaced = true;
    Import("hn", "zones", {{"new", b.min_x + 0.001, b.min_y + 0.001, 0.001}});
  });
  Result<TileResult> during = Get("hn", t, {"zones"});
  ASSERT_TRUE(during.ok());
  ASSERT_TRUE(replaced);
  EXPECT_EQ(IdsByLayer(*during)["zones"], (std::set<std::string>{"old"}));
  Result<TileResult> after = Get("hn", t, {"zones"});
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->from_cache);
  EXPECT_EQ(IdsByLayer(*after)["zones"], (std::set<std::string>{"new"}));
}

// Readers fill the cache while a writer replaces the layer again and again (a stress test,
// for the sanitizers too): once the writer is done, the tile is the last version's.
TEST_F(TileServiceTest, TilesUnderConcurrentReplacementsEndAtTheLastVersion) {
  const geo::TileId t = TileAt(kLon, kLat, 15);
  const geo::BBox b = geo::TileBBox(t);
  const double w = b.max_x - b.min_x;
  auto version = [&](int v) {
    std::vector<Sq> squares;
    for (int i = 0; i < 200; ++i) {  // enough work per tile for imports to land mid-build
      squares.push_back({"v" + std::to_string(v) + "-" + std::to_string(i), b.min_x + w * 0.004 * i,
                         b.min_y + w * 0.5, w * 0.003});
    }
    return squares;
  };
  Import("hn", "zones", version(0));
  std::atomic<bool> stop{false};
  std::atomic<int> made{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        TileQuery q;
        q.tile = t;
        q.collections = {"zones"};
        if (tiles_->Tile(Ctx("hn"), q).ok()) made.fetch_add(1);
      }
    });
  }
  constexpr int kVersions = 30;
  for (int v = 1; v <= kVersions; ++v) Import("hn", "zones", version(v));
  stop.store(true);
  for (std::thread& r : readers) r.join();
  EXPECT_GT(made.load(), 0);
  Result<TileResult> last = Get("hn", t, {"zones"});
  ASSERT_TRUE(last.ok());
  const std::set<std::string> ids = IdsByLayer(*last)["zones"];
  ASSERT_FALSE(ids.empty());
  for (const std::string& id : ids) {
    EXPECT_EQ(id.rfind("v" + std::to_string(kVersions) + "-", 0), 0u)
        << id << " from an older version";
  }
}

TEST_F(TileServiceTest, WithoutACacheEveryTileIsMadeAgain) {
  TileServiceOptions o;
  o.cache_bytes = 0;
  Make(o);
  const geo::TileId t = TileAt(kLon, kLat, 15);
  const geo::BBox b = geo::TileBBox(t);
  Import("hn", "zones", {{"a", b.min_x, b.min_y, 0.001}});
  for (int i = 0; i < 2; ++i) {
    Result<TileResult> r = Get("hn", t, {"zones"});
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->from_cache);
    EXPECT_TRUE(r->cacheable);
  }
  EXPECT_EQ(tiles_->CacheStats().entries, 0u);
}

TEST_F(TileServiceTest, TenantsSeeOnlyTheirOwnLayers) {
  const geo::TileId t = TileAt(kLon, kLat, 14);
  const geo::BBox b = geo::TileBBox(t);
  Import("hn", "zones", {{"hn-zone", b.min_x + 0.001, b.min_y + 0.001, 0.001}});
  Import("hcm", "roads", {{"hcm-road", b.min_x + 0.001, b.min_y + 0.001, 0.001}});
  EXPECT_EQ(Get("hcm", t, {"zones"}).status().code(), ErrorCode::kNotFound);
  Result<TileResult> hcm = Get("hcm", t, {}, true);
  ASSERT_TRUE(hcm.ok());
  EXPECT_EQ(IdsByLayer(*hcm),
            (std::map<std::string, std::set<std::string>>{{"roads", {"hcm-road"}}}));
  Result<TileResult> hn = Get("hn", t, {}, true);
  ASSERT_TRUE(hn.ok());
  EXPECT_EQ(IdsByLayer(*hn),
            (std::map<std::string, std::set<std::string>>{{"zones", {"hn-zone"}}}));
  EXPECT_EQ(Get("hue", t, {}, true).status().code(), ErrorCode::kNonexistentTenant);
  Result<std::vector<TileLayerInfo>> infos = tiles_->Layers(Ctx("hcm"), {}, true);
  ASSERT_TRUE(infos.ok());
  ASSERT_EQ(infos->size(), 1u);
  EXPECT_EQ(infos->front().id, "roads");
}

TEST_F(TileServiceTest, DatasetTilesShowParcelsFromTheirMinimumZoom) {
  const geo::TileId t14 = TileAt(kLon, kLat, 14);
  const geo::BBox b = geo::TileBBox(t14);
  Import("hn", "thua-dat", {{"p1", b.min_x + 0.001, b.min_y + 0.001, 0.0002}},
         domain::LayerRole::kParcel);
  Import("hn", "phuong", {{"w1", b.min_x + 0.0005, b.min_y + 0.0005, 0.005}},
         domain::LayerRole::kAdministrative);
  const geo::TileId t13 = TileAt(b.min_x + 0.001, b.min_y + 0.001, 13);
  Result<TileResult> low = Get("hn", t13, {}, true);
  ASSERT_TRUE(low.ok());
  EXPECT_EQ(IdsByLayer(*low), (std::map<std::string, std::set<std::string>>{{"phuong", {"w1"}}}));
  Result<TileResult> high = Get("hn", t14, {}, true);
  ASSERT_TRUE(high.ok());
  EXPECT_EQ(IdsByLayer(*high), (std::map<std::string, std::set<std::string>>{
                                   {"phuong", {"w1"}}, {"thua-dat", {"p1"}}}));
  // The collection's own tiles serve every zoom.
  Result<TileResult> single = Get("hn", t13, {"thua-dat"});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(IdsByLayer(*single)["thua-dat"], (std::set<std::string>{"p1"}));

  Result<std::vector<TileLayerInfo>> infos = tiles_->Layers(Ctx("hn"), {}, true);
  ASSERT_TRUE(infos.ok());
  ASSERT_EQ(infos->size(), 2u);
  EXPECT_EQ((*infos)[1].id, "thua-dat");
  EXPECT_EQ((*infos)[1].min_zoom, 14);
  EXPECT_EQ((*infos)[0].min_zoom, 0);
  EXPECT_EQ((*infos)[0].geometry, TileGeometry::kPolygon);
}

TEST_F(TileServiceTest, EntityTypesAreTiledFromTheirCurrentStateAndNeverCached) {
  const geo::TileId t = TileAt(kLon, kLat, 16);
  const geo::BBox b = geo::TileBBox(t);
  const double cx = (b.min_x + b.max_x) / 2, cy = (b.min_y + b.max_y) / 2;
  ASSERT_TRUE(entities_.Create(Ctx("hn"), Lamp(1, cx, cy)).ok());
  ASSERT_TRUE(entities_.Create(Ctx("hn"), Lamp(2, cx + 1, cy)).ok());
  ASSERT_TRUE(entities_.Create(Ctx("hcm"), Lamp(3, cx, cy)).ok());
  Result<TileResult> r = Get("hn", t, {"Streetlight"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->cacheable);
  EXPECT_EQ(IdsByLayer(*r), (std::map<std::string, std::set<std::string>>{
                                {"Streetlight", {"urn:ngsi-ld:Streetlight:1"}}}));

  // Lamp 2 moves into the tile: the next tile shows it at once.
  ASSERT_TRUE(entities_.Replace(Ctx("hn"), Lamp(2, cx + 0.0001, cy)).ok());
  Result<TileResult> after = Get("hn", t, {"Streetlight"});
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->from_cache);
  EXPECT_NE(after->etag, r->etag);
  EXPECT_EQ(IdsByLayer(*after)["Streetlight"],
            (std::set<std::string>{"urn:ngsi-ld:Streetlight:1", "urn:ngsi-ld:Streetlight:2"}));

  // A limit of 1 cuts the entity layer too.
  TileServiceOptions o;
  o.max_features = 1;
  Make(o);
  Result<TileResult> cut = Get("hn", t, {"Streetlight"});
  ASSERT_TRUE(cut.ok());
  EXPECT_TRUE(cut->truncated);
  EXPECT_EQ(IdsByLayer(*cut)["Streetlight"].size(), 1u);

  Result<std::vector<TileLayerInfo>> infos = tiles_->Layers(Ctx("hn"), {"Streetlight"}, false);
  ASSERT_TRUE(infos.ok());
  EXPECT_TRUE(infos->front().entity_type);
  EXPECT_EQ(infos->front().geometry, TileGeometry::kPoint);
}

TEST_F(TileServiceTest, RefusesTilesOutsideTheLimitsAndCollectionsNamedTwice) {
  Import("hn", "zones", {{"a", kLon, kLat, 0.001}});
  EXPECT_EQ(Get("hn", geo::TileId{23, 0, 0}, {"zones"}).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Get("hn", geo::TileId{3, 8, 0}, {"zones"}).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Get("hn", geo::TileId{3, 0, 8}, {"zones"}).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(Get("hn", geo::TileId{22, 0, 0}, {"zones"}).ok());
  EXPECT_EQ(Get("hn", geo::TileId{3, 0, 0}, {"zones", "zones"}, true).status().code(),
            ErrorCode::kBadRequestData);
  EXPECT_EQ(Get("hn", geo::TileId{3, 0, 0}, {"nope"}).status().code(), ErrorCode::kNotFound);
}

TEST_F(TileServiceTest, GzipBytesHoldTheSameTile) {
  const geo::TileId t = TileAt(kLon, kLat, 15);
  Import("hn", "zones", {{"a", kLon, kLat, 0.001}});
  Result<TileResult> plain = Get("hn", t, {"zones"});
  Result<TileResult> gz = Get("hn", t, {"zones"}, false, /*gzip=*/true);
  ASSERT_TRUE(plain.ok() && gz.ok());
  EXPECT_TRUE(gz->gzip);
  EXPECT_EQ(gz->etag, plain->etag);
  ASSERT_GE(gz->bytes.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz->bytes[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(gz->bytes[1]), 0x8b);
  Result<std::string> back = TileService::Gunzip(gz->bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, plain->bytes);
  EXPECT_EQ(TileService::Etag(*back), plain->etag);
  EXPECT_EQ(TileService::Gunzip("not gzip").status().code(), ErrorCode::kBadRequestData);
}

}  // namespace
}  // namespace dothi::service
