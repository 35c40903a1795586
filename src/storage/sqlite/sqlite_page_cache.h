#pragma once

namespace dothi::storage::sqlite {

// Installs, once per process and before SQLite's first use, a thin wrapper around SQLite's
// own page cache that skips cache truncations with nothing to drop.
//
// Why: when a B-tree split renumbers its new pages, SQLite parks a page for a moment under
// the number of the pending-byte page (page 524,289 with 2 KiB pages). The default cache
// remembers that number as its largest key, so the truncation at the end of every following
// write transaction (to the database's size) scans the whole cache hash table: 8,192 slots
// with a 16 MiB cache. With the history index splitting leaves often, that scan took ~5% of
// dothi's CPU under a durable-update load. The wrapper keeps its own largest key (leaving
// out that parking number) and passes a truncation on only when a page can be above the
// limit. Everything else goes straight to SQLite's cache.
//
// Returns false when SQLite was already initialized (the wrapper is then not installed and
// SQLite works as before).
bool InstallPageCacheWrapper();

}  // namespace dothi::storage::sqlite
