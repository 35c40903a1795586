#include "api/ngsi_ld/projection.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

namespace dothi::api::ngsi_ld {
namespace {

TEST(ProjectionTest, NestedListsBelongToTheNameBeforeThem) {
  Result<Projection> p = ParseProjection("id,locatedAt{id,name,isIn{id}},name,locatedAt", "pick");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->names, (std::vector<std::string>{"id", "locatedAt", "name", "locatedAt"}));
  ASSERT_EQ(p->nested.size(), 1u);
  EXPECT_EQ(p->nested[0].index, 1u);
  EXPECT_EQ(p->nested[0].projection.names, (std::vector<std::string>{"id", "name", "isIn"}));
  ASSERT_EQ(p->nested[0].projection.nested.size(), 1u);
  EXPECT_EQ(ProjectionText(*p), "id,locatedAt{id,name,isIn{id}},name,locatedAt");
}

TEST(ProjectionTest, MalformedListsAreBadRequests) {
  for (const char* bad : {"", "id;name", "a{b", "a{{b}}", "a,,b", "a{,b}", "a{}", "a}", "{a}",
                          "a b", "a{b}c", "a{b{c{d{e{f{g{h{i{j}}}}}}}}}"}) {
    Result<Projection> p = ParseProjection(bad, "omit");
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), ErrorCode::kBadRequestData) << bad;
    EXPECT_NE(p.status().message().find("omit"), std::string::npos) << p.status().message();
  }
  EXPECT_TRUE(ParseProjection("https://example.org/a{urn:x:b}", "pick").ok());
}

}  // namespace
}  // namespace dothi::api::ngsi_ld
