#include "domain/query/scope_query.h"

#include "domain/query/bool_expr.h"

namespace dothi::domain {
namespace {

constexpr std::size_t kMaxScopeQueryLength = 4096;  // bytes
constexpr int kMaxScopeQueryDepth = 32;             // parenthesis nesting
constexpr std::size_t kMaxScopeTerms = 256;         // terms in one scopeQ
constexpr std::size_t kMaxScopeLength = 1024;       // bytes of one entity scope string
constexpr std::size_t kMaxScopesPerEntity = 100;    // scope strings on one entity
constexpr std::string_view kErrorKind = "invalid scopeQ";

// Scope level characters: the spec's letters, digits and "_", plus a few URL-safe marks
// and any UTF-8 byte. Everything scopeQ uses as syntax ("/#+;|,()") is excluded.
bool IsLevelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == '~' || c == ':' || c == '@' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool ScopeMatches(std::string_view s, const ScopeQuery::Pattern& p) {
  if (s.empty() || s[0] != '/') return false;
  std::string_view rest = s.substr(1);
  bool exhausted = rest.empty();
  for (const std::string& level : p.levels) {
    if (exhausted) return false;
    const std::size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (level != "+" && seg != level) return false;
    if (slash == std::string_view::npos) {
      exhausted = true;
    } else {
      rest = rest.substr(slash + 1);
    }
  }
  return p.descendants || exhausted;
}

bool AnyScopeMatches(const Json& scope, const ScopeQuery::Pattern& p) {
  if (scope.is_string()) return ScopeMatches(scope.AsString(), p);
  if (!scope.is_array()) return false;
  for (const Json& s : scope.AsArray()) {
    if (s.is_string() && ScopeMatches(s.AsString(), p)) return true;
  }
  return false;
}

Status CheckOneScope(const Json& s) {
  if (!s.is_string()) return Status::BadRequestData("invalid scope", "scopes must be strings");
  const std::string& v = s.AsString();
  if (v.size() > kMaxScopeLength) return Status::BadRequestData("invalid scope", "too long");
  if (v.empty() || v[0] != '/') return Status::BadRequestData("scope must start with '/'", v);
  std::size_t level_len = 0;
  for (std::size_t i = 1; i <= v.size(); ++i) {
    if (i == v.size() || v[i] == '/') {
      if (level_len == 0) return Status::BadRequestData("scope has an empty level", v);
      level_len = 0;
      continue;
    }
    if (!IsLevelChar(v[i])) return Status::BadRequestData("scope has a forbidden character", v);
    ++level_len;
  }
  return Status::OK();
}

}  // namespace

// The boolean layer is ParseBoolExpr's, with "," and "|" both OR;
// Term = "/#" / 1*("/" Level) ["/#"], Level = "+" / 1*char.
class ScopeQueryParser {
 public:
  explicit ScopeQueryParser(std::string_view s) : s_(s) {}

  Result<ScopeQuery> Parse() {
    if (s_.size() > kMaxScopeQueryLength) return Status::BadRequestData(kErrorKind, "too long");
    static constexpr BoolExprSyntax kSyntax{.error_kind = kErrorKind,
                                            .or_operators = ",|",
                                            .expected_term = "expected a scope",
                                            .max_depth = kMaxScopeQueryDepth};
    Result<BoolExpr> expr = ParseBoolExpr(s_, pos_, kSyntax, [this] { return ParseTerm(); });
    if (!expr.ok()) return expr.status();
    q_.nodes_ = ToQueryNodes<ScopeQuery::Node>(std::move(expr->nodes),
                                               ScopeQuery::Node::Kind::kPattern);
    q_.root_ = expr->root;
    return std::move(q_);
  }

 private:
  Status Error(std::string_view reason, std::size_t at) const {
    return ParseErrorAt(kErrorKind, s_, at, reason);
  }

  void SkipSpace() {
    while (pos_ < s_.size() && IsQuerySpace(s_[pos_])) ++pos_;
  }

  Status ParseTerm() {
    if (q_.patterns_.size() >= kMaxScopeTerms) return Error("too many scope terms", pos_);
    ScopeQuery::Pattern p;
    if (Status st = ParsePattern(p); !st.ok()) return st;
    q_.patterns_.push_back(std::move(p));
    return Status::OK();
  }

  Status ParsePattern(ScopeQuery::Pattern& p) {
    const std::size_t b = pos_;
    if (s_[pos_] != '/') return Error("a scope starts with '/'", pos_);
    while (pos_ < s_.size() && s_[pos_] == '/') {
      ++pos_;
      if (pos_ < s_.size() && s_[pos_] == '#') {
        ++pos_;
        p.descendants = true;
        break;  // "#" ends the term
      }
      if (pos_ < s_.size() && s_[pos_] == '+') {
        ++pos_;
        p.levels.emplace_back("+");
        continue;
      }
      const std::size_t lb = pos_;
      while (pos_ < s_.size() && IsLevelChar(s_[pos_])) ++pos_;
      if (pos_ == lb) return Error("expected a scope level", pos_);
      p.levels.emplace_back(s_.substr(lb, pos_ - lb));
    }
    p.text = std::string(s_.substr(b, pos_ - b));
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] != ';' && s_[pos_] != '|' && s_[pos_] != ',' &&
        s_[pos_] != ')') {
      return Error("unexpected character in scope", pos_);
    }
    return Status::OK();
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  ScopeQuery q_;
};

Result<ScopeQuery> ParseScopeQuery(std::string_view text) {
  return ScopeQueryParser(text).Parse();
}

bool ScopeQuery::EvalNode(std::uint32_t n, const Json& scope) const {
  return EvalBoolNode(nodes_, n, [&](const Node& leaf) {
    return AnyScopeMatches(scope, patterns_[leaf.pattern]);
  });
}

bool ScopeQuery::Matches(const Json& entity_scope) const {
  if (nodes_.empty()) return true;  // default-constructed: no scopeQ, no filtering
  if (entity_scope.is_null()) return false;
  return EvalNode(root_, entity_scope);
}

std::string ScopeQuery::DebugString() const {
  return BoolTreeDebugString(nodes_, root_, [this](const Node& leaf) -> const std::string& {
    return patterns_[leaf.pattern].text;
  });
}

Status ValidateScope(const Json& scope) {
  if (scope.is_null()) return Status::OK();
  if (scope.is_string()) return CheckOneScope(scope);
  if (!scope.is_array()) {
    return Status::BadRequestData("invalid scope", "must be a string or an array of strings");
  }
  if (scope.AsArray().size() > kMaxScopesPerEntity) {
    return Status::BadRequestData("invalid scope", "too many scopes");
  }
  for (const Json& s : scope.AsArray()) {
    if (Status st = CheckOneScope(s); !st.ok()) return st;
  }
  return Status::OK();
}

}  // namespace dothi::domain
