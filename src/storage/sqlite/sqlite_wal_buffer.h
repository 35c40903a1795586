#pragma once

namespace dothi::storage::sqlite {

// A SQLite VFS ("dothi-wal-buffer") over the default one that gathers the writes of a
// transaction to the WAL file and hands them to the kernel as one write when SQLite syncs
// the WAL (or reads, sizes, truncates or closes it). SQLite writes each WAL frame as two
// writes (24-byte header, then the page), so a group commit of 20 updates made ~100 small
// pwrite calls; now it makes one. Every other file, and every other call, goes straight to
// the default VFS.
//
// Only for a connection with synchronous=FULL: SQLite then syncs the WAL before it
// publishes a commit to readers, so buffered frames are always in the file by the time
// another connection can look for them. (With synchronous=NORMAL a commit is published
// without a sync, and readers would miss the buffered frames.)
//
// Returns the VFS name to pass to sqlite3_open_v2, registering it on first use, or nullptr
// when it cannot be registered (then open with the default VFS).
const char* WalBufferVfs();

}  // namespace dothi::storage::sqlite
