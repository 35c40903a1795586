// planning_lookup_bench: the in-process half of bench/planning_lookup.sh. Loads the demo
// planning layers (app::LoadDemoPlanning: 306 zoning cells, 21,600 parcels, 9 wards, the
// streets) into a LayerService over the in-memory fake store, exactly as `dothi serve --demo`
// loads them, then:
//   1. check (unless CHECK_POINTS is 0): for CHECK_POINTS seeded random points in the demo
//      box, PlanningService::AtPoint's zones, parcel and wards equal a brute-force GEOS
//      evaluation (GEOSIntersects_r of the point with every polygon of every planning, parcel
//      and administrative layer; boundary included, as AtPoint). Any difference is printed and
//      the program exits 1.
//   2. for each THREADS argument, AtPoint at random points (uniform over the demo box, seeded
//      per thread, generated before the clock starts) on that many threads for SECONDS, each
//      call timed: lookups/s and latency percentiles.
//   3. for a "parts" argument, on one thread, the parts of a lookup alone (where the time
//      goes): LayerService::Layers, LayerData::Containing and LayerData::Candidates (the
//      spatial index alone) on each layer.
// Output (stdout), one key=value line each:
//   check points=.. zones=.. parcels=.. wards=.. mismatches=0
//   run threads=.. lookups=.. seconds=.. lps=.. p50_us=.. p90_us=.. p99_us=.. max_us=..
//       zones_per_lookup=.. parcel_share=..
//   part name=.. ns_per_call=..
//
//   cmake --build build-bench --target planning_lookup_bench
//   build-bench/bench/planning_lookup_bench SECONDS CHECK_POINTS THREADS|parts...
//   e.g. planning_lookup_bench 10 2000 1 2 parts
#include <geos_c.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/demo_city.h"
#include "app/demo_loader.h"
#include "app/demo_planning.h"
#include "fakes/memory_layer_store.h"
#include "service/layer_service.h"
#include "service/planning_service.h"

namespace {

using dothi::RequestContext;
using dothi::Result;
using dothi::Status;
using dothi::domain::LayerRole;
using dothi::service::LayerData;
using dothi::service::PlanningService;
using dothi::service::PointLookup;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kPointsPerThread = 1 << 16;  // cycled through during a run
constexpr std::uint64_t kCheckSeed = 0xC0FFEE;

[[noreturn]] void Die(const char* fmt, ...) {
  std::va_list args;
  va_start(args, fmt);
  std::fputs("planning_lookup_bench: ", stderr);
  std::vfprintf(stderr, fmt, args);
  std::fputc('\n', stderr);
  va_end(args);
  std::exit(1);
}

struct Point {
  double lon, lat;
};

std::vector<Point> RandomPoints(std::uint64_t seed, std::size_t n) {
  const dothi::app::DemoCityBounds b = dothi::app::kDemoCityBounds;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> lon(b.min_lon, b.max_lon), lat(b.min_lat, b.max_lat);
  std::vector<Point> out(n);
  for (Point& p : out) p = {lon(rng), lat(rng)};
  return out;
}

// One layer's polygons as GEOS geometries, for the brute-force answers.
struct GeosLayer {
  std::shared_ptr<const LayerData> layer;
  std::vector<GEOSGeometry*> geoms;  // nullptr for non-polygonal features
};

std::string Ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ",") + id;
  return "[" + out + "]";
}

// Step 1. Returns the number of points whose answers differ.
std::size_t Check(const PlanningService& planning, const RequestContext& ctx,
                  const std::vector<std::shared_ptr<const LayerData>>& layers, std::size_t n) {
  GEOSContextHandle_t g = GEOS_init_r();
  GEOSGeoJSONReader* reader = GEOSGeoJSONReader_create_r(g);
  std::vector<GeosLayer> geos;
  for (const auto& layer : layers) {
    if (layer->info().role == LayerRole::kGeneral) continue;
    GeosLayer gl{layer, {}};
    for (const auto& f : layer->features()) {
      GEOSGeometry* geom = nullptr;
      if (f.geometry && f.geometry->is_polygonal()) {
        geom = GEOSGeoJSONReader_readGeometry_r(g, reader, f.geometry->ToGeoJson().Dump().c_str());
        if (geom == nullptr) Die("GEOS cannot read feature %s", f.id.c_str());
      }
      gl.geoms.push_back(geom);
    }
    geos.push_back(std::move(gl));
  }
  std::size_t mismatches = 0, zones = 0, parcels = 0, wards = 0;
  for (const Point& p : RandomPoints(kCheckSeed, n)) {
    GEOSGeometry* pt = GEOSGeom_createPointFromXY_r(g, p.lon, p.lat);
    std::vector<std::string> want_zones, want_wards, got_zones, got_wards;
    std::string want_parcel, got_parcel;
    for (const GeosLayer& gl : geos) {
      const LayerRole role = gl.layer->info().role;
      for (std::size_t i = 0; i < gl.geoms.size(); ++i) {
        if (gl.geoms[i] == nullptr) continue;
        const char r = GEOSIntersects_r(g, gl.geoms[i], pt);
        if (r == 2) Die("GEOSIntersects_r failed");
        if (r == 0) continue;
        const std::string& id = gl.layer->features()[i].id;
        if (role == LayerRole::kPlanning) want_zones.push_back(id);
        if (role == LayerRole::kAdministrative) want_wards.push_back(id);
        if (role == LayerRole::kParcel && want_parcel.empty()) want_parcel = id;
      }
    }
    GEOSGeom_destroy_r(g, pt);
    Result<PointLookup> r = planning.AtPoint(ctx, p.lon, p.lat);
    std::string error;
    if (r.ok()) {
      for (const auto& z : r->zones) got_zones.push_back(z.feature().id);
      for (const auto& a : r->administrative) got_wards.push_back(a.feature().id);
      if (r->parcel) got_parcel = r->parcel->feature().id;
    } else {
      error = r.status().ToString();
    }
    zones += want_zones.size();
    wards += want_wards.size();
    parcels += want_parcel.empty() ? 0 : 1;
    if (!r.ok() || got_zones != want_zones || got_wards != want_wards ||
        got_parcel != want_parcel) {
      if (++mismatches <= 10) {
        std::fprintf(stderr,
                     "planning_lookup_bench: MISMATCH at %.7f %.7f: AtPoint %s zones %s parcel %s "
                     "wards %s; GEOS zones %s parcel %s wards %s\n",
                     p.lon, p.lat, error.c_str(), Ids(got_zones).c_str(), got_parcel.c_str(),
                     Ids(got_wards).c_str(), Ids(want_zones).c_str(), want_parcel.c_str(),
                     Ids(want_wards).c_str());
      }
    }
  }
  for (GeosLayer& gl : geos) {
    for (GEOSGeometry* geom : gl.geoms) {
      if (geom != nullptr) GEOSGeom_destroy_r(g, geom);
    }
  }
  GEOSGeoJSONReader_destroy_r(g, reader);
  GEOS_finish_r(g);
  std::printf("check points=%zu zones=%zu parcels=%zu wards=%zu mismatches=%zu\n", n, zones,
              parcels, wards, mismatches);
  return mismatches;
}

struct ThreadStats {
  std::vector<float> micros;
  std::uint64_t zones = 0, parcels = 0, errors = 0;
};

// Step 2.
void Run(const PlanningService& planning, const RequestContext& ctx, int threads, double seconds) {
  std::vector<std::vector<Point>> points;
  for (int t = 0; t < threads; ++t)
    points.push_back(RandomPoints(0x5eed + static_cast<unsigned>(t), kPointsPerThread));
  std::vector<ThreadStats> stats(static_cast<std::size_t>(threads));
  for (ThreadStats& s : stats) s.micros.reserve(1 << 22);
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::vector<Point>& pts = points[static_cast<std::size_t>(t)];
      ThreadStats& st = stats[static_cast<std::size_t>(t)];
      ready.fetch_add(1);
      while (ready.load() < threads) std::this_thread::yield();
      for (std::size_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        const Point& p = pts[i % pts.size()];
        const auto t0 = Clock::now();
        Result<PointLookup> r = planning.AtPoint(ctx, p.lon, p.lat);
        const auto t1 = Clock::now();
        st.micros.push_back(std::chrono::duration<float, std::micro>(t1 - t0).count());
        if (!r.ok()) {
          ++st.errors;
          continue;
        }
        st.zones += r->zones.size();
        st.parcels += r->parcel ? 1 : 0;
      }
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<float> all;
  std::uint64_t zones = 0, parcels = 0, errors = 0;
  for (const ThreadStats& s : stats) {
    all.insert(all.end(), s.micros.begin(), s.micros.end());
    zones += s.zones;
    parcels += s.parcels;
    errors += s.errors;
  }
  if (all.empty()) Die("no lookup finished");
  if (errors != 0) Die("%llu lookups failed", static_cast<unsigned long long>(errors));
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    const std::size_t i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(all.size()));
    return all[std::min(i, all.size() - 1)];
  };
  const double n = static_cast<double>(all.size());
  std::printf(
      "run threads=%d lookups=%zu seconds=%.3f lps=%.0f p50_us=%.2f p90_us=%.2f p99_us=%.2f "
      "max_us=%.1f zones_per_lookup=%.3f parcel_share=%.3f\n",
      threads, all.size(), elapsed, n / elapsed, pct(50), pct(90), pct(99), all.back(),
      static_cast<double>(zones) / n, static_cast<double>(parcels) / n);
  std::fflush(stdout);
}

// Step 3: ns per call of fn over the points, best of three passes.
template <typename Fn>
double NsPerCall(const std::vector<Point>& pts, Fn fn) {
  double best = 1e30;
  for (int pass = 0; pass < 3; ++pass) {
    const auto t0 = Clock::now();
    for (const Point& p : pts) fn(p);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    best = std::min(best, ns / static_cast<double>(pts.size()));
  }
  return best;
}

void Parts(const PlanningService& planning, const dothi::service::LayerService& layer_service,
           const RequestContext& ctx) {
  const std::vector<Point> pts = RandomPoints(0xBEEF, 200'000);
  std::size_t sink = 0;
  std::printf("part name=AtPoint ns_per_call=%.0f\n", NsPerCall(pts, [&](const Point& p) {
                Result<PointLookup> r = planning.AtPoint(ctx, p.lon, p.lat);
                sink += r.ok() ? r->zones.size() : 0;
              }));
  std::printf("part name=LayerService::Layers ns_per_call=%.0f\n",
              NsPerCall(pts, [&](const Point&) { sink += layer_service.Layers(ctx).size(); }));
  for (const auto& layer : layer_service.Layers(ctx)) {
    if (layer->info().role == LayerRole::kGeneral) continue;
    const std::string name = "Containing(" + layer->info().name + ")";
    std::printf("part name=%s ns_per_call=%.0f\n", name.c_str(),
                NsPerCall(pts, [&](const Point& p) {
                  layer->Containing(p.lon, p.lat, [&](std::size_t i) { sink += i; });
                }));
    const std::string cand = "Candidates(" + layer->info().name + ")";
    std::printf("part name=%s ns_per_call=%.0f\n", cand.c_str(),
                NsPerCall(pts, [&](const Point& p) {
                  layer->Candidates(dothi::geo::BBox::OfPoint(p.lon, p.lat), [&](std::size_t i) {
                    sink += i;
                    return true;
                  });
                }));
  }
  if (sink == 42) std::printf("\n");  // keeps the loops from being optimised away
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SECONDS CHECK_POINTS THREADS|parts...\n", argv[0]);
    return 2;
  }
  const double seconds = std::atof(argv[1]);
  const std::size_t check_points = static_cast<std::size_t>(std::atoll(argv[2]));

  spdlog::set_level(spdlog::level::warn);  // the layer loads' info lines would mix with the report
  dothi::testing::MemoryLayerStore store;
  dothi::service::LayerService layers(store);
  const auto t0 = Clock::now();
  if (Status s = dothi::app::LoadDemoPlanning(layers); !s.ok()) Die("%s", s.ToString().c_str());
  std::fprintf(stderr, "planning_lookup_bench: demo planning loaded in %.1f s\n",
               std::chrono::duration<double>(Clock::now() - t0).count());
  const RequestContext ctx{dothi::app::kDemoTenant, "bench", dothi::Now(), /*finish_on=*/{}};
  PlanningService planning(layers);

  if (check_points > 0 && Check(planning, ctx, layers.Layers(ctx), check_points) != 0) {
    Die("AtPoint disagrees with the brute-force GEOS answers; no figures");
  }
  for (int a = 3; a < argc; ++a) {
    if (std::string(argv[a]) == "parts") {
      Parts(planning, layers, ctx);
    } else {
      Run(planning, ctx, std::atoi(argv[a]), seconds);
    }
  }
  return 0;
}
