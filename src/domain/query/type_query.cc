#include "domain/query/type_query.h"

namespace dothi::domain {
namespace {

constexpr std::size_t kMaxTypeQueryLength = 4096;  // bytes
constexpr int kMaxTypeQueryDepth = 32;             // parenthesis nesting
constexpr std::size_t kMaxTypeNames = 256;         // names in one expression
constexpr std::size_t kExcerptLength = 32;         // bytes quoted in errors

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsSeparator(char c) {
  return c == ',' || c == ';' || c == '|' || c == '(' || c == ')' || IsSpace(c);
}

}  // namespace

// Recursive descent: Or = And *(("|" / ",") And); And = Primary *(";" Primary);
// Primary = "(" Or ")" / Name.
class TypeQueryParser {
 public:
  explicit TypeQueryParser(std::string_view s) : s_(s) {}

  Result<TypeQuery> Parse() {
    if (s_.size() > kMaxTypeQueryLength) {
      return Status::BadRequestData("invalid type selection", "too long");
    }
    SkipSpace();
    if (pos_ >= s_.size()) return Status::BadRequestData("invalid type selection", "empty");
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
  using Node = TypeQuery::Node;

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
    return Status::BadRequestData("invalid type selection", d);
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
    if (pos_ >= s_.size()) return Error("expected a type name", pos_);
    if (s_[pos_] == '(') {
      const std::size_t open = pos_++;
      if (++depth_ > kMaxTypeQueryDepth) return Error("parentheses nested too deeply", open);
      if (Status st = ParseOr(out); !st.ok()) return st;
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ')') return Error("unbalanced '('", open);
      ++pos_;
      --depth_;
      return Status::OK();
    }
    const std::size_t b = pos_;
    while (pos_ < s_.size() && !IsSeparator(s_[pos_])) ++pos_;
    if (pos_ == b) return Error("expected a type name", b);
    if (q_.names_.size() >= kMaxTypeNames) return Error("too many type names", b);
    const std::string name(s_.substr(b, pos_ - b));
    q_.names_.push_back(TypeQuery::Name{name, name});
    out = Add(Node{Node::Kind::kName, static_cast<std::uint32_t>(q_.names_.size() - 1), {}});
    return Status::OK();
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  int depth_ = 0;
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
  const Node& node = nodes_[n];
  switch (node.kind) {
    case Node::Kind::kName:
      for (const std::string& t : types) {
        if (t == names_[node.name].iri) return true;
      }
      return false;
    case Node::Kind::kAnd:
      for (std::uint32_t c : node.children) {
        if (!EvalNode(c, types)) return false;
      }
      return true;
    case Node::Kind::kOr:
      for (std::uint32_t c : node.children) {
        if (EvalNode(c, types)) return true;
      }
      return false;
  }
  return false;
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
  if (nodes_.empty()) return {};
  std::string out;
  auto emit = [&](auto&& self, std::uint32_t n) -> void {
    const Node& node = nodes_[n];
    if (node.kind == Node::Kind::kName) {
      out += names_[node.name].text;
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

}  // namespace dothi::domain
