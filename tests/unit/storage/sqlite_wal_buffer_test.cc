#include "storage/sqlite/sqlite_wal_buffer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace dothi::storage::sqlite {
namespace {

// The WAL-buffering VFS holds a transaction's WAL writes until SQLite syncs, reads, sizes
// or truncates the WAL. These tests commit through it and read back through a second
// connection on the default VFS, as the store's readers do.
class WalBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(WalBufferVfs(), nullptr);
    path_ = (std::filesystem::temp_directory_path() /
             ("dothi-walbuf-" + std::to_string(::getpid()) + ".db"))
                .string();
    Remove();
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &writer_,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, WalBufferVfs()),
              SQLITE_OK);
    Exec(writer_, "PRAGMA page_size=2048");
    Exec(writer_, "PRAGMA journal_mode=WAL");
    Exec(writer_, "PRAGMA synchronous=FULL");
    Exec(writer_, "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &reader_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(reader_);
    sqlite3_close(writer_);
    Remove();
  }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  static void Exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << sql << ": " << (err != nullptr ? err : "");
  }
  static std::string Text(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  // Inserts rows [from, to) with 1,500-byte blobs whose bytes depend on k.
  void Insert(int from, int to) {
    Exec(writer_, "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(from) +
                      " UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(to - 1) +
                      ") INSERT INTO t SELECT i, replace(hex(zeroblob(750)), '00', "
                      "printf('%02x', i % 256)) FROM n");
  }

  std::string path_;
  sqlite3* writer_ = nullptr;
  sqlite3* reader_ = nullptr;
};

TEST_F(WalBufferTest, EachCommitIsVisibleToAnotherConnectionAtOnce) {
  for (int i = 0; i < 50; ++i) {
    Insert(i * 10, i * 10 + 10);  // one small transaction each
    EXPECT_EQ(Text(reader_, "SELECT count(*) FROM t"), std::to_string(i * 10 + 10));
  }
  std::string expected;
  for (int i = 0; i < 750; ++i) expected += "01";  // 257 % 256 = 1
  EXPECT_EQ(Text(reader_, "SELECT v FROM t WHERE k = 257"), expected);
  EXPECT_EQ(Text(reader_, "PRAGMA integrity_check"), "ok");
}

TEST_F(WalBufferTest, LargeTransactionsAndCacheSpillsReadBackWhole) {
  // ~6 MB in one transaction: more than the buffer holds (written out mid-transaction in
  // 64 KiB pieces), and with a 50-page cache SQLite spills pages to the WAL and reads them
  // back before the commit.
  Exec(writer_, "PRAGMA cache_size=50");
  Exec(writer_, "BEGIN");
  Insert(0, 4000);
  Exec(writer_, "UPDATE t SET v = upper(v) WHERE k % 7 = 0");
  Exec(writer_, "COMMIT");
  EXPECT_EQ(Text(reader_, "SELECT count(*) FROM t"), "4000");
  EXPECT_EQ(Text(reader_, "SELECT count(*) FROM t WHERE length(v) = 1500"), "4000");
  EXPECT_EQ(Text(reader_, "SELECT v FROM t WHERE k = 2730"), std::string(1500, 'A'));  // "aa"
  EXPECT_EQ(Text(reader_, "SELECT count(*) FROM t WHERE k % 7 = 0 AND v <> upper(v)"), "0");
  // Every row holds its own byte pattern.
  EXPECT_EQ(Text(reader_, "SELECT count(*) FROM t WHERE lower(v) <> replace(hex(zeroblob(750)), "
                          "'00', printf('%02x', k % 256))"),
            "0");
  // A checkpoint copies the WAL (read through the buffer) into the database file.
  Exec(writer_, "PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_EQ(Text(reader_, "SELECT count(*) FROM t"), "4000");
  EXPECT_EQ(Text(writer_, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace dothi::storage::sqlite
