#pragma once

#include <string>
#include <string_view>

// FoldForSearch maps UTF-8 text to a form in which strings that differ only in letter case
// and/or accents become byte-for-byte equal, for CQL2 CASEI / ACCENTI and for name search.
//  - case_insensitive: Unicode full case folding ("Straße" and "STRASSE" both fold to
//    "strasse", "Ω" and "ω" to "ω").
//  - accent_insensitive: canonical decomposition (NFD), every non-spacing mark (general
//    category Mn) removed, and đ / Đ mapped to d / D (Vietnamese "Quảng Ninh" becomes
//    "Quang Ninh", "Đà Nẵng" becomes "Da Nang"); đ is a letter of its own in Unicode, not
//    a d with a mark, so it needs the explicit mapping.
// With either flag the result is in NFC, so canonically equivalent inputs (precomposed or
// not) fold alike. With neither flag the input is returned unchanged. Invalid UTF-8 never
// fails: each ill-formed sequence becomes U+FFFD. Pure ASCII input takes a fast path
// without ICU.
// Threading: a pure function; safe to call from any number of threads.
namespace dothi::domain {

std::string FoldForSearch(std::string_view utf8, bool case_insensitive, bool accent_insensitive);

// Whether text is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF) without control characters other than tab, line feed and carriage return.
bool IsCleanUtf8Text(std::string_view text);

}  // namespace dothi::domain
