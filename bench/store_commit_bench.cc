// store_commit_bench: group-commit throughput and ScanAll speed of SqliteEntityStore.
// Not part of the build; compile by hand, optimised, from the repository root:
//   g++ -std=c++20 -O2 -DNDEBUG -Isrc bench/store_commit_bench.cc
//       src/storage/sqlite/sqlite_entity_store.cc src/core/status.cc
//       -lsqlite3 -lspdlog -lfmt -pthread -o /tmp/store_commit_bench
// (or link a Release build's libdothi_storage_sqlite.a and libdothi_core.a instead of the .cc)
//   /tmp/store_commit_bench [dir] [threads] [seconds] [scan_rows] [full|normal|both]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/sqlite_entity_store.h"

namespace {

namespace fs = std::filesystem;
using dothi::Status;
using dothi::storage::EntityWrite;
using dothi::storage::sqlite::SqliteEntityStore;
using dothi::storage::sqlite::SqliteOptions;

constexpr std::size_t kBodyBytes = 400;  // a small encoded entity

std::string Body(std::uint64_t n) {
  std::string body(kBodyBytes, 'x');
  std::string tag = std::to_string(n);
  body.replace(0, tag.size(), tag);
  return body;
}

void RunCommitBench(const fs::path& dir, bool synchronous_full, int threads, int seconds) {
  fs::path db = dir / (synchronous_full ? "commit_full.db" : "commit_normal.db");
  fs::remove(db);
  SqliteOptions options;
  options.path = db.string();
  options.synchronous_full = synchronous_full;
  SqliteEntityStore store(options);
  if (Status s = store.Open(); !s.ok()) {
    std::fprintf(stderr, "open failed: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> failures{0};
  std::vector<std::thread> workers;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        std::string id = "urn:ngsi-ld:Bench:" + std::to_string(t) + ":" + std::to_string(i);
        std::vector<EntityWrite> writes;
        writes.push_back(EntityWrite::Put("bench", id, Body(i)));
        if (!store.Commit(std::move(writes)).ok()) failures.fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));  // measuring, not synchronising
  stop = true;
  for (std::thread& w : workers) w.join();
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  dothi::storage::StoreStats stats = store.Stats();
  store.Close();
  std::printf(
      "synchronous=%-6s threads=%d  %8.0f commits/s  %7.0f transactions/s  "
      "%.1f commits/transaction  %.0f us/transaction  failures=%llu\n",
      synchronous_full ? "FULL" : "NORMAL", threads, stats.commits / elapsed,
      stats.transactions / elapsed,
      stats.transactions ? double(stats.commits) / double(stats.transactions) : 0.0,
      stats.transactions ? double(stats.commit_micros_sum) / double(stats.transactions) : 0.0,
      static_cast<unsigned long long>(failures.load()));
}

void RunScanBench(const fs::path& dir, std::uint64_t rows) {
  fs::path db = dir / "scan.db";
  fs::remove(db);
  SqliteOptions options;
  options.path = db.string();
  options.synchronous_full = false;
  {
    SqliteEntityStore store(options);
    if (Status s = store.Open(); !s.ok()) {
      std::fprintf(stderr, "open failed: %s\n", s.ToString().c_str());
      std::exit(1);
    }
    auto start = std::chrono::steady_clock::now();
    constexpr std::uint64_t kPerCommit = 10000;
    for (std::uint64_t base = 0; base < rows; base += kPerCommit) {
      std::vector<EntityWrite> writes;
      for (std::uint64_t i = base; i < base + kPerCommit && i < rows; ++i) {
        writes.push_back(EntityWrite::Put(i % 4 == 0 ? "city-a" : "city-b",
                                          "urn:ngsi-ld:Sensor:" + std::to_string(i), Body(i)));
      }
      if (Status s = store.Commit(std::move(writes)); !s.ok()) {
        std::fprintf(stderr, "load failed: %s\n", s.ToString().c_str());
        std::exit(1);
      }
    }
    double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("loaded %llu entities in %.2f s (%.0f rows/s, 10k per Commit)\n",
                static_cast<unsigned long long>(rows), load, rows / load);
  }
  std::printf("file size %.0f MB\n", fs::file_size(db) / 1e6);
  for (std::int64_t mmap_bytes : {std::int64_t{1} << 30, std::int64_t{0}}) {
  // A fresh store, as on server start; the first scan also pays for the page cache.
  options.read_mmap_bytes = mmap_bytes;
  SqliteEntityStore store(options);
  if (Status s = store.Open(); !s.ok()) std::exit(1);
  std::printf("read_mmap_bytes=%lld\n", static_cast<long long>(mmap_bytes));
  for (int round = 0; round < 3; ++round) {
    std::uint64_t count = 0, bytes = 0;
    auto start = std::chrono::steady_clock::now();
    Status s = store.ScanAll([&](std::string_view, std::string_view, std::string_view b) {
      ++count;
      bytes += b.size();
    });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("ScanAll round %d: %llu rows, %.0f MB in %.3f s (%.2f M rows/s) %s\n", round,
                static_cast<unsigned long long>(count), bytes / 1e6, secs, count / secs / 1e6,
                s.ok() ? "" : s.ToString().c_str());
  }
  }
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "dothi_store_bench";
  int threads = argc > 2 ? std::atoi(argv[2]) : 32;
  int seconds = argc > 3 ? std::atoi(argv[3]) : 5;
  std::uint64_t scan_rows = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1'000'000;
  std::string modes = argc > 5 ? argv[5] : "both";
  fs::create_directories(dir);
  if (modes != "normal") RunCommitBench(dir, true, threads, seconds);
  if (modes != "full") RunCommitBench(dir, false, threads, seconds);
  if (scan_rows > 0) RunScanBench(dir, scan_rows);
  fs::remove_all(dir);
  return 0;
}
