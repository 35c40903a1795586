#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

// The grammar of the pick and omit query parameters (NGSI-LD v1.8 clause 4.21):
//   list := item ("," item)* ;  item := name ("{" list "}")?
// A nested list projects the entities that a join brings through that relationship.
// Names are terms or IRIs; ";", spaces, quotes and empty items are errors. At most 8
// levels of nesting. Pure functions, safe from any thread.
namespace dothi::api::ngsi_ld {

struct Projection {
  struct Nested;
  std::vector<std::string> names;  // this level's names, as written
  std::vector<Nested> nested;      // for the names followed by "{...}", in order
};
struct Projection::Nested {
  std::size_t index = 0;  // into names
  Projection projection;  // of the entities linked through that name
};

// param names the query parameter in the error (400 BadRequestData).
Result<Projection> ParseProjection(std::string_view list, std::string_view param);
// The top-level names of a pick or omit value.
Result<std::vector<std::string>> ProjectionNames(std::string_view list, std::string_view param);
// The text of a projection, which ParseProjection reads back to the same projection.
std::string ProjectionText(const Projection& p);

}  // namespace dothi::api::ngsi_ld
