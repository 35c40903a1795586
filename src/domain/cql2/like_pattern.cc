#include "domain/cql2/like_pattern.h"

#include <algorithm>
#include <cstdint>

#include "domain/text_fold.h"

namespace dothi::domain::cql2 {
namespace {

constexpr char32_t kInvalidByteBase = 0x110000;  // above Unicode: one unit per bad byte

// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is ill-formed.
std::size_t SequenceLength(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  char32_t c = b0 & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  return n;
}

// Code points of s; each byte of an ill-formed sequence becomes a unit of its own.
void AppendUnits(std::string_view s, std::u32string& out) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = SequenceLength(s, i);
    if (n == 0) {
      out.push_back(kInvalidByteBase + static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    char32_t c = static_cast<unsigned char>(s[i]) & (n == 1 ? 0x7F : (0x7F >> n));
    for (std::size_t k = 1; k < n; ++k)
      c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(c);
    i += n;
  }
}

}  // namespace

Result<LikePattern> LikePattern::Compile(std::string_view pattern, bool casei, bool accenti,
                                         std::size_t max_subject) {
  LikePattern p;
  p.casei_ = casei;
  p.accenti_ = accenti;
  p.max_subject_ = max_subject;
  p.segments_.emplace_back();
  // Literal text is gathered in runs and folded run by run, so escapes are resolved before
  // folding and folding never sees the wildcards.
  std::string run;
  auto flush = [&] {
    if (run.empty()) return;
    AppendUnits(FoldForSearch(run, casei, accenti), p.segments_.back());
    run.clear();
  };
  for (std::size_t i = 0; i < pattern.size();) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 >= pattern.size()) {
        return Status::BadRequestData("LIKE pattern ends with a lone escape character '\\'");
      }
      const std::size_t n = std::max<std::size_t>(1, SequenceLength(pattern, i + 1));
      run.append(pattern.substr(i + 1, n));
      i += 1 + n;
      continue;
    }
    if (c == '%') {
      flush();
      p.segments_.emplace_back();
    } else if (c == '_') {
      flush();
      p.segments_.back().push_back(kAnyOne);
    } else {
      run.push_back(c);
    }
    ++i;
  }
  flush();
  return p;
}

namespace {

// Whether seg matches s at offset at (the caller checks that it fits).
bool SegmentAt(const std::u32string& s, std::size_t at, const std::u32string& seg,
               char32_t any_one) {
  for (std::size_t k = 0; k < seg.size(); ++k) {
    if (seg[k] != any_one && seg[k] != s[at + k]) return false;
  }
  return true;
}

}  // namespace

bool LikePattern::Matches(std::string_view subject) const {
  std::u32string s;
  s.reserve(subject.size());
  if (casei_ || accenti_) {
    AppendUnits(FoldForSearch(subject, casei_, accenti_), s);
  } else {
    AppendUnits(subject, s);
  }
  const std::u32string& first = segments_.front();
  if (segments_.size() == 1) return s.size() == first.size() && SegmentAt(s, 0, first, kAnyOne);
  const std::u32string& last = segments_.back();
  if (s.size() < first.size() + last.size()) return false;
  if (!SegmentAt(s, 0, first, kAnyOne)) return false;
  const std::size_t last_at = s.size() - last.size();
  if (!SegmentAt(s, last_at, last, kAnyOne)) return false;
  // The middle segments, each at its leftmost place between the first and the last.
  std::size_t pos = first.size();
  for (std::size_t k = 1; k + 1 < segments_.size(); ++k) {
    const std::u32string& seg = segments_[k];
    bool found = false;
    for (; pos + seg.size() <= last_at; ++pos) {
      if (SegmentAt(s, pos, seg, kAnyOne)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
    pos += seg.size();
  }
  return true;
}

}  // namespace dothi::domain::cql2
