#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "domain/entity.h"

// QQuery is a parsed NGSI-LD query (the "q" parameter, ETSI GS CIM 009 clause 4.9) that
// filters entities in canonical form (domain/entity.h). Parse once with ParseQ, map the
// JSON-LD terms to IRIs once with Resolve, then call Matches for each candidate entity.
//
// Semantics, in short:
//  - ";" is AND and binds tighter than "|" (OR); parentheses group.
//  - "attr" tests existence, "!attr" non-existence; "a.b" is sub-attribute b of a,
//    "a[k]" is member k of a's (compound) value, "a.observedAt" / createdAt / modifiedAt /
//    unitCode / datasetId is that member of the attribute instance.
//  - A term matches when any instance of the attribute (one per datasetId) matches; an
//    array value matches when any element does; a LanguageProperty matches when any of its
//    strings does ("a[en]" picks one language).
//  - "!=" and "!~=" are the negation of "==" and "~=" on a target that exists.
//  - Values of different kinds never compare (no match, not an error).
// Errors are Status::BadRequestData naming the position and the offending text.
//
// Threading: a QQuery is immutable after Resolve; Matches is const and allocation-free
// (except for regular expression terms), so one query may be evaluated from many threads.
namespace dothi::domain {

// Guards against hostile input; every limit yields an error instead of a crash.
struct QLimits {
  // Longest q text accepted, in bytes.
  std::size_t max_length = 4096;
  // Deepest parenthesis nesting accepted.
  int max_depth = 32;
  // Most query terms (attribute tests) accepted in one q.
  std::size_t max_terms = 256;
  // Longest regular expression accepted after "~=", in bytes.
  std::size_t max_pattern_length = 256;
  // Longest string a pattern is tried on, in bytes; longer strings never match ("~=" and
  // "!~=" are both false for them).
  std::size_t max_pattern_subject = 4096;
};

// One literal of a query term.
struct QValue {
  enum class Kind : std::uint8_t {
    kNumber,    // 42, -1.5, 1e3
    kString,    // "quoted" (escapes: \" and \\)
    kBool,      // true, false
    kDateTime,  // 2018-12-04T12:00:00Z or a date 2018-12-04 (midnight UTC)
    kTime,      // 12:00:00Z, compared with time-of-day strings
    kUri,       // an unquoted URI, as used for Relationship objects
  };
  Kind kind = Kind::kNumber;
  bool is_int = false;     // kNumber: integral literal held exactly in i
  std::int64_t i = 0;      // kNumber when is_int
  double d = 0;            // kNumber (always set)
  bool b = false;          // kBool
  std::int64_t micros = 0; // kDateTime: since the Unix epoch; kTime: since midnight UTC
  std::string s;           // kString, kUri; the literal text for the other kinds
};

enum class QOp : std::uint8_t {
  kExists,     // attr
  kNotExists,  // !attr
  kEqual,      // ==  (also value lists a==1,2 and ranges a==1..5)
  kUnequal,    // !=
  kGreater,    // >
  kGreaterEq,  // >=
  kLess,       // <
  kLessEq,     // <=
  kPattern,    // ~=
  kNotPattern, // !~=
};

// The instance member a path ends on ("a.observedAt"), or kNone for the attribute value.
enum class QMember : std::uint8_t {
  kNone,
  kObservedAt,
  kCreatedAt,
  kModifiedAt,
  kUnitCode,
  kDatasetId,
};

// A name as written in the query and the IRI Resolve mapped it to (the name until then).
struct QName {
  std::string text;
  std::string iri;
};

struct QPattern;  // a compiled regular expression (q_query.cc)

// One attribute test: path, operator, values.
struct QTerm {
  std::string text;            // the term as written, for messages
  std::size_t position = 0;    // offset of the term in the q text
  QName attr;                  // top-level attribute
  std::vector<QName> subs;     // dot path: sub-attributes, outermost first
  QMember member = QMember::kNone;
  std::vector<std::string> keys;  // bracket path into the value; never expanded
  QOp op = QOp::kExists;
  bool is_range = false;          // values = {low, high}, both inclusive
  std::vector<QValue> values;     // one value, a list (any of), or a range
  std::shared_ptr<const QPattern> pattern;  // kPattern / kNotPattern
  std::size_t max_pattern_subject = 0;
};

// A node of the boolean tree: AND / OR of children, or a leaf naming a term.
struct QNode {
  enum class Kind : std::uint8_t { kAnd, kOr, kTerm };
  Kind kind = Kind::kTerm;
  std::uint32_t term = 0;               // kTerm: index into terms()
  std::vector<std::uint32_t> children;  // kAnd / kOr: indices into nodes()
};

class QQuery {
 public:
  // Maps every attribute and sub-attribute name to its expanded IRI. expand returns the
  // IRI, or an empty string when the term cannot be expanded (BadRequestData then).
  // Bracket keys and the special members (observedAt, ...) are left as they are.
  Status Resolve(const std::function<std::string(std::string_view)>& expand);

  // True when the entity satisfies the query.
  bool Matches(const Entity& e) const;

  // Top-level attribute IRIs (names before Resolve) the query refers to, each once, in
  // order of appearance. Callers use them to pick an index.
  std::vector<std::string> AttributeIris() const;

  // The tree with explicit parentheses, e.g. "(a>1;(b|c==\"x\"))", for tests and logs.
  std::string DebugString() const;

  const std::string& text() const { return text_; }
  const std::vector<QTerm>& terms() const { return terms_; }
  const std::vector<QNode>& nodes() const { return nodes_; }
  std::uint32_t root() const { return root_; }

 private:
  friend class QParser;
  bool EvalNode(std::uint32_t n, const Entity& e) const;

  std::string text_;
  std::vector<QTerm> terms_;
  std::vector<QNode> nodes_;
  std::uint32_t root_ = 0;
};

// Parses q text (already percent-decoded). Errors: BadRequestData.
Result<QQuery> ParseQ(std::string_view text, const QLimits& limits = {});

}  // namespace dothi::domain
