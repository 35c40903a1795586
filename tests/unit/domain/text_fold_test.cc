#include "domain/text_fold.h"

#include <gtest/gtest.h>

#include <string>

namespace dothi::domain {
namespace {

std::string Case(std::string_view s) { return FoldForSearch(s, true, false); }
std::string Accent(std::string_view s) { return FoldForSearch(s, false, true); }
std::string Both(std::string_view s) { return FoldForSearch(s, true, true); }

TEST(TextFoldTest, NoFlagsReturnsInputUnchanged) {
  EXPECT_EQ(FoldForSearch("Quảng Ninh", false, false), "Quảng Ninh");
  const std::string decomposed = "Qua\xcc\x89ng";  // a + U+0309, not normalised
  EXPECT_EQ(FoldForSearch(decomposed, false, false), decomposed);
}

TEST(TextFoldTest, AsciiCaseFoldsToLowerCase) {
  EXPECT_EQ(Case("Hoan Kiem LAKE 42"), "hoan kiem lake 42");
  EXPECT_EQ(Accent("Hoan Kiem"), "Hoan Kiem");  // nothing to strip, case kept
}

TEST(TextFoldTest, VietnameseAccentsAreStripped) {
  EXPECT_EQ(Accent("Quảng Ninh"), "Quang Ninh");
  EXPECT_EQ(Accent("Hồ Hoàn Kiếm"), "Ho Hoan Kiem");
  EXPECT_EQ(Accent("Thừa Thiên Huế"), "Thua Thien Hue");  // horn, circumflex, grave
  EXPECT_EQ(Accent("Cần Thơ"), "Can Tho");
  EXPECT_EQ(Accent("Bắc Ninh"), "Bac Ninh");  // breve + acute
  EXPECT_EQ(Both("Quảng Ninh"), "quang ninh");
  EXPECT_EQ(Both("QUẢNG NINH"), Both("quảng ninh"));
}

TEST(TextFoldTest, DStrokeFoldsToD) {
  EXPECT_EQ(Accent("Đà Nẵng"), "Da Nang");
  EXPECT_EQ(Accent("đường"), "duong");
  EXPECT_EQ(Both("Đà Nẵng"), "da nang");
  EXPECT_EQ(Case("Đà"), "đà");  // case only: đ keeps its stroke
}

TEST(TextFoldTest, CaseFoldingIsFullUnicodeFolding) {
  EXPECT_EQ(Case("Straße"), Case("STRASSE"));
  EXPECT_EQ(Case("ΟΔΟΣ"), Case("οδος"));
  EXPECT_EQ(Case("Οδος"), "οδοσ");          // final sigma folds to sigma
  EXPECT_NE(Case("Quảng"), Case("Quang"));  // case folding keeps accents
}

TEST(TextFoldTest, PrecomposedAndDecomposedFormsFoldAlike) {
  const std::string decomposed = "Qua\xcc\x89ng";  // a + combining hook above
  EXPECT_EQ(Case(decomposed), Case("Quảng"));
  EXPECT_EQ(Accent(decomposed), "Quang");
}

TEST(TextFoldTest, InvalidUtf8DoesNotCrashAndKeepsTheValidParts) {
  const std::string bad =
      "Hu\xe1\xba"
      "X\xff\xfe\xc3";  // truncated sequences, stray bytes
  const std::string folded = Both(bad);
  EXPECT_EQ(folded.substr(0, 2), "hu");
  EXPECT_NE(folded.find('x'), std::string::npos);
  EXPECT_NE(folded.find("\xef\xbf\xbd"), std::string::npos);      // U+FFFD replaces the rest
  EXPECT_EQ(Case(std::string("\0A", 2)), std::string("\0a", 2));  // NUL is just a byte
}

}  // namespace
}  // namespace dothi::domain

namespace dothi::domain {
namespace {

TEST(CleanUtf8TextTest, AcceptsTextAndRefusesMalformedOrControlBytes) {
  EXPECT_TRUE(IsCleanUtf8Text(""));
  EXPECT_TRUE(IsCleanUtf8Text("Đèn đường không sáng\nở ngõ 5\t(Hà Nội) 🚦"));
  EXPECT_FALSE(IsCleanUtf8Text(std::string("\xc3\x28", 2)));          // bad continuation
  EXPECT_FALSE(IsCleanUtf8Text(std::string("\xc0\xaf", 2)));          // overlong
  EXPECT_FALSE(IsCleanUtf8Text(std::string("\xed\xa0\x80", 3)));      // surrogate
  EXPECT_FALSE(IsCleanUtf8Text(std::string("\xf4\x90\x80\x80", 4)));  // above U+10FFFF
  EXPECT_FALSE(IsCleanUtf8Text(std::string("\xe1\xba", 2)));          // truncated
  EXPECT_FALSE(IsCleanUtf8Text(std::string("a\0b", 3)));
  EXPECT_FALSE(IsCleanUtf8Text("bell\a"));
  EXPECT_FALSE(IsCleanUtf8Text("\xc2\x85"));  // C1 control
}

}  // namespace
}  // namespace dothi::domain
