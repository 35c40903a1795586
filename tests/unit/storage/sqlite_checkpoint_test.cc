#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/temp_dir.h"
#include "storage/sqlite/sqlite_entity_store.h"
#include "unit/storage/sqlite_sql.h"

// The store's checkpoints: a checkpointer thread copies the WAL into the database file while
// the writer goes on committing, and the writer finishes the copy so that the WAL starts
// over. Observed through Stats(): wal_pages falls when the WAL starts over.
namespace dothi::storage::sqlite {
namespace {

constexpr std::size_t kCheckpointPages = 32;
constexpr int kMaxCommits = 20'000;  // a WAL that never starts over fails long before

std::string Id(int i) { return "urn:ngsi-ld:Sensor:" + std::to_string(i); }

std::string Body(int i) {
  std::string body = "{\"n\":" + std::to_string(i) + ",\"pad\":\"";
  body.append(900, static_cast<char>('a' + i % 26));
  return body + "\"}";
}

class SqliteCheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = (dir_.path() / "store.db").string();
    options_.checkpoint_pages = kCheckpointPages;
  }

  // Commits entity i (a new row, ~1 KB) and returns the WAL's pages after it.
  std::size_t CommitOne(SqliteEntityStore& store, int i) {
    std::vector<EntityWrite> writes;
    writes.push_back(EntityWrite::Put("city", Id(i), Body(i)));
    Status s = store.Commit(std::move(writes));
    EXPECT_TRUE(s.ok()) << s.ToString();
    return store.Stats().wal_pages;
  }

  dothi::testing::TempDir dir_;
  SqliteOptions options_;
};

TEST_F(SqliteCheckpointTest, TheWalStartsOverWhileWritesGoOn) {
  int committed = 0;
  {
    SqliteEntityStore store(options_);
    ASSERT_TRUE(store.Open().ok());
    std::size_t last = 0, starts_over = 0;
    while (committed < kMaxCommits && (starts_over < 5 || store.Stats().checkpoints < 5)) {
      const std::size_t pages = CommitOne(store, committed++);
      if (pages < last) ++starts_over;
      last = pages;
    }
    EXPECT_GE(starts_over, 5u) << "the WAL never started over in " << committed << " commits";
    EXPECT_GE(store.Stats().checkpoints, 5u);
    // Every commit reads back whole, from the WAL or from the database file.
    for (int i = 0; i < committed; ++i) {
      Result<std::optional<std::string>> got = store.Get("city", Id(i));
      ASSERT_TRUE(got.ok() && got->has_value()) << Id(i);
      ASSERT_EQ(**got, Body(i));
    }
  }
  // After Close the WAL is copied back and the file is sound.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(options_.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_EQ(testing::QueryText(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(testing::QueryText(db, "SELECT count(*) FROM entities"), std::to_string(committed));
  sqlite3_close(db);
}

TEST_F(SqliteCheckpointTest, AReaderHoldsTheWalUntilItIsDoneThenItStartsOver) {
  SqliteEntityStore store(options_);
  ASSERT_TRUE(store.Open().ok());
  for (int i = 0; i < 10; ++i) CommitOne(store, i);
  int next = 10;
  // A scan holds its snapshot while its callback runs: the checkpoints cannot copy what the
  // writer commits meanwhile, so the WAL only grows, and writes do not wait for the reader.
  bool scanned = false;
  std::size_t grown_to = 0;
  Status s = store.ScanAll([&](std::string_view, std::string_view, std::string_view) {
    if (scanned) return;
    scanned = true;
    std::size_t last = 0;
    while (last < 8 * kCheckpointPages && next < kMaxCommits) {
      const std::size_t pages = CommitOne(store, next++);
      EXPECT_GE(pages, last) << "the WAL started over under a reader";
      last = pages;
    }
    grown_to = last;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_GE(grown_to, 8 * kCheckpointPages);
  // With the reader gone, later commits ask for checkpoints again and the WAL starts over.
  std::size_t last = grown_to;
  bool started_over = false;
  while (!started_over && next < kMaxCommits) {
    const std::size_t pages = CommitOne(store, next++);
    started_over = pages < last;
    last = pages;
  }
  EXPECT_TRUE(started_over) << "the WAL never started over after the reader finished";
  for (int i = 0; i < next; ++i) {
    Result<std::optional<std::string>> got = store.Get("city", Id(i));
    ASSERT_TRUE(got.ok() && got->has_value()) << Id(i);
    ASSERT_EQ(**got, Body(i));
  }
}

TEST_F(SqliteCheckpointTest, ZeroCheckpointPagesIsRefused) {
  options_.checkpoint_pages = 0;
  SqliteEntityStore store(options_);
  EXPECT_FALSE(store.Open().ok());
}

}  // namespace
}  // namespace dothi::storage::sqlite
