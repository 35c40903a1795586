#include "storage/sqlite/sqlite_page_cache.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <random>
#include <string>

#include "fakes/temp_dir.h"
#include "storage/sqlite/sqlite_entity_store.h"
#include "unit/storage/sqlite_sql.h"

namespace dothi::storage::sqlite {
namespace {

// The wrapper sits under every page SQLite reads or writes and skips truncations it can
// prove empty. These tests drive SQLite through it on the paths it touches: growth that is
// rolled back (pages above the database size, then allocated again), and B-tree splits that
// renumber pages (the parking key), with a cache small enough to evict, and check that what
// SQLite reads back is what was committed. (A skipped truncation is not visible here:
// SQLite zeroes any page above the database size when it allocates it again. The gain is
// measured by bench/instructions.sh.)
class PageCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InstallPageCacheWrapper());  // each test runs in its own process (ctest)
    const std::string path = (dir_.path() / "pcache.db").string();
    ASSERT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    Exec("PRAGMA page_size=2048");
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA cache_size=64");  // pages: small, so pages are evicted and read again
  }
  void TearDown() override { sqlite3_close(db_); }
  void Exec(const std::string& sql) { testing::ExecSql(db_, sql); }
  std::string Text(const std::string& sql) { return testing::QueryText(db_, sql); }

  dothi::testing::TempDir dir_;
  sqlite3* db_ = nullptr;
};

TEST_F(PageCacheTest, RolledBackGrowthLeavesNoStalePages) {
  Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
  Exec("INSERT INTO t VALUES (1, 'kept')");
  // A transaction that grows the file by many pages, then rolls back: the pages it added
  // (numbers above the database size) must leave the cache.
  Exec("BEGIN");
  Exec("WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 400) "
       "INSERT INTO t SELECT i, randomblob(1500) FROM n");
  Exec("ROLLBACK");
  // The same page numbers are allocated again with other content.
  Exec("BEGIN");
  Exec("WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n WHERE i < 1300) "
       "INSERT INTO t SELECT i, zeroblob(1500) FROM n");
  Exec("COMMIT");
  EXPECT_EQ(Text("SELECT count(*) FROM t"), "302");
  EXPECT_EQ(Text("SELECT v FROM t WHERE k = 1"), "kept");
  EXPECT_EQ(Text("SELECT count(*) FROM t WHERE k BETWEEN 2 AND 400"), "0");
  EXPECT_EQ(Text("SELECT sum(length(v)) FROM t WHERE k >= 1000"), std::to_string(301 * 1500));
  EXPECT_EQ(Text("PRAGMA integrity_check"), "ok");
}

TEST_F(PageCacheTest, IndexSplitsThatRenumberPagesKeepEveryRow) {
  // Random-order inserts into an index split leaves in the middle of the tree, which is
  // where SQLite parks pages under the pending-byte page number while renumbering them.
  Exec("CREATE TABLE h (id INTEGER PRIMARY KEY, series INTEGER, t INTEGER)");
  Exec("CREATE INDEX h_series ON h (series, t)");
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> series(1, 2000);
  long expected_sum = 0;
  int rows = 0;
  for (int txn = 0; txn < 200; ++txn) {
    Exec("BEGIN");
    std::string sql = "INSERT INTO h (series, t) VALUES ";
    for (int i = 0; i < 50; ++i) {
      int s = series(rng);
      expected_sum += s;
      ++rows;
      sql += (i ? ",(" : "(") + std::to_string(s) + "," + std::to_string(txn * 50 + i) + ")";
    }
    Exec(sql);
    if (txn % 10 == 9) {
      // Now and then a transaction that splits pages and is then rolled back.
      Exec("SAVEPOINT sp");
      Exec("INSERT INTO h (series, t) SELECT series + 1, t FROM h WHERE id % 3 = 0");
      Exec("ROLLBACK TO sp");
      Exec("RELEASE sp");
    }
    Exec("COMMIT");
  }
  EXPECT_EQ(Text("SELECT count(*) FROM h"), std::to_string(rows));
  EXPECT_EQ(Text("SELECT sum(series) FROM h INDEXED BY h_series WHERE series > 0"),
            std::to_string(expected_sum));
  EXPECT_EQ(Text("PRAGMA integrity_check"), "ok");
}

// The store sets SQLite up in the order the wrapper needs: opening a store first (as the
// server does) leaves the wrapper installed. (A VFS lookup before it once initialized
// SQLite first, and the wrapper silently stayed out.)
TEST(PageCacheWrapperTest, IsInstalledAfterAStoreOpensFirst) {
  dothi::testing::TempDir dir;
  {
    SqliteOptions options;
    options.path = (dir.path() / "store.db").string();
    SqliteEntityStore store(options);
    ASSERT_TRUE(store.Open().ok());
    store.Close();
  }
  EXPECT_TRUE(InstallPageCacheWrapper());
}

}  // namespace
}  // namespace dothi::storage::sqlite
