#pragma once

#include <string_view>

#include "core/json.h"
#include "domain/cql2/expression.h"
#include "geo/geometry.h"

// Evaluating a CQL2 Expression against one feature.
//
// Semantics (SQL's three-valued logic):
//  - A predicate is UNKNOWN when an operand is a missing or null property, or when its
//    operands are of kinds that do not compare (a string with a number, an array, a
//    boolean with < or >, a string that is not an ISO 8601 instant with TIMESTAMP(...)).
//    Such mismatches are never errors.
//  - NOT UNKNOWN is UNKNOWN; AND and OR follow Kleene (FALSE AND UNKNOWN is FALSE, TRUE OR
//    UNKNOWN is TRUE). A feature matches only when the whole expression is TRUE, so for a
//    feature without "floors" neither "floors > 5" nor "NOT (floors > 5)" matches, and
//    neither does "floors <> 5".
//  - IS NULL is never UNKNOWN: TRUE for a missing or null property (or a missing geometry).
//  - BETWEEN is (value >= low AND value <= high); IN is (value = item1 OR value = item2 ...).
//  - Numbers compare as numbers (integers exactly), strings byte-wise after CASEI / ACCENTI
//    folding (domain/text_fold.h), booleans only with = and <>. TIMESTAMP and DATE compare
//    as instants with each other and with property values that are ISO 8601 strings (a
//    date-only string or DATE is the instant of its midnight UTC).
//  - LIKE applies to strings only; a value longer than Cql2Limits::max_like_subject
//    makes it UNKNOWN.
//  - Spatial predicates read the feature geometry for a property the view declares as its
//    geometry property (IsGeometryProperty); any other property in a spatial predicate is
//    UNKNOWN. Relations are evaluated in the lon/lat plane (geo::Relate).
//  - The property "id" is the feature id (FeatureView::Id) when that is not empty.
// Threading: Matches is const on both arguments; safe to call concurrently.
namespace dothi::domain::cql2 {

// The name CQL2 and OGC API Features give the feature geometry.
inline constexpr std::string_view kDefaultGeometryProperty = "geometry";

// What the evaluator reads from a feature; the caller implements it over its own storage.
// The pointers returned must stay valid during the Matches call.
class FeatureView {
 public:
  virtual ~FeatureView() = default;
  // The value of a property, or nullptr when the feature has none.
  virtual const Json* Property(std::string_view name) const = 0;
  // The feature geometry, or nullptr when it has none.
  virtual const geo::Geometry* Geometry() const = 0;
  // The feature id; empty when the feature has none.
  virtual std::string_view Id() const = 0;
  // Whether name refers to the feature geometry. By default only "geometry"; a view whose
  // collection calls its geometry "location" overrides this to accept that name too.
  virtual bool IsGeometryProperty(std::string_view name) const {
    return name == kDefaultGeometryProperty;
  }
};

// True when the expression is TRUE for the feature (not when FALSE or UNKNOWN).
bool Matches(const Expression& e, const FeatureView& feature);

}  // namespace dothi::domain::cql2
