// cql2-text: recursive descent over the CQL2 1.0 BNF (OGC 21-065 Annex B), without the
// parts listed as unsupported in parser.h.
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include "core/time.h"
#include "domain/cql2/expression_builder.h"
#include "domain/cql2/parser.h"
#include "domain/query/bool_expr.h"

namespace dothi::domain::cql2 {
namespace {

constexpr std::string_view kErrorKind = "invalid cql2-text";
constexpr std::size_t kMaxBBoxNumbers = 6;  // minx, miny, minz, maxx, maxy, maxz

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// identifierStart: letters, ':' and '_' (any non-ASCII byte, as the BNF's Unicode ranges
// are all letters for our purpose); identifierPart adds digits and '.'.
bool IsIdentStart(char c) {
  return IsAlpha(c) || c == '_' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentPart(char c) { return IsIdentStart(c) || IsDigit(c) || c == '.'; }

bool IEquals(std::string_view a, std::string_view upper) {
  if (a.size() != upper.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Words that cannot be unquoted property names.
bool IsReserved(std::string_view upper) {
  static constexpr std::string_view kReserved[] = {"AND", "OR",   "NOT",     "LIKE", "IN",
                                                   "IS",  "NULL", "BETWEEN", "TRUE", "FALSE"};
  for (std::string_view k : kReserved) {
    if (upper == k) return true;
  }
  return false;
}

std::optional<geo::SpatialRelation> SpatialFunction(std::string_view upper) {
  static constexpr struct {
    std::string_view name;
    geo::SpatialRelation rel;
  } kFunctions[] = {
      {"S_INTERSECTS", geo::SpatialRelation::kIntersects},
      {"S_EQUALS", geo::SpatialRelation::kEquals},
      {"S_DISJOINT", geo::SpatialRelation::kDisjoint},
      {"S_TOUCHES", geo::SpatialRelation::kTouches},
      {"S_WITHIN", geo::SpatialRelation::kWithin},
      {"S_OVERLAPS", geo::SpatialRelation::kOverlaps},
      {"S_CROSSES", geo::SpatialRelation::kCrosses},
      {"S_CONTAINS", geo::SpatialRelation::kContains},
  };
  for (const auto& f : kFunctions) {
    if (upper == f.name) return f.rel;
  }
  return std::nullopt;
}

bool IsTemporalFunction(std::string_view upper) {
  static constexpr std::string_view kNames[] = {
      "T_AFTER",  "T_BEFORE",       "T_CONTAINS", "T_DISJOINT",   "T_DURING",
      "T_EQUALS", "T_FINISHEDBY",   "T_FINISHES", "T_INTERSECTS", "T_MEETS",
      "T_METBY",  "T_OVERLAPPEDBY", "T_OVERLAPS", "T_STARTEDBY",  "T_STARTS"};
  for (std::string_view n : kNames) {
    if (upper == n) return true;
  }
  return false;
}

bool IsArrayFunction(std::string_view upper) {
  return upper == "A_EQUALS" || upper == "A_CONTAINS" || upper == "A_CONTAINEDBY" ||
         upper == "A_OVERLAPS";
}

// The GeoJSON type a WKT tag stands for; empty when the word is not a supported tag.
std::string_view GeoJsonType(std::string_view upper) {
  if (upper == "POINT") return "Point";
  if (upper == "LINESTRING") return "LineString";
  if (upper == "POLYGON") return "Polygon";
  if (upper == "MULTIPOINT") return "MultiPoint";
  if (upper == "MULTILINESTRING") return "MultiLineString";
  if (upper == "MULTIPOLYGON") return "MultiPolygon";
  return {};
}

bool IsGeometryTag(std::string_view upper) {
  return !GeoJsonType(upper).empty() || upper == "BBOX" || upper == "GEOMETRYCOLLECTION";
}

class TextParser {
 public:
  TextParser(std::string_view text, const Cql2Limits& limits, const PositionConverter& to_crs84)
      : s_(text), b_(limits, to_crs84) {}

  Result<Expression> Parse() {
    const Cql2Limits& limits = b_.limits();
    if (s_.size() > limits.max_text_length) {
      return Status::BadRequestData(
          kErrorKind, "longer than " + std::to_string(limits.max_text_length) + " bytes");
    }
    SkipSpace();
    if (pos_ >= s_.size()) return Status::BadRequestData(kErrorKind, "empty filter");
    std::uint32_t root = 0;
    if (Status st = ParseOr(root); !st.ok()) return st;
    SkipSpace();
    if (pos_ < s_.size()) {
      return Error(s_[pos_] == ')' ? "unbalanced ')'" : "unexpected text", pos_);
    }
    return std::move(b_).Finish(root);
  }

 private:
  Status Error(std::string_view reason, std::size_t at) const {
    return ParseErrorAt(kErrorKind, s_, at, reason, /*ellipsis=*/true);
  }
  // A builder error (its message is the reason alone) placed at a position.
  Status ErrorFrom(const Status& st, std::size_t at) const { return Error(st.message(), at); }

  void SkipSpace() {
    while (pos_ < s_.size() && (IsQuerySpace(s_[pos_]) || s_[pos_] == '\v' || s_[pos_] == '\f')) {
      ++pos_;
    }
  }

  // The identifier-like word at pos_ (not consumed); empty when none starts there.
  std::string_view PeekWord() const {
    if (pos_ >= s_.size() || !IsIdentStart(s_[pos_])) return {};
    std::size_t e = pos_ + 1;
    while (e < s_.size() && IsIdentPart(s_[e])) ++e;
    return s_.substr(pos_, e - pos_);
  }

  // Consumes keyword kw (upper case) when it is the next word.
  bool TakeKeyword(std::string_view kw) {
    SkipSpace();
    if (!IEquals(PeekWord(), kw)) return false;
    pos_ += kw.size();
    return true;
  }

  // Whether the next non-space character is c (not consumed).
  bool NextIs(char c) {
    SkipSpace();
    return pos_ < s_.size() && s_[pos_] == c;
  }

  // Consumes c when it is the next non-space character.
  bool TakeChar(char c) {
    if (!NextIs(c)) return false;
    ++pos_;
    return true;
  }

  Status Expect(char c) {
    if (NextIs(c)) {
      ++pos_;
      return Status::OK();
    }
    return Error(std::string("expected '") + c + "'", pos_);
  }

  Status Enter(std::size_t at) {
    if (++depth_ > b_.limits().max_depth) return Error("nested too deeply", at);
    return Status::OK();
  }
  void Leave() { --depth_; }

  Status Added(Result<std::uint32_t> r, std::uint32_t& out, std::size_t at) {
    if (!r.ok()) return ErrorFrom(r.status(), at);
    out = *r;
    return Status::OK();
  }

  // booleanExpression = booleanTerm {"OR" booleanTerm}; booleanTerm likewise with "AND".
  Status ParseOr(std::uint32_t& out) { return ParseList(/*is_or=*/true, out); }

  Status ParseList(bool is_or, std::uint32_t& out) {
    const std::size_t start = pos_;
    std::vector<std::uint32_t> kids;
    while (true) {
      std::uint32_t n = 0;
      Status st = is_or ? ParseList(false, n) : ParseFactor(n);
      if (!st.ok()) return st;
      kids.push_back(n);
      if (!TakeKeyword(is_or ? "OR" : "AND")) break;
    }
    if (kids.size() == 1) {
      out = kids[0];
      return Status::OK();
    }
    Node node;
    node.kind = is_or ? Node::Kind::kOr : Node::Kind::kAnd;
    node.children = std::move(kids);
    return Added(b_.AddBoolean(std::move(node)), out, start);
  }

  // booleanFactor = ["NOT"] booleanPrimary (NOT may repeat).
  Status ParseFactor(std::uint32_t& out) {
    SkipSpace();
    const std::size_t at = pos_;
    if (TakeKeyword("NOT")) {
      DOTHI_RETURN_IF_ERROR(Enter(at));
      std::uint32_t child = 0;
      DOTHI_RETURN_IF_ERROR(ParseFactor(child));
      Leave();
      return AddNot(child, out, at);
    }
    return ParsePrimary(out);
  }

  Status AddNot(std::uint32_t child, std::uint32_t& out, std::size_t at) {
    Node node;
    node.kind = Node::Kind::kNot;
    node.children = {child};
    return Added(b_.AddBoolean(std::move(node)), out, at);
  }

  Status ParsePrimary(std::uint32_t& out) {
    SkipSpace();
    const std::size_t at = pos_;
    if (pos_ >= s_.size()) return Error("expected a predicate", pos_);
    if (s_[pos_] == '(') {
      ++pos_;
      DOTHI_RETURN_IF_ERROR(Enter(at));
      DOTHI_RETURN_IF_ERROR(ParseOr(out));
      if (!NextIs(')')) return Error("unbalanced '('", at);
      ++pos_;
      Leave();
      return Status::OK();
    }
    const std::string upper = Upper(PeekWord());
    if (std::optional<geo::SpatialRelation> rel = SpatialFunction(upper)) {
      return ParseSpatial(*rel, out);
    }
    if (IsTemporalFunction(upper) || upper == "INTERVAL") {
      return Error("temporal functions are not supported", at);
    }
    if (IsArrayFunction(upper)) return Error("array functions are not supported", at);
    return ParsePredicate(out);
  }

  // spatialPredicate = spatialFunction "(" geomExpression "," geomExpression ")".
  Status ParseSpatial(geo::SpatialRelation rel, std::uint32_t& out) {
    const std::size_t at = pos_;
    pos_ += PeekWord().size();
    DOTHI_RETURN_IF_ERROR(Expect('('));
    Node node;
    node.kind = Node::Kind::kSpatial;
    node.rel = rel;
    node.operands.resize(2);
    DOTHI_RETURN_IF_ERROR(ParseGeometryArgument(node.operands[0]));
    DOTHI_RETURN_IF_ERROR(Expect(','));
    DOTHI_RETURN_IF_ERROR(ParseGeometryArgument(node.operands[1]));
    DOTHI_RETURN_IF_ERROR(Expect(')'));
    return Added(b_.AddPredicate(std::move(node)), out, at);
  }

  Status ParseGeometryArgument(Operand& o) {
    SkipSpace();
    const std::size_t at = pos_;
    DOTHI_RETURN_IF_ERROR(ParseScalar(o, /*allow_geometry=*/true));
    const bool ok = (o.kind == Operand::Kind::kProperty || o.kind == Operand::Kind::kGeometry) &&
                    !o.casei && !o.accenti;
    if (!ok) return Error("expected a geometry literal or a property name", at);
    return Status::OK();
  }

  // A comparison, LIKE, BETWEEN, IN or IS NULL predicate, or TRUE / FALSE alone.
  Status ParsePredicate(std::uint32_t& out) {
    SkipSpace();
    const std::size_t at = pos_;
    Node node;
    node.operands.resize(1);
    DOTHI_RETURN_IF_ERROR(ParseScalar(node.operands[0], /*allow_geometry=*/true));
    Operand& lhs = node.operands[0];
    SkipSpace();
    const std::size_t op_at = pos_;
    if (std::optional<CompareOp> op = TakeCompareOp()) {
      node.kind = Node::Kind::kCompare;
      node.op = *op;
      node.operands.emplace_back();
      DOTHI_RETURN_IF_ERROR(ParseScalar(node.operands[1], /*allow_geometry=*/false));
      DOTHI_RETURN_IF_ERROR(CheckNotGeometry(node.operands[0], at));
      return Added(b_.AddPredicate(std::move(node)), out, at);
    }
    if (pos_ + 1 < s_.size() && s_[pos_] == '!' && s_[pos_ + 1] == '=') {
      return Error("unknown operator '!=' (CQL2 writes <>)", pos_);
    }
    if (TakeKeyword("IS")) {
      const bool negated = TakeKeyword("NOT");
      if (!TakeKeyword("NULL")) return Error("expected NULL", pos_);
      node.kind = Node::Kind::kIsNull;
      DOTHI_RETURN_IF_ERROR(Added(b_.AddPredicate(std::move(node)), out, at));
      return negated ? AddNot(out, out, at) : Status::OK();
    }
    if (lhs.kind == Operand::Kind::kBool && !lhs.casei && !lhs.accenti && !StartsOperator()) {
      Node literal;
      literal.kind = Node::Kind::kBool;
      literal.value = lhs.b;
      return Added(b_.AddBoolean(std::move(literal)), out, at);
    }
    DOTHI_RETURN_IF_ERROR(CheckNotGeometry(lhs, at));
    const bool negated = TakeKeyword("NOT");
    if (TakeKeyword("LIKE")) {
      if (lhs.kind != Operand::Kind::kString && lhs.kind != Operand::Kind::kProperty) {
        return Error("LIKE applies to a string or a property", at);
      }
      node.kind = Node::Kind::kLike;
      node.operands.emplace_back();
      DOTHI_RETURN_IF_ERROR(ParsePattern(node.operands[1]));
    } else if (TakeKeyword("BETWEEN")) {
      node.kind = Node::Kind::kBetween;
      node.operands.resize(3);
      DOTHI_RETURN_IF_ERROR(ParseScalar(node.operands[1], /*allow_geometry=*/false));
      if (!TakeKeyword("AND")) return Error("expected AND", pos_);
      DOTHI_RETURN_IF_ERROR(ParseScalar(node.operands[2], /*allow_geometry=*/false));
    } else if (TakeKeyword("IN")) {
      node.kind = Node::Kind::kIn;
      DOTHI_RETURN_IF_ERROR(ParseInList(node.operands));
    } else {
      return Error(negated ? "expected LIKE, BETWEEN or IN after NOT"
                           : "expected a comparison operator, LIKE, BETWEEN, IN or IS",
                   negated ? pos_ : op_at);
    }
    DOTHI_RETURN_IF_ERROR(Added(b_.AddPredicate(std::move(node)), out, at));
    return negated ? AddNot(out, out, at) : Status::OK();
  }

  Status CheckNotGeometry(const Operand& o, std::size_t at) const {
    if (o.kind != Operand::Kind::kGeometry) return Status::OK();
    return Error("a geometry literal belongs in a spatial function or IS NULL", at);
  }

  // Whether an operator word or symbol follows (TRUE alone is a predicate, TRUE = x is not).
  bool StartsOperator() {
    SkipSpace();
    if (pos_ >= s_.size()) return false;
    const char c = s_[pos_];
    if (c == '=' || c == '<' || c == '>' || c == '!') return true;
    const std::string upper = Upper(PeekWord());
    return upper == "NOT" || upper == "LIKE" || upper == "BETWEEN" || upper == "IN";
  }

  std::optional<CompareOp> TakeCompareOp() {
    static constexpr struct {
      std::string_view text;
      CompareOp op;
    } kOps[] = {{"<>", CompareOp::kNe}, {"<=", CompareOp::kLe}, {">=", CompareOp::kGe},
                {"=", CompareOp::kEq},  {"<", CompareOp::kLt},  {">", CompareOp::kGt}};
    for (const auto& o : kOps) {
      if (s_.substr(pos_, o.text.size()) == o.text) {
        pos_ += o.text.size();
        return o.op;
      }
    }
    return std::nullopt;
  }

  // "(" scalar {"," scalar} ")", appended to ops.
  Status ParseInList(std::vector<Operand>& ops) {
    DOTHI_RETURN_IF_ERROR(Expect('('));
    std::size_t items = 0;
    do {
      SkipSpace();
      if (++items > b_.limits().max_list_items) {
        return Error("IN list longer than " + std::to_string(b_.limits().max_list_items) + " items",
                     pos_);
      }
      ops.emplace_back();
      DOTHI_RETURN_IF_ERROR(ParseScalar(ops.back(), /*allow_geometry=*/false));
    } while (TakeChar(','));
    return Expect(')');
  }

  // patternExpression = "CASEI(" pattern ")" | "ACCENTI(" pattern ")" | characterLiteral.
  Status ParsePattern(Operand& o) {
    SkipSpace();
    const std::size_t at = pos_;
    DOTHI_RETURN_IF_ERROR(ParseScalar(o, /*allow_geometry=*/false));
    if (o.kind != Operand::Kind::kString) return Error("a LIKE pattern is a string literal", at);
    return Status::OK();
  }

  // A property name or a literal, possibly inside CASEI / ACCENTI.
  Status ParseScalar(Operand& o, bool allow_geometry) {
    SkipSpace();
    const std::size_t at = pos_;
    if (pos_ >= s_.size()) return Error("expected a value or a property name", pos_);
    const char c = s_[pos_];
    if (c == '\'') {
      o.kind = Operand::Kind::kString;
      return ParseString(o.text);
    }
    if (IsDigit(c) || c == '.' || c == '+' || c == '-') return ParseNumber(o);
    if (c == '"') {
      const std::size_t e = s_.find('"', pos_ + 1);
      if (e == std::string_view::npos) return Error("unterminated quoted property name", at);
      if (e == pos_ + 1) return Error("empty property name", at);
      o.kind = Operand::Kind::kProperty;
      o.text = std::string(s_.substr(pos_ + 1, e - pos_ - 1));
      pos_ = e + 1;
      return Status::OK();
    }
    const std::string_view word = PeekWord();
    if (word.empty()) return Error("expected a value or a property name", at);
    const std::string upper = Upper(word);
    pos_ += word.size();
    if (upper == "TRUE" || upper == "FALSE") {
      o.kind = Operand::Kind::kBool;
      o.b = upper == "TRUE";
      return Status::OK();
    }
    const bool call = NextIs('(');
    // A tag starts a literal only before "(", "Z" or "EMPTY"; otherwise it is a name.
    if (IsGeometryTag(upper) &&
        (call || IEquals(PeekWord(), "Z") || IEquals(PeekWord(), "EMPTY"))) {
      if (!allow_geometry) {
        return Error("a geometry literal belongs in a spatial function or IS NULL", at);
      }
      return ParseGeometry(upper, at, o);
    }
    if (!call) {
      if (IsReserved(upper)) {
        return Error("expected a value or a property name, found keyword " + upper, at);
      }
      o.kind = Operand::Kind::kProperty;
      o.text = std::string(word);
      return Status::OK();
    }
    if (upper == "CASEI" || upper == "ACCENTI") return ParseFold(upper == "CASEI", at, o);
    if (upper == "TIMESTAMP" || upper == "DATE") return ParseInstant(upper == "DATE", o);
    if (upper == "INTERVAL" || IsTemporalFunction(upper)) {
      return Error("temporal functions are not supported", at);
    }
    if (SpatialFunction(upper)) return Error(upper + " is a predicate, not a value", at);
    return Error("unknown function '" + std::string(word) + "'", at);
  }

  // CASEI(characterExpression) / ACCENTI(characterExpression); pos_ is before "(".
  Status ParseFold(bool casei, std::size_t at, Operand& o) {
    ++pos_;  // NextIs('(') held
    DOTHI_RETURN_IF_ERROR(Enter(at));
    const std::size_t inner_at = pos_;
    DOTHI_RETURN_IF_ERROR(ParseScalar(o, /*allow_geometry=*/false));
    if (o.kind != Operand::Kind::kString && o.kind != Operand::Kind::kProperty) {
      return Error(std::string(casei ? "CASEI" : "ACCENTI") + " applies to a string or a property",
                   inner_at);
    }
    (casei ? o.casei : o.accenti) = true;
    Leave();
    return Expect(')');
  }

  // TIMESTAMP('YYYY-MM-DDThh:mm:ss[.f]Z') / DATE('YYYY-MM-DD'); pos_ is before "(".
  Status ParseInstant(bool date, Operand& o) {
    ++pos_;  // NextIs('(') held
    SkipSpace();
    const std::size_t text_at = pos_;
    if (pos_ >= s_.size() || s_[pos_] != '\'') return Error("expected a quoted instant", pos_);
    std::string text;
    DOTHI_RETURN_IF_ERROR(ParseString(text));
    const std::optional<Timestamp> t = ParseIso8601(text);
    const bool has_time = text.size() > 10;
    if (!t || has_time == date) {
      return Error(date ? "invalid date (expected YYYY-MM-DD)"
                        : "invalid timestamp (expected YYYY-MM-DDThh:mm:ssZ)",
                   text_at);
    }
    o.kind = date ? Operand::Kind::kDate : Operand::Kind::kTimestamp;
    o.micros = t->micros;
    return Expect(')');
  }

  // characterLiteral: '' and \' are quotes; any other backslash stays with the character
  // after it, so LIKE's \% and \\ reach the pattern intact.
  Status ParseString(std::string& out) {
    const std::size_t start = pos_++;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '\'') {
        if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
          out += '\'';
          pos_ += 2;
          continue;
        }
        ++pos_;
        return Status::OK();
      }
      if (c == '\\' && pos_ + 1 < s_.size()) {
        if (s_[pos_ + 1] != '\'') out += '\\';
        out += s_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      out += c;
      ++pos_;
    }
    return Error("unterminated string", start);
  }

  // signedNumericLiteral: [sign] (digits ["." [digits]] | "." digits) ["E" [sign] digits].
  Status ScanNumber(double& d, bool& is_int, std::int64_t& i) {
    const std::size_t start = pos_;
    if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
    const std::size_t digits_at = pos_;
    std::size_t digits = 0;
    while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_, ++digits;
    is_int = true;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      is_int = false;
      ++pos_;
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_, ++digits;
    }
    if (digits == 0) return Error("invalid number", start);
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      is_int = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      const std::size_t e = pos_;
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
      if (pos_ == e) return Error("invalid number", start);
    }
    if (pos_ < s_.size() && IsIdentPart(s_[pos_])) return Error("invalid number", start);
    // from_chars takes no '+'; the sign is put back on the value.
    const bool negative = s_[start] == '-';
    const char* b = s_.data() + digits_at;
    const char* e = s_.data() + pos_;
    if (is_int) {
      std::uint64_t u = 0;
      const auto r = std::from_chars(b, e, u);
      const std::uint64_t limit = negative ? (1ULL << 63) : (1ULL << 63) - 1;
      if (r.ec == std::errc() && r.ptr == e && u <= limit) {
        i = negative ? static_cast<std::int64_t>(0 - u) : static_cast<std::int64_t>(u);
        d = static_cast<double>(i);
        return Status::OK();
      }
      is_int = false;
    }
    const auto r = std::from_chars(b, e, d);
    if (r.ptr != e || r.ec != std::errc() || !std::isfinite(d)) {
      return Error("number out of range", start);
    }
    if (negative) d = -d;
    return Status::OK();
  }

  Status ParseNumber(Operand& o) {
    o.kind = Operand::Kind::kNumber;
    return ScanNumber(o.d, o.is_int, o.i);
  }

  Status ReadCoordinate(double& d) {
    SkipSpace();
    bool is_int = false;
    std::int64_t i = 0;
    if (pos_ >= s_.size() ||
        !(IsDigit(s_[pos_]) || s_[pos_] == '.' || s_[pos_] == '+' || s_[pos_] == '-')) {
      return Error("expected a coordinate", pos_);
    }
    return ScanNumber(d, is_int, i);
  }

  // point = x y [z]; counted against the vertex budget.
  Status ReadPosition(Json& out) {
    SkipSpace();
    if (++vertices_ > b_.vertices_left()) {
      return Error("geometry literals have more than " + std::to_string(b_.limits().max_vertices) +
                       " positions",
                   pos_);
    }
    double x = 0, y = 0;
    DOTHI_RETURN_IF_ERROR(ReadCoordinate(x));
    DOTHI_RETURN_IF_ERROR(ReadCoordinate(y));
    Json::Array p{Json(x), Json(y)};
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ')') {
      double z = 0;
      DOTHI_RETURN_IF_ERROR(ReadCoordinate(z));
      p.emplace_back(z);
    }
    out = Json(std::move(p));
    return Status::OK();
  }

  // "(" item {"," item} ")" with read_item(Json&) for each item.
  template <typename ReadItem>
  Status ReadParenthesised(Json& out, const ReadItem& read_item) {
    DOTHI_RETURN_IF_ERROR(Expect('('));
    Json::Array items;
    do {
      items.emplace_back();
      DOTHI_RETURN_IF_ERROR(read_item(items.back()));
    } while (TakeChar(','));
    DOTHI_RETURN_IF_ERROR(Expect(')'));
    out = Json(std::move(items));
    return Status::OK();
  }

  Status ReadLine(Json& out) {
    return ReadParenthesised(out, [this](Json& p) { return ReadPosition(p); });
  }
  Status ReadLines(Json& out) {
    return ReadParenthesised(out, [this](Json& l) { return ReadLine(l); });
  }
  // MULTIPOINT ((1 2), (3 4)) or the common MULTIPOINT (1 2, 3 4).
  Status ReadMultiPoint(Json& out) {
    return ReadParenthesised(out, [this](Json& p) {
      if (!NextIs('(')) return ReadPosition(p);
      ++pos_;
      DOTHI_RETURN_IF_ERROR(ReadPosition(p));
      return Expect(')');
    });
  }

  // A WKT literal or BBOX(...); the tag (upper case) has been consumed.
  Status ParseGeometry(const std::string& tag, std::size_t at, Operand& o) {
    vertices_ = 0;
    if (tag == "GEOMETRYCOLLECTION") return Error("GEOMETRYCOLLECTION is not supported", at);
    if (tag == "BBOX") {
      std::vector<double> values;
      DOTHI_RETURN_IF_ERROR(Expect('('));
      do {
        if (values.size() == kMaxBBoxNumbers) return Error("a bbox has 4 or 6 numbers", at);
        values.emplace_back();
        DOTHI_RETURN_IF_ERROR(ReadCoordinate(values.back()));
      } while (TakeChar(','));
      DOTHI_RETURN_IF_ERROR(Expect(')'));
      return Built(b_.BBoxOperand(values), at, o);
    }
    SkipSpace();
    if (IEquals(PeekWord(), "Z")) pos_ += 1;
    SkipSpace();
    if (IEquals(PeekWord(), "EMPTY")) return Error("EMPTY geometries are not supported", pos_);
    const std::string_view type = GeoJsonType(tag);
    Json coordinates;
    Status st;
    if (type == "Point") {
      st = Expect('(');
      if (st.ok()) st = ReadPosition(coordinates);
      if (st.ok()) st = Expect(')');
    } else if (type == "LineString") {
      st = ReadLine(coordinates);
    } else if (type == "Polygon" || type == "MultiLineString") {
      st = ReadLines(coordinates);
    } else if (type == "MultiPoint") {
      st = ReadMultiPoint(coordinates);
    } else {  // MultiPolygon
      st = ReadParenthesised(coordinates, [this](Json& p) { return ReadLines(p); });
    }
    if (!st.ok()) return st;
    return Built(b_.GeometryOperand(type, coordinates), at, o);
  }

  Status Built(Result<Operand> r, std::size_t at, Operand& o) {
    if (!r.ok()) return ErrorFrom(r.status(), at);
    o = std::move(*r);
    return Status::OK();
  }

  std::string_view s_;
  ExpressionBuilder b_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::size_t vertices_ = 0;  // positions read in the literal being parsed
};

}  // namespace

Result<Expression> ParseCql2Text(std::string_view text, const Cql2Limits& limits,
                                 const PositionConverter& to_crs84) {
  return TextParser(text, limits, to_crs84).Parse();
}

}  // namespace dothi::domain::cql2
