#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

// LikePattern is a compiled CQL2 LIKE pattern: % matches any run of characters (possibly
// none), _ exactly one character, and \ makes the next character literal. Characters are
// Unicode code points (an invalid UTF-8 byte counts as one character of its own). The
// pattern's literal text is folded (CASEI / ACCENTI) when compiled; Matches folds the
// subject the same way.
//
// Matching splits the pattern at each % into fixed-length segments and places each at its
// leftmost possible position, which is exact for % and _ patterns and takes at most
// O(subject length x pattern length) steps, without recursion.
// Threading: immutable; Matches may run concurrently.
namespace dothi::domain::cql2 {

class LikePattern {
 public:
  // BadRequestData when the pattern ends in a lone escape character; the message is the
  // reason alone (the caller adds the position). max_subject is kept for the evaluator.
  static Result<LikePattern> Compile(std::string_view pattern, bool casei, bool accenti,
                                     std::size_t max_subject);

  // Whether subject (unfolded) matches. The caller checks max_subject() first.
  bool Matches(std::string_view subject) const;
  // Longest subject the pattern should be tried on, in bytes (Cql2Limits::max_like_subject).
  std::size_t max_subject() const { return max_subject_; }

 private:
  static constexpr char32_t kAnyOne = 0xFFFFFFFF;  // a "_" in a segment

  bool casei_ = false;
  bool accenti_ = false;
  std::size_t max_subject_ = 0;
  // The pattern between its % signs, first to last; a single segment means no %.
  std::vector<std::u32string> segments_;
};

}  // namespace dothi::domain::cql2
