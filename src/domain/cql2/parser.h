#pragma once

#include <string_view>

#include "core/json.h"
#include "core/result.h"
#include "domain/cql2/expression.h"

// The two encodings of OGC CQL2 (OGC 21-065) parsed into one Expression.
//
// Supported (conformance classes): Basic CQL2 (= <> < > <= >=, IS [NOT] NULL, AND, OR,
// NOT, TRUE / FALSE, string / number / boolean literals, TIMESTAMP and DATE instants),
// Advanced Comparison Operators ([NOT] LIKE, [NOT] BETWEEN, [NOT] IN), Case-insensitive
// Comparison (CASEI), Accent-insensitive Comparison (ACCENTI), Basic Spatial Functions and
// Spatial Functions (S_INTERSECTS, S_EQUALS, S_DISJOINT, S_TOUCHES, S_WITHIN, S_OVERLAPS,
// S_CROSSES, S_CONTAINS) with Basic Spatial Data Types and Spatial Data Types (POINT,
// LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, BBOX; GeoJSON and
// {"bbox": [...]} in cql2-json), in lon/lat (CRS84), or in another CRS when the caller passes
// a PositionConverter: every position of a literal is then converted to lon/lat, and a BBOX
// (an axis-aligned box in that CRS, its numbers in the CRS's axis order, minimum first)
// becomes the polygon of its boundary, each edge sampled at 16 steps and converted.
// Not supported, each refused with an error naming it: GEOMETRYCOLLECTION, EMPTY
// geometries, INTERVAL and the temporal functions (T_*), the array functions (A_*),
// arithmetic, and custom functions.
//
// Keywords and function names are case-insensitive in cql2-text. A string literal escapes
// a quote as '' or \'; any other backslash is kept, so LIKE sees its escapes: in a LIKE
// pattern % matches any run of characters, _ exactly one, and \ makes the next character
// literal (\%, \_, \\).
//
// Every error is Status::BadRequestData("invalid cql2-text", "<reason> at position <n>:
// '<excerpt>'") (the q parser's format), or for cql2-json ("invalid cql2-json",
// "<reason> at <JSON pointer>"), e.g. "unknown function 'foo' at /args/1".
// Threading: stateless functions.
namespace dothi::domain::cql2 {

// Parses cql2-text (already percent-decoded). With to_crs84, geometry literals are in
// another CRS (see above).
Result<Expression> ParseCql2Text(std::string_view text, const Cql2Limits& limits = {},
                                 const PositionConverter& to_crs84 = {});

// Parses cql2-json that has already been read into a Json value.
Result<Expression> ParseCql2Json(const Json& json, const Cql2Limits& limits = {},
                                 const PositionConverter& to_crs84 = {});

}  // namespace dothi::domain::cql2
