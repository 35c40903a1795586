#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "geo/geometry.h"

// Expression is a parsed OGC CQL2 filter (OGC 21-065, CQL2 1.0), the filter language of
// OGC API - Features Part 3. ParseCql2Text and ParseCql2Json (domain/cql2/parser.h) build
// the same tree from either encoding; Matches (domain/cql2/evaluator.h) evaluates it
// against one feature.
//
// The tree is flat: nodes() holds every node, children before their parent, and root()
// names the top one. Boolean nodes (AND, OR, NOT) point at other nodes; predicate nodes
// hold their operands (property references and literals). Literal strings are folded
// (CASEI / ACCENTI) and LIKE patterns compiled once, at parse time; geometry literals are
// prepared once (geo::PreparedGeometry), so evaluation over many features repeats none of
// that work.
//
// Threading: immutable after parsing; any number of threads may evaluate one Expression
// concurrently. Copies share the prepared geometries and compiled patterns.
namespace dothi::domain::cql2 {

// Guards against hostile input; every limit yields an error instead of a crash.
struct Cql2Limits {
  // Longest cql2-text accepted, in bytes.
  std::size_t max_text_length = 256 * 1024;
  // Deepest nesting accepted: parentheses, NOT, CASEI / ACCENTI, and JSON "args" levels.
  int max_depth = 32;
  // Most nodes (boolean operators and predicates) in one expression.
  std::size_t max_nodes = 1024;
  // Most values in one IN list.
  std::size_t max_list_items = 1000;
  // Most positions in all geometry literals of one expression together.
  std::size_t max_vertices = 10000;
  // Longest LIKE pattern accepted, in bytes.
  std::size_t max_pattern_length = 256;
  // Longest value a LIKE pattern is tried on, in bytes; a longer value makes the predicate
  // unknown (neither it nor its negation matches). With max_pattern_length it bounds the
  // work of one LIKE on one feature (subject x pattern steps at worst).
  std::size_t max_like_subject = 16 * 1024;
};

// Converts one position of a geometry literal, written in another CRS and in that CRS's axis
// order, to lon/lat in place (OGC API Features Part 3 `filter-crs`). An error (a position
// outside the CRS's domain) fails the parse. Called while parsing only.
using PositionConverter = std::function<Status(double& x, double& y)>;

enum class CompareOp : std::uint8_t { kEq, kNe, kLt, kGt, kLe, kGe };

// One operand of a predicate: a property reference or a literal.
struct Operand {
  enum class Kind : std::uint8_t {
    kProperty,   // a property name (plain or "double-quoted")
    kString,     // 'text'
    kNumber,     // 42, -1.5, 2E3
    kBool,       // TRUE, FALSE
    kTimestamp,  // TIMESTAMP('2024-05-01T08:00:00Z')
    kDate,       // DATE('2024-05-01'), the instant of its midnight UTC
    kGeometry,   // WKT or BBOX(...) in text; GeoJSON or {"bbox": [...]} in JSON
  };
  Kind kind = Kind::kString;
  bool casei = false;       // written inside CASEI(...)
  bool accenti = false;     // written inside ACCENTI(...)
  std::string text;         // kProperty: the name; kString: the literal as written
  std::string folded;       // kString: text folded as its predicate compares strings
  bool is_int = false;      // kNumber: integral and held exactly in i
  std::int64_t i = 0;       // kNumber when is_int
  double d = 0;             // kNumber (always set)
  bool b = false;           // kBool
  std::int64_t micros = 0;  // kTimestamp, kDate: microseconds since the Unix epoch
  std::shared_ptr<const geo::PreparedGeometry> geometry;  // kGeometry
};

class LikePattern;  // a compiled LIKE pattern (like_pattern.h)

struct Node {
  enum class Kind : std::uint8_t {
    kAnd,      // every child (two or more)
    kOr,       // any child (two or more)
    kNot,      // one child
    kBool,     // TRUE / FALSE as a whole predicate
    kCompare,  // operands: left, right
    kLike,     // operands: value, pattern (a kString)
    kBetween,  // operands: value, low, high (both inclusive)
    kIn,       // operands: value, then the list
    kIsNull,   // operands: the value
    kSpatial,  // operands: two geometries (property or literal), "first rel second"
  };
  Kind kind = Kind::kBool;
  CompareOp op = CompareOp::kEq;                                 // kCompare
  geo::SpatialRelation rel = geo::SpatialRelation::kIntersects;  // kSpatial
  bool value = false;                                            // kBool
  // Strings are compared case- / accent-insensitively when any operand of the predicate
  // is wrapped in CASEI / ACCENTI (so CASEI(name) = 'Hà Nội' needs no CASEI on the right).
  bool casei = false;
  bool accenti = false;
  std::vector<std::uint32_t> children;         // kAnd, kOr, kNot: indices into nodes()
  std::vector<Operand> operands;               // predicates
  std::shared_ptr<const LikePattern> pattern;  // kLike
};

class Expression {
 public:
  const std::vector<Node>& nodes() const { return nodes_; }
  std::uint32_t root() const { return root_; }

  // Canonical cql2-text with explicit parentheses around AND / OR and every property name
  // double-quoted, e.g. ("floors" > 5 AND NOT ("name" LIKE 'A%')); a BBOX prints as the
  // polygon it became. For an expression parsed from cql2-text it parses back to an equal
  // tree (the cql2 fuzz target checks this); one from cql2-json may hold what cql2-text
  // cannot spell (a '"' in a name, a backslash before a quote in a string). Tests compare
  // the two encodings through it.
  std::string DebugString() const;

 private:
  friend class ExpressionBuilder;
  std::vector<Node> nodes_;
  std::uint32_t root_ = 0;
};

// The property names the expression refers to, each once, in order of first appearance
// (for checking them against a collection's queryables).
std::vector<std::string> PropertyNames(const Expression& e);

// A lon/lat box that the geometry of every matching feature intersects, for fetching
// candidates from a spatial index; nullopt when the expression has no such constraint.
// Found when the expression is a spatial predicate, or an AND (of ANDs) with one or more
// among its operands, that relates a geometry property (is_geometry_property(name)) to a
// literal with any relation but S_DISJOINT (all others imply that the two intersect);
// several such boxes are intersected (an empty box means that nothing can match).
std::optional<geo::BBox> SpatialSearchBox(
    const Expression& e, const std::function<bool(std::string_view)>& is_geometry_property);

}  // namespace dothi::domain::cql2
