#include "domain/cql2/expression_builder.h"

#include <cmath>
#include <utility>

#include "domain/cql2/like_pattern.h"
#include "domain/text_fold.h"

namespace dothi::domain::cql2 {
namespace {

Json Pos(double x, double y) { return Json(Json::Array{Json(x), Json(y)}); }

// The closed ring of a box, counter-clockwise.
Json BoxRing(double x0, double y0, double x1, double y1) {
  return Json(Json::Array{Pos(x0, y0), Pos(x1, y0), Pos(x1, y1), Pos(x0, y1), Pos(x0, y0)});
}

constexpr int kBoxEdgeSteps = 16;  // samples per edge of a BBOX given in another CRS

// Converts every position of GeoJSON coordinates in place (arrays nest down to positions,
// arrays that start with a number). Malformed coordinates are left to geo::Geometry.
Status ConvertPositions(Json& coordinates, const PositionConverter& convert) {
  if (!coordinates.is_array()) return Status::OK();
  Json::Array& a = coordinates.AsArray();
  if (a.size() >= 2 && a[0].is_number() && a[1].is_number()) {
    double x = a[0].AsDouble(), y = a[1].AsDouble();
    if (!std::isfinite(x) || !std::isfinite(y)) return Status::OK();
    if (Status s = convert(x, y); !s.ok()) {
      return Status::BadRequestData("position outside the domain of the filter CRS");
    }
    a[0] = Json(x);
    a[1] = Json(y);
    return Status::OK();
  }
  for (Json& item : a) DOTHI_RETURN_IF_ERROR(ConvertPositions(item, convert));
  return Status::OK();
}

}  // namespace

Result<std::uint32_t> ExpressionBuilder::Add(Node node) {
  if (nodes_.size() >= limits_.max_nodes) {
    return Status::BadRequestData("more than " + std::to_string(limits_.max_nodes) +
                                  " operators and predicates");
  }
  nodes_.push_back(std::move(node));
  return static_cast<std::uint32_t>(nodes_.size() - 1);
}

Result<std::uint32_t> ExpressionBuilder::AddBoolean(Node node) { return Add(std::move(node)); }

Result<std::uint32_t> ExpressionBuilder::AddPredicate(Node node) {
  for (const Operand& o : node.operands) {
    node.casei = node.casei || o.casei;
    node.accenti = node.accenti || o.accenti;
  }
  for (Operand& o : node.operands) {
    if (o.kind == Operand::Kind::kString)
      o.folded = FoldForSearch(o.text, node.casei, node.accenti);
  }
  if (node.kind == Node::Kind::kLike) {
    DOTHI_DCHECK(node.operands.size() == 2 &&
                 node.operands[1].kind == Operand::Kind::kString);  // the parsers check this
    const std::string& text = node.operands[1].text;
    if (text.size() > limits_.max_pattern_length) {
      return Status::BadRequestData("LIKE pattern longer than " +
                                    std::to_string(limits_.max_pattern_length) + " bytes");
    }
    Result<LikePattern> p =
        LikePattern::Compile(text, node.casei, node.accenti, limits_.max_like_subject);
    if (!p.ok()) return p.status();
    node.pattern = std::make_shared<const LikePattern>(std::move(*p));
  }
  return Add(std::move(node));
}

Result<Operand> ExpressionBuilder::FromGeometry(Result<geo::Geometry> g) {
  if (!g.ok()) return Status::BadRequestData("invalid geometry", g.status().message());
  vertices_ += g->num_vertices();
  Operand o;
  o.kind = Operand::Kind::kGeometry;
  o.geometry = std::make_shared<const geo::PreparedGeometry>(std::move(*g));
  return o;
}

Result<Operand> ExpressionBuilder::GeometryOperand(std::string_view type, const Json& coordinates) {
  geo::GeometryLimits limits;
  limits.max_vertices = vertices_left();
  if (!to_crs84_) {
    return FromGeometry(geo::Geometry::FromTypeAndCoordinates(type, coordinates, limits));
  }
  Json converted = coordinates;
  DOTHI_RETURN_IF_ERROR(ConvertPositions(converted, to_crs84_));
  return FromGeometry(geo::Geometry::FromTypeAndCoordinates(type, converted, limits));
}

// A box in the filter CRS: its boundary, sampled and converted, as a lon/lat polygon (a
// box without area as the point or line it is).
Result<Operand> ExpressionBuilder::ConvertedBBox(double a0, double b0, double a1, double b1) {
  if (a0 > a1 || b0 > b1) {
    return Status::BadRequestData("bbox minimum above maximum in the filter CRS");
  }
  if (a0 == a1 && b0 == b1) return GeometryOperand("Point", Pos(a0, b0));
  if (a0 == a1 || b0 == b1) {
    return GeometryOperand("LineString", Json(Json::Array{Pos(a0, b0), Pos(a1, b1)}));
  }
  Json::Array ring;
  auto edge = [&](double xa, double ya, double xb, double yb) {
    for (int i = 0; i < kBoxEdgeSteps; ++i) {
      const double f = static_cast<double>(i) / kBoxEdgeSteps;
      ring.push_back(Pos(xa + (xb - xa) * f, ya + (yb - ya) * f));
    }
  };
  edge(a0, b0, a1, b0);
  edge(a1, b0, a1, b1);
  edge(a1, b1, a0, b1);
  edge(a0, b1, a0, b0);
  ring.push_back(Pos(a0, b0));
  return GeometryOperand("Polygon", Json(Json::Array{Json(std::move(ring))}));
}

Result<Operand> ExpressionBuilder::BBoxOperand(const std::vector<double>& v) {
  if (v.size() != 4 && v.size() != 6) {
    return Status::BadRequestData("a bbox has 4 or 6 numbers", std::to_string(v.size()) + " given");
  }
  for (double d : v) {
    if (!std::isfinite(d)) return Status::BadRequestData("bbox number is not finite");
  }
  const std::size_t half = v.size() / 2;  // minz and maxz, when given, are ignored
  double x0 = v[0], y0 = v[1], x1 = v[half], y1 = v[half + 1];
  if (to_crs84_) return ConvertedBBox(x0, y0, x1, y1);
  if (y0 > y1) return Status::BadRequestData("bbox has its south edge above its north edge");
  if (x0 > x1 && x0 == 180.0) x0 = -180.0;  // crossing "from 180" is not crossing
  if (x0 > x1 && x1 == -180.0) x1 = 180.0;
  if (x0 > x1) {
    // Across the antimeridian: the part east of x0 and the part west of x1.
    if (y0 == y1) {
      Json lines(Json::Array{Json(Json::Array{Pos(x0, y0), Pos(180.0, y0)}),
                             Json(Json::Array{Pos(-180.0, y0), Pos(x1, y0)})});
      return GeometryOperand("MultiLineString", lines);
    }
    Json parts(Json::Array{Json(Json::Array{BoxRing(x0, y0, 180.0, y1)}),
                           Json(Json::Array{BoxRing(-180.0, y0, x1, y1)})});
    return GeometryOperand("MultiPolygon", parts);
  }
  // A box without area is the point or line it degenerates to, not an invalid polygon.
  if (x0 == x1 && y0 == y1) return GeometryOperand("Point", Pos(x0, y0));
  if (x0 == x1 || y0 == y1) {
    return GeometryOperand("LineString", Json(Json::Array{Pos(x0, y0), Pos(x1, y1)}));
  }
  return GeometryOperand("Polygon", Json(Json::Array{BoxRing(x0, y0, x1, y1)}));
}

Expression ExpressionBuilder::Finish(std::uint32_t root) && {
  Expression e;
  e.nodes_ = std::move(nodes_);
  e.root_ = root;
  return e;
}

}  // namespace dothi::domain::cql2
