#include "core/json.h"

#include <gtest/gtest.h>

namespace dothi {
namespace {

TEST(JsonTest, DumpEscapesControlCharactersAndKeepsUtf8) {
  Json j = Json::MakeObject({{"name", "Hồ Gươm\n\"x\""}, {"n", 1}, {"d", 2.5}, {"b", true}});
  EXPECT_EQ(j.Dump(), "{\"name\":\"Hồ Gươm\\n\\\"x\\\"\",\"n\":1,\"d\":2.5,\"b\":true}");
}

TEST(JsonTest, SetReplacesInPlaceAndKeepsOrder) {
  Json j = Json::MakeObject({{"a", 1}, {"b", 2}});
  j.Set("a", 3);
  j.Set("c", 4);
  EXPECT_EQ(j.Dump(), "{\"a\":3,\"b\":2,\"c\":4}");
  EXPECT_TRUE(j.Erase("b"));
  EXPECT_FALSE(j.Erase("b"));
  EXPECT_EQ(j.Dump(), "{\"a\":3,\"c\":4}");
}

TEST(JsonTest, BinaryRoundTripsEveryType) {
  Json arr = Json::MakeArray();
  arr.Push(nullptr);
  arr.Push(false);
  arr.Push(std::int64_t{-1234567890123});
  arr.Push(0.1);
  arr.Push("chữ");
  Json j = Json::MakeObject({{"arr", arr}, {"obj", Json::MakeObject({{"k", "v"}})}});
  std::string bytes;
  j.EncodeBinary(bytes);
  Result<Json> back = Json::DecodeBinary(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, j);
  EXPECT_EQ(back->Dump(), j.Dump());
}

TEST(JsonTest, DecodeBinaryRefusesTruncatedInput) {
  Json j = Json::MakeObject({{"key", "a long enough string"}});
  std::string bytes;
  j.EncodeBinary(bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(Json::DecodeBinary(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
}

TEST(JsonTest, NumbersCompareAcrossIntAndDouble) {
  EXPECT_EQ(Json(2), Json(2.0));
  EXPECT_FALSE(Json(2) == Json(2.5));
  EXPECT_FALSE(Json("2") == Json(2));
}

TEST(JsonTest, DoublesPrintShortestRoundTrip) {
  EXPECT_EQ(Json(0.1).Dump(), "0.1");
  EXPECT_EQ(Json(21.0).Dump(), "21");
  EXPECT_EQ(Json(1e300).Dump(), "1e+300");
}

}  // namespace
}  // namespace dothi
