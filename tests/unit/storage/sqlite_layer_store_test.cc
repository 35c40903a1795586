#include "storage/sqlite/sqlite_layer_store.h"

#include <gtest/gtest.h>

#include "fakes/temp_dir.h"

namespace dothi::storage::sqlite {
namespace {

domain::LayerFeature Square(std::string id, double x, double y, std::string use) {
  Json ring(Json::Array{Json(Json::Array{Json(x), Json(y)}), Json(Json::Array{Json(x + 1e-3), Json(y)}),
                        Json(Json::Array{Json(x + 1e-3), Json(y + 1e-3)}), Json(Json::Array{Json(x), Json(y)})});
  domain::LayerFeature f;
  f.id = std::move(id);
  f.geometry = *geo::Geometry::FromTypeAndCoordinates("Polygon", Json(Json::Array{ring}));
  f.properties = Json::MakeObject({{"MA_DAT", Json(std::move(use))}, {"TEN", "Khu ở Hoàn Kiếm"}, {"MDXD", 45.5}});
  return f;
}

domain::LayerInfo Info(std::string tenant, std::string name) {
  domain::LayerInfo info;
  info.tenant = std::move(tenant);
  info.name = std::move(name);
  info.title = "Quy hoạch phân khu";
  info.role = domain::LayerRole::kPlanning;
  info.fields = {{"land_use", "MA_DAT"}};
  info.extent = geo::BBox{105.8, 21.0, 105.9, 21.1};
  info.properties = {{"MA_DAT", "string"}, {"MDXD", "number"}};
  return info;
}

std::vector<domain::LayerFeature> LoadAll(SqliteLayerStore& store, const std::string& tenant,
                                          const std::string& name, std::int64_t version, Status* status = nullptr) {
  std::vector<domain::LayerFeature> out;
  Status s = store.Load(tenant, name, version, [&](domain::LayerFeature&& f) {
    out.push_back(std::move(f));
    return Status::OK();
  });
  if (status != nullptr) *status = s;
  return out;
}

TEST(SqliteLayerStoreTest, ReplaceCountsVersionsAndKeepsOnlyTheNewest) {
  testing::TempDir dir;
  auto store = SqliteLayerStore::Open((dir.path() / "layers.db").string());
  ASSERT_TRUE(store.ok()) << store.status().message();
  domain::LayerInfo info = Info("hanoi", "quy-hoach");
  Result<std::int64_t> v1 = (*store)->Replace(info, {Square("a", 105.8, 21.0, "ODT"), Square("b", 105.81, 21.0, "CXX")}, 0);
  ASSERT_TRUE(v1.ok()) << v1.status().message();
  EXPECT_EQ(*v1, 1);
  EXPECT_EQ(info.version, 1);
  // expected_version 0 means "must not exist": refused now, and nothing changes.
  EXPECT_EQ((*store)->Replace(info, {}, 0).status().code(), ErrorCode::kConflict);
  EXPECT_EQ((*store)->Replace(info, {}, 7).status().code(), ErrorCode::kConflict);
  Result<std::int64_t> v2 = (*store)->Replace(info, {Square("c", 105.82, 21.0, "TMD")}, 1);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v2, 2);

  Status s;
  EXPECT_TRUE(LoadAll(**store, "hanoi", "quy-hoach", 1, &s).empty());
  EXPECT_EQ(s.code(), ErrorCode::kNotFound) << "an old version is gone";
  std::vector<domain::LayerFeature> got = LoadAll(**store, "hanoi", "quy-hoach", 2, &s);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "c");
  EXPECT_EQ(*got[0].geometry, *Square("c", 105.82, 21.0, "TMD").geometry);
  EXPECT_EQ(got[0].properties, Square("c", 105.82, 21.0, "TMD").properties);
}

TEST(SqliteLayerStoreTest, ReopenKeepsLayersDescriptionsAndTenantsApart) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "layers.db").string();
  {
    auto store = SqliteLayerStore::Open(path);
    ASSERT_TRUE(store.ok());
    domain::LayerInfo a = Info("hanoi", "quy-hoach"), b = Info("hue", "quy-hoach");
    ASSERT_TRUE((*store)->Replace(a, {Square("a", 105.8, 21.0, "ODT")}, std::nullopt).ok());
    ASSERT_TRUE((*store)->Replace(b, {Square("z", 107.5, 16.4, "DGD"), Square("y", 107.6, 16.4, "DYT")}, std::nullopt).ok());
  }
  auto store = SqliteLayerStore::Open(path);
  ASSERT_TRUE(store.ok());
  Result<std::vector<domain::LayerInfo>> all = (*store)->List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  const domain::LayerInfo& hanoi = (*all)[0];
  EXPECT_EQ(hanoi.tenant, "hanoi");
  EXPECT_EQ(hanoi.title, "Quy hoạch phân khu");
  EXPECT_EQ(hanoi.role, domain::LayerRole::kPlanning);
  ASSERT_NE(hanoi.FieldProperty("land_use"), nullptr);
  EXPECT_EQ(*hanoi.FieldProperty("land_use"), "MA_DAT");
  EXPECT_EQ(hanoi.extent, (geo::BBox{105.8, 21.0, 105.9, 21.1}));
  EXPECT_EQ(hanoi.properties, Info("", "").properties);
  EXPECT_EQ(LoadAll(**store, "hanoi", "quy-hoach", 1).size(), 1u);
  EXPECT_EQ(LoadAll(**store, "hue", "quy-hoach", 1).size(), 2u);

  ASSERT_TRUE((*store)->Delete("hue", "quy-hoach", 1).ok());
  EXPECT_EQ((*store)->Delete("hue", "quy-hoach", std::nullopt).code(), ErrorCode::kNotFound);
  EXPECT_EQ((*store)->List()->size(), 1u);
}

TEST(SqliteLayerStoreTest, AnotherConnectionsCommitMovesTheChangeCounter) {
  testing::TempDir dir;
  const std::string path = (dir.path() / "layers.db").string();
  auto reader = SqliteLayerStore::Open(path);
  auto writer = SqliteLayerStore::Open(path);
  ASSERT_TRUE(reader.ok() && writer.ok());
  Result<std::uint64_t> before = (*reader)->ChangeCounter();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*(*reader)->ChangeCounter(), *before) << "no change, no movement";
  domain::LayerInfo info = Info("hanoi", "x");
  ASSERT_TRUE((*writer)->Replace(info, {Square("a", 105.8, 21.0, "ODT")}, std::nullopt).ok());
  EXPECT_NE(*(*reader)->ChangeCounter(), *before);
  EXPECT_EQ((*reader)->List()->size(), 1u);
}

}  // namespace
}  // namespace dothi::storage::sqlite
