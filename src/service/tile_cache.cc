#include "service/tile_cache.h"

#include <algorithm>

namespace dothi::service {
namespace {

constexpr std::size_t kEntryOverhead = 160;  // bytes: list node, map slot, Entry, strings
constexpr std::size_t kLargestShare = 8;     // one entry takes at most 1/8 of the bound

}  // namespace

TileCache::TileCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

std::uint64_t TileCache::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::size_t TileCache::Cost(const std::string& key, const Entry& e) {
  std::size_t n = kEntryOverhead + 2 * key.size() + e.etag.size() + e.tenant.size() +
                  (e.gzip != nullptr ? e.gzip->size() : 0);
  for (const std::string& l : e.layers) n += l.size() + sizeof(std::string);
  return n;
}

std::shared_ptr<const TileCache::Entry> TileCache::Find(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->entry;
}

bool TileCache::Insert(const std::string& key, std::shared_ptr<const Entry> entry,
                       std::uint64_t generation) {
  const std::size_t cost = Cost(key, *entry);
  if (max_bytes_ == 0 || cost > max_bytes_ / kLargestShare) return false;
  std::lock_guard lock(mu_);
  if (generation != generation_) return false;  // a layer changed while the tile was built
  if (auto it = index_.find(key); it != index_.end()) EraseLocked(it->second);
  lru_.push_front(Node{key, std::move(entry), cost});
  index_.emplace(lru_.front().key, lru_.begin());
  stats_.bytes += cost;
  ++stats_.entries;
  ++stats_.inserts;
  while (stats_.bytes > max_bytes_ && !lru_.empty()) {
    EraseLocked(std::prev(lru_.end()));
    ++stats_.evictions;
  }
  return true;
}

void TileCache::EraseLocked(List::iterator it) {
  stats_.bytes -= it->bytes;
  --stats_.entries;
  index_.erase(std::string_view(it->key));
  lru_.erase(it);
}

void TileCache::InvalidateLayer(std::string_view tenant, std::string_view layer) {
  std::lock_guard lock(mu_);
  ++generation_;
  for (auto it = lru_.begin(); it != lru_.end();) {
    const Entry& e = *it->entry;
    const bool shows =
        e.tenant == tenant &&
        (e.all_layers || std::find(e.layers.begin(), e.layers.end(), layer) != e.layers.end());
    if (!shows) {
      ++it;
      continue;
    }
    auto next = std::next(it);
    EraseLocked(it);
    ++stats_.invalidations;
    it = next;
  }
}

TileCache::Stats TileCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace dothi::service
