#include "domain/cql2/evaluator.h"

#include <cmath>
#include <optional>
#include <string>

#include "core/time.h"
#include "domain/cql2/like_pattern.h"
#include "domain/text_fold.h"

namespace dothi::domain::cql2 {
namespace {

constexpr std::string_view kIdProperty = "id";  // the feature id (FeatureView::Id)

enum class Truth : std::uint8_t { kFalse, kTrue, kUnknown };

Truth FromBool(bool b) { return b ? Truth::kTrue : Truth::kFalse; }

Truth Not(Truth t) {
  if (t == Truth::kUnknown) return t;
  return t == Truth::kTrue ? Truth::kFalse : Truth::kTrue;
}

// Kleene AND / OR of two values.
Truth And(Truth a, Truth b) {
  if (a == Truth::kFalse || b == Truth::kFalse) return Truth::kFalse;
  return a == Truth::kTrue && b == Truth::kTrue ? Truth::kTrue : Truth::kUnknown;
}
Truth Or(Truth a, Truth b) {
  if (a == Truth::kTrue || b == Truth::kTrue) return Truth::kTrue;
  return a == Truth::kFalse && b == Truth::kFalse ? Truth::kFalse : Truth::kUnknown;
}

// An operand's value for one feature. Strings are views into the feature or the operand.
struct Value {
  enum class Kind : std::uint8_t { kMissing, kNumber, kString, kBool, kInstant, kOther };
  Kind kind = Kind::kMissing;
  bool is_int = false;
  std::int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string_view s;
  std::int64_t micros = 0;
  const Operand* literal = nullptr;        // set for string literals: their folded text is ready
  std::optional<std::string_view> folded;  // set when folded once for several comparisons
};

Value FromJson(const Json& j) {
  Value v;
  switch (j.type()) {
    case Json::Type::kNull:
      break;
    case Json::Type::kBool:
      v.kind = Value::Kind::kBool;
      v.b = j.AsBool();
      break;
    case Json::Type::kInt:
      v.kind = Value::Kind::kNumber;
      v.is_int = true;
      v.i = j.AsInt();
      v.d = static_cast<double>(v.i);
      break;
    case Json::Type::kDouble:
      v.kind = Value::Kind::kNumber;
      v.d = j.AsDouble();
      break;
    case Json::Type::kString:
      v.kind = Value::Kind::kString;
      v.s = j.AsString();
      break;
    case Json::Type::kArray:
    case Json::Type::kObject:
      v.kind = Value::Kind::kOther;
      break;
  }
  return v;
}

Value Resolve(const Operand& o, const FeatureView& f) {
  Value v;
  switch (o.kind) {
    case Operand::Kind::kProperty: {
      if (o.text == kIdProperty && !f.Id().empty()) {
        v.kind = Value::Kind::kString;
        v.s = f.Id();
        return v;
      }
      const Json* j = f.Property(o.text);
      return j == nullptr ? v : FromJson(*j);
    }
    case Operand::Kind::kString:
      v.kind = Value::Kind::kString;
      v.s = o.text;
      v.literal = &o;
      return v;
    case Operand::Kind::kNumber:
      v.kind = Value::Kind::kNumber;
      v.is_int = o.is_int;
      v.i = o.i;
      v.d = o.d;
      return v;
    case Operand::Kind::kBool:
      v.kind = Value::Kind::kBool;
      v.b = o.b;
      return v;
    case Operand::Kind::kTimestamp:
    case Operand::Kind::kDate:
      v.kind = Value::Kind::kInstant;
      v.micros = o.micros;
      return v;
    case Operand::Kind::kGeometry:
      v.kind = Value::Kind::kOther;
      return v;
  }
  return v;
}

constexpr int kUnordered = 2;  // Compare result: different, with no order (booleans)

template <typename T>
int Sign(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

std::optional<std::int64_t> InstantOf(const Value& v) {
  if (v.kind == Value::Kind::kInstant) return v.micros;
  if (v.kind != Value::Kind::kString) return std::nullopt;
  const std::optional<Timestamp> t = ParseIso8601(v.s);
  if (!t) return std::nullopt;
  return t->micros;
}

// The text a string value compares as under the node's folding; buf holds a folded copy.
std::string_view Folded(const Value& v, const Node& n, std::string& buf) {
  if (v.literal != nullptr) return v.literal->folded;
  if (v.folded) return *v.folded;
  if (!n.casei && !n.accenti) return v.s;
  buf = FoldForSearch(v.s, n.casei, n.accenti);
  return buf;
}

// v with its folded text computed into buf, for a value compared several times.
Value FoldedOnce(Value v, const Node& n, std::string& buf) {
  if (v.kind == Value::Kind::kString && v.literal == nullptr) v.folded = Folded(v, n, buf);
  return v;
}

// -1 / 0 / 1, kUnordered, or nullopt when the values do not compare (UNKNOWN).
std::optional<int> Compare(const Value& a, const Value& b, const Node& n) {
  if (a.kind == Value::Kind::kMissing || b.kind == Value::Kind::kMissing) return std::nullopt;
  if (a.kind == Value::Kind::kInstant || b.kind == Value::Kind::kInstant) {
    const std::optional<std::int64_t> x = InstantOf(a);
    const std::optional<std::int64_t> y = InstantOf(b);
    if (!x || !y) return std::nullopt;
    return Sign(*x, *y);
  }
  if (a.kind != b.kind) return std::nullopt;
  switch (a.kind) {
    case Value::Kind::kNumber:
      if (a.is_int && b.is_int) return Sign(a.i, b.i);
      if (std::isnan(a.d) || std::isnan(b.d)) return std::nullopt;
      return Sign(a.d, b.d);
    case Value::Kind::kString: {
      std::string buf_a, buf_b;
      const int c = Folded(a, n, buf_a).compare(Folded(b, n, buf_b));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Value::Kind::kBool:
      return a.b == b.b ? 0 : kUnordered;
    default:
      return std::nullopt;
  }
}

Truth Apply(CompareOp op, std::optional<int> c) {
  if (!c) return Truth::kUnknown;
  if (*c == kUnordered) {
    if (op == CompareOp::kEq) return Truth::kFalse;
    if (op == CompareOp::kNe) return Truth::kTrue;
    return Truth::kUnknown;
  }
  switch (op) {
    case CompareOp::kEq:
      return FromBool(*c == 0);
    case CompareOp::kNe:
      return FromBool(*c != 0);
    case CompareOp::kLt:
      return FromBool(*c < 0);
    case CompareOp::kGt:
      return FromBool(*c > 0);
    case CompareOp::kLe:
      return FromBool(*c <= 0);
    case CompareOp::kGe:
      return FromBool(*c >= 0);
  }
  return Truth::kUnknown;
}

Truth Like(const Node& n, const FeatureView& f) {
  const Value v = Resolve(n.operands[0], f);
  if (v.kind != Value::Kind::kString || n.pattern == nullptr) return Truth::kUnknown;
  if (v.s.size() > n.pattern->max_subject()) return Truth::kUnknown;
  return FromBool(n.pattern->Matches(v.s));
}

Truth IsNull(const Operand& o, const FeatureView& f) {
  if (o.kind != Operand::Kind::kProperty) return Truth::kFalse;  // a literal is never null
  if (f.IsGeometryProperty(o.text)) return FromBool(f.Geometry() == nullptr);
  if (o.text == kIdProperty && !f.Id().empty()) return Truth::kFalse;
  const Json* j = f.Property(o.text);
  return FromBool(j == nullptr || j->is_null());
}

geo::SpatialRelation Converse(geo::SpatialRelation rel) {
  if (rel == geo::SpatialRelation::kWithin) return geo::SpatialRelation::kContains;
  if (rel == geo::SpatialRelation::kContains) return geo::SpatialRelation::kWithin;
  return rel;  // the others are symmetric
}

// The feature geometry a property operand stands for, or nullptr.
const geo::Geometry* FeatureGeometry(const Operand& o, const FeatureView& f) {
  if (o.kind != Operand::Kind::kProperty || !f.IsGeometryProperty(o.text)) return nullptr;
  return f.Geometry();
}

// "a rel b" with a prepared literal on either side whenever there is one.
Truth Spatial(const Node& n, const FeatureView& f) {
  const Operand& a = n.operands[0];
  const Operand& b = n.operands[1];
  if (b.kind == Operand::Kind::kGeometry) {
    const geo::Geometry* ga =
        a.kind == Operand::Kind::kGeometry ? &a.geometry->geometry() : FeatureGeometry(a, f);
    if (ga == nullptr) return Truth::kUnknown;
    return FromBool(b.geometry->Relate(*ga, n.rel));  // "ga rel b"
  }
  const geo::Geometry* gb = FeatureGeometry(b, f);
  if (gb == nullptr) return Truth::kUnknown;
  if (a.kind == Operand::Kind::kGeometry) {
    return FromBool(a.geometry->Relate(*gb, Converse(n.rel)));  // "a rel gb"
  }
  const geo::Geometry* ga = FeatureGeometry(a, f);
  if (ga == nullptr) return Truth::kUnknown;
  return FromBool(geo::Relate(*ga, n.rel, *gb));
}

Truth Eval(const std::vector<Node>& nodes, std::uint32_t index, const FeatureView& f) {
  const Node& n = nodes[index];
  switch (n.kind) {
    case Node::Kind::kAnd: {
      Truth t = Truth::kTrue;
      for (std::uint32_t c : n.children) {
        t = And(t, Eval(nodes, c, f));
        if (t == Truth::kFalse) break;
      }
      return t;
    }
    case Node::Kind::kOr: {
      Truth t = Truth::kFalse;
      for (std::uint32_t c : n.children) {
        t = Or(t, Eval(nodes, c, f));
        if (t == Truth::kTrue) break;
      }
      return t;
    }
    case Node::Kind::kNot:
      return Not(Eval(nodes, n.children[0], f));
    case Node::Kind::kBool:
      return FromBool(n.value);
    case Node::Kind::kCompare:
      return Apply(n.op, Compare(Resolve(n.operands[0], f), Resolve(n.operands[1], f), n));
    case Node::Kind::kLike:
      return Like(n, f);
    case Node::Kind::kBetween: {
      std::string buf;
      const Value v = FoldedOnce(Resolve(n.operands[0], f), n, buf);
      const Truth low = Apply(CompareOp::kGe, Compare(v, Resolve(n.operands[1], f), n));
      if (low == Truth::kFalse) return low;
      return And(low, Apply(CompareOp::kLe, Compare(v, Resolve(n.operands[2], f), n)));
    }
    case Node::Kind::kIn: {
      std::string buf;
      const Value v = FoldedOnce(Resolve(n.operands[0], f), n, buf);
      Truth t = Truth::kFalse;
      for (std::size_t i = 1; i < n.operands.size() && t != Truth::kTrue; ++i) {
        t = Or(t, Apply(CompareOp::kEq, Compare(v, Resolve(n.operands[i], f), n)));
      }
      return t;
    }
    case Node::Kind::kIsNull:
      return IsNull(n.operands[0], f);
    case Node::Kind::kSpatial:
      return Spatial(n, f);
  }
  return Truth::kUnknown;
}

}  // namespace

bool Matches(const Expression& e, const FeatureView& feature) {
  if (e.nodes().empty()) return true;  // a default-constructed expression filters nothing out
  return Eval(e.nodes(), e.root(), feature) == Truth::kTrue;
}

}  // namespace dothi::domain::cql2
