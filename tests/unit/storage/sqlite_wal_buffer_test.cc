#include "storage/sqlite/sqlite_wal_buffer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "fakes/temp_dir.h"
#include "unit/storage/sqlite_sql.h"

namespace dothi::storage::sqlite {
namespace {

// The WAL-buffering VFS holds a transaction's WAL writes until SQLite syncs, reads, sizes
// or truncates the WAL. These tests commit through it and read back through a second
// connection on the default VFS, as the store's readers do.
class WalBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(WalBufferVfs(), nullptr);
    const std::string path = (dir_.path() / "walbuf.db").string();
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &writer_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                              WalBufferVfs()),
              SQLITE_OK);
    Exec(writer_, "PRAGMA page_size=2048");
    Exec(writer_, "PRAGMA journal_mode=WAL");
    Exec(writer_, "PRAGMA synchronous=FULL");
    Exec(writer_, "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &reader_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  }
  void TearDown() override {
    sqlite3_close(reader_);
    sqlite3_close(writer_);
  }
  static void Exec(sqlite3* db, const std::string& sql) { testing::ExecSql(db, sql); }
  static std::string Text(sqlite3* db, const std::string& sql) {
    return testing::QueryText(db, sql);
  }
  // Inserts rows [from, to) with 1,500-byte blobs whose bytes depend on k.
  void Insert(int from, int to) {
    Exec(writer_, "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(from) +
                      " UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(to - 1) +
                      ") INSERT INTO t SELECT i, replace(hex(zeroblob(750)), '00', "
                      "printf('%02x', i % 256)) FROM n");
  }

  dothi::testing::TempDir dir_;
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
