// temporal_sql_bench: the SQLite floor of bench/temporal.sh. Runs the hourly-avg aggregation
// of one attribute's history straight on dothi's store file (read-only, the same system
// libsqlite3 dothi links, a reader connection with dothi's reader settings: default page
// cache, no mmap), for a random series per query, on THREADS threads (one connection
// each) for SECONDS, and prints the latency distribution.
//
//   g++ -std=c++20 -O2 bench/temporal_sql_bench.cc -lsqlite3 -pthread -o /tmp/temporal_sql_bench
//   /tmp/temporal_sql_bench DB FROM_US TO_US THREADS SECONDS groupby|rows [ATTR_SUFFIX]
//
// Series: every history_series row whose attr ends with ATTR_SUFFIX (default "/level").
// Months: the index table hx_YYYYMM of every month overlapping [FROM_US, TO_US) (schema 5:
// docs/decisions/0006; the numbers are in the index, so neither dothi nor this reads rows).
// Modes:
//   groupby  SELECT (t - FROM) / 3600000000, avg(num), count(*) ... GROUP BY 1 ORDER BY 1:
//            the whole aggregation done by SQLite in one statement.
//   rows     SELECT t, instance, num ... ORDER BY t, instance (the statement dothi's store
//            runs for a numeric aggregation), with the hourly sums done here in C++: what
//            dothi's store read costs, without HTTP, JSON, or dothi's aggregation code.
// Prints one line of key=value: mode threads queries seconds qps p50_ms p90_ms p99_ms
// max_ms rows_per_query buckets_per_query series.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::int64_t kHour = 3'600'000'000;

[[noreturn]] void Die(const char* what, sqlite3* db) {
  std::fprintf(stderr, "temporal_sql_bench: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
  std::exit(1);
}

sqlite3* Open(const char* path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    Die("cannot open database", db);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

sqlite3_stmt* Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    Die(("cannot prepare " + sql).c_str(), db);
  }
  return stmt;
}

// yyyymm of a time in microseconds since the epoch (UTC).
int MonthOf(std::int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}

struct Stats {
  std::vector<double> micros;
  std::uint64_t rows = 0, buckets = 0;
  double checksum = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr,
                 "usage: %s DB FROM_US TO_US THREADS SECONDS groupby|rows [ATTR_SUFFIX]\n",
                 argv[0]);
    return 2;
  }
  const char* path = argv[1];
  const std::int64_t from = std::strtoll(argv[2], nullptr, 10);
  const std::int64_t to = std::strtoll(argv[3], nullptr, 10);
  const int threads = std::atoi(argv[4]);
  const double seconds = std::atof(argv[5]);
  const std::string mode = argv[6];
  const std::string suffix = argc > 7 ? argv[7] : "/level";
  if (mode != "groupby" && mode != "rows") {
    std::fprintf(stderr, "temporal_sql_bench: mode must be groupby or rows\n");
    return 2;
  }

  // Series and month tables, once.
  std::vector<std::int64_t> series;
  std::vector<std::string> tables;
  {
    sqlite3* db = Open(path);
    sqlite3_stmt* s = Prepare(db, "SELECT s.id FROM history_series s JOIN history_attrs a ON a.key = s.attr "
                                   "WHERE substr(a.attr, -length(?1)) = ?1 ORDER BY s.id");
    sqlite3_bind_text(s, 1, suffix.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(s) == SQLITE_ROW) series.push_back(sqlite3_column_int64(s, 0));
    sqlite3_finalize(s);
    s = Prepare(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'h_[0-9]*' ORDER BY name");
    const int first = MonthOf(from), last = MonthOf(to - 1);
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string name = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      const int month = std::atoi(name.c_str() + 2);
      if (month >= first && month <= last) tables.push_back("hx_" + name.substr(2));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  if (series.empty() || tables.empty()) {
    std::fprintf(stderr, "temporal_sql_bench: no series ending in %s or no month table in range\n",
                 suffix.c_str());
    return 1;
  }

  std::string sql;
  if (mode == "groupby") {
    std::string rows;
    for (const std::string& t : tables) {
      if (!rows.empty()) rows += " UNION ALL ";
      rows += "SELECT t, num FROM " + t + " WHERE series = ?1 AND t >= ?2 AND t < ?3";
    }
    sql = "SELECT (t - ?2) / " + std::to_string(kHour) + " AS b, avg(num), count(*) FROM (" +
          rows + ") GROUP BY b ORDER BY b";
  }

  std::atomic<bool> stop{false};
  std::vector<Stats> stats(static_cast<std::size_t>(threads));
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      sqlite3* db = Open(path);
      std::vector<sqlite3_stmt*> stmts;
      if (mode == "groupby") {
        stmts.push_back(Prepare(db, sql));
      } else {
        for (const std::string& t : tables) {
          stmts.push_back(Prepare(db, "SELECT t, instance, num FROM " + t +
                                          " WHERE series = ?1 AND t >= ?2 AND t < ?3 ORDER BY t, instance"));
        }
      }
      std::mt19937_64 rng(0x5eed + static_cast<unsigned>(w));
      std::uniform_int_distribution<std::size_t> pick(0, series.size() - 1);
      Stats& st = stats[static_cast<std::size_t>(w)];
      std::vector<double> sums;
      std::vector<std::uint32_t> counts;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::int64_t id = series[pick(rng)];
        const auto t0 = std::chrono::steady_clock::now();
        if (mode == "groupby") {
          sqlite3_stmt* s = stmts[0];
          sqlite3_bind_int64(s, 1, id);
          sqlite3_bind_int64(s, 2, from);
          sqlite3_bind_int64(s, 3, to);
          int rc;
          while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            st.checksum += sqlite3_column_double(s, 1);
            st.rows += static_cast<std::uint64_t>(sqlite3_column_int64(s, 2));
            ++st.buckets;
          }
          if (rc != SQLITE_DONE) Die("cannot aggregate", db);
          sqlite3_reset(s);
        } else {
          // dothi reads every month in one read transaction.
          if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) Die("begin", db);
          sums.assign(static_cast<std::size_t>((to - from + kHour - 1) / kHour), 0.0);
          counts.assign(sums.size(), 0);
          for (sqlite3_stmt* s : stmts) {
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_int64(s, 2, from);
            sqlite3_bind_int64(s, 3, to);
            int rc;
            while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
              const std::size_t b =
                  static_cast<std::size_t>((sqlite3_column_int64(s, 0) - from) / kHour);
              if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
                sums[b] += sqlite3_column_double(s, 2);
                ++counts[b];
              }
              ++st.rows;
            }
            if (rc != SQLITE_DONE) Die("cannot read rows", db);
            sqlite3_reset(s);
          }
          if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) Die("commit", db);
          for (std::size_t b = 0; b < sums.size(); ++b) {
            if (counts[b] == 0) continue;
            st.checksum += sums[b] / counts[b];
            ++st.buckets;
          }
        }
        st.micros.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
      }
      for (sqlite3_stmt* s : stmts) sqlite3_finalize(s);
      sqlite3_close(db);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measured run
  stop = true;
  for (std::thread& t : workers) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<double> all;
  std::uint64_t rows = 0, buckets = 0;
  double checksum = 0;
  for (const Stats& s : stats) {
    all.insert(all.end(), s.micros.begin(), s.micros.end());
    rows += s.rows;
    buckets += s.buckets;
    checksum += s.checksum;
  }
  if (all.empty()) {
    std::fprintf(stderr, "temporal_sql_bench: no query finished\n");
    return 1;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    std::size_t i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(all.size()));
    return all[std::min(i, all.size() - 1)] / 1000.0;
  };
  const double n = static_cast<double>(all.size());
  std::printf(
      "mode=%s threads=%d queries=%zu seconds=%.3f qps=%.1f p50_ms=%.3f p90_ms=%.3f "
      "p99_ms=%.3f max_ms=%.3f rows_per_query=%.1f buckets_per_query=%.1f series=%zu "
      "checksum=%.6g\n",
      mode.c_str(), threads, all.size(), elapsed, n / elapsed, pct(50), pct(90), pct(99),
      all.back() / 1000.0, static_cast<double>(rows) / n, static_cast<double>(buckets) / n,
      series.size(), checksum);
  return 0;
}
