#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "core/status.h"

// ScopeQuery is a parsed scope query (the "scopeQ" parameter, ETSI GS CIM 009 clauses
// 4.18/4.19). Scopes are hierarchical strings such as "/Madrid/Gardens/ParqueNorte".
// A query term is a scope path where:
//   "/Madrid"       matches exactly that scope,
//   "/Madrid/#"     matches the scope and all its descendants,
//   "/Madrid/+/X"   "+" matches exactly one level (here /Madrid/<any>/X),
//   "/#"            matches any scope.
// Terms combine with ";" (AND), "|" or "," (OR) and parentheses; ";" binds tighter.
// A term matches an entity when any of the entity's scopes matches it; an entity without
// scope (null) never matches. Whitespace around terms and operators is ignored.
// Threading: immutable after parsing; Matches is const and allocation-free.
namespace dothi::domain {

class ScopeQuery {
 public:
  struct Pattern {
    std::string text;                 // as written
    std::vector<std::string> levels;  // "+" stands for any single level
    bool descendants = false;         // ended with "/#"
  };
  struct Node {
    enum class Kind : std::uint8_t { kAnd, kOr, kPattern };
    Kind kind = Kind::kPattern;
    std::uint32_t pattern = 0;            // kPattern: index into patterns()
    std::vector<std::uint32_t> children;  // kAnd / kOr: indices into nodes()
  };

  // entity_scope: null, a string, or an array of strings (the canonical form). A
  // default-constructed ScopeQuery (no scopeQ given) matches every entity.
  bool Matches(const Json& entity_scope) const;

  // The tree with explicit parentheses, e.g. "(/A/#|(/B;/C))", for tests and logs.
  std::string DebugString() const;

  const std::vector<Pattern>& patterns() const { return patterns_; }
  const std::vector<Node>& nodes() const { return nodes_; }

 private:
  friend class ScopeQueryParser;
  bool EvalNode(std::uint32_t n, const Json& scope) const;

  std::vector<Pattern> patterns_;
  std::vector<Node> nodes_;
  std::uint32_t root_ = 0;
};

// Parses scopeQ text. Errors: BadRequestData naming the position.
Result<ScopeQuery> ParseScopeQuery(std::string_view text);

// Checks an entity's scope value on create/update: a string or an array of strings, each
// "/" followed by non-empty levels separated by "/", without "#", "+" or characters that
// scopeQ uses as operators. null (no scope) is accepted. Errors: BadRequestData.
Status ValidateScope(const Json& scope);

}  // namespace dothi::domain
