#include "geo/spatial_index.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace dothi::geo {
namespace {

constexpr double kFloatSlack = 2e-5;  // degrees; the documented float rounding of stored boxes

std::vector<std::uint64_t> QueryAll(const SpatialIndex& index, const BBox& box) {
  std::vector<std::uint64_t> out;
  index.Query(box, [&](std::uint64_t k) {
    out.push_back(k);
    return true;
  });
  return out;
}

BBox Grow(const BBox& b, double d) {
  return BBox{b.min_x - d, b.min_y - d, b.max_x + d, b.max_y + d};
}

// Every key whose box intersects q is reported, once; every reported key's box comes
// within the float slack of q.
void ExpectMatchesBruteForce(const SpatialIndex& index, const std::map<std::uint64_t, BBox>& all,
                             const BBox& q) {
  std::vector<std::uint64_t> got = QueryAll(index, q);
  std::set<std::uint64_t> got_set(got.begin(), got.end());
  ASSERT_EQ(got_set.size(), got.size()) << "a key was reported twice";
  for (const auto& [key, box] : all) {
    if (box.Intersects(q)) {
      EXPECT_TRUE(got_set.count(key)) << "missed key " << key;
    }
  }
  for (std::uint64_t key : got) {
    auto it = all.find(key);
    ASSERT_NE(it, all.end()) << "reported a removed key " << key;
    EXPECT_TRUE(it->second.Intersects(Grow(q, kFloatSlack))) << "far key " << key;
  }
}

class RandomData {
 public:
  explicit RandomData(unsigned seed) : rng_(seed) {}
  // Mostly points around Hanoi, some small boxes, some large boxes, a few anywhere.
  BBox Next() {
    std::uniform_real_distribution<double> kind(0, 1);
    double k = kind(rng_);
    if (k < 0.05) {
      std::uniform_real_distribution<double> lon(-180, 180), lat(-90, 90);
      return BBox::OfPoint(lon(rng_), lat(rng_));
    }
    std::uniform_real_distribution<double> lon(105.7, 106.0), lat(20.9, 21.2);
    double x = lon(rng_), y = lat(rng_);
    if (k < 0.75) return BBox::OfPoint(x, y);
    std::uniform_real_distribution<double> small(0, 0.01), large(0.01, 0.2);
    if (k < 0.92) return BBox{x, y, x + small(rng_), y + small(rng_)};
    return BBox{x, y, x + large(rng_), y + large(rng_)};
  }
  BBox Query() {
    std::uniform_real_distribution<double> lon(105.65, 106.05), lat(20.85, 21.25), size(0, 0.05);
    double x = lon(rng_), y = lat(rng_);
    return BBox{x, y, x + size(rng_), y + size(rng_)};
  }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

TEST(SpatialIndexTest, QueriesMatchBruteForceOnRandomData) {
  SpatialIndex index;
  std::map<std::uint64_t, BBox> all;
  RandomData data(42);
  for (std::uint64_t key = 0; key < 20000; ++key) {
    BBox b = data.Next();
    std::uint64_t k = key * 0x9E3779B97F4A7C15ull;  // spread keys over 64 bits
    index.Insert(k, b);
    all[k] = b;
  }
  EXPECT_EQ(index.size(), all.size());
  for (int i = 0; i < 200; ++i) ExpectMatchesBruteForce(index, all, data.Query());
  ExpectMatchesBruteForce(index, all, BBox::World());
}

TEST(SpatialIndexTest, RemoveAndUpdateKeepQueriesExact) {
  SpatialIndex index;
  std::map<std::uint64_t, BBox> all;
  RandomData data(7);
  for (std::uint64_t k = 0; k < 10000; ++k) {
    BBox b = data.Next();
    index.Insert(k, b);
    all[k] = b;
  }
  std::uniform_int_distribution<std::uint64_t> pick(0, 9999);
  for (int i = 0; i < 8000; ++i) {
    std::uint64_t k = pick(data.rng());
    if (i % 2 == 0) {
      EXPECT_EQ(index.Remove(k), all.erase(k) == 1);
    } else {
      BBox b = data.Next();
      index.Update(k, b);
      all[k] = b;
    }
    if (i % 1000 == 0) ExpectMatchesBruteForce(index, all, data.Query());
  }
  EXPECT_EQ(index.size(), all.size());
  for (int i = 0; i < 100; ++i) ExpectMatchesBruteForce(index, all, data.Query());
  for (const auto& [k, b] : all) EXPECT_TRUE(index.Contains(k));
  // Remove everything: queries then report nothing.
  for (const auto& [k, b] : all) EXPECT_TRUE(index.Remove(k));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(QueryAll(index, BBox::World()).empty());
}

TEST(SpatialIndexTest, InsertingAnExistingKeyReplacesItsBox) {
  SpatialIndex index;
  index.Insert(1, BBox::OfPoint(105.85, 21.03));
  index.Insert(1, BBox::OfPoint(-70, 40));
  EXPECT_EQ(index.size(), 1u);
  EXPECT_TRUE(QueryAll(index, BBox{105, 21, 106, 22}).empty());
  EXPECT_EQ(QueryAll(index, BBox{-71, 39, -69, 41}), std::vector<std::uint64_t>{1});
}

TEST(SpatialIndexTest, RemoveOfMissingKeyReturnsFalse) {
  SpatialIndex index;
  EXPECT_FALSE(index.Remove(5));
  index.Insert(5, BBox::OfPoint(0, 0));
  EXPECT_TRUE(index.Remove(5));
  EXPECT_FALSE(index.Remove(5));
}

TEST(SpatialIndexTest, StopsWhenCallbackReturnsFalse) {
  SpatialIndex index;
  for (std::uint64_t k = 0; k < 100; ++k) index.Insert(k, BBox::OfPoint(105.85, 21.03));
  int calls = 0;
  bool completed = index.Query(BBox{105, 21, 106, 22}, [&](std::uint64_t) { return ++calls < 3; });
  EXPECT_FALSE(completed);
  EXPECT_EQ(calls, 3);
}

TEST(SpatialIndexTest, FindsPointsOnTheWorldEdgesAndKeysAtExtremes) {
  SpatialIndex index;
  index.Insert(0, BBox::OfPoint(-180, -90));
  index.Insert(~0ull, BBox::OfPoint(180, 90));
  index.Insert(2, BBox::OfPoint(180, -90));
  EXPECT_EQ(QueryAll(index, BBox{179.99, 89.99, 180, 90}), std::vector<std::uint64_t>{~0ull});
  EXPECT_EQ(QueryAll(index, BBox{-180, -90, -179.99, -89.99}), std::vector<std::uint64_t>{0});
  EXPECT_EQ(QueryAll(index, BBox::World()).size(), 3u);
}

TEST(SpatialIndexTest, SmallBoxReachingIntoNeighbourCellIsFound) {
  SpatialIndex index(0.01);
  // Min corner in one cell, the box ends in the next; the query touches only the next cell.
  index.Insert(9, BBox{105.8595, 21.0295, 105.8605, 21.0305});
  EXPECT_EQ(QueryAll(index, BBox{105.8601, 21.0301, 105.8602, 21.0302}),
            std::vector<std::uint64_t>{9});
}

TEST(SpatialIndexTest, CellsAreAtLeastTheAreasLongerSideOver60000) {
  EXPECT_DOUBLE_EQ(SpatialIndex(0.01).cell_degrees(), 0.01);
  EXPECT_DOUBLE_EQ(SpatialIndex(0.0001).cell_degrees(), 0.006);  // the world: 360 / 60,000
  EXPECT_DOUBLE_EQ(SpatialIndex(0.0001, BBox{105.84, 21.01, 105.87, 21.05}).cell_degrees(), 0.0001);
  EXPECT_DOUBLE_EQ(SpatialIndex(0.0001, BBox{100, 20, 112, 21}).cell_degrees(), 12.0 / 60000);
  EXPECT_DOUBLE_EQ(SpatialIndex(0.0001, BBox::Empty()).cell_degrees(), 0.006);
}

// Fine cells over a district: boxes inside it, around it and anywhere in the world (kept in
// the edge cells) are all found.
TEST(SpatialIndexTest, FineCellsOverAnAreaMatchBruteForce) {
  const BBox area{105.84, 21.01, 105.87, 21.05};
  SpatialIndex index(0.0002, area);
  std::map<std::uint64_t, BBox> all;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> lon(105.835, 105.875), lat(21.005, 21.055),
      side(0, 0.0004), u(0, 1), world_lon(-180, 180), world_lat(-90, 90);
  for (std::uint64_t k = 0; k < 20000; ++k) {
    const double x = lon(rng), y = lat(rng), kind = u(rng);
    BBox b = kind < 0.3    ? BBox::OfPoint(x, y)
             : kind < 0.9  ? BBox{x, y, x + side(rng), y + side(rng)}
             : kind < 0.97 ? BBox{x, y, x + 0.01, y + 0.002}  // larger than a cell
                           : BBox::OfPoint(world_lon(rng), world_lat(rng));
    index.Insert(k, b);
    all[k] = b;
  }
  for (int i = 0; i < 300; ++i) {
    const double x = lon(rng), y = lat(rng);
    const double s = i % 3 == 0 ? 0 : side(rng) * (i % 3 == 1 ? 1 : 20);
    ExpectMatchesBruteForce(index, all, BBox{x, y, x + s, y + s});
  }
  ExpectMatchesBruteForce(index, all, BBox{-180, -90, 105.84, 21.01});  // all below-left
  ExpectMatchesBruteForce(index, all, BBox::World());
}

TEST(SpatialIndexTest, AnAreaOfOnePointStillIndexes) {
  SpatialIndex index(0.01, BBox::OfPoint(105.85, 21.03));
  index.Insert(1, BBox::OfPoint(105.85, 21.03));
  index.Insert(2, BBox::OfPoint(105.86, 21.04));
  EXPECT_EQ(QueryAll(index, BBox{105.855, 21.035, 105.865, 21.045}), std::vector<std::uint64_t>{2});
  EXPECT_EQ(QueryAll(index, BBox::World()).size(), 2u);
}

TEST(SpatialIndexTest, EmptyBoxesAreStoredButNeverFound) {
  SpatialIndex index;
  index.Insert(3, BBox::Empty());
  EXPECT_EQ(index.size(), 1u);
  EXPECT_TRUE(QueryAll(index, BBox::World()).empty());
  EXPECT_TRUE(QueryAll(index, BBox::Empty()).empty());
  EXPECT_TRUE(index.Remove(3));
}

TEST(SpatialIndexTest, ClearRemovesEverything) {
  SpatialIndex index;
  for (std::uint64_t k = 0; k < 1000; ++k) index.Insert(k, BBox::OfPoint(k * 0.001, 0));
  index.Clear();
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(QueryAll(index, BBox::World()).empty());
  index.Insert(1, BBox::OfPoint(0, 0));
  EXPECT_EQ(QueryAll(index, BBox::World()).size(), 1u);
}

}  // namespace
}  // namespace dothi::geo
