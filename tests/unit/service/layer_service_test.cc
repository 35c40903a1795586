#include "service/layer_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "fakes/memory_layer_store.h"

namespace dothi::service {
namespace {

RequestContext Ctx(std::string tenant) { return RequestContext{std::move(tenant), "t", Now(), /*finish_on=*/{}}; }

Json Pos(double x, double y) { return Json(Json::Array{Json(x), Json(y)}); }

Json Square(double x, double y, double side) {
  Json ring(Json::Array{Pos(x, y), Pos(x + side, y), Pos(x + side, y + side), Pos(x, y + side), Pos(x, y)});
  return Json::MakeObject({{"type", "Polygon"}, {"coordinates", Json(Json::Array{ring})}});
}

storage::SourceFeature Feature(std::string id, Json geometry, std::string use = "ODT") {
  storage::SourceFeature f;
  f.id = std::move(id);
  f.geometry = std::move(geometry);
  f.properties = Json::MakeObject({{"MA_DAT", Json(std::move(use))}, {"TANG", 5}});
  return f;
}

storage::SourceLayer LonLatSquares(int n, double side = 0.001) {
  storage::SourceLayer s;
  for (int i = 0; i < n; ++i) s.features.push_back(Feature("z" + std::to_string(i), Square(105.8 + i * side, 21.0, side)));
  return s;
}

LayerImport Request(std::string name) {
  LayerImport r;
  r.name = std::move(name);
  r.source_name = "test.geojson";
  return r;
}

class LayerServiceTest : public ::testing::Test {
 protected:
  testing::MemoryLayerStore store_;
  LayerService layers_{store_};
};

TEST_F(LayerServiceTest, AFileWithoutCrsIsLonLatOrNeedsSrs) {
  Result<LayerImportReport> r = layers_.Import(Ctx("hn"), Request("a"), LonLatSquares(3));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->crs, "CRS84");
  EXPECT_NE(r->note.find("no CRS"), std::string::npos);

  storage::SourceLayer projected;
  projected.features.push_back(Feature("p", Square(585000, 2324000, 50)));
  Result<LayerImportReport> refused = layers_.Import(Ctx("hn"), Request("b"), projected);
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidRequest);
  EXPECT_NE(refused.status().message().find("--srs"), std::string::npos);
  EXPECT_EQ(layers_.Layer(Ctx("hn"), "b"), nullptr);
}

// A file whose .prj says VN-2000 Transverse Mercator is read with the QĐ 05/2007 shift,
// whatever the meridian and scale: positions made with the same CRS come back.
TEST_F(LayerServiceTest, AVn2000TransverseMercatorPrjIsReadWithTheOfficialShift) {
  for (double k : {0.9999, 0.9996}) {
    geo::Crs crs = geo::Vn2000TransverseMercator(105.75, k, 500000, 0);
    auto t = geo::CrsTransform::Make(crs);
    ASSERT_TRUE(t.ok());
    double x = 106.7, y = 10.776;
    ASSERT_TRUE((*t)->FromCrs84(x, y).ok());
    storage::SourceLayer s;
    s.crs.present = true;
    s.crs.vn2000 = true;
    s.crs.transverse_mercator = true;
    s.crs.lon_0 = 105.75;
    s.crs.k_0 = k;
    s.crs.x_0 = 500000;
    s.features.push_back(Feature("p", Json::MakeObject({{"type", "Point"}, {"coordinates", Pos(x, y)}})));
    const std::string name = k == 0.9999 ? "tm3" : "tm6";
    Result<LayerImportReport> r = layers_.Import(Ctx("hcm"), Request(name), s);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->crs, k == 0.9999 ? "EPSG:9210" : "VN-2000 TM lon_0=105.75 k=0.9996 x_0=500000 y_0=0");
    const geo::Geometry& g = *layers_.Layer(Ctx("hcm"), name)->features()[0].geometry;
    EXPECT_NEAR(g.lon(), 106.7, 1e-9);
    EXPECT_NEAR(g.lat(), 10.776, 1e-9);
  }
}

TEST_F(LayerServiceTest, InvalidGeometriesAreRepairedOrRefusedWithTheirIds) {
  storage::SourceLayer s = LonLatSquares(4);
  Json bowtie(Json::Array{Pos(105.9, 21.0), Pos(105.91, 21.01), Pos(105.91, 21.0), Pos(105.9, 21.01), Pos(105.9, 21.0)});
  s.features.push_back(Feature("bowtie", Json::MakeObject({{"type", "Polygon"}, {"coordinates", Json(Json::Array{bowtie})}})));
  LayerImport refuse = Request("q");
  refuse.invalid = InvalidGeometryPolicy::kRefuse;
  Result<LayerImportReport> r = layers_.Import(Ctx("hn"), refuse, s);
  EXPECT_EQ(r.status().code(), ErrorCode::kBadRequestData);
  EXPECT_NE(r.status().message().find("bowtie"), std::string::npos) << r.status().message();
  EXPECT_EQ(layers_.Layer(Ctx("hn"), "q"), nullptr) << "all or nothing";
  EXPECT_TRUE(store_.List()->empty());

  r = layers_.Import(Ctx("hn"), Request("q"), s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->repaired.size(), 1u);
  EXPECT_EQ(r->repaired[0].first, "bowtie");
  auto layer = layers_.Layer(Ctx("hn"), "q");
  const geo::Geometry& fixed = *layer->features()[static_cast<std::size_t>(layer->Find("bowtie"))].geometry;
  EXPECT_EQ(fixed.type(), geo::GeometryType::kMultiPolygon);
  EXPECT_TRUE(geo::CheckValid(fixed).ok());
}

TEST_F(LayerServiceTest, DuplicateOrEmptyIdsAreRefused) {
  storage::SourceLayer s = LonLatSquares(3);
  s.features[2].id = s.features[0].id;
  EXPECT_EQ(layers_.Import(Ctx("hn"), Request("q"), s).status().code(), ErrorCode::kBadRequestData);
  s.features[2].id = "";
  EXPECT_EQ(layers_.Import(Ctx("hn"), Request("q"), s).status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(layers_.Layer(Ctx("hn"), "q"), nullptr);
}

TEST_F(LayerServiceTest, AFailedReplacementKeepsThePreviousVersion) {
  ASSERT_TRUE(layers_.Import(Ctx("hn"), Request("q"), LonLatSquares(3)).ok());
  LayerImport again = Request("q");
  EXPECT_EQ(layers_.Import(Ctx("hn"), again, LonLatSquares(5)).status().code(), ErrorCode::kAlreadyExists);
  again.replace = true;
  store_.fail_next_replace = true;
  EXPECT_FALSE(layers_.Import(Ctx("hn"), again, LonLatSquares(5)).ok());
  EXPECT_EQ(layers_.Layer(Ctx("hn"), "q")->features().size(), 3u);
  again.expected_version = 7;
  EXPECT_EQ(layers_.Import(Ctx("hn"), again, LonLatSquares(5)).status().code(), ErrorCode::kConflict);
  again.expected_version = 1;
  Result<LayerImportReport> r = layers_.Import(Ctx("hn"), again, LonLatSquares(5));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->info.version, 2);
  EXPECT_EQ(layers_.Layer(Ctx("hn"), "q")->features().size(), 5u);
}

TEST_F(LayerServiceTest, TenantsSeeOnlyTheirLayersAndAnotherProcesssImportArrivesOnRefresh) {
  ASSERT_TRUE(layers_.Import(Ctx("hn"), Request("q"), LonLatSquares(2)).ok());
  EXPECT_EQ(layers_.Layer(Ctx("hue"), "q"), nullptr);
  EXPECT_TRUE(layers_.Layers(Ctx("hue")).empty());
  EXPECT_EQ(layers_.Layers(Ctx("hn")).size(), 1u);

  LayerService other(store_);  // another process on the same store
  ASSERT_TRUE(other.Refresh().ok());
  ASSERT_NE(other.Layer(Ctx("hn"), "q"), nullptr);
  LayerImport replace = Request("q");
  replace.replace = true;
  ASSERT_TRUE(layers_.Import(Ctx("hn"), replace, LonLatSquares(6)).ok());
  ASSERT_TRUE(layers_.Delete(Ctx("hn"), "q").ok());
  ASSERT_TRUE(other.RefreshIfChanged().ok());
  EXPECT_EQ(other.Layer(Ctx("hn"), "q"), nullptr) << "deleted there, gone here";
}

TEST_F(LayerServiceTest, PlanningFieldsMapOnlyToExistingProperties) {
  LayerImport r = Request("q");
  r.role = domain::LayerRole::kPlanning;
  r.fields = std::vector<std::pair<std::string, std::string>>{{"land_use", "NOPE"}};
  EXPECT_EQ(layers_.Import(Ctx("hn"), r, LonLatSquares(2)).status().code(), ErrorCode::kInvalidRequest);
  r.fields = std::vector<std::pair<std::string, std::string>>{{"land_use", "MA_DAT"}, {"floors_max", "TANG"}};
  Result<LayerImportReport> ok = layers_.Import(Ctx("hn"), r, LonLatSquares(2));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok->info.FieldProperty("floors_max"), "TANG");
  Result<domain::LayerInfo> set = layers_.SetRole(Ctx("hn"), "q", domain::LayerRole::kParcel, {{"parcel_number", "TANG"}});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(layers_.Layer(Ctx("hn"), "q")->info().role, domain::LayerRole::kParcel);
  EXPECT_EQ(layers_.SetRole(Ctx("hue"), "q", domain::LayerRole::kParcel, {}).status().code(), ErrorCode::kNotFound);
}

// Containing against a brute-force evaluation of every polygon, on random points.
TEST_F(LayerServiceTest, ContainingMatchesABruteForceEvaluation) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  storage::SourceLayer s;
  for (int i = 0; i < 400; ++i) {
    const double x = 105.8 + u(rng) * 0.1, y = 21.0 + u(rng) * 0.1, size = 0.001 + u(rng) * 0.01;
    // Irregular quadrilaterals of several sizes, overlapping.
    Json ring(Json::Array{Pos(x, y), Pos(x + size, y + size * 0.2), Pos(x + size * 0.8, y + size),
                          Pos(x - size * 0.1, y + size * 0.7), Pos(x, y)});
    s.features.push_back(Feature("f" + std::to_string(i), Json::MakeObject({{"type", "Polygon"}, {"coordinates", Json(Json::Array{ring})}})));
  }
  ASSERT_TRUE(layers_.Import(Ctx("hn"), Request("zones"), s).ok());
  auto layer = layers_.Layer(Ctx("hn"), "zones");
  int hits = 0;
  for (int k = 0; k < 3000; ++k) {
    const double lon = 105.79 + u(rng) * 0.12, lat = 20.99 + u(rng) * 0.12;
    std::vector<std::size_t> got;
    layer->Containing(lon, lat, [&](std::size_t i) { got.push_back(i); });
    std::vector<std::size_t> want;
    geo::Geometry point = *geo::Geometry::MakePoint(lon, lat);
    for (std::size_t i = 0; i < layer->features().size(); ++i) {
      if (geo::Relate(point, geo::SpatialRelation::kIntersects, *layer->features()[i].geometry)) want.push_back(i);
    }
    ASSERT_EQ(got, want) << lon << " " << lat;
    hits += static_cast<int>(want.size());
  }
  EXPECT_GT(hits, 300) << "the points hit polygons";
}

// A cadastral layer: 3,600 parcels of about 20 m, far finer than a city-scale grid cell.
// Every parcel is found at its centre, and random points match a brute-force evaluation.
TEST_F(LayerServiceTest, ContainingFindsEachSmallParcelOfADenseLayer) {
  constexpr int kSide = 60;
  constexpr double kParcel = 0.0002;  // degrees, about 20 m
  storage::SourceLayer s;
  for (int j = 0; j < kSide; ++j) {
    for (int i = 0; i < kSide; ++i) {
      s.features.push_back(Feature("p" + std::to_string(j * kSide + i),
                                   Square(105.84 + i * kParcel, 21.02 + j * kParcel, kParcel)));
    }
  }
  ASSERT_TRUE(layers_.Import(Ctx("hn"), Request("parcels"), s).ok());
  auto layer = layers_.Layer(Ctx("hn"), "parcels");
  for (int j = 0; j < kSide; ++j) {
    for (int i = 0; i < kSide; ++i) {
      std::vector<std::size_t> got;
      layer->Containing(105.84 + (i + 0.5) * kParcel, 21.02 + (j + 0.5) * kParcel,
                        [&](std::size_t k) { got.push_back(k); });
      ASSERT_EQ(got, std::vector<std::size_t>{static_cast<std::size_t>(j * kSide + i)})
          << i << " " << j;
    }
  }
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> lon(105.839, 105.853), lat(21.019, 21.033);
  for (int k = 0; k < 2000; ++k) {
    const double x = lon(rng), y = lat(rng);
    std::vector<std::size_t> got, want;
    layer->Containing(x, y, [&](std::size_t i) { got.push_back(i); });
    geo::Geometry point = *geo::Geometry::MakePoint(x, y);
    for (std::size_t i = 0; i < layer->features().size(); ++i) {
      if (geo::Relate(point, geo::SpatialRelation::kIntersects, *layer->features()[i].geometry))
        want.push_back(i);
    }
    ASSERT_EQ(got, want) << x << " " << y;
  }
}

// A layer of points: a box query finds exactly the points inside it.
TEST_F(LayerServiceTest, CandidatesOfAPointLayerAreThePointsInTheBox) {
  storage::SourceLayer s;
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> lon(105.7, 106.0), lat(20.9, 21.1);
  for (int i = 0; i < 5000; ++i) {
    s.features.push_back(
        Feature("s" + std::to_string(i),
                Json::MakeObject({{"type", "Point"}, {"coordinates", Pos(lon(rng), lat(rng))}})));
  }
  ASSERT_TRUE(layers_.Import(Ctx("hn"), Request("sensors"), s).ok());
  auto layer = layers_.Layer(Ctx("hn"), "sensors");
  for (const geo::BBox& box :
       {geo::BBox{105.8, 21.0, 105.81, 21.01}, geo::BBox{105.6, 20.8, 106.1, 21.2},
        geo::BBox::OfPoint(105.85, 21.03)}) {
    std::set<std::size_t> got, want;
    layer->Candidates(box, [&](std::size_t i) {
      got.insert(i);
      return true;
    });
    for (std::size_t i = 0; i < layer->features().size(); ++i) {
      const geo::Geometry& g = *layer->features()[i].geometry;
      if (box.ContainsPoint(g.lon(), g.lat())) want.insert(i);
    }
    // Candidates may add a point within float rounding of the box; none is missed.
    for (std::size_t i : want) EXPECT_TRUE(got.count(i)) << i;
    EXPECT_LE(got.size(), want.size() + 2);
  }
}

}  // namespace
}  // namespace dothi::service

namespace dothi::service {
namespace {

// Readers (lookups, listings, search names) run while one thread replaces a layer again and
// again and another service on the same store refreshes: every reader sees one whole
// version (its feature count is one of the imported sizes). Run under ThreadSanitizer by
// scripts/tsan.sh.
TEST(LayerServiceConcurrencyTest, ReadersSeeWholeVersionsWhileImportsReplaceThem) {
  testing::MemoryLayerStore store;
  LayerService layers(store);
  LayerService follower(store);
  LayerImport request = Request("q");
  request.replace = true;
  ASSERT_TRUE(layers.Import(Ctx("hn"), request, LonLatSquares(10)).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  auto reader = [&](LayerService& s) {
    while (!stop.load()) {
      auto layer = s.Layer(Ctx("hn"), "q");
      if (!layer) continue;
      const std::size_t n = layer->features().size();
      if (n != 10 && n != 20) ++bad;
      int hits = 0;
      layer->Containing(105.8005, 21.0005, [&](std::size_t) { ++hits; });
      if (hits != 1) ++bad;
      (void)layer->FoldedNames();
      for (const auto& l : s.Layers(Ctx("hn"))) (void)l->info().version;
      ++reads;
    }
  };
  std::thread r1(reader, std::ref(layers)), r2(reader, std::ref(follower));
  std::thread refresher([&] {
    while (!stop.load()) (void)follower.RefreshIfChanged();
  });
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(layers.Import(Ctx("hn"), request, LonLatSquares(i % 2 == 0 ? 20 : 10)).ok());
  }
  while (reads.load() < 100) std::this_thread::yield();
  stop = true;
  r1.join();
  r2.join();
  refresher.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace dothi::service
