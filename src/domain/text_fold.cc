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

bool IsCleanUtf8Text(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned c = *p;
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
      ++p;
      continue;
    }
    int len = 0;
    unsigned cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < len) return false;
    for (int i = 1; i < len; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
      return false;
    }
    if (cp >= 0x80 && cp <= 0x9f) return false;  // C1 controls
    p += len;
  }
  return true;
}

}  // namespace dothi::domain
