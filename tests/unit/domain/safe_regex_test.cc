#include "domain/query/safe_regex.h"

#include <gtest/gtest.h>

namespace dothi::domain {
namespace {

// ECMAScript refuses a quantifier with nothing to repeat; so does SafeRegex, even where
// the standard library would accept it (ETSI 019_03_02 sends "...pattern**").
TEST(SafeRegexTest, QuantifierWithNothingToRepeatIsRefused) {
  for (const char* bad : {"invalid_entity_id_pattern**", "a+*", "*a", "a|*b", "(+a)", "a{2}*",
                          "^*", "a???"}) {
    Result<SafeRegex> re = SafeRegex::Compile(bad);
    EXPECT_FALSE(re.ok()) << bad;
    if (!re.ok()) {
      EXPECT_EQ(re.status().code(), ErrorCode::kBadRequestData) << bad;
    }
  }
  for (const char* good : {"a*?", "a+?b", "a??", "(ab)*", "[*+?]+", "\\*+", "a{2,3}?",
                           "(?:ab)+", "(?i)^urn:ngsi-ld:Poi:01[0-4]$", "a|b*", "[]a]*"}) {
    Result<SafeRegex> re = SafeRegex::Compile(good);
    EXPECT_TRUE(re.ok()) << good << ": " << re.status().ToString();
  }
  Result<SafeRegex> star = SafeRegex::Compile("[*]+x");
  ASSERT_TRUE(star.ok());
  EXPECT_TRUE(star->Search("**x", 100));
  EXPECT_FALSE(star->Search("x", 100));
}

}  // namespace
}  // namespace dothi::domain
