#include "service/planning_service.h"

#include <gtest/gtest.h>

#include <random>

#include "app/demo_planning.h"
#include "domain/text_fold.h"
#include "fakes/memory_layer_store.h"

namespace dothi::service {
namespace {

RequestContext Ctx(std::string tenant) { return RequestContext{std::move(tenant), "t", Now(), /*finish_on=*/{}}; }

// The generated demo district: its zoning cells, parcels and wards, as serve --demo loads them.
class PlanningServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(app::LoadDemoPlanning(layers_).ok()); }
  std::shared_ptr<const LayerData> Layer(const char* name) { return layers_.Layer(Ctx("demo"), name); }

  testing::MemoryLayerStore store_;
  LayerService layers_{store_};
  PlanningService planning_{layers_};
};

std::vector<std::string> Ids(const std::vector<LayerHit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.push_back(h.feature().id);
  return out;
}

// Every answer equals a brute-force GEOS evaluation over all features of the layers.
TEST_F(PlanningServiceTest, PointLookupMatchesABruteForceEvaluation) {
  auto zoning = Layer("quy-hoach"), parcels = Layer("thua-dat"), wards = Layer("phuong");
  ASSERT_TRUE(zoning && parcels && wards);
  ASSERT_GE(parcels->features().size(), 20000u);
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> lon(105.8395, 105.8635), lat(21.0135, 21.0425);
  int with_zone = 0, with_parcel = 0, outside = 0;
  for (int k = 0; k < 3000; ++k) {
    const double x = lon(rng), y = lat(rng);
    const geo::Geometry point = *geo::Geometry::MakePoint(x, y);
    auto brute = [&](const LayerData& layer) {
      std::vector<std::string> ids;
      for (const auto& f : layer.features()) {
        if (f.geometry && geo::Relate(point, geo::SpatialRelation::kIntersects, *f.geometry)) ids.push_back(f.id);
      }
      return ids;
    };
    const std::vector<std::string> want_wards = brute(*wards);
    Result<PointLookup> r = planning_.AtPoint(Ctx("demo"), x, y);
    if (want_wards.empty()) {  // outside the tenant's wards: refused
      ASSERT_EQ(r.status().code(), ErrorCode::kBadRequestData) << x << " " << y;
      ++outside;
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(Ids(r->zones), brute(*zoning)) << x << " " << y;
    EXPECT_EQ(Ids(r->administrative), want_wards) << x << " " << y;
    const std::vector<std::string> want_parcels = brute(*parcels);
    if (want_parcels.empty()) {
      EXPECT_FALSE(r->parcel) << x << " " << y;
    } else {
      ASSERT_TRUE(r->parcel) << x << " " << y;
      EXPECT_EQ(r->parcel->feature().id, want_parcels.front());
      ++with_parcel;
    }
    with_zone += r->zones.empty() ? 0 : 1;
  }
  EXPECT_GT(with_zone, 2000) << "most points fall in a zone (the rest on streets)";
  EXPECT_GT(with_parcel, 2000);
  EXPECT_GT(outside, 10) << "the sample reaches outside the district too";
}

TEST_F(PlanningServiceTest, PointsOutsideVietnamOrTheTenantOrWithoutDataAreRefused) {
  EXPECT_EQ(planning_.AtPoint(Ctx("demo"), 2.35, 48.85).status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(planning_.AtPoint(Ctx("demo"), 106.70, 10.77).status().code(), ErrorCode::kBadRequestData)
      << "TP. HCM is outside the demo tenant's wards";
  EXPECT_EQ(planning_.AtPoint(Ctx("hue"), 107.58, 16.46).status().code(), ErrorCode::kNotFound)
      << "another tenant has no planning data and sees none of demo's";
}

// A parcel's zones: shares add up to the whole parcel (zoning cells tile the blocks), the
// computed area matches the area the generator wrote within 0.5%, and names match without
// accents or the "Phường" prefix.
TEST_F(PlanningServiceTest, ParcelLookupGivesItsZonesWithShares) {
  auto parcels = Layer("thua-dat");
  std::mt19937 rng(5);
  int split = 0;
  for (int k = 0; k < 300; ++k) {
    const auto& f = parcels->features()[rng() % parcels->features().size()];
    const std::string ward = f.properties.Find("phuong")->AsString();
    const std::string sheet = std::to_string(f.properties.Find("to_ban_do")->AsInt());
    const std::string number = std::to_string(f.properties.Find("so_thua")->AsInt());
    Result<ParcelLookup> r = planning_.Parcel(Ctx("demo"), ward, sheet, number);
    ASSERT_TRUE(r.ok()) << ward << " " << sheet << " " << number << ": " << r.status().message();
    EXPECT_EQ(r->parcel.feature().id, f.id);
    EXPECT_NEAR(r->area_m2, f.properties.Find("dien_tich")->AsDouble(), f.properties.Find("dien_tich")->AsDouble() * 0.005);
    double total = 0;
    for (const auto& z : r->zones) total += z.share;
    EXPECT_NEAR(total, 1.0, 1e-6) << f.id;
    ASSERT_FALSE(r->zones.empty());
    for (std::size_t i = 1; i < r->zones.size(); ++i) EXPECT_GE(r->zones[i - 1].share, r->zones[i].share);
    split += r->zones.size() > 1 ? 1 : 0;
  }
  EXPECT_GT(split, 0) << "some parcels straddle two zones";
  // The same parcel named without accents, in capitals, with leading zeros.
  const auto& f = parcels->features()[123];
  std::string ward = f.properties.Find("phuong")->AsString().substr(std::string("Phường ").size());
  ward = domain::FoldForSearch(ward, true, true);
  for (char& c : ward) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Result<ParcelLookup> r = planning_.Parcel(Ctx("demo"), ward, "0" + std::to_string(f.properties.Find("to_ban_do")->AsInt()),
                                            std::to_string(f.properties.Find("so_thua")->AsInt()));
  ASSERT_TRUE(r.ok()) << ward << ": " << r.status().message();
  EXPECT_EQ(r->parcel.feature().id, f.id);
  EXPECT_EQ(planning_.Parcel(Ctx("demo"), "Phường Hàng Đào", "9999", "1").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(planning_.Parcel(Ctx("other"), "Phường Hàng Đào", "1", "1").status().code(), ErrorCode::kNotFound);
}

TEST_F(PlanningServiceTest, SearchIgnoresAccentsAndCase) {
  Result<std::vector<SearchHit>> r = planning_.Search(Ctx("demo"), "phuong hang dao", 5);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->empty());
  for (const auto& h : *r) {
    EXPECT_NE(domain::FoldForSearch(h.text, true, true).find("phuong hang dao"), std::string::npos) << h.text;
  }
  r = planning_.Search(Ctx("demo"), "H1-05-07", 5);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->empty());
  EXPECT_EQ(r->front().hit.layer->info().name, "quy-hoach");
  EXPECT_TRUE(planning_.Search(Ctx("demo"), "zzzz không có", 5)->empty());
  EXPECT_EQ(planning_.Search(Ctx("demo"), "   ", 5).status().code(), ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace dothi::service
