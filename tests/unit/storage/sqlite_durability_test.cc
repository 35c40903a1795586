#include "storage/sqlite/sqlite_entity_store.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// Store-level proof of "durable when Commit returns OK": a child process commits from several
// threads and reports each acknowledged commit through a pipe; the parent SIGKILLs it in the
// middle of the load, reopens the file and finds every acknowledged commit, whole.
namespace dothi::storage::sqlite {
namespace {

namespace fs = std::filesystem;

constexpr int kChildThreads = 8;
constexpr int kWritesPerCommit = 3;
constexpr std::size_t kAcksBeforeKill = 2000;
constexpr int kWatchdogMillis = 120'000;  // fail instead of hanging if the child stalls
constexpr std::size_t kBodyBytes = 400;   // about the size of a small encoded entity
constexpr std::size_t kCheckpointPages = 64;

// An ack names one commit: the committing thread in the high half, its sequence in the low.
using Ack = std::uint64_t;

std::string EntityId(Ack ack, int part) {
  return "urn:ngsi-ld:Sensor:" + std::to_string(ack >> 32) + ":" +
         std::to_string(ack & 0xffffffffu) + ":" + std::to_string(part);
}

std::string Tenant(Ack ack) { return (ack >> 32) % 2 == 0 ? "city-a" : "city-b"; }

// Deterministic bytes derived from the id, so the parent can check them.
std::string Body(const std::string& id) {
  std::string body;
  body.reserve(kBodyBytes);
  while (body.size() < kBodyBytes) body += id + "|";
  body.resize(kBodyBytes);
  return body;
}

// The history instance a commit writes with its first entity: its sequence as the number,
// in a month that depends on the thread (so several time partitions are written at once).
HistoryInstance HistoryFor(Ack ack) {
  HistoryInstance h;
  h.attr = "https://example.org/level";
  h.time = (1'700'000'000LL + static_cast<std::int64_t>(ack >> 32) * 40 * 86400) * 1'000'000 +
           static_cast<std::int64_t>(ack & 0xffffffffu);
  h.number = static_cast<double>(ack & 0xffffffffu);
  h.bytes = "instance";
  return h;
}

// Runs in the forked child: commit forever from several threads, ack each OK over the pipe.
// Exit codes tell the parent what went wrong; success never exits (the parent kills us).
[[noreturn]] void RunChild(const std::string& path, bool synchronous_full, int ack_fd) {
  SqliteOptions options;
  options.path = path;
  options.synchronous_full = synchronous_full;
  // Checkpoints every few commits, so that the kill also lands in one (the checkpointer
  // copying, the writer finishing the copy, the WAL starting over).
  options.checkpoint_pages = kCheckpointPages;
  SqliteEntityStore store(options);
  if (!store.Open().ok()) _exit(2);
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&store, ack_fd, t] {
      for (std::uint64_t seq = 0;; ++seq) {
        Ack ack = (t << 32) | seq;
        std::vector<EntityWrite> writes;
        for (int part = 0; part < kWritesPerCommit; ++part) {
          std::string id = EntityId(ack, part);
          writes.push_back(EntityWrite::Put(Tenant(ack), id, Body(id)));
        }
        // The first entity's change also carries a history instance (same transaction).
        writes.front().history.push_back(HistoryFor(ack));
        if (!store.Commit(std::move(writes)).ok()) _exit(3);
        // Only now is the commit acknowledged. 8 bytes < PIPE_BUF: each write is atomic.
        if (write(ack_fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) _exit(4);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  _exit(5);  // unreachable: the loops never end
}

// The parent's end of the ack pipe.
struct AckReader {
  int fd = -1;
  std::string partial;  // bytes of an ack split across reads
};

// Reads whole acks until there are `want` of them or EOF. False on error or watchdog timeout.
bool ReadAcks(AckReader& reader, std::size_t want, std::vector<Ack>* acks, bool* eof) {
  const int fd = reader.fd;
  std::string& partial = reader.partial;
  *eof = false;
  while (acks->size() < want) {
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, kWatchdogMillis);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      *eof = true;
      return true;
    }
    partial.append(buf, static_cast<std::size_t>(n));
    std::size_t whole = partial.size() / sizeof(Ack) * sizeof(Ack);
    for (std::size_t off = 0; off < whole; off += sizeof(Ack)) {
      Ack ack;
      std::memcpy(&ack, partial.data() + off, sizeof ack);
      acks->push_back(ack);
    }
    partial.erase(0, whole);
  }
  return true;
}

class SqliteDurabilityTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "dothi_durability_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_P(SqliteDurabilityTest, EveryAcknowledgedCommitSurvivesSigkill) {
  const bool synchronous_full = GetParam();
  const std::string path = (dir_ / "store.db").string();

  int fds[2];
  ASSERT_EQ(pipe(fds), 0) << std::strerror(errno);
  pid_t child = fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    close(fds[0]);
    RunChild(path, synchronous_full, fds[1]);
  }
  close(fds[1]);

  AckReader reader{fds[0], {}};
  std::vector<Ack> acks;
  bool eof = false;
  bool read_ok = ReadAcks(reader, kAcksBeforeKill, &acks, &eof);
  // Kill in the middle of the load: the child's threads are committing right now.
  kill(child, SIGKILL);
  if (read_ok && !eof) {
    // Acks already in the pipe were sent after Commit returned OK: they count too.
    read_ok = ReadAcks(reader, SIZE_MAX, &acks, &eof);
  }
  close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(read_ok) << "reading acks failed or timed out";
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
      << "child ended on its own, exit code "
      << (WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
  ASSERT_GE(acks.size(), kAcksBeforeKill);

  SqliteOptions options;
  options.path = path;
  SqliteEntityStore store(options);
  Status opened = store.Open();
  ASSERT_TRUE(opened.ok()) << opened.ToString();

  for (Ack ack : acks) {
    for (int part = 0; part < kWritesPerCommit; ++part) {
      std::string id = EntityId(ack, part);
      Result<std::optional<std::string>> got = store.Get(Tenant(ack), id);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_TRUE(got->has_value()) << "acknowledged entity lost: " << id;
      ASSERT_EQ(**got, Body(id)) << "wrong bytes for " << id;
    }
    // Its history instance came through with it.
    Result<std::vector<HistorySeries>> series = store.ListSeries(Tenant(ack), EntityId(ack, 0));
    ASSERT_TRUE(series.ok()) << series.status().ToString();
    ASSERT_EQ(series->size(), 1u) << "history lost for " << EntityId(ack, 0);
    const HistoryInstance expected = HistoryFor(ack);
    std::size_t found = 0;
    Status read = store.ReadSeries(Tenant(ack), series->front().id, HistoryRange{},
                                   [&](const HistoryRow& row) {
                                     ++found;
                                     EXPECT_EQ(row.time, expected.time);
                                     EXPECT_EQ(row.number, expected.number);
                                     EXPECT_EQ(row.bytes, expected.bytes);
                                     return true;
                                   });
    ASSERT_TRUE(read.ok()) << read.ToString();
    ASSERT_EQ(found, 1u) << "history instance lost for " << EntityId(ack, 0);
  }

  // Commits in flight at the kill may or may not be there, but never in part.
  std::map<std::string, int> parts_per_commit;
  std::size_t rows = 0;
  Status scanned = store.ScanAll([&](std::string_view, std::string_view id, std::string_view b) {
    ++rows;
    EXPECT_EQ(b, Body(std::string(id)));
    parts_per_commit[std::string(id.substr(0, id.rfind(':')))]++;
  });
  ASSERT_TRUE(scanned.ok()) << scanned.ToString();
  for (const auto& [commit, parts] : parts_per_commit) {
    EXPECT_EQ(parts, kWritesPerCommit) << "partial commit after crash: " << commit;
  }
  // Nor is history ever there without its entities, or the other way round.
  std::size_t history_entities = 0;
  for (const char* tenant : {"city-a", "city-b"}) {
    for (const auto& [commit, parts] : parts_per_commit) {
      Result<std::vector<HistorySeries>> series = store.ListSeries(tenant, commit + ":0");
      ASSERT_TRUE(series.ok());
      history_entities += series->size();
    }
  }
  EXPECT_EQ(history_entities, parts_per_commit.size());
  EXPECT_GE(rows, acks.size() * kWritesPerCommit);
  RecordProperty("acknowledged_commits", static_cast<int>(acks.size()));
  RecordProperty("commits_found", static_cast<int>(parts_per_commit.size()));
}

INSTANTIATE_TEST_SUITE_P(SyncModes, SqliteDurabilityTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("SyncFull") : std::string("SyncNormal");
                         });

}  // namespace
}  // namespace dothi::storage::sqlite
