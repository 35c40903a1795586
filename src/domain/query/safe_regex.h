#pragma once

#include <memory>
#include <regex>
#include <string_view>

#include "core/result.h"

// SafeRegex is a regular expression from untrusted input (q's ~= patterns, idPattern),
// compiled so that matching can neither blow up nor recurse deeply: libstdc++'s
// Thompson-style matcher (linear in the subject, no back-references), a cap on the
// automaton size that bounded repetition creates, and a search done as one anchored match
// of "[\s\S]*(?:P)[\s\S]*" (libstdc++ would otherwise restart at every offset).
// "(?i)" at the start makes it case-insensitive. Immutable and cheap to copy (shared);
// Search may be called from many threads at once.
namespace dothi::domain {

class SafeRegex {
 public:
  // BadRequestData "regular expression too complex" or "invalid regular expression".
  static Result<SafeRegex> Compile(std::string_view pattern);
  // True if the pattern matches somewhere in subject. A subject longer than max_subject
  // never matches (bounds the time per value).
  bool Search(std::string_view subject, std::size_t max_subject) const;

 private:
  std::shared_ptr<const std::regex> re_;
};

}  // namespace dothi::domain
