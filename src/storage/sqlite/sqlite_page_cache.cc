#include "storage/sqlite/sqlite_page_cache.h"

#include <mutex>

#include <sqlite3.h>

namespace dothi::storage::sqlite {
namespace {

// SQLite never stores a page at the one holding the pending byte (file offset 2^30).
constexpr unsigned kPendingByte = 0x40000000u;

sqlite3_pcache_methods2 base_methods;  // SQLite's own cache, read once before initialization

struct Cache {
  sqlite3_pcache* base = nullptr;
  unsigned parking_key = 0;  // the pending-byte page number for this page size
  unsigned max_key = 0;      // no page above this is in the cache (parking_key left out)
};

Cache* Of(sqlite3_pcache* p) { return reinterpret_cast<Cache*>(p); }

int Init(void*) {
  return base_methods.xInit != nullptr ? base_methods.xInit(base_methods.pArg) : SQLITE_OK;
}

void Shutdown(void*) {
  if (base_methods.xShutdown != nullptr) base_methods.xShutdown(base_methods.pArg);
}

sqlite3_pcache* Create(int page_size, int extra_size, int purgeable) {
  sqlite3_pcache* base = base_methods.xCreate(page_size, extra_size, purgeable);
  if (base == nullptr) return nullptr;
  auto* cache = new (std::nothrow) Cache;
  if (cache == nullptr) {
    base_methods.xDestroy(base);
    return nullptr;
  }
  cache->base = base;
  cache->parking_key = page_size > 0 ? kPendingByte / static_cast<unsigned>(page_size) + 1 : 0;
  return reinterpret_cast<sqlite3_pcache*>(cache);
}

void Cachesize(sqlite3_pcache* p, int n) { base_methods.xCachesize(Of(p)->base, n); }

int Pagecount(sqlite3_pcache* p) { return base_methods.xPagecount(Of(p)->base); }

sqlite3_pcache_page* Fetch(sqlite3_pcache* p, unsigned key, int create) {
  Cache* c = Of(p);
  sqlite3_pcache_page* page = base_methods.xFetch(c->base, key, create);
  if (page != nullptr && key > c->max_key && key != c->parking_key) c->max_key = key;
  return page;
}

void Unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  base_methods.xUnpin(Of(p)->base, page, discard);
}

void Rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned old_key, unsigned new_key) {
  Cache* c = Of(p);
  base_methods.xRekey(c->base, page, old_key, new_key);
  if (new_key > c->max_key && new_key != c->parking_key) c->max_key = new_key;
}

void Truncate(sqlite3_pcache* p, unsigned limit) {
  // Drops every page numbered limit or above: nothing to do when no such page was cached.
  Cache* c = Of(p);
  if (limit > c->max_key) return;
  base_methods.xTruncate(c->base, limit);
  c->max_key = limit > 0 ? limit - 1 : 0;
}

void Destroy(sqlite3_pcache* p) {
  Cache* c = Of(p);
  base_methods.xDestroy(c->base);
  delete c;
}

void Shrink(sqlite3_pcache* p) { base_methods.xShrink(Of(p)->base); }

}  // namespace

bool InstallPageCacheWrapper() {
  static bool installed = [] {
    if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &base_methods) != SQLITE_OK) return false;
    if (base_methods.xCreate == nullptr || base_methods.xTruncate == nullptr) return false;
    sqlite3_pcache_methods2 wrapper{};
    wrapper.iVersion = base_methods.iVersion;
    wrapper.pArg = nullptr;
    wrapper.xInit = Init;
    wrapper.xShutdown = Shutdown;
    wrapper.xCreate = Create;
    wrapper.xCachesize = Cachesize;
    wrapper.xPagecount = Pagecount;
    wrapper.xFetch = Fetch;
    wrapper.xUnpin = Unpin;
    wrapper.xRekey = Rekey;
    wrapper.xTruncate = Truncate;
    wrapper.xDestroy = Destroy;
    wrapper.xShrink = Shrink;
    return sqlite3_config(SQLITE_CONFIG_PCACHE2, &wrapper) == SQLITE_OK;
  }();
  return installed;
}

}  // namespace dothi::storage::sqlite
