#include "storage/entity_store.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "fakes/memory_entity_store.h"
#include "fakes/temp_dir.h"
#include "storage/sqlite/sqlite_entity_store.h"

// The storage contract: every EntityStore must pass the TEST_P cases below. Backends can
// only disagree by failing this suite. SqliteEntityStoreTest adds what only SQLite has:
// group commit, persistence across processes' lifetimes and its open errors.
namespace dothi::storage {
namespace {

namespace fs = std::filesystem;
using sqlite::SqliteEntityStore;
using sqlite::SqliteOptions;

using testing::TempDir;

EntityWrite Put(std::string tenant, std::string id, std::string bytes) {
  return EntityWrite::Put(std::move(tenant), std::move(id), std::move(bytes));
}

EntityWrite Delete(std::string tenant, std::string id) {
  return EntityWrite::Delete(std::move(tenant), std::move(id));
}

using Row = std::tuple<std::string, std::string, std::string>;  // tenant, id, bytes

std::map<std::pair<std::string, std::string>, std::string> ScanToMap(EntityStore& store) {
  std::map<std::pair<std::string, std::string>, std::string> rows;
  Status s = store.ScanAll([&](std::string_view tenant, std::string_view id,
                               std::string_view bytes) {
    rows[{std::string(tenant), std::string(id)}] = std::string(bytes);
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rows;
}

std::map<std::string, std::string> ScanDocsToMap(EntityStore& store, std::string_view kind) {
  std::map<std::string, std::string> docs;
  Status s = store.ScanDocuments(kind, [&](std::string_view key, std::string_view bytes) {
    docs[std::string(key)] = std::string(bytes);
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return docs;
}

struct StoreFactory {
  std::string name;
  // A new, unopened store that keeps its data under dir (an existing directory).
  std::function<std::unique_ptr<EntityStore>(const fs::path& dir)> make;
  // A second store made on the same dir sees what the first committed.
  bool persistent = false;
};

void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

std::string FactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

class EntityStoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make(dir_.path());
    Status s = store_->Open();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void TearDown() override {
    if (store_ != nullptr) store_->Close();
  }

  std::optional<std::string> MustGet(std::string_view tenant, std::string_view id) {
    Result<std::optional<std::string>> r = store_->Get(tenant, id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }

  TempDir dir_;  // declared first: outlives the store
  std::unique_ptr<EntityStore> store_;
};

TEST_P(EntityStoreContractTest, GetOfMissingEntityIsEmpty) {
  EXPECT_EQ(MustGet("t", "urn:ngsi-ld:Bus:1"), std::nullopt);
}

TEST_P(EntityStoreContractTest, PutThenGetReturnsTheSameBytes) {
  std::string binary("a\0b\xff\x01", 5);  // opaque bytes, NULs included
  ASSERT_TRUE(store_->Commit({Put("t", "urn:ngsi-ld:Bus:1", binary)}).ok());
  EXPECT_EQ(MustGet("t", "urn:ngsi-ld:Bus:1"), binary);
}

TEST_P(EntityStoreContractTest, EmptyBytesAreStoredNotMissing) {
  ASSERT_TRUE(store_->Commit({Put("t", "e", "")}).ok());
  EXPECT_EQ(MustGet("t", "e"), std::string());
}

TEST_P(EntityStoreContractTest, PutOverwritesPreviousBytes) {
  ASSERT_TRUE(store_->Commit({Put("t", "e", "v1")}).ok());
  ASSERT_TRUE(store_->Commit({Put("t", "e", "v2")}).ok());
  EXPECT_EQ(MustGet("t", "e"), "v2");
  EXPECT_EQ(ScanToMap(*store_).size(), 1u);
}

TEST_P(EntityStoreContractTest, DeleteRemovesEntity) {
  ASSERT_TRUE(store_->Commit({Put("t", "e", "v1"), Put("t", "f", "v1")}).ok());
  ASSERT_TRUE(store_->Commit({Delete("t", "e")}).ok());
  EXPECT_EQ(MustGet("t", "e"), std::nullopt);
  EXPECT_EQ(MustGet("t", "f"), "v1");
}

TEST_P(EntityStoreContractTest, DeleteOfMissingEntitySucceeds) {
  EXPECT_TRUE(store_->Commit({Delete("t", "nothing")}).ok());
}

TEST_P(EntityStoreContractTest, EmptyCommitSucceeds) {
  EXPECT_TRUE(store_->Commit({}).ok());
}

TEST_P(EntityStoreContractTest, SameIdInTwoTenantsIsIndependent) {
  ASSERT_TRUE(store_->Commit({Put("city-a", "e", "A"), Put("city-b", "e", "B")}).ok());
  EXPECT_EQ(MustGet("city-a", "e"), "A");
  EXPECT_EQ(MustGet("city-b", "e"), "B");
  EXPECT_EQ(MustGet("", "e"), std::nullopt);

  ASSERT_TRUE(store_->Commit({Delete("city-a", "e")}).ok());
  EXPECT_EQ(MustGet("city-a", "e"), std::nullopt);
  EXPECT_EQ(MustGet("city-b", "e"), "B");
}

TEST_P(EntityStoreContractTest, ScanAllReportsTenantIdAndBytes) {
  ASSERT_TRUE(
      store_->Commit({Put("city-a", "e1", "A1"), Put("city-b", "e1", "B1"), Put("", "e2", "D2")})
          .ok());
  std::vector<Row> rows;
  ASSERT_TRUE(store_
                  ->ScanAll([&](std::string_view t, std::string_view id, std::string_view b) {
                    rows.emplace_back(t, id, b);
                  })
                  .ok());
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, (std::vector<Row>{{"", "e2", "D2"}, {"city-a", "e1", "A1"},
                                    {"city-b", "e1", "B1"}}));
}

TEST_P(EntityStoreContractTest, ScanCallbackMayReadTheStore) {
  ASSERT_TRUE(store_->Commit({Put("t", "a", "1"), Put("t", "b", "2")}).ok());
  int seen = 0;
  ASSERT_TRUE(store_
                  ->ScanAll([&](std::string_view t, std::string_view id, std::string_view b) {
                    EXPECT_EQ(MustGet(t, id), std::string(b));
                    ++seen;
                  })
                  .ok());
  EXPECT_EQ(seen, 2);
}

TEST_P(EntityStoreContractTest, MultiWriteCommitAppliesWritesInOrder) {
  ASSERT_TRUE(store_->Commit({Put("t", "a", "1"), Put("t", "b", "1"), Delete("t", "a"),
                              Put("t", "b", "2"), Put("t", "c", "1")})
                  .ok());
  auto rows = ScanToMap(*store_);
  EXPECT_EQ(rows, (decltype(rows){{{"t", "b"}, "2"}, {{"t", "c"}, "1"}}));
}

// Readers never see half of a Commit: a and b always carry the same version in a scan.
TEST_P(EntityStoreContractTest, MultiWriteCommitIsSeenWholeOrNotAtAll) {
  ASSERT_TRUE(store_->Commit({Put("t", "a", "0"), Put("t", "b", "0")}).ok());
  constexpr int kVersions = 300;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int v = 1; v <= kVersions; ++v) {
      std::string bytes = std::to_string(v);
      EXPECT_TRUE(store_->Commit({Put("t", "a", bytes), Put("t", "b", bytes)}).ok());
    }
    done = true;
  });
  int scans = 0;
  while (!done || scans == 0) {
    auto rows = ScanToMap(*store_);
    ASSERT_EQ(rows.size(), 2u);
    const std::string& a = rows[{"t", "a"}];
    const std::string& b = rows[{"t", "b"}];
    ASSERT_EQ(a, b) << "scan saw a partial commit";
    ++scans;
  }
  writer.join();
  EXPECT_EQ(MustGet("t", "a"), std::to_string(kVersions));
}

TEST_P(EntityStoreContractTest, DocumentsPutScanOverwriteDelete) {
  ASSERT_TRUE(store_->PutDocument("context", "core", "{\"@context\":1}").ok());
  ASSERT_TRUE(store_->PutDocument("context", "city", "c1").ok());
  ASSERT_TRUE(store_->PutDocument("setting", "core", "s1").ok());
  ASSERT_TRUE(store_->PutDocument("context", "city", "c2").ok());

  EXPECT_EQ(ScanDocsToMap(*store_, "context"),
            (std::map<std::string, std::string>{{"city", "c2"}, {"core", "{\"@context\":1}"}}));
  EXPECT_EQ(ScanDocsToMap(*store_, "setting"), (std::map<std::string, std::string>{{"core", "s1"}}));
  EXPECT_TRUE(ScanDocsToMap(*store_, "nothing").empty());

  ASSERT_TRUE(store_->DeleteDocument("context", "core").ok());
  ASSERT_TRUE(store_->DeleteDocument("context", "missing").ok());
  EXPECT_EQ(ScanDocsToMap(*store_, "context"), (std::map<std::string, std::string>{{"city", "c2"}}));
  // Documents and entities are separate namespaces.
  EXPECT_TRUE(ScanToMap(*store_).empty());
}

// An asynchronous document write lands before the commits queued after it: when a commit
// queued after it reports OK, the document is there.
TEST_P(EntityStoreContractTest, AsyncDocumentWritesKeepTheirOrderWithCommits) {
  constexpr int kRounds = 200;
  std::vector<std::promise<Status>> docs(kRounds), commits(kRounds);
  std::atomic<int> docs_missing_at_commit{0};
  for (int i = 0; i < kRounds; ++i) {
    const std::string key = "k" + std::to_string(i);
    store_->PutDocumentAsync("report", key, "v" + std::to_string(i),
                             [&docs, i](Status s) { docs[i].set_value(std::move(s)); });
    store_->CommitAsync({Put("t", "e" + std::to_string(i), "x")}, [&, i, key](Status s) {
      commits[i].set_value(std::move(s));
    });
  }
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(commits[i].get_future().get().ok());
    // The document queued before this commit is durable by now.
    const auto all = ScanDocsToMap(*store_, "report");
    if (all.count("k" + std::to_string(i)) == 0) docs_missing_at_commit.fetch_add(1);
    ASSERT_TRUE(docs[i].get_future().get().ok());
  }
  EXPECT_EQ(docs_missing_at_commit.load(), 0);
  EXPECT_EQ(ScanDocsToMap(*store_, "report").size(), std::size_t{kRounds});
}

TEST_P(EntityStoreContractTest, ReopenKeepsEntitiesAndDocuments) {
  if (!GetParam().persistent) GTEST_SKIP() << GetParam().name << " keeps nothing across opens";
  ASSERT_TRUE(store_->Commit({Put("t1", "e", "one"), Put("t2", "e", "two")}).ok());
  ASSERT_TRUE(store_->Commit({Delete("t2", "e"), Put("t2", "f", "three")}).ok());
  ASSERT_TRUE(store_->PutDocument("context", "core", "ctx").ok());
  store_->Close();

  store_ = GetParam().make(dir_.path());
  Status s = store_->Open();
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto rows = ScanToMap(*store_);
  EXPECT_EQ(rows, (decltype(rows){{{"t1", "e"}, "one"}, {{"t2", "f"}, "three"}}));
  EXPECT_EQ(ScanDocsToMap(*store_, "context"), (std::map<std::string, std::string>{{"core", "ctx"}}));
}

TEST_P(EntityStoreContractTest, ConcurrentCommitsFromSixteenThreadsAreAllVisible) {
  constexpr int kThreads = 16;
  constexpr int kCommitsPerThread = 100;
  StoreStats before = store_->Stats();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommitsPerThread; ++i) {
        std::string id = "e-" + std::to_string(t) + "-" + std::to_string(i);
        Status s = store_->Commit({Put("t", id, "x" + id), Put("u", id, "y" + id)});
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    });
  }
  for (std::thread& th : threads) th.join();

  auto rows = ScanToMap(*store_);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(2 * kThreads * kCommitsPerThread));
  for (const auto& [key, bytes] : rows) {
    EXPECT_EQ(bytes, (key.first == "t" ? "x" : "y") + key.second);
  }
  StoreStats after = store_->Stats();
  std::uint64_t commits = after.commits - before.commits;
  std::uint64_t transactions = after.transactions - before.transactions;
  EXPECT_EQ(commits, static_cast<std::uint64_t>(kThreads * kCommitsPerThread));
  EXPECT_GE(transactions, 1u);
  EXPECT_LE(transactions, commits);
}

// CommitAsync reports exactly once; by then the writes are readable. A callback may commit
// again (the service queues the next write of an entity from there).
TEST_P(EntityStoreContractTest, CommitAsyncReportsOnceAfterTheWritesAreVisible) {
  std::promise<void> finished;
  std::atomic<int> calls{0};
  std::optional<std::string> seen_first, seen_second;
  store_->CommitAsync({Put("t", "a", "1")}, [&](Status s) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    ++calls;
    seen_first = MustGet("t", "a");
    store_->CommitAsync({Put("t", "a", "2"), Put("t", "b", "2")}, [&](Status s2) {
      EXPECT_TRUE(s2.ok()) << s2.ToString();
      ++calls;
      seen_second = MustGet("t", "b");
      finished.set_value();
    });
  });
  finished.get_future().wait();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(seen_first, "1");
  EXPECT_EQ(seen_second, "2");
  EXPECT_EQ(MustGet("t", "a"), "2");
}

// A TaskRunner for tests: keeps the tasks it is given until the test runs them.
class QueueRunner {
 public:
  TaskRunner runner() {
    return [this](std::function<void()> task) {
      std::lock_guard lock(mu_);
      tasks_.push_back(std::move(task));
      cv_.notify_all();
    };
  }
  // Waits until n tasks are queued, then runs and drops them.
  void RunWhenQueued(std::size_t n) {
    std::vector<std::function<void()>> tasks;
    {
      std::unique_lock lock(mu_);
      ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [&] { return tasks_.size() >= n; }));
      tasks.swap(tasks_);
    }
    for (auto& t : tasks) t();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> tasks_;
};

// CommitAsyncFinishingOn: done runs only when the runner runs the task it was given, and
// by then the writes are readable.
TEST_P(EntityStoreContractTest, CommitAsyncFinishingOnReportsThroughTheRunner) {
  QueueRunner queue;
  std::atomic<int> calls{0};
  store_->CommitAsyncFinishingOn({Put("t", "f", "1")}, queue.runner(), [&](Status s) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    ++calls;
  });
  store_->CommitAsync({Put("t", "g", "1")}, [&](Status s) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    ++calls;
  });
  EXPECT_EQ(store_->Commit({Put("t", "h", "1")}).ToString(), Status::OK().ToString());
  EXPECT_EQ(MustGet("t", "f"), "1") << "committed before done is handed on";
  queue.RunWhenQueued(1);
  EXPECT_EQ(calls.load(), 2);

  store_->Close();
  std::optional<Status> got;
  store_->CommitAsyncFinishingOn({Put("t", "f", "2")}, queue.runner(),
                                 [&](Status s) { got = std::move(s); });
  EXPECT_FALSE(got.has_value()) << "even a refusal goes through the runner";
  queue.RunWhenQueued(1);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->code(), ErrorCode::kUnavailable);
}

TEST_P(EntityStoreContractTest, CommitAsyncAfterCloseReportsUnavailable) {
  store_->Close();
  std::optional<Status> got;
  store_->CommitAsync({Put("t", "e", "v")}, [&](Status s) { got = std::move(s); });
  ASSERT_TRUE(got.has_value()) << "a closed store answers at once, on the calling thread";
  EXPECT_EQ(got->code(), ErrorCode::kUnavailable);
}

TEST_P(EntityStoreContractTest, CallsAfterCloseAreUnavailable) {
  ASSERT_TRUE(store_->Commit({Put("t", "e", "v")}).ok());
  store_->Close();
  store_->Close();  // idempotent
  EXPECT_EQ(store_->Commit({Put("t", "e", "w")}).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store_->Commit({}).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store_->Get("t", "e").status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store_->ScanAll([](auto, auto, auto) {}).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store_->PutDocument("k", "a", "b").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store_->DeleteDocument("k", "a").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store_->ScanDocuments("k", [](auto, auto) {}).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store_->Open().code(), ErrorCode::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, EntityStoreContractTest,
    ::testing::Values(
        StoreFactory{"Memory",
                     [](const fs::path&) -> std::unique_ptr<EntityStore> {
                       return std::make_unique<testing::MemoryEntityStore>();
                     },
                     false},
        StoreFactory{"Sqlite",
                     [](const fs::path& dir) -> std::unique_ptr<EntityStore> {
                       SqliteOptions options;
                       options.path = (dir / "store.db").string();
                       return std::make_unique<SqliteEntityStore>(options);
                     },
                     true},
        StoreFactory{"SqliteSyncNormal",
                     [](const fs::path& dir) -> std::unique_ptr<EntityStore> {
                       SqliteOptions options;
                       options.path = (dir / "store.db").string();
                       options.synchronous_full = false;
                       options.read_connections = 1;
                       options.read_mmap_bytes = 0;
                       return std::make_unique<SqliteEntityStore>(options);
                     },
                     true}),
    FactoryName);

// ---- SQLite only ----------------------------------------------------------------------------

class SqliteEntityStoreTest : public ::testing::Test {
 protected:
  SqliteOptions Options() const {
    SqliteOptions options;
    options.path = (dir_.path() / "store.db").string();
    return options;
  }
  // Starts a thread that commits writes; waits until the (paused) writer has it queued.
  void CommitInBackground(SqliteEntityStore& store, std::vector<EntityWrite> writes,
                          std::size_t queued_after) {
    threads_.emplace_back([&store, writes = std::move(writes), this]() mutable {
      Status s = store.Commit(std::move(writes));
      std::lock_guard lock(results_mu_);
      results_.push_back(s);
    });
    store.WaitUntilQueuedForTesting(queued_after);
  }
  std::vector<Status> JoinAll() {
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    return results_;
  }

  TempDir dir_;
  std::vector<std::thread> threads_;
  std::mutex results_mu_;
  std::vector<Status> results_;
};

// The writer remembers the rowid of each entity it updated. An entity deleted and written
// again after another one took its rowid (SQLite gives a new row the largest rowid + 1) must
// not overwrite that other row, and both keep their own bodies.
TEST_F(SqliteEntityStoreTest, AnUpdateByARememberedRowidNeverTouchesAnotherEntity) {
  SqliteEntityStore store(Options());
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Commit({EntityWrite::Put("t", "urn:a", "a1")}).ok());
  ASSERT_TRUE(store.Commit({EntityWrite::Put("t", "urn:a", "a2")}).ok());  // rowid learned
  ASSERT_TRUE(store.Commit({EntityWrite::Delete("t", "urn:a")}).ok());
  ASSERT_TRUE(store.Commit({EntityWrite::Put("t", "urn:b", "b1")}).ok());  // takes a's rowid
  ASSERT_TRUE(store.Commit({EntityWrite::Put("t", "urn:a", "a3")}).ok());
  ASSERT_TRUE(store.Commit({EntityWrite::Put("t", "urn:a", "a4")}).ok());
  ASSERT_TRUE(store.Commit({EntityWrite::Put("t", "urn:b", "b2")}).ok());
  // The same id in another tenant is another entity.
  ASSERT_TRUE(store.Commit({EntityWrite::Put("u", "urn:b", "ub")}).ok());
  ASSERT_TRUE(store.Commit({EntityWrite::Put("u", "urn:b", "ub2")}).ok());
  EXPECT_EQ(store.Get("t", "urn:a")->value_or(""), "a4");
  EXPECT_EQ(store.Get("t", "urn:b")->value_or(""), "b2");
  EXPECT_EQ(store.Get("u", "urn:b")->value_or(""), "ub2");
  std::size_t rows = 0;
  ASSERT_TRUE(store.ScanAll([&](std::string_view, std::string_view, std::string_view) { ++rows; }).ok());
  EXPECT_EQ(rows, 3u);
}

TEST_F(SqliteEntityStoreTest, QueuedCommitsShareOneTransaction) {
  SqliteEntityStore store(Options());
  ASSERT_TRUE(store.Open().ok());
  StoreStats before = store.Stats();

  store.PauseWriterForTesting();
  constexpr std::size_t kCommits = 8;
  for (std::size_t i = 0; i < kCommits; ++i) {
    CommitInBackground(store, {Put("t", "e" + std::to_string(i), "v")}, i + 1);
  }
  store.ResumeWriterForTesting();
  for (const Status& s : JoinAll()) EXPECT_TRUE(s.ok()) << s.ToString();

  StoreStats after = store.Stats();
  EXPECT_EQ(after.commits - before.commits, kCommits);
  EXPECT_EQ(after.transactions - before.transactions, 1u);
  EXPECT_EQ(ScanToMap(store).size(), kCommits);
}

TEST_F(SqliteEntityStoreTest, ManyThreadsCommittingAreBatched) {
  SqliteEntityStore store(Options());
  ASSERT_TRUE(store.Open().ok());
  constexpr int kThreads = 16;
  constexpr int kCommitsPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommitsPerThread; ++i) {
        EXPECT_TRUE(store.Commit({Put("t", std::to_string(t) + "/" + std::to_string(i), "v")}).ok());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  StoreStats stats = store.Stats();
  EXPECT_EQ(stats.commits, static_cast<std::uint64_t>(kThreads * kCommitsPerThread));
  // Scheduling alone guarantees no batching; QueuedCommitsShareOneTransaction checks it exactly.
  EXPECT_LE(stats.transactions, stats.commits);
  RecordProperty("transactions", static_cast<int>(stats.transactions));
  EXPECT_GT(stats.commit_micros_sum, 0u);
}

TEST_F(SqliteEntityStoreTest, BatchLimitSplitsBetweenCommitsNeverInsideOne) {
  SqliteOptions options = Options();
  options.max_batch_writes = 3;
  SqliteEntityStore store(options);
  ASSERT_TRUE(store.Open().ok());
  StoreStats before = store.Stats();

  store.PauseWriterForTesting();
  // Sizes 1, 2, 5, 1 with a limit of 3 give the transactions [1 2] [5] [1].
  CommitInBackground(store, {Put("t", "a", "v")}, 1);
  CommitInBackground(store, {Put("t", "b", "v"), Put("t", "c", "v")}, 2);
  std::vector<EntityWrite> five;
  for (int i = 0; i < 5; ++i) five.push_back(Put("t", "big" + std::to_string(i), "v"));
  CommitInBackground(store, std::move(five), 3);
  CommitInBackground(store, {Put("t", "d", "v")}, 4);
  store.ResumeWriterForTesting();
  for (const Status& s : JoinAll()) EXPECT_TRUE(s.ok()) << s.ToString();

  StoreStats after = store.Stats();
  EXPECT_EQ(after.commits - before.commits, 4u);
  EXPECT_EQ(after.transactions - before.transactions, 3u);
  EXPECT_EQ(ScanToMap(store).size(), 9u);
}

TEST_F(SqliteEntityStoreTest, FailedTransactionFailsEveryCommitInItAndAppliesNothing) {
  SqliteEntityStore store(Options());
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Commit({Put("t", "keep", "old")}).ok());
  StoreStats before = store.Stats();

  store.PauseWriterForTesting();
  CommitInBackground(store, {Put("t", "keep", "new"), Put("t", "a", "v")}, 1);
  CommitInBackground(store, {Delete("t", "keep")}, 2);
  CommitInBackground(store, {Put("t", "b", "v")}, 3);
  store.FailNextTransactionForTesting();
  store.ResumeWriterForTesting();
  std::vector<Status> results = JoinAll();
  ASSERT_EQ(results.size(), 3u);
  for (const Status& s : results) {
    EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
    EXPECT_NE(s.message().find("injected failure"), std::string::npos) << s.message();
  }
  StoreStats after = store.Stats();
  EXPECT_EQ(after.commits, before.commits);
  EXPECT_EQ(after.transactions, before.transactions);

  auto rows = ScanToMap(store);
  EXPECT_EQ(rows, (decltype(rows){{{"t", "keep"}, "old"}}));
  // The store is still usable afterwards.
  ASSERT_TRUE(store.Commit({Put("t", "after", "v")}).ok());
  EXPECT_EQ(ScanToMap(store).size(), 2u);
}

TEST_F(SqliteEntityStoreTest, CloseCommitsWhatIsQueuedEvenWhilePaused) {
  {
    SqliteEntityStore store(Options());
    ASSERT_TRUE(store.Open().ok());
    store.PauseWriterForTesting();
    for (std::size_t i = 0; i < 4; ++i) {
      CommitInBackground(store, {Put("t", "e" + std::to_string(i), "v")}, i + 1);
    }
    store.Close();
    for (const Status& s : JoinAll()) EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(store.Stats().transactions, 1u);
  }
  SqliteEntityStore reopened(Options());
  ASSERT_TRUE(reopened.Open().ok());
  EXPECT_EQ(ScanToMap(reopened).size(), 4u);
}

// Asynchronous commits land and report in the order they were made, and a callback runs
// on the store's own thread, not on the caller's.
TEST_F(SqliteEntityStoreTest, AsyncCommitsReportInOrderOffTheCallersThread) {
  SqliteEntityStore store(Options());
  ASSERT_TRUE(store.Open().ok());
  store.PauseWriterForTesting();
  constexpr int kCommits = 20;
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::promise<void> all_done;
  for (int i = 0; i < kCommits; ++i) {
    store.CommitAsync({Put("t", "same", std::to_string(i))}, [&, i](Status s) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      std::lock_guard lock(mu);
      order.push_back(i);
      threads.push_back(std::this_thread::get_id());
      if (static_cast<int>(order.size()) == kCommits) all_done.set_value();
    });
  }
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(order.empty()) << "nothing reports before the writer commits";
  }
  store.ResumeWriterForTesting();
  all_done.get_future().wait();
  std::vector<int> expected(kCommits);
  for (int i = 0; i < kCommits; ++i) expected[i] = i;
  EXPECT_EQ(order, expected);
  for (const auto& id : threads) EXPECT_NE(id, std::this_thread::get_id());
  Result<std::optional<std::string>> last = store.Get("t", "same");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, std::to_string(kCommits - 1));
}

// In one group commit, callbacks with a runner go to it from the writer; the others still
// report in order on the reporter thread.
TEST_F(SqliteEntityStoreTest, RunnerCallbacksSkipTheReporterAndPlainOnesKeepTheirOrder) {
  SqliteEntityStore store(Options());
  ASSERT_TRUE(store.Open().ok());
  QueueRunner queue;
  std::mutex mu;
  std::vector<std::string> order;
  std::promise<void> plain_done;
  store.PauseWriterForTesting();
  store.CommitAsync({Put("t", "a", "1")}, [&](Status s) {
    EXPECT_TRUE(s.ok());
    std::lock_guard lock(mu);
    order.push_back("a");
  });
  store.CommitAsyncFinishingOn({Put("t", "b", "1")}, queue.runner(), [&](Status s) {
    EXPECT_TRUE(s.ok());
    std::lock_guard lock(mu);
    order.push_back("b");
  });
  store.CommitAsync({Put("t", "c", "1")}, [&](Status s) {
    EXPECT_TRUE(s.ok());
    std::lock_guard lock(mu);
    order.push_back("c");
    plain_done.set_value();
  });
  const StoreStats before = store.Stats();
  store.ResumeWriterForTesting();
  plain_done.get_future().wait();
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(order, (std::vector<std::string>{"a", "c"}));
  }
  queue.RunWhenQueued(1);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "c", "b"}));
  EXPECT_EQ(store.Stats().transactions - before.transactions, 1u);
}

TEST_F(SqliteEntityStoreTest, CloseRemovesTheWalFile) {
  SqliteEntityStore store(Options());
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Commit({Put("t", "e", "v")}).ok());
  EXPECT_TRUE(fs::exists(Options().path + "-wal"));
  store.Close();
  EXPECT_FALSE(fs::exists(Options().path + "-wal"));
}

TEST_F(SqliteEntityStoreTest, OpenInMissingDirectoryNamesTheDirectory) {
  SqliteOptions options;
  options.path = (dir_.path() / "no" / "such" / "dir" / "store.db").string();
  SqliteEntityStore store(options);
  Status s = store.Open();
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_NE(s.message().find("directory does not exist"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("no/such/dir"), std::string::npos) << s.message();
  EXPECT_EQ(store.Commit({Put("t", "e", "v")}).code(), ErrorCode::kUnavailable);
}

// A database written by schema version 1 (entities WITHOUT ROWID) opens, is migrated to
// the current schema in place, and keeps every entity and document.
TEST_F(SqliteEntityStoreTest, VersionOneDatabaseIsMigratedKeepingItsData) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Options().path.c_str(), &db), SQLITE_OK);
    const char* v1 =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE entities (tenant TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL,"
        "  PRIMARY KEY (tenant, id)) WITHOUT ROWID;"
        "CREATE TABLE documents (kind TEXT NOT NULL, key TEXT NOT NULL, body BLOB NOT NULL,"
        "  PRIMARY KEY (kind, key)) WITHOUT ROWID;"
        "INSERT INTO entities VALUES ('hanoi', 'urn:x:1', x'D10102'), ('', 'urn:x:2', 'two');"
        "INSERT INTO documents VALUES ('context', 'c1', '{}');"
        "PRAGMA user_version=1;";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  SqliteEntityStore store(Options());
  Status s = store.Open();
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto rows = ScanToMap(store);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ((rows[{"hanoi", "urn:x:1"}]), std::string("\xD1\x01\x02", 3));
  EXPECT_EQ((rows[{"", "urn:x:2"}]), "two");
  EXPECT_EQ(ScanDocsToMap(store, "context").size(), 1u);
  // Writes after the migration update in place and stay unique per (tenant, id).
  ASSERT_TRUE(store.Commit({Put("hanoi", "urn:x:1", "new"), Put("hanoi", "urn:x:3", "3")}).ok());
  rows = ScanToMap(store);
  EXPECT_EQ(rows.size(), 3u);
  EXPECT_EQ((rows[{"hanoi", "urn:x:1"}]), "new");
  store.Close();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Options().path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), SqliteEntityStore::kSchemaVersion);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// A new database gets the small pages that make one-row updates cheap.
TEST_F(SqliteEntityStoreTest, NewDatabaseUsesTwoKibPages) {
  {
    SqliteEntityStore store(Options());
    ASSERT_TRUE(store.Open().ok());
    ASSERT_TRUE(store.Commit({Put("t", "e", std::string(600, 'x'))}).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(Options().path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 2048);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteEntityStoreTest, OpenOfCorruptFileFailsClearly) {
  {
    std::ofstream out(Options().path, std::ios::binary);
    for (int i = 0; i < 1000; ++i) out << "this is not a database, just some text\n";
  }
  SqliteEntityStore store(Options());
  Status s = store.Open();
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_NE(s.message().find("not a database"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(Options().path), std::string::npos) << s.message();
}

TEST_F(SqliteEntityStoreTest, OpenOfDirectoryFailsClearly) {
  SqliteOptions options;
  options.path = dir_.path().string();  // a directory, not a file
  SqliteEntityStore store(options);
  Status s = store.Open();
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
  EXPECT_NE(s.message().find(options.path), std::string::npos) << s.message();
}

TEST_F(SqliteEntityStoreTest, CallsBeforeOpenAreUnavailable) {
  SqliteEntityStore store(Options());
  EXPECT_EQ(store.Commit({Put("t", "e", "v")}).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store.Get("t", "e").status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store.PutDocument("k", "a", "b").code(), ErrorCode::kUnavailable);
}

TEST_F(SqliteEntityStoreTest, SecondOpenIsAnError) {
  SqliteEntityStore store(Options());
  ASSERT_TRUE(store.Open().ok());
  EXPECT_FALSE(store.Open().ok());
  EXPECT_TRUE(store.Commit({Put("t", "e", "v")}).ok());
}

TEST_F(SqliteEntityStoreTest, TwoStoresOnOneFileSeeEachOthersCommits) {
  SqliteEntityStore a(Options());
  SqliteEntityStore b(Options());
  ASSERT_TRUE(a.Open().ok());
  ASSERT_TRUE(b.Open().ok());
  ASSERT_TRUE(a.Commit({Put("t", "from-a", "1")}).ok());
  ASSERT_TRUE(b.Commit({Put("t", "from-b", "2")}).ok());
  EXPECT_EQ(ScanToMap(a).size(), 2u);
  EXPECT_EQ(ScanToMap(b).size(), 2u);
}

}  // namespace
}  // namespace dothi::storage
