// open311_load: fills a data directory with COUNT Open311 reports of the demo jurisdiction
// for bench/open311.sh, through the service code a server uses (Open311Reports::Submit and
// Update over EntityService and the SQLite store, every write durable), on THREADS threads:
//  - requested times spread evenly over the last 89 days, in order;
//  - one of the eight demo services at random, its required attributes answered;
//  - a point at random in the demo district (ward routing through the demo planning layers);
//  - then half are acknowledged two hours later and a third of those resolved two days later.
// The temporal history is not recorded (start the server with --history=false).
// Output (stdout): load count=.. seconds=.. reports_per_s=.. acknowledged=.. resolved=..
//
//   cmake --build build-bench --target open311_load
//   build-bench/bench/open311_load DATA_DIR COUNT THREADS
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/demo_city.h"
#include "app/demo_open311.h"
#include "app/demo_planning.h"
#include "fakes/memory_layer_store.h"
#include "service/entity_service.h"
#include "service/layer_service.h"
#include "service/open311_catalogue.h"
#include "service/open311_reports.h"
#include "service/planning_service.h"
#include "storage/sqlite/sqlite_entity_store.h"

namespace {

using namespace dothi;
using Clock = std::chrono::steady_clock;
constexpr std::int64_t kDay = 86'400'000'000;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "open311_load: %s\n", what.c_str());
  std::exit(1);
}

// Answers for every required attribute of a service.
std::vector<std::pair<std::string, std::string>> Answers(const domain::open311::ServiceDefinition& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& a : s.attributes) {
    if (!a.required || !a.variable) continue;
    using D = domain::open311::AttributeDatatype;
    switch (a.datatype) {
      case D::kSingleValueList:
      case D::kMultiValueList: out.emplace_back(a.code, a.values.front().key); break;
      case D::kNumber: out.emplace_back(a.code, "20"); break;
      case D::kDatetime: out.emplace_back(a.code, "2026-11-20T08:00:00+07:00"); break;
      default: out.emplace_back(a.code, "có"); break;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) Die("usage: open311_load DATA_DIR COUNT THREADS");
  spdlog::set_level(spdlog::level::warn);
  const std::string dir = argv[1];
  const std::int64_t count = std::atoll(argv[2]);
  const int threads = std::atoi(argv[3]);
  std::filesystem::create_directories(dir);

  storage::sqlite::SqliteOptions so;
  so.path = (std::filesystem::path(dir) / "dothi.db").string();
  storage::sqlite::SqliteEntityStore store(so);
  if (Status s = store.Open(); !s.ok()) Die(s.ToString());
  service::EntityServiceOptions eo;
  eo.record_history = false;
  service::EntityService entities(store, eo);
  if (Status s = entities.Load(); !s.ok()) Die(s.ToString());
  dothi::testing::MemoryLayerStore layer_store;
  service::LayerService layers(layer_store);
  if (Status s = app::LoadDemoPlanning(layers); !s.ok()) Die(s.ToString());
  service::PlanningService planning(layers);
  service::Open311Catalogues catalogues;
  const auto services = app::DemoOpen311Services();
  if (Status s = catalogues.Put("demo", services); !s.ok()) Die(s.ToString());
  service::Open311Reports reports(entities, store, catalogues, &planning, nullptr, {});
  if (Status s = reports.Load(); !s.ok()) Die(s.ToString());

  const Timestamp end = Now();
  const Timestamp start{end.micros - 89 * kDay};
  std::atomic<std::int64_t> next{0}, acknowledged{0}, resolved{0};
  std::atomic<bool> failed{false};
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      const app::DemoCityBounds b = app::kDemoCityBounds;
      std::uniform_real_distribution<double> lon(b.min_lon, b.max_lon), lat(b.min_lat, b.max_lat);
      RequestContext ctx{"demo", "load", Now(), /*finish_on=*/{}};
      for (std::int64_t i; (i = next.fetch_add(1)) < count && !failed;) {
        const Timestamp at{start.micros + (end.micros - start.micros) / count * i};
        const auto& def = services[rng() % services.size()];
        service::Submission s;
        s.service_code = def.code;
        s.lon = lon(rng);
        s.lat = lat(rng);
        s.attributes = Answers(def);
        s.description = "Phản ánh thử nghiệm số " + std::to_string(i);
        if (!def.anonymous_allowed) {
          s.reporter.first_name = "Người dân";
          s.reporter.phone = "0900000" + std::to_string(i % 1000);
        }
        Result<service::SubmitResult> r = reports.Submit(ctx, std::move(s), at);
        if (!r.ok()) {
          std::fprintf(stderr, "submit %lld: %s\n", static_cast<long long>(i), r.status().ToString().c_str());
          failed = true;
          return;
        }
        if (rng() % 2 == 0) continue;
        service::StaffUpdate u;
        u.number = r->request.number;
        u.status = domain::open311::RequestStatus::kAcknowledged;
        u.by = "Tổ tiếp nhận";
        if (!reports.Update(ctx, u, Timestamp{at.micros + 2 * 3'600'000'000LL}).ok()) failed = true;
        ++acknowledged;
        if (rng() % 3 != 0) continue;
        u.status = domain::open311::RequestStatus::kResolved;
        u.description = "Đã xử lý";
        if (!reports.Update(ctx, u, Timestamp{at.micros + 2 * kDay}).ok()) failed = true;
        ++resolved;
      }
    });
  }
  for (auto& th : pool) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  store.Close();
  if (failed) Die("a write failed");
  std::printf("load count=%lld seconds=%.1f reports_per_s=%.0f acknowledged=%lld resolved=%lld\n",
              static_cast<long long>(count), secs, static_cast<double>(count) / secs,
              static_cast<long long>(acknowledged.load()), static_cast<long long>(resolved.load()));
  return 0;
}
