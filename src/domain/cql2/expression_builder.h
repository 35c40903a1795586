#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "domain/cql2/expression.h"

// ExpressionBuilder is what the cql2-text and cql2-json parsers have in common: it owns the
// nodes under construction, applies the limits that do not depend on the encoding and
// prepares predicates (CASEI / ACCENTI folding of literals, LIKE compilation, geometry
// literals), so both encodings yield identical trees. Errors are BadRequestData whose
// message is the reason alone; the parser adds where it happened.
// Threading: one builder per parse.
namespace dothi::domain::cql2 {

class ExpressionBuilder {
 public:
  // to_crs84, when not empty, converts the positions of geometry literals (filter-crs).
  ExpressionBuilder(const Cql2Limits& limits, const PositionConverter& to_crs84)
      : limits_(limits), to_crs84_(to_crs84) {}

  const Cql2Limits& limits() const { return limits_; }

  // Appends a boolean node (AND, OR, NOT, TRUE / FALSE); fails beyond max_nodes.
  Result<std::uint32_t> AddBoolean(Node node);
  // Appends a predicate after preparing it: the case / accent flags of the node become the
  // union of its operands', string literals are folded with them, a LIKE pattern (the
  // second operand) is compiled.
  Result<std::uint32_t> AddPredicate(Node node);

  // A geometry operand from GeoJSON type and coordinates (WKT is read into that form);
  // counts its positions against max_vertices. Positions are converted first (to_crs84).
  Result<Operand> GeometryOperand(std::string_view type, const Json& coordinates);
  // A geometry operand for a box: 4 numbers (minx, miny, maxx, maxy) or 6 (with minz and
  // maxz, ignored). A box with minx > maxx crosses the antimeridian and becomes two. With
  // to_crs84 the box is in that CRS (no crossing) and becomes its converted boundary.
  Result<Operand> BBoxOperand(const std::vector<double>& values);
  // How many more positions geometry literals may have (a WKT reader stops early).
  std::size_t vertices_left() const { return limits_.max_vertices - vertices_; }

  Expression Finish(std::uint32_t root) &&;

 private:
  Result<std::uint32_t> Add(Node node);
  Result<Operand> FromGeometry(Result<geo::Geometry> g);
  Result<Operand> ConvertedBBox(double a0, double b0, double a1, double b1);

  const Cql2Limits& limits_;
  const PositionConverter& to_crs84_;
  std::vector<Node> nodes_;
  std::size_t vertices_ = 0;
};

}  // namespace dothi::domain::cql2
