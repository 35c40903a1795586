#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/status.h"

// The boolean layer shared by the query languages (q, the type selection, scopeQ): terms
// combined with AND (";"), OR and parentheses, ";" binding tighter. ParseBoolExpr parses
// that layer and hands each term to a callback; the helpers below copy the tree into a
// query's own node type, evaluate it and print it. ParseErrorAt formats the errors of all
// three parsers the same way.
// Threading: stateless functions; the results are plain values.
namespace dothi::domain {

// One node of a parsed expression: AND / OR of children, or a leaf naming a term.
struct BoolNode {
  enum class Kind : std::uint8_t { kAnd, kOr, kLeaf };
  Kind kind = Kind::kLeaf;
  std::uint32_t leaf = 0;               // kLeaf: index of the term, in parse order
  std::vector<std::uint32_t> children;  // kAnd / kOr: indices into nodes
};

// A flat tree; children come before their parent. A single term has no AND / OR node.
struct BoolExpr {
  std::vector<BoolNode> nodes;
  std::uint32_t root = 0;
};

// What differs between the languages at the boolean layer.
struct BoolExprSyntax {
  // First part of every error, e.g. "invalid scopeQ".
  std::string_view error_kind;
  // Characters that separate alternatives: "|" for q, ",|" for type and scopeQ.
  std::string_view or_operators = "|";
  // Second part of the error for text that is empty or only whitespace.
  std::string_view empty_detail = "empty";
  // Reason given when the text ends where a term should start.
  std::string_view expected_term;
  // Deepest parenthesis nesting accepted.
  int max_depth = 32;
  // Whether an error excerpt that stops before the end of the text ends with "...".
  bool excerpt_ellipsis = false;
};

// The whitespace the query languages skip around terms and operators.
inline bool IsQuerySpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// BadRequestData(kind, "<reason> at position <n>: '<excerpt>'"), or "... (end of text)"
// when position is at or past the end. The excerpt is up to 32 bytes of text from
// position, control and non-ASCII bytes shown as '?', with "..." after it when ellipsis
// is set and the text goes on.
Status ParseErrorAt(std::string_view kind, std::string_view text, std::size_t position,
                    std::string_view reason, bool ellipsis = false);

// Parses text from pos: Or = And *(or_operator And); And = Primary *(";" Primary);
// Primary = "(" Or ")" / Term, then expects the end of the text. Whitespace is skipped
// around everything. parse_term is called with pos on the first byte of a term (neither
// whitespace nor "(") and must leave pos after it; the n-th successful call is leaf n of
// the tree. Its errors are returned as they are. pos is the caller's own cursor, so a
// term parser can keep reading through it.
Result<BoolExpr> ParseBoolExpr(std::string_view text, std::size_t& pos,
                               const BoolExprSyntax& syntax,
                               const std::function<Status()>& parse_term);

// Copies a parsed tree into a query's node type (fields kind, leaf index, children;
// enumerators kAnd, kOr and leaf_kind).
template <class Node>
std::vector<Node> ToQueryNodes(std::vector<BoolNode>&& nodes, typename Node::Kind leaf_kind) {
  std::vector<Node> out;
  out.reserve(nodes.size());
  for (BoolNode& n : nodes) {
    const typename Node::Kind kind = n.kind == BoolNode::Kind::kAnd  ? Node::Kind::kAnd
                                     : n.kind == BoolNode::Kind::kOr ? Node::Kind::kOr
                                                                     : leaf_kind;
    out.push_back(Node{kind, n.leaf, std::move(n.children)});
  }
  return out;
}

// Evaluates node n; leaf_matches(node) decides every node that is neither AND nor OR.
// Allocates nothing (unless leaf_matches does).
template <class Node, class LeafMatches>
bool EvalBoolNode(const std::vector<Node>& nodes, std::uint32_t n,
                  const LeafMatches& leaf_matches) {
  const Node& node = nodes[n];
  switch (node.kind) {
    case Node::Kind::kAnd:
      for (std::uint32_t c : node.children) {
        if (!EvalBoolNode(nodes, c, leaf_matches)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (std::uint32_t c : node.children) {
        if (EvalBoolNode(nodes, c, leaf_matches)) return true;
      }
      return false;
    default: return leaf_matches(node);
  }
}

// The tree with explicit parentheses, e.g. "((A;B)|C)"; leaf_text(node) gives each leaf.
// Empty for an empty tree.
template <class Node, class LeafText>
std::string BoolTreeDebugString(const std::vector<Node>& nodes, std::uint32_t root,
                                const LeafText& leaf_text) {
  if (nodes.empty()) return {};
  std::string out;
  auto emit = [&](auto&& self, std::uint32_t n) -> void {
    const Node& node = nodes[n];
    if (node.kind != Node::Kind::kAnd && node.kind != Node::Kind::kOr) {
      out += leaf_text(node);
      return;
    }
    out += '(';
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      if (i > 0) out += node.kind == Node::Kind::kAnd ? ';' : '|';
      self(self, node.children[i]);
    }
    out += ')';
  };
  emit(emit, root);
  return out;
}

}  // namespace dothi::domain
