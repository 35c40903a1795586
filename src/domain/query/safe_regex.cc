#include "domain/query/safe_regex.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace dothi::domain {
namespace {

constexpr std::uint64_t kMaxPatternStates = 512;  // rough automaton size accepted
constexpr std::uint64_t kMaxRepeatCount = 1000;    // largest {n,m} bound looked at

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::uint64_t SatMul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > (kMaxPatternStates + 1) / a + 1) return kMaxPatternStates + 1;
  const std::uint64_t r = a * b;
  return r > kMaxPatternStates + 1 ? kMaxPatternStates + 1 : r;
}

// Rough size of the automaton std::regex builds: bounded repetition copies its operand.
// Refusing big ones keeps compile time, memory and per-entity matching time bounded.
// ECMAScript refuses a quantifier with nothing to repeat ("*a", "(+a)", "a|*") and two
// quantifiers in a row ("a**", "a+*"; "a*?" is the lazy form and fine). libstdc++ accepts
// some of these silently, so they are checked here.
bool QuantifiersWellPlaced(std::string_view p) {
  enum class Prev { kNothing, kAtom, kQuantifier, kLazy };
  Prev prev = Prev::kNothing;
  const auto digits = [&](std::size_t& i) {
    const std::size_t start = i;
    while (i < p.size() && p[i] >= '0' && p[i] <= '9') ++i;
    return i > start;
  };
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      ++i;  // the escaped character is an atom
      prev = Prev::kAtom;
    } else if (c == '[') {
      // A class is one atom; "]" right after "[" or "[^" is a literal.
      ++i;
      if (i < p.size() && p[i] == '^') ++i;
      if (i < p.size() && p[i] == ']') ++i;
      while (i < p.size() && p[i] != ']') i += p[i] == '\\' ? 2 : 1;
      prev = Prev::kAtom;
    } else if (c == '(') {
      if (i + 1 < p.size() && p[i + 1] == '?') {
        i += 2;  // "(?:", "(?=", "(?!", "(?<=", "(?<!"
        if (i < p.size() && p[i] == '<') ++i;
      }
      prev = Prev::kNothing;
    } else if (c == '|') {
      prev = Prev::kNothing;
    } else if (c == '*' || c == '+' || c == '?') {
      if (c == '?' && prev == Prev::kQuantifier) {
        prev = Prev::kLazy;
      } else if (prev != Prev::kAtom) {
        return false;
      } else {
        prev = Prev::kQuantifier;
      }
    } else if (c == '{') {
      std::size_t j = i + 1;
      bool quantifier = digits(j);
      if (quantifier && j < p.size() && p[j] == ',') {
        ++j;
        digits(j);
      }
      quantifier = quantifier && j < p.size() && p[j] == '}';
      if (!quantifier) {
        prev = Prev::kAtom;  // a literal brace
      } else if (prev != Prev::kAtom) {
        return false;
      } else {
        i = j;
        prev = Prev::kQuantifier;
      }
    } else if (c == '^' || c == '$') {
      prev = Prev::kNothing;  // assertions take no quantifier
    } else {
      prev = Prev::kAtom;  // ")" closes a group, which may be repeated
    }
  }
  return true;
}

// A backslash followed by a digit other than a lone "\0": a back-reference (ECMAScript),
// which the polynomial matcher cannot run, and whose number libstdc++ reads into a long
// without an overflow check (UB for "\8888888888888888888888", found by q_fuzz).
bool HasBackReference(std::string_view p) {
  for (std::size_t i = 0; i + 1 < p.size(); ++i) {
    if (p[i] != '\\') continue;
    const char d = p[i + 1];
    if (IsDigit(d) && (d != '0' || (i + 2 < p.size() && IsDigit(p[i + 2])))) return true;
    ++i;  // the escaped character
  }
  return false;
}

bool PatternSizeAcceptable(std::string_view p) {
  struct Frame {
    std::uint64_t total = 0;
    std::uint64_t last = 0;  // size of the last atom, the operand of a quantifier
  };
  std::vector<Frame> stack(1);
  auto add_atom = [&](std::uint64_t w) {
    stack.back().last = w;
    stack.back().total = std::min(stack.back().total + w, kMaxPatternStates + 1);
  };
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      ++i;
      add_atom(1);
    } else if (c == '[') {
      ++i;
      if (i < p.size() && p[i] == '^') ++i;
      if (i < p.size() && p[i] == ']') ++i;
      while (i < p.size() && p[i] != ']') {
        if (p[i] == '\\') ++i;
        ++i;
      }
      add_atom(1);
    } else if (c == '(') {
      stack.emplace_back();
    } else if (c == ')') {
      if (stack.size() > 1) {
        const std::uint64_t w = stack.back().total + 1;
        stack.pop_back();
        add_atom(w);
      }
    } else if (c == '|') {
      stack.back().last = 0;
    } else if (c == '+') {
      Frame& f = stack.back();  // x+ is compiled as x x*
      f.total = std::min(f.total + f.last + 1, kMaxPatternStates + 1);
    } else if (c == '*' || c == '?') {
      stack.back().total += 1;
    } else if (c == '{') {
      std::size_t j = i + 1;
      std::uint64_t n = 0, m = 0;
      bool has_n = false, has_comma = false, has_m = false;
      while (j < p.size() && IsDigit(p[j])) {
        n = std::min<std::uint64_t>(n * 10 + (p[j] - '0'), kMaxRepeatCount + 1);
        has_n = true;
        ++j;
      }
      if (j < p.size() && p[j] == ',') {
        has_comma = true;
        ++j;
        while (j < p.size() && IsDigit(p[j])) {
          m = std::min<std::uint64_t>(m * 10 + (p[j] - '0'), kMaxRepeatCount + 1);
          has_m = true;
          ++j;
        }
      }
      if (!has_n || j >= p.size() || p[j] != '}') {
        add_atom(1);  // a literal brace; std::regex decides whether that is valid
        continue;
      }
      const std::uint64_t copies = std::max<std::uint64_t>(
          1, has_comma ? (has_m ? std::max(n, m) : n + 1) : n);
      Frame& f = stack.back();
      const std::uint64_t extra = SatMul(f.last, copies);
      f.total = std::min(f.total + extra, kMaxPatternStates + 1);
      f.last = extra;
      i = j;
    } else {
      add_atom(1);
    }
    if (stack.back().total > kMaxPatternStates) return false;
  }
  std::uint64_t total = 0;
  for (const Frame& f : stack) total += f.total;
  return total <= kMaxPatternStates;
}

}  // namespace

Result<SafeRegex> SafeRegex::Compile(std::string_view pattern) {
  auto flags = std::regex_constants::ECMAScript;
#ifdef __GLIBCXX__
  // Thompson-style matching: linear in the subject and no deep recursion, at the cost
  // of back-references.
  flags |= std::regex_constants::__polynomial;
#endif
  std::string_view body = pattern;
  if (body.substr(0, 4) == "(?i)") {
    flags |= std::regex_constants::icase;
    body.remove_prefix(4);
  }
  if (HasBackReference(body)) {
    return Status::BadRequestData("invalid regular expression: back-references are not supported");
  }
  if (!PatternSizeAcceptable(body)) return Status::BadRequestData("regular expression too complex");
  if (!QuantifiersWellPlaced(body)) {
    return Status::BadRequestData("invalid regular expression: nothing to repeat");
  }
  auto re = std::make_shared<std::regex>();
  try {
    // Compiling P alone first proves its parentheses balance, so wrapping cannot change it.
    re->assign(body.data(), body.size(), flags);
    std::string wrapped = "[\\s\\S]*(?:";
    wrapped += body;
    wrapped += ")[\\s\\S]*";
    re->assign(wrapped, flags);
  } catch (const std::exception&) {
    return Status::BadRequestData("invalid regular expression");
  }
  SafeRegex out;
  out.re_ = std::move(re);
  return out;
}

bool SafeRegex::Search(std::string_view subject, std::size_t max_subject) const {
  if (re_ == nullptr || subject.size() > max_subject) return false;
  try {
    return std::regex_match(subject.data(), subject.data() + subject.size(), *re_);
  } catch (const std::exception&) {
    return false;  // std::regex may give up on complexity; treat as no match
  }
}

}  // namespace dothi::domain
