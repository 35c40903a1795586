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

namespace dothi::domain {
namespace {

// Back-references are refused before std::regex reads their number: libstdc++ multiplies it
// into a long unchecked, so a long one was undefined behaviour (found by q_fuzz).
TEST(SafeRegexTest, BackReferencesAreRefused) {
  for (std::string_view p : {"(a)\\1", "\\8888888888888888888888888", "[\\9]", "x\\00"}) {
    Result<SafeRegex> r = SafeRegex::Compile(p);
    EXPECT_EQ(r.status().code(), ErrorCode::kBadRequestData) << p;
  }
  // A lone \0 (NUL) and escaped backslashes before digits are not back-references.
  EXPECT_TRUE(SafeRegex::Compile("a\\0").ok());
  Result<SafeRegex> r = SafeRegex::Compile("a\\\\1");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->Search("xa\\1y", 100));
}

}  // namespace
}  // namespace dothi::domain
