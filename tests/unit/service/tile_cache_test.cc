#include "service/tile_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace dothi::service {
namespace {

std::shared_ptr<const TileCache::Entry> Tile(std::string tenant, std::vector<std::string> layers,
                                             std::size_t bytes = 100, bool all = false) {
  auto e = std::make_shared<TileCache::Entry>();
  e->gzip = std::make_shared<const std::string>(bytes, 'x');
  e->etag = "0123456789abcdef";
  e->tenant = std::move(tenant);
  e->layers = std::move(layers);
  e->all_layers = all;
  return e;
}

TEST(TileCacheTest, FindsWhatWasInserted) {
  TileCache cache(1 << 20);
  EXPECT_EQ(cache.Find("k"), nullptr);
  EXPECT_TRUE(cache.Insert("k", Tile("hn", {"a"}), cache.generation()));
  ASSERT_NE(cache.Find("k"), nullptr);
  EXPECT_EQ(cache.Find("k")->tenant, "hn");
  TileCache::Stats s = cache.stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.entries, 1u);
}

TEST(TileCacheTest, EvictsTheLeastRecentlyUsedBeyondItsBytes) {
  TileCache cache(8000);  // room for about 8 entries of 600 bytes, each under 1/8 of it
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(cache.Insert("k" + std::to_string(i), Tile("hn", {"a"}, 600), cache.generation()));
  }
  ASSERT_NE(cache.Find("k0"), nullptr);  // k0 becomes the most recently used
  for (int i = 8; i < 12; ++i) {
    ASSERT_TRUE(cache.Insert("k" + std::to_string(i), Tile("hn", {"a"}, 600), cache.generation()));
  }
  TileCache::Stats s = cache.stats();
  EXPECT_LE(s.bytes, 8000u);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_NE(cache.Find("k0"), nullptr);
  EXPECT_EQ(cache.Find("k1"), nullptr);
  EXPECT_NE(cache.Find("k11"), nullptr);
  // An entry above an eighth of the bound is not stored at all.
  EXPECT_FALSE(cache.Insert("big", Tile("hn", {"a"}, 2000), cache.generation()));
  TileCache none(0);
  EXPECT_FALSE(none.Insert("k", Tile("hn", {"a"}), none.generation()));
}

TEST(TileCacheTest, ALayerChangeDropsTheTilesThatShowIt) {
  TileCache cache(1 << 20);
  const std::uint64_t g = cache.generation();
  ASSERT_TRUE(cache.Insert("a", Tile("hn", {"zones"}), g));
  ASSERT_TRUE(cache.Insert("ab", Tile("hn", {"roads", "zones"}), g));
  ASSERT_TRUE(cache.Insert("b", Tile("hn", {"roads"}), g));
  ASSERT_TRUE(cache.Insert("all", Tile("hn", {"roads"}, 100, /*all=*/true), g));
  ASSERT_TRUE(cache.Insert("other", Tile("hcm", {"zones"}), g));
  cache.InvalidateLayer("hn", "zones");
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_EQ(cache.Find("ab"), nullptr);
  EXPECT_EQ(cache.Find("all"), nullptr) << "a dataset tile shows every layer, new ones too";
  EXPECT_NE(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("other"), nullptr);
  EXPECT_EQ(cache.stats().invalidations, 3u);
}

TEST(TileCacheTest, RefusesATileBuiltAcrossAnInvalidation) {
  TileCache cache(1 << 20);
  const std::uint64_t before = cache.generation();
  // The tile was being made from the old version when the layer changed.
  cache.InvalidateLayer("hn", "zones");
  EXPECT_FALSE(cache.Insert("a", Tile("hn", {"zones"}), before));
  EXPECT_EQ(cache.Find("a"), nullptr);
  EXPECT_TRUE(cache.Insert("a", Tile("hn", {"zones"}), cache.generation()));
}

}  // namespace
}  // namespace dothi::service
