#include "core/json.h"

#include <gtest/gtest.h>

#include <limits>

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

// An encoded object read member by member and written back from its pieces (one member
// re-encoded, the others copied as bytes) is the encoding of the changed object.
TEST(JsonTest, BinaryObjectMembersRebuildTheSameBytes) {
  Json nested = Json::MakeObject({{"k", Json::MakeArray()}, {"t", "2025-11-23T10:00:00.000Z"}});
  nested.Find("k")->Push(1.5);
  nested.Find("k")->Push("https://uri.etsi.org/ngsi-ld/x");
  Json j = Json::MakeObject({{"a", 1}, {"type", nested}, {"c", "chữ"}});
  std::string bytes;
  j.EncodeBinary(bytes);
  Result<std::vector<Json::BinaryMember>> members = Json::BinaryObjectMembers(bytes, true);
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  ASSERT_EQ(members->size(), 3u);
  EXPECT_TRUE(Json::BinaryKeyEquals((*members)[1].key, "type"));
  EXPECT_FALSE(Json::BinaryKeyEquals((*members)[1].key, "typ"));
  EXPECT_EQ(Json::DecodeBinaryKey((*members)[2].key).value(), "c");
  Result<Json> type = Json::DecodeBinaryValue((*members)[1].value);
  ASSERT_TRUE(type.ok());
  EXPECT_EQ(*type, nested);

  std::string rebuilt;
  Json::BeginBinaryObject(rebuilt, 3, true);
  Json::AppendBinaryKey(rebuilt, Json::DecodeBinaryKey((*members)[0].key).value());
  Json(2).EncodeValue(rebuilt);
  for (std::size_t i = 1; i < 3; ++i) {
    rebuilt.append((*members)[i].key);
    rebuilt.append((*members)[i].value);
  }
  j.Set("a", 2);
  std::string expected;
  j.EncodeBinary(expected);
  EXPECT_EQ(rebuilt, expected);
}

TEST(JsonTest, BinaryObjectHeaderSizeIsWhatBeginBinaryObjectWrites) {
  for (std::size_t members : {0ul, 1ul, 127ul, 128ul, 16383ul, 16384ul, 1ul << 40}) {
    for (bool versioned : {false, true}) {
      std::string out;
      Json::BeginBinaryObject(out, members, versioned);
      EXPECT_EQ(Json::BinaryObjectHeaderSize(members, versioned), out.size())
          << members << (versioned ? " versioned" : "");
    }
  }
}

// A key compares by meaning in each of its encodings (plain string, dictionary word, IRI
// prefix + rest, time), including a plain encoding of a word the dictionary now holds.
TEST(JsonTest, BinaryKeysCompareByMeaningInEveryForm) {
  for (const std::string key : {"type", "https://uri.etsi.org/ngsi-ld/default-context/pm25",
                                "urn:ngsi-ld:x", "chữ", "2025-11-23T10:00:00.000Z", ""}) {
    std::string enc;
    Json::AppendBinaryKey(enc, key);
    EXPECT_TRUE(Json::BinaryKeyEquals(enc, key)) << key;
    EXPECT_EQ(Json::DecodeBinaryKey(enc).value(), key);
    EXPECT_FALSE(Json::BinaryKeyEquals(enc, key + "x")) << key;
    if (!key.empty()) {
      EXPECT_FALSE(Json::BinaryKeyEquals(enc, key.substr(1))) << key;
    }
    for (std::size_t n = 0; n < enc.size(); ++n) {
      EXPECT_FALSE(Json::BinaryKeyEquals(enc.substr(0, n), key)) << key << " cut at " << n;
      EXPECT_FALSE(Json::DecodeBinaryKey(enc.substr(0, n)).ok()) << key << " cut at " << n;
    }
  }
  const std::string plain_type("\x05\x04type", 6);  // "type" written before it was a word
  EXPECT_TRUE(Json::BinaryKeyEquals(plain_type, "type"));
  std::string dict_type;
  Json::AppendBinaryKey(dict_type, "type");
  EXPECT_NE(dict_type, plain_type);
  EXPECT_FALSE(Json::BinaryKeyEquals(std::string("\x08\xff", 2), "type"));  // no such word
}

TEST(JsonTest, BinaryObjectMembersRefuseCorruptInput) {
  Json j = Json::MakeObject({{"key", Json::MakeObject({{"x", "a long enough string"}})}});
  std::string bytes;
  j.EncodeBinary(bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(Json::BinaryObjectMembers(std::string_view(bytes).substr(0, n), true).ok()) << n;
  }
  std::string not_object;
  Json::MakeArray().EncodeBinary(not_object);
  EXPECT_FALSE(Json::BinaryObjectMembers(not_object, true).ok());
  EXPECT_FALSE(Json::DecodeBinaryValue(std::string_view(bytes).substr(1, 4)).ok());
}

// Each element of an encoded array is found as its own value encoding, which made versioned
// is that element's EncodeBinary.
TEST(JsonTest, BinaryArrayElementsAreTheElementsEncodings) {
  Json arr = Json::MakeArray();
  arr.Push(Json::MakeObject({{"type", "Property"}, {"value", 1.5}}));
  arr.Push("https://uri.etsi.org/ngsi-ld/x");
  arr.Push(Json::MakeObject({{"datasetId", "urn:ngsi-ld:d:1"}, {"at", "2025-11-23T10:00:00Z"}}));
  std::string value;
  arr.EncodeValue(value);
  for (std::size_t i = 0; i < arr.size(); ++i) {
    Result<std::string_view> element = Json::BinaryArrayElement(value, i);
    ASSERT_TRUE(element.ok()) << i;
    std::string expected;
    arr.AsArray()[i].EncodeValue(expected);
    EXPECT_EQ(*element, expected) << i;
    std::string versioned;
    Json::EncodeBinaryFromValue(versioned, *element);
    std::string binary;
    arr.AsArray()[i].EncodeBinary(binary);
    EXPECT_EQ(versioned, binary) << i;
  }
  EXPECT_FALSE(Json::BinaryArrayElement(value, arr.size()).ok());
  EXPECT_FALSE(Json::BinaryArrayElement(std::string_view(value).substr(0, 8), 2).ok());
  std::string object;
  Json::MakeObject({{"a", 1}}).EncodeValue(object);
  EXPECT_FALSE(Json::BinaryArrayElement(object, 0).ok());
}

TEST(JsonTest, NumbersCompareAcrossIntAndDouble) {
  EXPECT_EQ(Json(2), Json(2.0));
  EXPECT_FALSE(Json(2) == Json(2.5));
  EXPECT_FALSE(Json("2") == Json(2));
}

TEST(JsonTest, DoublesPrintShortestRoundTrip) {
  EXPECT_EQ(Json(0.1).Dump(), "0.1");
  EXPECT_EQ(Json(21.0).Dump(), "21.0");  // a double reads back as a double
  EXPECT_EQ(Json(-3.0).Dump(), "-3.0");
  EXPECT_EQ(Json(21).Dump(), "21");
  EXPECT_EQ(ShortestNumberText(2000.0), "2000");
  EXPECT_EQ(Json(1e300).Dump(), "1e+300");
}

}  // namespace
}  // namespace dothi

namespace dothi {
namespace {

TEST(JsonBinaryTest, CompactFormsRoundTripExactly) {
  // Dictionary words, known IRI prefixes, canonical timestamps and near-misses of each.
  Json j = Json::MakeObject({
      {"type", "Property"},
      {"https://uri.etsi.org/ngsi-ld/default-context/pm25", "https://uri.etsi.org/ngsi-ld/default-context/"},
      {"observedAt", "2026-11-23T08:15:00.123Z"},
      {"notCanonical", "2026-11-23T08:15:00Z"},
      {"offset", "2026-11-23T08:15:00.123+07:00"},
      {"badDate", "2026-02-30T08:15:00.123Z"},
      {"leapSecond", "2016-12-31T23:59:60.000Z"},
      {"notDigits", "2026-11-23T08:15:00.1a3Z"},
      {"lowerT", "2026-11-23t08:15:00.123Z"},
      {"hour24", "2026-11-23T24:00:00.000Z"},
      {"old", "1969-12-31T23:59:59.999Z"},
      {"urn", "urn:ngsi-ld:Street:1"},
      {"ints", Json::MakeArray()},
  });
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1} << 62,
                         std::numeric_limits<std::int64_t>::min()}) {
    j.Find("ints")->Push(v);
  }
  std::string bytes;
  j.EncodeBinary(bytes);
  Result<Json> back = Json::DecodeBinary(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Dump(), j.Dump());
  EXPECT_LT(bytes.size(), j.Dump().size() * 2 / 3);
}

TEST(JsonBinaryTest, RefusesUnknownVersionAndOutOfRangeIndexes) {
  EXPECT_FALSE(Json::DecodeBinary("").ok());
  EXPECT_FALSE(Json::DecodeBinary(std::string("\x00", 1)).ok());
  EXPECT_FALSE(Json::DecodeBinary(std::string("\xD1\x08\xFF", 3)).ok());  // dictionary 255
  EXPECT_FALSE(Json::DecodeBinary(std::string("\xD1\x09\xFF\x00", 4)).ok());  // prefix 255
}

}  // namespace
}  // namespace dothi

namespace dothi {
namespace {

TEST(JsonBinaryTest, EncodeObjectBinaryEqualsEncodingTheBuiltObject) {
  const Json a = Json::MakeObject({{"k", "v"}, {"n", 3}});
  const Json b("urn:ngsi-ld:x");
  std::string direct;
  Json::EncodeObjectBinary(direct, {{"first", &b}, {"second", &a}});
  std::string built;
  Json::MakeObject({{"first", b}, {"second", a}}).EncodeBinary(built);
  EXPECT_EQ(direct, built);
}

}  // namespace
}  // namespace dothi
