#include "core/flat_hash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <utility>

namespace dothi {
namespace {

// Values carry their own key, as the store's callers do (the id in the slot, the digest's
// other half): the match function compares it.
struct Item {
  std::uint64_t key = 0;
  int payload = 0;
};

auto Is(std::uint64_t key) {
  return [key](const Item& it) { return it.key == key; };
}

TEST(FlatHashTest, FindsWhatWasInsertedAndNothingElse) {
  FlatHash<Item> h;
  EXPECT_EQ(h.Find(7, Is(7)), nullptr);
  for (std::uint64_t k = 1; k <= 1000; ++k) h.Insert(k * 0x9E3779B97F4A7C15ull, Item{k, int(k)});
  EXPECT_EQ(h.size(), 1000u);
  for (std::uint64_t k = 1; k <= 1000; ++k) {
    const Item* it = h.Find(k * 0x9E3779B97F4A7C15ull, Is(k));
    ASSERT_NE(it, nullptr) << k;
    EXPECT_EQ(it->payload, int(k));
  }
  EXPECT_EQ(h.Find(1001 * 0x9E3779B97F4A7C15ull, Is(1001)), nullptr);
}

TEST(FlatHashTest, EntriesSharingAHashAreToldApartByTheMatch) {
  FlatHash<Item> h;
  // Hash 0 is the table's empty marker: it must still work as a caller's hash.
  for (std::uint64_t hash : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{42}}) {
    for (std::uint64_t k = 0; k < 5; ++k) h.Insert(hash, Item{hash * 100 + k, int(k)});
  }
  for (std::uint64_t hash : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{42}}) {
    for (std::uint64_t k = 0; k < 5; ++k) {
      const Item* it = h.Find(hash, Is(hash * 100 + k));
      ASSERT_NE(it, nullptr);
      EXPECT_EQ(it->payload, int(k));
    }
  }
  EXPECT_TRUE(h.Erase(1, Is(102)));
  EXPECT_FALSE(h.Erase(1, Is(102)));
  EXPECT_EQ(h.Find(1, Is(102)), nullptr);
  EXPECT_NE(h.Find(1, Is(103)), nullptr);
  EXPECT_NE(h.Find(0, Is(3)), nullptr);
  EXPECT_EQ(h.size(), 14u);
}

// Random inserts and erases with many home-position collisions (few distinct hashes, small
// table), checked against a std::multimap after every step: the backward shift must keep
// every entry reachable.
TEST(FlatHashTest, MatchesAReferenceUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(20261125);
  FlatHash<Item> h;
  std::multimap<std::uint64_t, std::uint64_t> ref;  // hash -> key
  std::uint64_t next_key = 1;
  for (int step = 0; step < 20000; ++step) {
    const std::uint64_t hash = rng() % 64 * (step % 3 == 0 ? 1 : 0x100000001ull);
    if (ref.empty() || rng() % 3 != 0) {
      h.Insert(hash, Item{next_key, 0});
      ref.emplace(hash, next_key++);
    } else {
      auto victim = std::next(ref.begin(), static_cast<long>(rng() % ref.size()));
      ASSERT_TRUE(h.Erase(victim->first, Is(victim->second)));
      ref.erase(victim);
    }
    ASSERT_EQ(h.size(), ref.size());
    if (step % 97 == 0) {
      for (const auto& [hh, key] : ref) ASSERT_NE(h.Find(hh, Is(key)), nullptr) << step;
    }
  }
  for (const auto& [hh, key] : ref) ASSERT_NE(h.Find(hh, Is(key)), nullptr);
}

TEST(FlatHashTest, EraseIfAndClear) {
  FlatHash<Item> h;
  for (std::uint64_t k = 0; k < 300; ++k) h.Insert(k % 7, Item{k, int(k % 2)});
  h.EraseIf([](const Item& it) { return it.payload == 1; });
  EXPECT_EQ(h.size(), 150u);
  for (std::uint64_t k = 0; k < 300; ++k) {
    EXPECT_EQ(h.Find(k % 7, Is(k)) != nullptr, k % 2 == 0) << k;
  }
  h.Clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.Find(0, Is(0)), nullptr);
  h.Insert(5, Item{5, 1});
  EXPECT_NE(h.Find(5, Is(5)), nullptr);
}

}  // namespace
}  // namespace dothi
