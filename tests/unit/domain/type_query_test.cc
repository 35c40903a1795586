#include "domain/query/type_query.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dothi::domain {
namespace {

using Types = std::vector<std::string>;

bool Match(std::string_view q, const Types& types) {
  Result<TypeQuery> r = ParseTypeQuery(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
  return r.ok() && r->Matches(types);
}

TEST(TypeQueryTest, SingleName) {
  EXPECT_TRUE(Match("Building", {"Building"}));
  EXPECT_TRUE(Match("Building", {"Shop", "Building"}));
  EXPECT_FALSE(Match("Building", {"Shop"}));
  EXPECT_FALSE(Match("Building", {}));
}

TEST(TypeQueryTest, CommaAndBarAreOr) {
  EXPECT_TRUE(Match("Building,Shop", {"Shop"}));
  EXPECT_TRUE(Match("Building|Shop", {"Building"}));
  EXPECT_FALSE(Match("Building|Shop", {"Vehicle"}));
}

TEST(TypeQueryTest, SemicolonIsAndOverTheEntityTypes) {
  EXPECT_TRUE(Match("Building;Shop", {"Shop", "Building"}));
  EXPECT_FALSE(Match("Building;Shop", {"Building"}));
}

TEST(TypeQueryTest, ParenthesesAndPrecedence) {
  // Spec example shape: (A;B)|C
  EXPECT_TRUE(Match("(Building;Shop)|Vehicle", {"Vehicle"}));
  EXPECT_TRUE(Match("(Building;Shop)|Vehicle", {"Building", "Shop"}));
  EXPECT_FALSE(Match("(Building;Shop)|Vehicle", {"Building"}));
  EXPECT_TRUE(Match("Building;(Shop|Office)", {"Building", "Office"}));
  EXPECT_FALSE(Match("Building;(Shop|Office)", {"Office"}));
  Result<TypeQuery> q = ParseTypeQuery("A|B;C,D");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->DebugString(), "(A|(B;C)|D)");
}

TEST(TypeQueryTest, WhitespaceTolerant) {
  EXPECT_TRUE(Match("  ( Building ; Shop ) | Vehicle ", {"Vehicle"}));
  EXPECT_TRUE(Match("Building , Shop", {"Shop"}));
}

TEST(TypeQueryTest, FullIrisAreNames) {
  EXPECT_TRUE(Match("https://smartdatamodels.org/dataModel.Parking/OffStreetParking",
                    {"https://smartdatamodels.org/dataModel.Parking/OffStreetParking"}));
  EXPECT_TRUE(Match("ex:Building|ex:Shop", {"ex:Shop"}));
}

TEST(TypeQueryTest, ResolveExpandsNames) {
  Result<TypeQuery> q = ParseTypeQuery("Building;Shop");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(q->Resolve([](std::string_view t) {
                 return "https://ex.org/" + std::string(t);
               }).ok());
  EXPECT_TRUE(q->Matches({"https://ex.org/Building", "https://ex.org/Shop"}));
  EXPECT_FALSE(q->Matches({"Building", "Shop"}));
  EXPECT_EQ(q->names()[0].text, "Building");
  Status bad = q->Resolve([](std::string_view) { return std::string(); });
  EXPECT_EQ(bad.code(), ErrorCode::kBadRequestData);
}

TEST(TypeQueryTest, AnyOfIrisForPureOr) {
  Result<TypeQuery> a = ParseTypeQuery("A");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->AnyOfIris(), Types{"A"});
  Result<TypeQuery> b = ParseTypeQuery("A,B|(C|A)");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->AnyOfIris(), (Types{"A", "B", "C"}));
  Result<TypeQuery> c = ParseTypeQuery("A|(B;C)");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->AnyOfIris().has_value());
  ASSERT_TRUE(b->Resolve([](std::string_view t) { return "x:" + std::string(t); }).ok());
  EXPECT_EQ(b->AnyOfIris(), (Types{"x:A", "x:B", "x:C"}));
}

TEST(TypeQueryTest, RejectsMalformedInput) {
  for (const char* q : {"", "  ", "(", ")", "A)", "(A", "A,", ",A", "A;;B", "A|", "()",
                        "A B", "(A)(B)", "A,(B", "A;)"}) {
    Result<TypeQuery> r = ParseTypeQuery(q);
    EXPECT_FALSE(r.ok()) << q << " parsed as " << (r.ok() ? r->DebugString() : "");
    EXPECT_EQ(r.status().code(), ErrorCode::kBadRequestData) << q;
  }
}

TEST(TypeQueryTest, RejectsTooDeepOrTooLong) {
  std::string deep(40, '(');
  deep += "A" + std::string(40, ')');
  EXPECT_FALSE(ParseTypeQuery(deep).ok());
  EXPECT_FALSE(ParseTypeQuery(std::string(100000, '(')).ok());
  std::string many = "A";
  for (int i = 0; i < 300; ++i) many += ",A";
  EXPECT_FALSE(ParseTypeQuery(many).ok());
}

}  // namespace
}  // namespace dothi::domain
