#include "geo/vn2000_provinces.h"

#include <gtest/gtest.h>

#include "geo/crs.h"

namespace dothi::geo {
namespace {

// The 63 provinces of vn2000.md §5, each on one of the 18 EPSG TM-3 zones.
TEST(Vn2000ProvincesTest, EveryProvinceHasAnEpsgZoneOfItsMeridian) {
  ASSERT_EQ(Vn2000Provinces().size(), 63u);
  for (const Vn2000Province& p : Vn2000Provinces()) {
    Result<Crs> zone = Vn2000Tm3Zone(p.lon_0);
    ASSERT_TRUE(zone.ok()) << p.name;
    EXPECT_EQ(zone->epsg, p.epsg) << p.name;
  }
}

TEST(Vn2000ProvincesTest, ProvincesAreFoundBySlugIsoCodeOrName) {
  for (std::string_view text : {"ha-noi", "Ha Noi", "HA_NOI", "VN-HN", "vn-hn", "Hà Nội", "tp-ha-noi"}) {
    Result<Vn2000ProvinceMatch> m = FindVn2000Province(text);
    ASSERT_TRUE(m.ok()) << text;
    EXPECT_EQ(m->province->lon_0, 105.0) << text;
  }
  EXPECT_EQ(FindVn2000Province("ho-chi-minh")->province->lon_0, 105.75);
  EXPECT_EQ(FindVn2000Province("Bà Rịa–Vũng Tàu")->province->lon_0, 107.75);
  EXPECT_EQ(FindVn2000Province("dak-lak")->province->lon_0, 108.5);
  EXPECT_EQ(FindVn2000Province("hue")->province->lon_0, 107.0) << "TP. Huế of 2025";
  EXPECT_EQ(FindVn2000Province("Atlantis").status().code(), ErrorCode::kInvalidRequest);
  // A 2025 unit spanning several meridians says so; one with a single meridian does not.
  EXPECT_NE(FindVn2000Province("tay-ninh")->other_meridians.find("Long An 105°45′"), std::string::npos);
  EXPECT_TRUE(FindVn2000Province("ha-noi")->other_meridians.empty());
}

// Every province of 2025 (provinces-2025.md) is found by its name as written, and every
// pre-2025 one by its name without accents.
TEST(Vn2000ProvincesTest, EveryProvinceOf2025IsFoundByName) {
  for (std::string_view name :
       {"Hà Nội", "Huế", "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa",
        "Nghệ An", "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ",
        "Bắc Ninh", "Hưng Yên", "Hải Phòng", "Ninh Bình", "Quảng Trị", "Đà Nẵng", "Quảng Ngãi",
        "Gia Lai", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Hồ Chí Minh", "Đồng Nai", "Tây Ninh",
        "Cần Thơ", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang", "TP. Hồ Chí Minh", "Thành phố Huế"}) {
    EXPECT_TRUE(FindVn2000Province(name).ok()) << name;
  }
  for (const Vn2000Province& p : Vn2000Provinces()) {
    Result<Vn2000ProvinceMatch> m = FindVn2000Province(p.slug);
    ASSERT_TRUE(m.ok()) << p.slug;
    EXPECT_EQ(m->province, &p);
    EXPECT_EQ(FindVn2000Province(p.name)->province, &p) << p.name;
  }
  EXPECT_EQ(FindVn2000Province("Đắk Lắk")->province->lon_0, 108.5);
  EXPECT_EQ(FindVn2000Province("THỪA THIÊN HUẾ")->province->lon_0, 107.0);
}

TEST(ParseImportSrsTest, ReadsProvincesMeridiansAndEpsgCodes) {
  std::string note;
  Result<Crs> c = ParseImportSrs("VN2000:da-nang", &note);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->epsg, 5899);
  EXPECT_TRUE(note.empty());
  c = ParseImportSrs("VN2000:ho-chi-minh", &note);
  EXPECT_EQ(c->epsg, 9210);
  EXPECT_NE(note.find("Bà Rịa"), std::string::npos);
  EXPECT_EQ(ParseImportSrs("VN2000:105.75")->epsg, 9210);
  EXPECT_EQ(ParseImportSrs("VN2000:105d45")->epsg, 9210);
  EXPECT_EQ(ParseImportSrs("VN2000:105°45′")->epsg, 9210);
  // A meridian without an EPSG zone still works, unnamed.
  c = ParseImportSrs("VN2000:104.25");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->epsg, 0);
  EXPECT_EQ(c->Name(), "VN-2000 TM lon_0=104.25 k=0.9999 x_0=500000 y_0=0");
  EXPECT_EQ(ParseImportSrs("VN2000")->epsg, 4756);
  EXPECT_EQ(ParseImportSrs("CRS84")->kind, Crs::Kind::kCrs84);
  EXPECT_EQ(ParseImportSrs("EPSG:3857")->kind, Crs::Kind::kWebMercator);
  c = ParseImportSrs("EPSG:32648");  // UTM 48N: PROJ's own
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, Crs::Kind::kProj);
  auto t = CrsTransform::Make(*c);
  ASSERT_TRUE(t.ok());
  double x = 585000, y = 2324000;  // near Hà Nội
  ASSERT_TRUE((*t)->GisOrderToCrs84(x, y).ok());
  EXPECT_NEAR(x, 105.81, 0.01);
  EXPECT_NEAR(y, 21.01, 0.01);
  EXPECT_EQ(ParseImportSrs("EPSG:abc").status().code(), ErrorCode::kInvalidRequest);
  EXPECT_FALSE(CrsTransform::Make(*ParseImportSrs("EPSG:999999")).ok());
  EXPECT_EQ(ParseImportSrs("VN2000:nowhere").status().code(), ErrorCode::kInvalidRequest);
}

}  // namespace
}  // namespace dothi::geo
