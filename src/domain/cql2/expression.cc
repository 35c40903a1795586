#include "domain/cql2/expression.h"

#include <algorithm>
#include <cstdio>

#include "core/json.h"
#include "core/time.h"

namespace dothi::domain::cql2 {
namespace {

constexpr std::int64_t kMicrosPerDay = 86400LL * 1000000;

std::string_view CompareText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "<>";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGe:
      return ">=";
  }
  return "=";
}

std::string_view SpatialText(geo::SpatialRelation rel) {
  switch (rel) {
    case geo::SpatialRelation::kIntersects:
      return "S_INTERSECTS";
    case geo::SpatialRelation::kEquals:
      return "S_EQUALS";
    case geo::SpatialRelation::kDisjoint:
      return "S_DISJOINT";
    case geo::SpatialRelation::kTouches:
      return "S_TOUCHES";
    case geo::SpatialRelation::kWithin:
      return "S_WITHIN";
    case geo::SpatialRelation::kOverlaps:
      return "S_OVERLAPS";
    case geo::SpatialRelation::kCrosses:
      return "S_CROSSES";
    case geo::SpatialRelation::kContains:
      return "S_CONTAINS";
  }
  return "S_INTERSECTS";
}

// Shortest text that reads back as d; -0 prints as 0 (they compare equal).
std::string NumberText(double d) { return d == 0 ? std::string("0") : ShortestNumberText(d); }

void AppendQuoted(std::string& out, std::string_view s) {
  out += '\'';
  for (char c : s) {
    if (c == '\'') out += '\'';  // '' is a quote inside a literal
    out += c;
  }
  out += '\'';
}

// WKT of g: POINT (x y), POLYGON ((x y, ...), (...)), ...
void AppendWkt(std::string& out, const geo::Geometry& g) {
  const auto& pos = g.positions();
  const auto& ends = g.line_ends();
  auto point = [&](std::size_t i) {
    out += NumberText(pos[i].x);
    out += ' ';
    out += NumberText(pos[i].y);
  };
  auto run = [&](std::size_t b, std::size_t e) {
    out += '(';
    for (std::size_t i = b; i < e; ++i) {
      if (i > b) out += ", ";
      point(i);
    }
    out += ')';
  };
  auto lines = [&](std::size_t r0, std::size_t r1) {
    out += '(';
    for (std::size_t r = r0; r < r1; ++r) {
      if (r > r0) out += ", ";
      run(r == 0 ? 0 : ends[r - 1], ends[r]);
    }
    out += ')';
  };
  switch (g.type()) {
    case geo::GeometryType::kPoint:
      out += "POINT ";
      run(0, 1);
      return;
    case geo::GeometryType::kMultiPoint:
      out += "MULTIPOINT (";
      for (std::size_t i = 0; i < pos.size(); ++i) {
        if (i > 0) out += ", ";
        run(i, i + 1);
      }
      out += ')';
      return;
    case geo::GeometryType::kLineString:
      out += "LINESTRING ";
      run(0, ends[0]);
      return;
    case geo::GeometryType::kMultiLineString:
      out += "MULTILINESTRING ";
      lines(0, ends.size());
      return;
    case geo::GeometryType::kPolygon:
      out += "POLYGON ";
      lines(0, ends.size());
      return;
    case geo::GeometryType::kMultiPolygon: {
      out += "MULTIPOLYGON (";
      std::size_t r = 0;
      for (std::uint32_t pe : g.polygon_ends()) {
        if (r > 0) out += ", ";
        lines(r, pe);
        r = pe;
      }
      out += ')';
      return;
    }
  }
}

void AppendDate(std::string& out, std::int64_t micros) {
  std::int64_t days = micros / kMicrosPerDay;
  if (micros % kMicrosPerDay < 0) --days;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  out += buf;
}

void AppendOperand(std::string& out, const Operand& o) {
  if (o.casei) out += "CASEI(";
  if (o.accenti) out += "ACCENTI(";
  switch (o.kind) {
    case Operand::Kind::kProperty:
      out += '"';
      out += o.text;
      out += '"';
      break;
    case Operand::Kind::kString:
      AppendQuoted(out, o.text);
      break;
    case Operand::Kind::kNumber:
      out += o.is_int ? std::to_string(o.i) : NumberText(o.d);
      break;
    case Operand::Kind::kBool:
      out += o.b ? "TRUE" : "FALSE";
      break;
    case Operand::Kind::kTimestamp: {
      out += "TIMESTAMP('";
      std::string t = FormatIso8601(Timestamp{o.micros});  // milliseconds, then "Z"
      const std::int64_t sub_milli = ((o.micros % 1000) + 1000) % 1000;
      if (sub_milli != 0 && !t.empty()) {
        char digits[4];
        std::snprintf(digits, sizeof digits, "%03d", static_cast<int>(sub_milli));
        t.insert(t.size() - 1, digits);
      }
      out += t;
      out += "')";
      break;
    }
    case Operand::Kind::kDate:
      out += "DATE('";
      AppendDate(out, o.micros);
      out += "')";
      break;
    case Operand::Kind::kGeometry:
      AppendWkt(out, o.geometry->geometry());
      break;
  }
  if (o.accenti) out += ')';
  if (o.casei) out += ')';
}

void AppendNode(std::string& out, const std::vector<Node>& nodes, std::uint32_t n) {
  const Node& node = nodes[n];
  const std::vector<Operand>& ops = node.operands;
  switch (node.kind) {
    case Node::Kind::kAnd:
    case Node::Kind::kOr:
      out += '(';
      for (std::size_t i = 0; i < node.children.size(); ++i) {
        if (i > 0) out += node.kind == Node::Kind::kAnd ? " AND " : " OR ";
        AppendNode(out, nodes, node.children[i]);
      }
      out += ')';
      return;
    case Node::Kind::kNot: {
      const Node& child = nodes[node.children[0]];
      const bool grouped = child.kind == Node::Kind::kAnd || child.kind == Node::Kind::kOr;
      out += grouped ? "NOT " : "NOT (";
      AppendNode(out, nodes, node.children[0]);
      if (!grouped) out += ')';
      return;
    }
    case Node::Kind::kBool:
      out += node.value ? "TRUE" : "FALSE";
      return;
    case Node::Kind::kCompare:
      AppendOperand(out, ops[0]);
      out += ' ';
      out += CompareText(node.op);
      out += ' ';
      AppendOperand(out, ops[1]);
      return;
    case Node::Kind::kLike:
      AppendOperand(out, ops[0]);
      out += " LIKE ";
      AppendOperand(out, ops[1]);
      return;
    case Node::Kind::kBetween:
      AppendOperand(out, ops[0]);
      out += " BETWEEN ";
      AppendOperand(out, ops[1]);
      out += " AND ";
      AppendOperand(out, ops[2]);
      return;
    case Node::Kind::kIn:
      AppendOperand(out, ops[0]);
      out += " IN (";
      for (std::size_t i = 1; i < ops.size(); ++i) {
        if (i > 1) out += ", ";
        AppendOperand(out, ops[i]);
      }
      out += ')';
      return;
    case Node::Kind::kIsNull:
      AppendOperand(out, ops[0]);
      out += " IS NULL";
      return;
    case Node::Kind::kSpatial:
      out += SpatialText(node.rel);
      out += '(';
      AppendOperand(out, ops[0]);
      out += ", ";
      AppendOperand(out, ops[1]);
      out += ')';
      return;
  }
}

// The literal's box when the spatial node relates a geometry property to a literal in a
// way that implies intersection; nullopt otherwise.
std::optional<geo::BBox> SpatialNodeBox(
    const Node& node, const std::function<bool(std::string_view)>& is_geometry_property) {
  if (node.kind != Node::Kind::kSpatial || node.rel == geo::SpatialRelation::kDisjoint) {
    return std::nullopt;
  }
  const Operand& a = node.operands[0];
  const Operand& b = node.operands[1];
  const Operand* literal = nullptr;
  if (a.kind == Operand::Kind::kProperty && b.kind == Operand::Kind::kGeometry) literal = &b;
  if (b.kind == Operand::Kind::kProperty && a.kind == Operand::Kind::kGeometry) literal = &a;
  if (literal == nullptr) return std::nullopt;
  const Operand& property = literal == &b ? a : b;
  if (!is_geometry_property(property.text)) return std::nullopt;
  return literal->geometry->geometry().bbox();
}

}  // namespace

std::string Expression::DebugString() const {
  std::string out;
  if (!nodes_.empty()) AppendNode(out, nodes_, root_);
  return out;
}

std::vector<std::string> PropertyNames(const Expression& e) {
  std::vector<std::string> out;
  // Nodes are stored children first; walking them in order gives text order for operands
  // of one predicate and parse order across predicates.
  for (const Node& n : e.nodes()) {
    for (const Operand& o : n.operands) {
      if (o.kind != Operand::Kind::kProperty) continue;
      if (std::find(out.begin(), out.end(), o.text) == out.end()) out.push_back(o.text);
    }
  }
  return out;
}

std::optional<geo::BBox> SpatialSearchBox(
    const Expression& e, const std::function<bool(std::string_view)>& is_geometry_property) {
  const std::vector<Node>& nodes = e.nodes();
  if (nodes.empty()) return std::nullopt;
  std::optional<geo::BBox> box;
  std::vector<std::uint32_t> todo{e.root()};
  while (!todo.empty()) {
    const Node& node = nodes[todo.back()];
    todo.pop_back();
    if (node.kind == Node::Kind::kAnd) {
      todo.insert(todo.end(), node.children.begin(), node.children.end());
      continue;
    }
    const std::optional<geo::BBox> b = SpatialNodeBox(node, is_geometry_property);
    if (!b) continue;
    if (!box) {
      box = *b;
    } else if (box->Intersects(*b)) {
      box = geo::BBox{std::max(box->min_x, b->min_x), std::max(box->min_y, b->min_y),
                      std::min(box->max_x, b->max_x), std::min(box->max_y, b->max_y)};
    } else {
      box = geo::BBox::Empty();
    }
  }
  return box;
}

}  // namespace dothi::domain::cql2
