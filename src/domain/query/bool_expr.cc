#include "domain/query/bool_expr.h"

namespace dothi::domain {
namespace {

constexpr std::size_t kExcerptLength = 32;  // bytes of offending text quoted in errors

// Recursive descent over the boolean layer; terms are left to the caller's callback.
class BoolExprParser {
 public:
  BoolExprParser(std::string_view text, std::size_t& pos, const BoolExprSyntax& syntax,
                 const std::function<Status()>& parse_term)
      : s_(text), pos_(pos), syntax_(syntax), parse_term_(parse_term) {}

  Result<BoolExpr> Parse() {
    SkipSpace();
    if (pos_ >= s_.size()) return Status::BadRequestData(syntax_.error_kind, syntax_.empty_detail);
    std::uint32_t root = 0;
    if (Status st = ParseList(BoolNode::Kind::kOr, root); !st.ok()) return st;
    SkipSpace();
    if (pos_ < s_.size()) {
      return Error(s_[pos_] == ')' ? "unbalanced ')'" : "unexpected text", pos_);
    }
    expr_.root = root;
    return std::move(expr_);
  }

 private:
  Status Error(std::string_view reason, std::size_t at) const {
    return ParseErrorAt(syntax_.error_kind, s_, at, reason, syntax_.excerpt_ellipsis);
  }

  void SkipSpace() {
    while (pos_ < s_.size() && IsQuerySpace(s_[pos_])) ++pos_;
  }

  std::uint32_t Add(BoolNode n) {
    expr_.nodes.push_back(std::move(n));
    return static_cast<std::uint32_t>(expr_.nodes.size() - 1);
  }

  // Or (kind kOr) = And *(or_operator And); And (kind kAnd) = Primary *(";" Primary).
  // A single operand stands for itself.
  Status ParseList(BoolNode::Kind kind, std::uint32_t& out) {
    const bool is_or = kind == BoolNode::Kind::kOr;
    const std::string_view ops = is_or ? syntax_.or_operators : std::string_view(";");
    std::vector<std::uint32_t> kids;
    while (true) {
      std::uint32_t n = 0;
      Status st = is_or ? ParseList(BoolNode::Kind::kAnd, n) : ParsePrimary(n);
      if (!st.ok()) return st;
      kids.push_back(n);
      SkipSpace();
      if (pos_ >= s_.size() || ops.find(s_[pos_]) == std::string_view::npos) break;
      ++pos_;
    }
    out = kids.size() == 1 ? kids[0] : Add(BoolNode{kind, 0, std::move(kids)});
    return Status::OK();
  }

  Status ParsePrimary(std::uint32_t& out) {
    SkipSpace();
    if (pos_ >= s_.size()) return Error(syntax_.expected_term, pos_);
    if (s_[pos_] == '(') {
      const std::size_t open = pos_++;
      if (++depth_ > syntax_.max_depth) return Error("parentheses nested too deeply", open);
      if (Status st = ParseList(BoolNode::Kind::kOr, out); !st.ok()) return st;
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ')') return Error("unbalanced '('", open);
      ++pos_;
      --depth_;
      return Status::OK();
    }
    if (Status st = parse_term_(); !st.ok()) return st;
    out = Add(BoolNode{BoolNode::Kind::kLeaf, leaves_++, {}});
    return Status::OK();
  }

  std::string_view s_;
  std::size_t& pos_;
  const BoolExprSyntax& syntax_;
  const std::function<Status()>& parse_term_;
  int depth_ = 0;
  std::uint32_t leaves_ = 0;
  BoolExpr expr_;
};

}  // namespace

Status ParseErrorAt(std::string_view kind, std::string_view text, std::size_t position,
                    std::string_view reason, bool ellipsis) {
  std::string detail(reason);
  detail += " at position ";
  detail += std::to_string(position);
  if (position >= text.size()) {
    detail += " (end of text)";
  } else {
    detail += ": '";
    for (char c : text.substr(position, kExcerptLength)) {
      const auto u = static_cast<unsigned char>(c);
      detail += (u < 0x20 || u >= 0x7f) ? '?' : c;
    }
    if (ellipsis && position + kExcerptLength < text.size()) detail += "...";
    detail += "'";
  }
  return Status::BadRequestData(kind, detail);
}

Result<BoolExpr> ParseBoolExpr(std::string_view text, std::size_t& pos,
                               const BoolExprSyntax& syntax,
                               const std::function<Status()>& parse_term) {
  return BoolExprParser(text, pos, syntax, parse_term).Parse();
}

}  // namespace dothi::domain
