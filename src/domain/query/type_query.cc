#include "domain/query/type_query.h"

#include "domain/query/bool_expr.h"

namespace dothi::domain {
namespace {

constexpr std::size_t kMaxTypeQueryLength = 4096;  // bytes
constexpr int kMaxTypeQueryDepth = 32;             // parenthesis nesting
constexpr std::size_t kMaxTypeNames = 256;         // names in one expression
constexpr std::string_view kErrorKind = "invalid type selection";

bool IsSeparator(char c) {
  return c == ',' || c == ';' || c == '|' || c == '(' || c == ')' || IsQuerySpace(c);
}

}  // namespace

// The boolean layer is ParseBoolExpr's, with "," and "|" both OR; a term is a Name.
class TypeQueryParser {
 public:
  explicit TypeQueryParser(std::string_view s) : s_(s) {}

  Result<TypeQuery> Parse() {
    if (s_.size() > kMaxTypeQueryLength) return Status::BadRequestData(kErrorKind, "too long");
    static constexpr BoolExprSyntax kSyntax{.error_kind = kErrorKind,
                                            .or_operators = ",|",
                                            .expected_term = "expected a type name",
                                            .max_depth = kMaxTypeQueryDepth};
    Result<BoolExpr> expr = ParseBoolExpr(s_, pos_, kSyntax, [this] { return ParseName(); });
    if (!expr.ok()) return expr.status();
    q_.nodes_ = ToQueryNodes<TypeQuery::Node>(std::move(expr->nodes), TypeQuery::Node::Kind::kName);
    q_.root_ = expr->root;
    return std::move(q_);
  }

 private:
  Status ParseName() {
    const std::size_t b = pos_;
    while (pos_ < s_.size() && !IsSeparator(s_[pos_])) ++pos_;
    if (pos_ == b) return ParseErrorAt(kErrorKind, s_, b, "expected a type name");
    if (q_.names_.size() >= kMaxTypeNames) {
      return ParseErrorAt(kErrorKind, s_, b, "too many type names");
    }
    const std::string name(s_.substr(b, pos_ - b));
    q_.names_.push_back(TypeQuery::Name{name, name});
    return Status::OK();
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  TypeQuery q_;
};

Result<TypeQuery> ParseTypeQuery(std::string_view text) {
  return TypeQueryParser(text).Parse();
}

Status TypeQuery::Resolve(const std::function<std::string(std::string_view)>& expand) {
  for (Name& n : names_) {
    std::string iri = expand(n.text);
    if (iri.empty()) return Status::BadRequestData("cannot expand type name", n.text);
    n.iri = std::move(iri);
  }
  return Status::OK();
}

bool TypeQuery::EvalNode(std::uint32_t n, const std::vector<std::string>& types) const {
  return EvalBoolNode(nodes_, n, [&](const Node& leaf) {
    for (const std::string& t : types) {
      if (t == names_[leaf.name].iri) return true;
    }
    return false;
  });
}

bool TypeQuery::Matches(const std::vector<std::string>& entity_type_iris) const {
  if (nodes_.empty()) return true;  // default-constructed: no selection
  return EvalNode(root_, entity_type_iris);
}

std::optional<std::vector<std::string>> TypeQuery::AnyOfIris() const {
  if (nodes_.empty()) return std::nullopt;
  // Pure OR of names, possibly behind redundant parentheses ("(A|(B))").
  std::vector<std::string> out;
  std::vector<std::uint32_t> todo{root_};
  while (!todo.empty()) {
    const Node& node = nodes_[todo.back()];
    todo.pop_back();
    if (node.kind == Node::Kind::kAnd) return std::nullopt;
    if (node.kind == Node::Kind::kOr) {
      for (auto it = node.children.rbegin(); it != node.children.rend(); ++it) todo.push_back(*it);
      continue;
    }
    const std::string& iri = names_[node.name].iri;
    bool seen = false;
    for (const auto& s : out) seen = seen || s == iri;
    if (!seen) out.push_back(iri);
  }
  return out;
}

std::string TypeQuery::DebugString() const {
  return BoolTreeDebugString(nodes_, root_, [this](const Node& leaf) -> const std::string& {
    return names_[leaf.name].text;
  });
}

}  // namespace dothi::domain
