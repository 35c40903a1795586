#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

// TileCache keeps encoded vector tiles made from imported layers: their gzip bytes and
// ETag, bounded in bytes, the least recently used going first. Each entry names the tenant
// and the layers it was made from, so that a layer change drops exactly the tiles that
// showed it. Tiles of NGSI-LD entity types are never stored (they change continuously).
//
// A tile built while a layer changed must not be stored: read generation() before reading
// the layers, and pass it to Insert, which refuses the entry when an invalidation came in
// between. Thread-safe: one mutex; Find and Insert are O(1), an invalidation scans the
// entries (layers change rarely).
namespace dothi::service {

class TileCache {
 public:
  struct Entry {
    std::shared_ptr<const std::string> gzip;  // the tile, gzip-compressed ("" when empty)
    std::string etag;                         // of the uncompressed tile
    bool empty = false;                       // the tile has no feature
    bool truncated = false;                   // the feature limit left features out
    std::string tenant;
    bool all_layers = false;          // made from every layer of the tenant (dataset tile)
    std::vector<std::string> layers;  // the layers it shows (when not all_layers)
  };

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t inserts = 0;
    std::uint64_t evictions = 0;      // dropped for room
    std::uint64_t invalidations = 0;  // dropped because a layer changed
    std::size_t entries = 0;
    std::size_t bytes = 0;  // accounted bytes (tiles, keys and a fixed overhead per entry)
  };

  // max_bytes: the bound on accounted bytes; 0 stores nothing.
  explicit TileCache(std::size_t max_bytes);
  TileCache(const TileCache&) = delete;
  TileCache& operator=(const TileCache&) = delete;

  std::size_t max_bytes() const { return max_bytes_; }

  // Counts invalidations; see the class comment.
  std::uint64_t generation() const;

  // The entry under key (now the most recently used), or nullptr.
  std::shared_ptr<const Entry> Find(const std::string& key);

  // Stores entry under key (replacing an older one) unless an invalidation happened since
  // generation was read, or the entry would take more than an eighth of max_bytes.
  // Returns whether it was stored.
  bool Insert(const std::string& key, std::shared_ptr<const Entry> entry, std::uint64_t generation);

  // Drops the tiles of tenant that show layer (and its dataset tiles).
  void InvalidateLayer(std::string_view tenant, std::string_view layer);

  Stats stats() const;

 private:
  struct Node {
    std::string key;
    std::shared_ptr<const Entry> entry;
    std::size_t bytes = 0;
  };
  using List = std::list<Node>;

  static std::size_t Cost(const std::string& key, const Entry& e);
  void EraseLocked(List::iterator it);

  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  List lru_;  // front: most recently used; guarded by mu_
  std::unordered_map<std::string_view, List::iterator> index_;  // keys view lru_ nodes
  std::uint64_t generation_ = 0;                                // guarded by mu_
  Stats stats_;  // guarded by mu_ (entries and bytes kept current)
};

}  // namespace dothi::service
