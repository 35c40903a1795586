#include "domain/entity.h"

#include <gtest/gtest.h>

namespace dothi::domain {
namespace {

Json Instances(Json value, std::string_view type = "Property") {
  Json arr = Json::MakeArray();
  arr.Push(Json::MakeObject({{"type", std::string(type)}, {"value", std::move(value)}}));
  return arr;
}

Entity Sample() {
  Entity e;
  e.id = "urn:ngsi-ld:AirQualityObserved:hk-1";
  e.types = {"https://smartdatamodels.org/dataModel.Environment/AirQualityObserved"};
  e.created_at = Timestamp{1'700'000'000'000'000};
  e.modified_at = Timestamp{1'700'000'001'000'000};
  e.attrs.Set("https://smartdatamodels.org/pm25", Instances(12.5));
  e.attrs.Set("https://smartdatamodels.org/name", Instances("Hồ Gươm"));
  e.attrs.Set(std::string(kLocationIri), Instances(Json::MakeObject({{"type", "Point"}}), "GeoProperty"));
  return e;
}

// Changing attributes through EncodedEntity gives the bytes of changing the decoded entity.
TEST(EncodedEntityTest, EditsGiveTheSameBytesAsTheDecodedEntity) {
  for (bool with_scope : {false, true}) {
    Entity e = Sample();
    if (with_scope) {
      e.scope = Json::MakeArray();
      e.scope.Push("/HoanKiem");
    }
    const std::string bytes = e.Encode();
    Result<EncodedEntity> enc = EncodedEntity::Open(bytes);
    ASSERT_TRUE(enc.ok()) << enc.status().ToString();

    Result<std::optional<Json>> pm25 = enc->Attr("https://smartdatamodels.org/pm25");
    ASSERT_TRUE(pm25.ok());
    ASSERT_TRUE(pm25->has_value());
    EXPECT_EQ(**pm25, Instances(12.5));
    Result<std::optional<Json>> missing = enc->Attr("https://smartdatamodels.org/no2");
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());

    // SetAttr hands back the instances' value encoding, for a caller that needs it too.
    std::string pm25_encoding;
    Instances(99.25).EncodeValue(pm25_encoding);
    EXPECT_EQ(*enc->SetAttr("https://smartdatamodels.org/pm25", Instances(99.25)), pm25_encoding);
    std::string no2_encoding;
    Instances(7).EncodeValue(no2_encoding);
    EXPECT_EQ(*enc->SetAttr("https://smartdatamodels.org/no2", Instances(7)), no2_encoding);
    enc->SetModifiedAt(Timestamp{1'800'000'000'000'000});

    e.attrs.Set("https://smartdatamodels.org/pm25", Instances(99.25));
    e.attrs.Set("https://smartdatamodels.org/no2", Instances(7));
    e.modified_at = Timestamp{1'800'000'000'000'000};
    EXPECT_EQ(enc->Encode(), e.Encode()) << "scope " << with_scope;

    Result<Entity> back = Entity::Decode(enc->Encode());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->attrs, e.attrs);
    EXPECT_EQ(back->created_at.micros, e.created_at.micros);
  }
}

// Encode sizes its buffer exactly (the entity index keeps the bytes; room to spare would be
// copied once more to give it back), also past 127 attributes, where the count takes two
// bytes.
TEST(EncodedEntityTest, EncodeFillsItsBufferExactly) {
  for (int extra : {0, 130}) {
    Entity e = Sample();
    for (int i = 0; i < extra; ++i) {
      e.attrs.Set("https://smartdatamodels.org/a" + std::to_string(i), Instances(i));
    }
    const std::string bytes = e.Encode();
    Result<EncodedEntity> enc = EncodedEntity::Open(bytes);
    ASSERT_TRUE(enc.ok()) << enc.status().ToString();
    ASSERT_TRUE(enc->SetAttr("https://smartdatamodels.org/pm25", Instances(3)).ok());
    enc->SetModifiedAt(Timestamp{1'800'000'000'000'000});
    const std::string out = enc->Encode();
    EXPECT_EQ(out.capacity(), out.size()) << extra << " extra attributes";
    EXPECT_TRUE(Entity::Decode(out).ok());
  }
}

// Bytes whose attributes are not the last member (not what Entity::Encode writes) still open,
// and an edit keeps every other member.
TEST(EncodedEntityTest, OpensBytesWithAttributesNotLast) {
  const Entity e = Sample();
  Json stored = Json::MakeObject({{"id", e.id}, {"attrs", e.attrs}});
  Json types = Json::MakeArray();
  types.Push(e.types[0]);
  stored.Set("type", types);
  stored.Set("createdAt", e.created_at.micros);
  stored.Set("modifiedAt", e.modified_at.micros);
  std::string bytes;
  stored.EncodeBinary(bytes);
  // The last member is checked too when it is not the attributes.
  EXPECT_FALSE(EncodedEntity::Open(std::string_view(bytes).substr(0, bytes.size() - 1)).ok());
  Result<EncodedEntity> enc = EncodedEntity::Open(bytes);
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  Result<std::optional<Json>> pm25 = enc->Attr("https://smartdatamodels.org/pm25");
  ASSERT_TRUE(pm25.ok() && pm25->has_value());
  EXPECT_EQ(**pm25, Instances(12.5));
  ASSERT_TRUE(enc->SetAttr("https://smartdatamodels.org/pm25", Instances(3)).ok());
  Result<Entity> back = Entity::Decode(enc->Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  Entity expected = Sample();
  expected.attrs.Set("https://smartdatamodels.org/pm25", Instances(3));
  EXPECT_EQ(back->attrs, expected.attrs);
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->types, e.types);
  EXPECT_EQ(back->modified_at.micros, e.modified_at.micros);
}

TEST(EncodedEntityTest, RefusesBytesThatAreNotAnEntity) {
  std::string bytes;
  Json::MakeObject({{"id", "urn:x:1"}}).EncodeBinary(bytes);
  EXPECT_FALSE(EncodedEntity::Open(bytes).ok());
  EXPECT_FALSE(EncodedEntity::Open("").ok());
  // Damage at the end of the attributes is found by the walk that reaches it.
  const std::string good = Sample().Encode();
  Result<EncodedEntity> cut = EncodedEntity::Open(std::string_view(good).substr(0, good.size() - 1));
  if (cut.ok()) {
    EXPECT_FALSE(cut->Attr("https://example.org/absent").ok());
    EXPECT_FALSE(cut->SetAttr("https://example.org/absent", Instances(1)).ok());
  }
  // Trailing bytes after the last attribute too.
  std::string longer = good + '\x00';
  Result<EncodedEntity> trailing = EncodedEntity::Open(longer);
  if (trailing.ok()) {
    EXPECT_FALSE(trailing->Attr("https://example.org/absent").ok());
  }
}

// An edit of the first attribute copies the ones after it without reading them, and gives
// the same bytes as the decoded path.
TEST(EncodedEntityTest, AnEarlyAttributeLeavesTheRestUnread) {
  Entity e = Sample();
  const std::string bytes = e.Encode();
  const std::string_view first = e.attrs.AsObject().front().first;
  Result<EncodedEntity> enc = EncodedEntity::Open(bytes);
  ASSERT_TRUE(enc.ok());
  ASSERT_TRUE(enc->SetAttr(first, Instances(41)).ok());
  enc->SetModifiedAt(Timestamp{1'800'000'000'000'000});
  e.attrs.Set(first, Instances(41));
  e.modified_at = Timestamp{1'800'000'000'000'000};
  EXPECT_EQ(enc->Encode(), e.Encode());
  // Asking again finds the changed value, and a later attribute is still there to read.
  Result<std::optional<Json>> again = enc->Attr(first);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ(**again, Instances(41));
  Result<std::optional<Json>> last = enc->Attr(std::string(kLocationIri));
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ(enc->Encode(), e.Encode());
}

}  // namespace
}  // namespace dothi::domain
