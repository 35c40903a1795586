#include "domain/text_fold.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <cstdint>
#include <limits>

namespace dothi::domain {
namespace {

constexpr UChar32 kSmallDStroke = 0x0111;    // đ
constexpr UChar32 kCapitalDStroke = 0x0110;  // Đ

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// ASCII case folding is plain lower-casing, and ASCII has no accents.
std::string FoldAscii(std::string_view s, bool case_insensitive) {
  std::string out(s);
  if (case_insensitive) {
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// NFD, then every code point except the non-spacing marks, with đ / Đ as d / D.
icu::UnicodeString StripAccents(const icu::UnicodeString& s, const icu::Normalizer2& nfd) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString decomposed = nfd.normalize(s, status);
  if (U_FAILURE(status)) return s;
  icu::UnicodeString out;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) == U_NON_SPACING_MARK) continue;
    if (c == kSmallDStroke) {
      out.append(static_cast<UChar32>('d'));
    } else if (c == kCapitalDStroke) {
      out.append(static_cast<UChar32>('D'));
    } else {
      out.append(c);
    }
  }
  return out;
}

}  // namespace

std::string FoldForSearch(std::string_view utf8, bool case_insensitive, bool accent_insensitive) {
  if (!case_insensitive && !accent_insensitive) return std::string(utf8);
  if (IsAscii(utf8)) return FoldAscii(utf8, case_insensitive);
  // ICU lengths are int32_t; text this long is not something a search folds.
  if (utf8.size() > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
    return std::string(utf8);
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(utf8);  // ICU data missing: compare as is
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  if (case_insensitive) s.foldCase(U_FOLD_CASE_DEFAULT);
  if (accent_insensitive) s = StripAccents(s, *nfd);
  icu::UnicodeString composed = nfc->normalize(s, status);
  std::string out;
  (U_SUCCESS(status) ? composed : s).toUTF8String(out);
  return out;
}

}  // namespace dothi::domain
