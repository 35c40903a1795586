#include "api/ogc_features/ogc_params.h"

#include <gtest/gtest.h>

namespace dothi::api::ogc {
namespace {

Timestamp At(const char* iso) { return *ParseIso8601(iso); }

TEST(OgcParamsTest, BBoxTakesFourOrSixNumbers) {
  Result<geo::BBox> b = ParseBBox("105.8,21.0,105.9,21.1");
  ASSERT_TRUE(b.ok());
  EXPECT_DOUBLE_EQ(b->min_x, 105.8);
  EXPECT_DOUBLE_EQ(b->min_y, 21.0);
  EXPECT_DOUBLE_EQ(b->max_x, 105.9);
  EXPECT_DOUBLE_EQ(b->max_y, 21.1);
  Result<geo::BBox> h = ParseBBox("105.8,21.0,-5,105.9,21.1,100");  // heights ignored
  ASSERT_TRUE(h.ok());
  EXPECT_DOUBLE_EQ(h->max_x, 105.9);
  EXPECT_DOUBLE_EQ(h->max_y, 21.1);
  Result<geo::BBox> across = ParseBBox("170,-10,-170,10");  // across the antimeridian
  ASSERT_TRUE(across.ok());
  EXPECT_GT(across->min_x, across->max_x);
}

TEST(OgcParamsTest, BBoxRefusesWrongCountsNumbersAndRanges) {
  for (const char* bad : {"", "1,2,3", "1,2,3,4,5", "1,2,3,4,5,6,7", "a,2,3,4", "1,,3,4", "1,2,3,4,",
                          "1, 2,3,4", "nan,0,1,1", "inf,0,1,1", "0,0,181,1", "0,-91,1,1",
                          "0,10,1,5"}) {
    EXPECT_EQ(ParseBBox(bad).status().code(), ErrorCode::kInvalidRequest) << bad;
  }
}

TEST(OgcParamsTest, BBoxInAnotherCrsBecomesTheCrs84BoxHoldingIt) {
  // A 2 m box in VN-2000 TM-3 105-45 around the TP. HCM reference vector (vn2000.md §8.2:
  // 10.7725 N, 106.698 E -> E 603 481.588, N 1 191 454.611).
  Result<std::unique_ptr<geo::CrsTransform>> t = geo::CrsTransform::Make(*geo::ParseCrs("EPSG:9210"));
  ASSERT_TRUE(t.ok());
  Result<BBoxValues> v = ParseBBoxValues("603480.588,1191453.611,603482.588,1191455.611");
  ASSERT_TRUE(v.ok());
  Result<geo::BBox> b = BBoxToCrs84(*v, **t);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_LT(b->min_x, 106.698);
  EXPECT_GT(b->max_x, 106.698);
  EXPECT_LT(b->min_y, 10.7725);
  EXPECT_GT(b->max_y, 10.7725);
  EXPECT_LT(b->max_x - b->min_x, 3e-5);  // about 2 m
  EXPECT_LT(b->max_y - b->min_y, 3e-5);
  EXPECT_EQ(BBoxToCrs84(BBoxValues{10, 10, 5, 5}, **t).status().code(), ErrorCode::kInvalidRequest);
}

TEST(OgcParamsTest, DatetimeInstantsIntervalsAndDates) {
  Result<Interval> i = ParseDatetime("2026-11-24T10:00:00Z");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->from, At("2026-11-24T10:00:00Z"));
  EXPECT_EQ(i->to, At("2026-11-24T10:00:00Z"));

  i = ParseDatetime("2026-11-24T10:00:00Z/2026-11-25T00:00:00+07:00");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->from, At("2026-11-24T10:00:00Z"));
  EXPECT_EQ(i->to, At("2026-11-24T17:00:00Z"));

  i = ParseDatetime("../2026-11-24T10:00:00Z");
  ASSERT_TRUE(i.ok());
  EXPECT_FALSE(i->from);
  EXPECT_EQ(i->to, At("2026-11-24T10:00:00Z"));

  i = ParseDatetime("2026-11-24T10:00:00Z/");
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->from, At("2026-11-24T10:00:00Z"));
  EXPECT_FALSE(i->to);

  i = ParseDatetime("2026-11-24");  // a date is its whole day
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->from, At("2026-11-24T00:00:00Z"));
  EXPECT_EQ(i->to->micros, At("2026-11-25T00:00:00Z").micros - 1);
}

TEST(OgcParamsTest, DatetimeRefusesMalformedAndReversed) {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-11-24T10:00:00", "../..", "/",
                          "a/b", "2026-11-24T10:00:00Z/2026-11-24T09:00:00Z",
                          "2026-11-24T10:00:00Z/2026-11-25T10:00:00Z/x", "10:00:00Z"}) {
    EXPECT_EQ(ParseDatetime(bad).status().code(), ErrorCode::kInvalidRequest) << bad;
  }
}

TEST(OgcParamsTest, CountsAreDecimalAtLeastTheMinimum) {
  EXPECT_EQ(*ParseCount("limit", "7", 1), 7u);
  EXPECT_EQ(*ParseCount("offset", "0", 0), 0u);
  EXPECT_EQ(*ParseCount("limit", "99999999999999999999999", 1), static_cast<std::size_t>(-1));
  for (const char* bad : {"0", "-1", "", "1.5", "abc", " 3", "3 ", "+3"}) {
    EXPECT_EQ(ParseCount("limit", bad, 1).status().code(), ErrorCode::kInvalidRequest) << bad;
  }
}

TEST(OgcParamsTest, FilterLangIsCql2TextOrJson) {
  EXPECT_EQ(*ParseFilterLang("cql2-text"), FilterLang::kCql2Text);
  EXPECT_EQ(*ParseFilterLang("cql2-json"), FilterLang::kCql2Json);
  EXPECT_EQ(*ParseFilterLang("cql-text"), FilterLang::kCql2Text);  // what GDAL 3.6 sends
  for (const char* bad : {"", "CQL2-TEXT", "cql2", "json-filter-expr", "cql-json"}) {
    EXPECT_EQ(ParseFilterLang(bad).status().code(), ErrorCode::kInvalidRequest) << bad;
  }
}

TEST(OgcParamsTest, FilterInEitherEncodingGivesTheSameTree) {
  const domain::cql2::Cql2Limits limits;
  Result<domain::cql2::Expression> text =
      ParseFilter("TEN LIKE 'Khu%' AND S_INTERSECTS(geometry, BBOX(105, 20, 106, 21))",
                  FilterLang::kCql2Text, limits);
  Result<domain::cql2::Expression> json = ParseFilter(
      R"({"op": "and", "args": [{"op": "like", "args": [{"property": "TEN"}, "Khu%"]},
          {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [105, 20, 106, 21]}]}]})",
      FilterLang::kCql2Json, limits);
  ASSERT_TRUE(text.ok()) << text.status().message();
  ASSERT_TRUE(json.ok()) << json.status().message();
  EXPECT_EQ(text->DebugString(), json->DebugString());
}

TEST(OgcParamsTest, FilterErrorsAreBadRequestDataWithTheReason) {
  domain::cql2::Cql2Limits limits;
  Result<domain::cql2::Expression> bad = ParseFilter("THIS IS NOT A FILTER", FilterLang::kCql2Text, limits);
  EXPECT_EQ(bad.status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(bad.status().message().rfind("invalid cql2-text: ", 0), 0u) << bad.status().message();
  bad = ParseFilter("{\"op\": ", FilterLang::kCql2Json, limits);
  EXPECT_EQ(bad.status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(bad.status().message().rfind("invalid cql2-json: ", 0), 0u) << bad.status().message();
  // The length limit holds for both encodings, before any parsing.
  limits.max_text_length = 20;
  const std::string json = R"({"op": "=", "args": [{"property": "a"}, 1]})";
  bad = ParseFilter(json, FilterLang::kCql2Json, limits);
  EXPECT_EQ(bad.status().message(), "invalid cql2-json: longer than 20 bytes");
  EXPECT_NE(ParseFilter("a = 1 AND b = 2 AND c = 3", FilterLang::kCql2Text, limits)
                .status().message().find("longer than 20 bytes"),
            std::string::npos);
  EXPECT_TRUE(ParseFilter("a = 1", FilterLang::kCql2Text, limits).ok());
}

}  // namespace
}  // namespace dothi::api::ogc
