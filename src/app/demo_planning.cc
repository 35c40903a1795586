#include "app/demo_planning.h"

#include <cmath>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "app/demo_city.h"
#include "app/demo_loader.h"

namespace dothi::app {
namespace {

// splitmix64: a small, fully specified generator, so the data is the same everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Between(double a, double b) { return a + (b - a) * Uniform(); }
  int Int(int a, int b) { return a + static_cast<int>(Uniform() * (b - a + 1)); }  // [a, b]

 private:
  std::uint64_t state_;
};

constexpr double kMetresPerDegreeLat = 110'740.0;  // at 21° N
constexpr double kMetresPerDegreeLon = 103'930.0;

Json Pos(double lon, double lat) {
  return Json(Json::Array{Json(std::round(lon * 1e7) / 1e7), Json(std::round(lat * 1e7) / 1e7)});
}

Json Ring(const std::vector<std::pair<double, double>>& pts) {
  Json ring = Json::MakeArray();
  for (auto [x, y] : pts) ring.Push(Pos(x, y));
  ring.Push(Pos(pts.front().first, pts.front().second));
  return ring;
}

Json Polygon(const std::vector<std::pair<double, double>>& pts) {
  return Json::MakeObject({{"type", "Polygon"}, {"coordinates", Json(Json::Array{Ring(pts)})}});
}

// Land uses of the zoning cells, with weights and the plan's indicator ranges.
struct UseSpec {
  const char* code;
  int weight;
  double density_min, density_max;  // mật độ xây dựng, %
  double far_min, far_max;          // hệ số sử dụng đất
  int floors_min, floors_max;       // tầng cao
};
constexpr UseSpec kUses[] = {
    {"ODT", 52, 60, 85, 2.5, 5.0, 2, 6},  {"TMD", 12, 50, 70, 3.0, 8.0, 3, 15},
    {"CXX", 8, 3, 5, 0.03, 0.05, 1, 1},   {"DGD", 6, 30, 40, 0.9, 1.6, 2, 4},
    {"DYT", 3, 35, 45, 1.2, 2.5, 3, 7},   {"DVH", 4, 30, 50, 0.6, 1.5, 1, 3},
    {"TSC", 5, 35, 50, 1.4, 3.5, 3, 9},   {"DTT", 2, 20, 30, 0.2, 0.6, 1, 2},
    {"DKV", 3, 5, 10, 0.05, 0.1, 1, 1},   {"TIN", 2, 30, 50, 0.3, 0.8, 1, 2},
    {"DDD", 3, 20, 40, 0.2, 0.8, 1, 2},
};

const UseSpec& PickUse(Random& rng) {
  int total = 0;
  for (const auto& u : kUses) total += u.weight;
  int r = rng.Int(0, total - 1);
  for (const auto& u : kUses) {
    if (r < u.weight) return u;
    r -= u.weight;
  }
  return kUses[0];
}

// Wards of Hoàn Kiếm before 2025 (names real, boundaries generated): 3 x 3 over the box.
constexpr const char* kWards[] = {"Hàng Mã", "Đồng Xuân", "Hàng Buồm", "Hàng Bồ",   "Hàng Đào",
                                  "Hàng Bạc", "Cửa Nam",  "Hàng Trống", "Tràng Tiền"};

double Round2(double v) { return std::round(v * 100.0) / 100.0; }

}  // namespace

DemoPlanning GenerateDemoPlanning(std::uint64_t seed) {
  Random rng(seed);
  DemoPlanning out;
  const DemoCityBounds b = kDemoCityBounds;
  const int cols = 12, rows = 20;  // street grid: 13 x 21 streets, 240 blocks
  const double dx = (b.max_lon - b.min_lon) / cols, dy = (b.max_lat - b.min_lat) / rows;
  const double half_road_lon = 6.0 / kMetresPerDegreeLon, half_road_lat = 6.0 / kMetresPerDegreeLat;

  auto ward_of = [&](double lon, double lat) {
    int wx = std::min(2, static_cast<int>((lon - b.min_lon) / (b.max_lon - b.min_lon) * 3));
    int wy = std::min(2, static_cast<int>((lat - b.min_lat) / (b.max_lat - b.min_lat) * 3));
    return kWards[(2 - wy) * 3 + wx];
  };
  for (int wy = 0; wy < 3; ++wy) {
    for (int wx = 0; wx < 3; ++wx) {
      const double x0 = b.min_lon + wx * (b.max_lon - b.min_lon) / 3, x1 = x0 + (b.max_lon - b.min_lon) / 3;
      const double y0 = b.min_lat + wy * (b.max_lat - b.min_lat) / 3, y1 = y0 + (b.max_lat - b.min_lat) / 3;
      storage::SourceFeature f;
      const char* name = kWards[(2 - wy) * 3 + wx];
      f.id = "phuong-" + std::to_string(wy * 3 + wx + 1);
      f.geometry = Polygon({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}});
      f.properties = Json::MakeObject({{"ten", std::string("Phường ") + name},
                                       {"quan", "Hoàn Kiếm"},
                                       {"tinh", "Hà Nội"},
                                       {"nguon", "dữ liệu tạo mẫu / generated"}});
      out.wards.features.push_back(std::move(f));
    }
  }
  for (int i = 0; i <= cols; ++i) {
    const double x = b.min_lon + i * dx;
    storage::SourceFeature f;
    f.id = "doc-" + std::to_string(i + 1);
    f.geometry = Json::MakeObject({{"type", "LineString"},
                                   {"coordinates", Json(Json::Array{Pos(x, b.min_lat), Pos(x, b.max_lat)})}});
    f.properties = Json::MakeObject({{"ten", "Đường dọc " + std::to_string(i + 1)}, {"lo_gioi_m", 12}});
    out.roads.features.push_back(std::move(f));
  }
  for (int j = 0; j <= rows; ++j) {
    const double y = b.min_lat + j * dy;
    storage::SourceFeature f;
    f.id = "ngang-" + std::to_string(j + 1);
    f.geometry = Json::MakeObject({{"type", "LineString"},
                                   {"coordinates", Json(Json::Array{Pos(b.min_lon, y), Pos(b.max_lon, y)})}});
    f.properties = Json::MakeObject({{"ten", "Phố ngang " + std::to_string(j + 1)}, {"lo_gioi_m", 12}});
    out.roads.features.push_back(std::move(f));
  }

  int sheet = 0;
  for (int j = 0; j < rows; ++j) {
    for (int i = 0; i < cols; ++i) {
      ++sheet;
      const double x0 = b.min_lon + i * dx + half_road_lon, x1 = b.min_lon + (i + 1) * dx - half_road_lon;
      const double y0 = b.min_lat + j * dy + half_road_lat, y1 = b.min_lat + (j + 1) * dy - half_road_lat;
      const char* ward = ward_of((x0 + x1) / 2, (y0 + y1) / 2);
      // One block is one zoning cell, or two split at a line off the parcel grid.
      const bool split = rng.Uniform() < 0.3;
      const double cut = x0 + (x1 - x0) * rng.Between(0.35, 0.65);
      const UseSpec& main_use = PickUse(rng);
      const UseSpec& other_use = split ? PickUse(rng) : main_use;
      for (int part = 0; part < (split ? 2 : 1); ++part) {
        const UseSpec& use = part == 0 ? main_use : other_use;
        const double px0 = part == 0 ? x0 : cut, px1 = split && part == 0 ? cut : x1;
        storage::SourceFeature z;
        char code[32];
        std::snprintf(code, sizeof code, "H1-%02d-%02d%s", j + 1, i + 1, split ? (part == 0 ? "a" : "b") : "");
        z.id = code;
        z.geometry = Polygon({{px0, y0}, {px1, y0}, {px1, y1}, {px0, y1}});
        const double density = Round2(rng.Between(use.density_min, use.density_max));
        const double far = Round2(rng.Between(use.far_min, use.far_max));
        const int floors_max = rng.Int(use.floors_min, use.floors_max);
        z.properties = Json::MakeObject(
            {{"ma_o", std::string(code)},
             {"ma_dat", use.code},
             {"mat_do_xd", density},
             {"he_so_sdd", far},
             {"tang_min", use.floors_min},
             {"tang_max", floors_max},
             {"do_an", "Quy hoạch phân khu đô thị H1-1 (tạo mẫu / generated)"},
             {"so_qd", "1234/QĐ-UBND"},
             {"ngay_qd", "2021-06-15"},
             {"phuong", std::string("Phường ") + ward}});
        out.zoning.features.push_back(std::move(z));
      }
      // Parcels: a 6 x 15 grid whose inner vertices are moved a little, so that
      // neighbours share edges and the block stays tiled exactly.
      const int pr = 6, pc = 15;
      std::vector<std::vector<std::pair<double, double>>> v(pr + 1, std::vector<std::pair<double, double>>(pc + 1));
      for (int r = 0; r <= pr; ++r) {
        for (int c = 0; c <= pc; ++c) {
          double x = x0 + (x1 - x0) * c / pc, y = y0 + (y1 - y0) * r / pr;
          if (r > 0 && r < pr && c > 0 && c < pc) {
            x += (x1 - x0) / pc * rng.Between(-0.2, 0.2);
            y += (y1 - y0) / pr * rng.Between(-0.2, 0.2);
          }
          v[r][c] = {x, y};
        }
      }
      int number = 0;
      for (int r = 0; r < pr; ++r) {
        for (int c = 0; c < pc; ++c) {
          ++number;
          std::vector<std::pair<double, double>> pts = {v[r][c], v[r][c + 1], v[r + 1][c + 1], v[r + 1][c]};
          // Shoelace area in metres.
          double area = 0;
          for (std::size_t k = 0; k < pts.size(); ++k) {
            const auto& p = pts[k];
            const auto& q = pts[(k + 1) % pts.size()];
            area += (p.first * kMetresPerDegreeLon) * (q.second * kMetresPerDegreeLat) -
                    (q.first * kMetresPerDegreeLon) * (p.second * kMetresPerDegreeLat);
          }
          const double cx = (pts[0].first + pts[2].first) / 2;
          const UseSpec& use = split && cx >= cut ? other_use : main_use;
          storage::SourceFeature p;
          p.id = std::to_string(sheet) + "-" + std::to_string(number);
          p.geometry = Polygon(pts);
          p.properties = Json::MakeObject({{"to_ban_do", sheet},
                                           {"so_thua", number},
                                           {"dien_tich", Round2(std::fabs(area) / 2)},
                                           {"ma_dat", std::string(use.code)},
                                           {"phuong", std::string("Phường ") + ward},
                                           {"dia_chi", "Thửa " + std::to_string(number) + ", tờ " +
                                                           std::to_string(sheet) + ", Phường " + ward +
                                                           ", Hoàn Kiếm, Hà Nội"}});
          out.parcels.features.push_back(std::move(p));
        }
      }
    }
  }
  return out;
}

Status LoadDemoPlanning(service::LayerService& layers, std::uint64_t seed) {
  RequestContext ctx{kDemoTenant, "demo-load", Now(), /*finish_on=*/{}};
  struct Spec {
    const char* name;
    const char* title;
    domain::LayerRole role;
    storage::SourceLayer DemoPlanning::*layer;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  const Spec specs[] = {
      {"phuong", "Phường (tạo mẫu) / Wards (generated)", domain::LayerRole::kAdministrative,
       &DemoPlanning::wards, {{"name", "ten"}}},
      {"duong", "Đường phố (tạo mẫu) / Streets (generated)", domain::LayerRole::kGeneral,
       &DemoPlanning::roads, {}},
      {"quy-hoach", "Quy hoạch phân khu H1-1 (tạo mẫu) / Zoning plan (generated)",
       domain::LayerRole::kPlanning, &DemoPlanning::zoning,
       {{"zone_code", "ma_o"}, {"land_use", "ma_dat"}, {"building_density", "mat_do_xd"},
        {"land_use_coefficient", "he_so_sdd"}, {"floors_min", "tang_min"}, {"floors_max", "tang_max"},
        {"plan_name", "do_an"}, {"decision_number", "so_qd"}, {"decision_date", "ngay_qd"},
        {"commune", "phuong"}}},
      {"thua-dat", "Thửa đất (tạo mẫu) / Parcels (generated)", domain::LayerRole::kParcel,
       &DemoPlanning::parcels,
       {{"map_sheet", "to_ban_do"}, {"parcel_number", "so_thua"}, {"area", "dien_tich"},
        {"commune", "phuong"}, {"land_use", "ma_dat"}, {"address", "dia_chi"}}},
  };
  bool any_missing = false;
  for (const Spec& s : specs) any_missing = any_missing || !layers.Layer(ctx, s.name);
  if (!any_missing) return Status::OK();
  DemoPlanning data = GenerateDemoPlanning(seed);
  for (const Spec& s : specs) {
    if (layers.Layer(ctx, s.name)) continue;
    service::LayerImport request;
    request.name = s.name;
    request.title = s.title;
    request.source_name = "dothi demo generator (generated data)";
    request.srs = geo::SupportedCrs().front();
    request.role = s.role;
    request.fields = s.fields;
    Result<service::LayerImportReport> r = layers.Import(ctx, request, std::move(data.*(s.layer)));
    if (!r.ok()) return Status::Internal(std::string("demo layer ") + s.name + " does not import", r.status().message());
  }
  spdlog::info("demo planning layers loaded into tenant {}", kDemoTenant);
  return Status::OK();
}

}  // namespace dothi::app
