#include "domain/query/scope_query.h"

namespace dothi::domain {
namespace {

constexpr std::size_t kMaxScopeQueryLength = 4096;  // bytes
constexpr int kMaxScopeQueryDepth = 32;             // parenthesis nesting
constexpr std::size_t kMaxScopeTerms = 256;         // terms in one scopeQ
constexpr std::size_t kMaxScopeLength = 1024;       // bytes of one entity scope string
constexpr std::size_t kMaxScopesPerEntity = 100;    // scope strings on one entity
constexpr std::size_t kExcerptLength = 32;          // bytes quoted in errors

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

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

// Recursive descent: Or = And *(("|" / ",") And); And = Primary *(";" Primary);
// Primary = "(" Or ")" / Term; Term = "/#" / 1*("/" Level) ["/#"], Level = "+" / 1*char.
class ScopeQueryParser {
 public:
  explicit ScopeQueryParser(std::string_view s) : s_(s) {}

  Result<ScopeQuery> Parse() {
    if (s_.size() > kMaxScopeQueryLength) {
      return Status::BadRequestData("invalid scopeQ", "too long");
    }
    SkipSpace();
    if (pos_ >= s_.size()) return Status::BadRequestData("invalid scopeQ", "empty");
    std::uint32_t root = 0;
    if (Status st = ParseOr(root); !st.ok()) return st;
    SkipSpace();
    if (pos_ < s_.size()) {
      return Error(s_[pos_] == ')' ? "unbalanced ')'" : "unexpected text", pos_);
    }
    q_.root_ = root;
    return std::move(q_);
  }

 private:
  using Node = ScopeQuery::Node;

  Status Error(std::string_view reason, std::size_t at) const {
    std::string d(reason);
    d += " at position " + std::to_string(at);
    if (at >= s_.size()) {
      d += " (end of text)";
    } else {
      d += ": '";
      for (char c : s_.substr(at, kExcerptLength)) {
        const auto u = static_cast<unsigned char>(c);
        d += (u < 0x20 || u >= 0x7f) ? '?' : c;
      }
      d += "'";
    }
    return Status::BadRequestData("invalid scopeQ", d);
  }

  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }

  std::uint32_t Add(Node n) {
    q_.nodes_.push_back(std::move(n));
    return static_cast<std::uint32_t>(q_.nodes_.size() - 1);
  }

  Status ParseOr(std::uint32_t& out) {
    std::vector<std::uint32_t> kids;
    while (true) {
      std::uint32_t n = 0;
      if (Status st = ParseAnd(n); !st.ok()) return st;
      kids.push_back(n);
      SkipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '|' && s_[pos_] != ',')) break;
      ++pos_;
    }
    out = kids.size() == 1 ? kids[0] : Add(Node{Node::Kind::kOr, 0, std::move(kids)});
    return Status::OK();
  }

  Status ParseAnd(std::uint32_t& out) {
    std::vector<std::uint32_t> kids;
    while (true) {
      std::uint32_t n = 0;
      if (Status st = ParsePrimary(n); !st.ok()) return st;
      kids.push_back(n);
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ';') break;
      ++pos_;
    }
    out = kids.size() == 1 ? kids[0] : Add(Node{Node::Kind::kAnd, 0, std::move(kids)});
    return Status::OK();
  }

  Status ParsePrimary(std::uint32_t& out) {
    SkipSpace();
    if (pos_ >= s_.size()) return Error("expected a scope", pos_);
    if (s_[pos_] == '(') {
      const std::size_t open = pos_++;
      if (++depth_ > kMaxScopeQueryDepth) return Error("parentheses nested too deeply", open);
      if (Status st = ParseOr(out); !st.ok()) return st;
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ')') return Error("unbalanced '('", open);
      ++pos_;
      --depth_;
      return Status::OK();
    }
    if (q_.patterns_.size() >= kMaxScopeTerms) return Error("too many scope terms", pos_);
    ScopeQuery::Pattern p;
    if (Status st = ParsePattern(p); !st.ok()) return st;
    q_.patterns_.push_back(std::move(p));
    out = Add(Node{Node::Kind::kPattern, static_cast<std::uint32_t>(q_.patterns_.size() - 1),
                   {}});
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
  int depth_ = 0;
  ScopeQuery q_;
};

Result<ScopeQuery> ParseScopeQuery(std::string_view text) {
  return ScopeQueryParser(text).Parse();
}

bool ScopeQuery::EvalNode(std::uint32_t n, const Json& scope) const {
  const Node& node = nodes_[n];
  switch (node.kind) {
    case Node::Kind::kPattern: return AnyScopeMatches(scope, patterns_[node.pattern]);
    case Node::Kind::kAnd:
      for (std::uint32_t c : node.children) {
        if (!EvalNode(c, scope)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (std::uint32_t c : node.children) {
        if (EvalNode(c, scope)) return true;
      }
      return false;
  }
  return false;
}

bool ScopeQuery::Matches(const Json& entity_scope) const {
  if (nodes_.empty()) return true;  // default-constructed: no scopeQ, no filtering
  if (entity_scope.is_null()) return false;
  return EvalNode(root_, entity_scope);
}

std::string ScopeQuery::DebugString() const {
  if (nodes_.empty()) return {};
  std::string out;
  auto emit = [&](auto&& self, std::uint32_t n) -> void {
    const Node& node = nodes_[n];
    if (node.kind == Node::Kind::kPattern) {
      out += patterns_[node.pattern].text;
      return;
    }
    out += '(';
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      if (i > 0) out += node.kind == Node::Kind::kAnd ? ';' : '|';
      self(self, node.children[i]);
    }
    out += ')';
  };
  emit(emit, root_);
  return out;
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
