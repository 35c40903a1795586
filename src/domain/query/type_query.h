#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/status.h"

// TypeQuery is a parsed entity type selection (the "type" parameter, ETSI GS CIM 009
// clause 4.17): type names combined with "," or "|" (OR), ";" (AND: the entity has both
// types) and parentheses, e.g. "(Building;Shop)|Vehicle". ";" binds tighter than "|" / ",".
// Whitespace around names and operators is ignored. Parse once, Resolve the names to
// IRIs once, then call Matches per entity.
// Threading: immutable after Resolve; Matches is const and allocation-free.
namespace dothi::domain {

class TypeQuery {
 public:
  struct Node {
    enum class Kind : std::uint8_t { kAnd, kOr, kName };
    Kind kind = Kind::kName;
    std::uint32_t name = 0;               // kName: index into names()
    std::vector<std::uint32_t> children;  // kAnd / kOr: indices into nodes()
  };
  struct Name {
    std::string text;  // as written
    std::string iri;   // after Resolve; the text until then
  };

  // Maps each type name to its IRI; expand returns "" when it cannot (BadRequestData).
  Status Resolve(const std::function<std::string(std::string_view)>& expand);

  // True when the entity's expanded types satisfy the expression.
  bool Matches(const std::vector<std::string>& entity_type_iris) const;

  // When the expression is a plain OR of names (the common case: "A", "A,B", "A|B"), the
  // distinct IRIs (names before Resolve), so a caller can use a by-type index; else nullopt.
  std::optional<std::vector<std::string>> AnyOfIris() const;

  // The tree with explicit parentheses, e.g. "((A;B)|C)", for tests and logs.
  std::string DebugString() const;

  const std::vector<Name>& names() const { return names_; }
  const std::vector<Node>& nodes() const { return nodes_; }

 private:
  friend class TypeQueryParser;
  bool EvalNode(std::uint32_t n, const std::vector<std::string>& types) const;

  std::vector<Name> names_;
  std::vector<Node> nodes_;
  std::uint32_t root_ = 0;
};

// Parses a type selection. Errors: BadRequestData naming the position.
Result<TypeQuery> ParseTypeQuery(std::string_view text);

}  // namespace dothi::domain
