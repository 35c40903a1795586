#include "domain/query/q_query.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <optional>

#include "core/time.h"
#include "domain/query/bool_expr.h"
#include "domain/query/safe_regex.h"

namespace dothi::domain {

// A compiled "~=" pattern; shared between copies of a QQuery.
struct QPattern {
  SafeRegex re;
};

namespace {

constexpr std::string_view kErrorKind = "invalid q";
constexpr int kIncomparable = 2;              // Compare result for values of different kinds
constexpr std::int64_t kMicrosPerDay = 86400LL * 1000000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Attribute names: the spec's ALPHA / DIGIT / "_", plus what compact IRIs and UTF-8 names use.
bool IsNameChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == ':' || c == '/' || c == '#' ||
         static_cast<unsigned char>(c) >= 0x80;
}

QMember MemberFromName(std::string_view s) {
  if (s == attr::kObservedAt) return QMember::kObservedAt;
  if (s == attr::kCreatedAt) return QMember::kCreatedAt;
  if (s == attr::kModifiedAt) return QMember::kModifiedAt;
  if (s == attr::kUnitCode) return QMember::kUnitCode;
  if (s == attr::kDatasetId) return QMember::kDatasetId;
  return QMember::kNone;
}

std::string_view MemberName(QMember m) {
  switch (m) {
    case QMember::kObservedAt: return attr::kObservedAt;
    case QMember::kCreatedAt: return attr::kCreatedAt;
    case QMember::kModifiedAt: return attr::kModifiedAt;
    case QMember::kUnitCode: return attr::kUnitCode;
    case QMember::kDatasetId: return attr::kDatasetId;
    case QMember::kNone: break;
  }
  return {};
}

// Number = ["-"] 1*DIGIT ["." 1*DIGIT] [("e"/"E") ["+"/"-"] 1*DIGIT]
bool ParseNumber(std::string_view s, QValue& out) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  const std::size_t int_start = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i == int_start) return false;
  bool integral = true;
  if (i < s.size() && s[i] == '.') {
    integral = false;
    const std::size_t f = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == f) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    integral = false;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t e = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == e) return false;
  }
  if (i != s.size()) return false;
  out.kind = QValue::Kind::kNumber;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (integral) {
    std::int64_t v = 0;
    auto r = std::from_chars(b, e, v);
    if (r.ec == std::errc() && r.ptr == e) {
      out.is_int = true;
      out.i = v;
      out.d = static_cast<double>(v);
      return true;
    }
  }
  double d = 0;
  auto r = std::from_chars(b, e, d);
  if (r.ptr != e || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range)) return false;
  if (!std::isfinite(d)) return false;
  out.is_int = false;
  out.d = d;
  return true;
}

// Time = hh ":" mm [":" ss ["." 1*DIGIT]] ["Z"]; microseconds since midnight.
std::optional<std::int64_t> ParseTimeOfDay(std::string_view s) {
  auto two = [&](std::size_t p, int& v) {
    if (p + 2 > s.size() || !IsDigit(s[p]) || !IsDigit(s[p + 1])) return false;
    v = (s[p] - '0') * 10 + (s[p + 1] - '0');
    return true;
  };
  int h = 0, m = 0, sec = 0;
  if (!two(0, h) || s.size() < 5 || s[2] != ':' || !two(3, m)) return std::nullopt;
  std::size_t p = 5;
  std::int64_t frac = 0;
  if (p < s.size() && s[p] == ':') {
    if (!two(p + 1, sec)) return std::nullopt;
    p += 3;
    if (p < s.size() && s[p] == '.') {
      ++p;
      const std::size_t f = p;
      std::int64_t scale = 100000;
      while (p < s.size() && IsDigit(s[p])) {
        frac += (s[p] - '0') * scale;
        scale /= 10;
        ++p;
      }
      if (p == f) return std::nullopt;
    }
  }
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) ++p;
  if (p != s.size() || h > 23 || m > 59 || sec > 60) return std::nullopt;
  return (h * 3600LL + m * 60LL + sec) * 1000000 + frac;
}

// Unquoted values: number, boolean, date-time, date, time, or a URI.
bool ClassifyBare(std::string_view tok, QValue& out) {
  out.s = std::string(tok);
  if (ParseNumber(tok, out)) return true;
  if (tok == "true" || tok == "false") {
    out.kind = QValue::Kind::kBool;
    out.b = tok == "true";
    return true;
  }
  if (tok.size() >= 10 && IsDigit(tok[0])) {
    if (auto t = ParseIso8601(tok)) {
      out.kind = QValue::Kind::kDateTime;
      out.micros = t->micros;
      return true;
    }
  }
  if (auto t = ParseTimeOfDay(tok)) {
    out.kind = QValue::Kind::kTime;
    out.micros = *t;
    return true;
  }
  if (IsValidUri(tok)) {
    out.kind = QValue::Kind::kUri;
    return true;
  }
  return false;
}

bool IsComparable(const QValue& v) {
  return v.kind != QValue::Kind::kBool && v.kind != QValue::Kind::kUri;
}


const Json& Unwrap(const Json& v) {
  if (v.is_object()) {
    if (const Json* x = v.Find("@value")) return *x;
  }
  return v;
}

template <typename T>
int Sign(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// -1 / 0 / 1 comparing a target value with a literal; kIncomparable across kinds.
int Compare(const Json& raw, const QValue& q) {
  const Json& v = Unwrap(raw);
  switch (q.kind) {
    case QValue::Kind::kNumber: {
      if (!v.is_number()) return kIncomparable;
      if (v.is_int() && q.is_int) return Sign(v.AsInt(), q.i);
      const double a = v.AsDouble();
      if (std::isnan(a)) return kIncomparable;
      return Sign(a, q.d);
    }
    case QValue::Kind::kString:
    case QValue::Kind::kUri: {
      if (!v.is_string()) return kIncomparable;
      const int c = v.AsString().compare(q.s);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case QValue::Kind::kBool:
      if (!v.is_bool()) return kIncomparable;
      return Sign(v.AsBool(), q.b);
    case QValue::Kind::kDateTime: {
      if (!v.is_string()) return kIncomparable;
      const auto t = ParseIso8601(v.AsString());
      if (!t) return kIncomparable;
      return Sign(t->micros, q.micros);
    }
    case QValue::Kind::kTime: {
      if (!v.is_string()) return kIncomparable;
      std::optional<std::int64_t> t = ParseTimeOfDay(v.AsString());
      if (!t) {
        if (auto dt = ParseIso8601(v.AsString())) {
          t = ((dt->micros % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay;
        }
      }
      if (!t) return kIncomparable;
      return Sign(*t, q.micros);
    }
  }
  return kIncomparable;
}

bool PatternMatches(const Json& raw, const QTerm& t) {
  const Json& v = Unwrap(raw);
  if (!v.is_string() || t.pattern == nullptr) return false;
  const std::string& s = v.AsString();
  return t.pattern->re.Search(s, t.max_pattern_subject);
}

// The positive form of the term's operator on one scalar (or object) value.
bool ScalarMatches(const Json& v, const QTerm& t) {
  switch (t.op) {
    case QOp::kEqual:
    case QOp::kUnequal:
      if (t.is_range) {
        const int lo = Compare(v, t.values[0]);
        if (lo == kIncomparable || lo < 0) return false;
        const int hi = Compare(v, t.values[1]);
        return hi != kIncomparable && hi <= 0;
      }
      for (const QValue& q : t.values) {
        if (Compare(v, q) == 0) return true;
      }
      return false;
    case QOp::kGreater: return Compare(v, t.values[0]) == 1;
    case QOp::kGreaterEq: {
      const int c = Compare(v, t.values[0]);
      return c == 0 || c == 1;
    }
    case QOp::kLess: return Compare(v, t.values[0]) == -1;
    case QOp::kLessEq: {
      const int c = Compare(v, t.values[0]);
      return c == 0 || c == -1;
    }
    case QOp::kPattern:
    case QOp::kNotPattern: return PatternMatches(v, t);
    case QOp::kExists:
    case QOp::kNotExists: return true;
  }
  return false;
}

// Arrays match when any element does.
bool AnyMatches(const Json& v, const QTerm& t) {
  if (v.is_array()) {
    for (const Json& x : v.AsArray()) {
      if (ScalarMatches(x, t)) return true;
    }
    return false;
  }
  return ScalarMatches(v, t);
}

// True when a string the pattern would look at exceeds the subject limit.
bool HasOversizedString(const Json& target, bool language_map, std::size_t max) {
  auto check = [max](const Json& raw) {
    auto one = [max](const Json& x) {
      const Json& v = Unwrap(x);
      return v.is_string() && v.AsString().size() > max;
    };
    if (!raw.is_array()) return one(raw);
    for (const Json& x : raw.AsArray()) {
      if (one(x)) return true;
    }
    return false;
  };
  if (!language_map) return check(target);
  if (!target.is_object()) return false;
  for (const auto& [lang, text] : target.AsObject()) {
    if (check(text)) return true;
  }
  return false;
}

bool ValueMatches(const Json& target, bool language_map, const QTerm& t) {
  // Neither "~=" nor "!~=" holds for a string too long to test.
  if (t.op == QOp::kNotPattern &&
      HasOversizedString(target, language_map, t.max_pattern_subject)) {
    return false;
  }
  bool positive = false;
  if (language_map) {
    if (target.is_object()) {
      for (const auto& [lang, text] : target.AsObject()) {
        if (AnyMatches(text, t)) {
          positive = true;
          break;
        }
      }
    }
  } else {
    positive = AnyMatches(target, t);
  }
  return (t.op == QOp::kUnequal || t.op == QOp::kNotPattern) ? !positive : positive;
}

// What the term looks at inside one attribute instance, or nullptr when it is absent.
const Json* Target(const Json& instance, const QTerm& t, bool existence, bool& language_map) {
  const Json* node = &instance;
  for (const QName& s : t.subs) {
    node = node->Find(s.iri);
    if (node == nullptr || !node->is_object()) return nullptr;
  }
  if (t.member != QMember::kNone) {
    if (!t.keys.empty()) return nullptr;
    return node->Find(MemberName(t.member));
  }
  if (existence && t.keys.empty()) return node;
  const Json* type = node->Find(attr::kType);
  const std::string_view type_name =
      type != nullptr && type->is_string() ? std::string_view(type->AsString()) : attr::kProperty;
  const Json* v = node->Find(attr::ValueMemberFor(type_name));
  if (v == nullptr) return nullptr;
  std::size_t k = 0;
  if (type_name == attr::kLanguageProperty) {
    if (t.keys.empty()) {
      language_map = true;
      return v;
    }
    v = v->Find(t.keys[0]);  // a[en] picks one language
    k = 1;
  }
  for (; v != nullptr && k < t.keys.size(); ++k) v = Unwrap(*v).Find(t.keys[k]);
  return v;
}

bool TermMatches(const QTerm& t, const Entity& e) {
  const bool existence = t.op == QOp::kExists || t.op == QOp::kNotExists;
  bool found = false;
  if (const Json::Array* instances = e.FindAttr(t.attr.iri)) {
    for (const Json& inst : *instances) {
      if (!inst.is_object()) continue;
      bool language_map = false;
      const Json* target = Target(inst, t, existence, language_map);
      if (target == nullptr) continue;
      if (existence) {
        found = true;
        break;
      }
      if (ValueMatches(*target, language_map, t)) return true;
    }
  }
  if (t.op == QOp::kExists) return found;
  if (t.op == QOp::kNotExists) return !found;
  return false;
}

}  // namespace

// The boolean layer is ParseBoolExpr's, with "|" as OR ("," separates values); a term is
// an attribute test.
class QParser {
 public:
  QParser(std::string_view text, const QLimits& limits) : s_(text), limits_(limits) {}

  Result<QQuery> Parse() {
    if (s_.size() > limits_.max_length) {
      return Status::BadRequestData(kErrorKind, "longer than " +
                                                    std::to_string(limits_.max_length) +
                                                    " bytes");
    }
    q_.text_ = std::string(s_);
    const BoolExprSyntax syntax{.error_kind = kErrorKind,
                                .or_operators = "|",
                                .empty_detail = "empty query",
                                .expected_term = "expected a query term",
                                .max_depth = limits_.max_depth,
                                .excerpt_ellipsis = true};
    Result<BoolExpr> expr = ParseBoolExpr(s_, pos_, syntax, [this] { return ParseLeaf(); });
    if (!expr.ok()) return expr.status();
    q_.nodes_ = ToQueryNodes<QNode>(std::move(expr->nodes), QNode::Kind::kTerm);
    q_.root_ = expr->root;
    return std::move(q_);
  }

 private:
  Status Error(std::string_view reason, std::size_t at) const {
    return ParseErrorAt(kErrorKind, s_, at, reason, /*ellipsis=*/true);
  }

  void SkipSpace() {
    while (pos_ < s_.size() && IsQuerySpace(s_[pos_])) ++pos_;
  }
  bool At(std::string_view tok) const { return s_.substr(pos_, tok.size()) == tok; }

  Status ParseLeaf() {
    if (q_.terms_.size() >= limits_.max_terms) {
      return Error("more than " + std::to_string(limits_.max_terms) + " query terms", pos_);
    }
    QTerm term;
    if (Status st = ParseTerm(term); !st.ok()) return st;
    q_.terms_.push_back(std::move(term));
    return Status::OK();
  }

  std::string_view ReadName() {
    const std::size_t b = pos_;
    while (pos_ < s_.size() && IsNameChar(s_[pos_])) ++pos_;
    return s_.substr(b, pos_ - b);
  }

  Status ParseTerm(QTerm& t) {
    const std::size_t start = pos_;
    t.position = start;
    bool negated = false;
    if (s_[pos_] == '!') {
      negated = true;
      ++pos_;
    }
    const std::size_t name_pos = pos_;
    const std::string_view name = ReadName();
    if (name.empty()) return Error("expected an attribute name", name_pos);
    t.attr = QName{std::string(name), std::string(name)};
    while (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      const std::size_t seg_pos = pos_;
      const std::string_view seg = ReadName();
      if (seg.empty()) return Error("expected a sub-attribute name after '.'", seg_pos);
      t.subs.push_back(QName{std::string(seg), std::string(seg)});
    }
    if (!t.subs.empty()) {
      t.member = MemberFromName(t.subs.back().text);
      if (t.member != QMember::kNone) t.subs.pop_back();
    }
    while (pos_ < s_.size() && s_[pos_] == '[') {
      const std::size_t open = pos_++;
      const std::size_t b = pos_;
      while (pos_ < s_.size() && s_[pos_] != ']' && s_[pos_] != '[') ++pos_;
      if (pos_ >= s_.size() || s_[pos_] != ']') return Error("unbalanced '['", open);
      if (pos_ == b) return Error("empty '[]'", open);
      t.keys.emplace_back(s_.substr(b, pos_ - b));
      ++pos_;
    }
    if (t.member != QMember::kNone && !t.keys.empty()) {
      return Error("'[' cannot follow a special member", name_pos);
    }
    SkipSpace();
    const std::size_t op_pos = pos_;
    static constexpr struct {
      std::string_view text;
      QOp op;
    } kOps[] = {{"==", QOp::kEqual},     {"!~=", QOp::kNotPattern}, {"!=", QOp::kUnequal},
                {">=", QOp::kGreaterEq}, {">", QOp::kGreater},      {"<=", QOp::kLessEq},
                {"<", QOp::kLess},       {"~=", QOp::kPattern}};
    bool has_op = false;
    for (const auto& o : kOps) {
      if (At(o.text)) {
        t.op = o.op;
        pos_ += o.text.size();
        has_op = true;
        break;
      }
    }
    if (!has_op) {
      if (pos_ < s_.size() && s_[pos_] == '=') return Error("unknown operator", op_pos);
      t.op = negated ? QOp::kNotExists : QOp::kExists;
    } else {
      if (negated) return Error("'!' only applies to a bare attribute", start);
      Status st = (t.op == QOp::kPattern || t.op == QOp::kNotPattern) ? ParsePattern(t)
                                                                      : ParseValues(t, op_pos);
      if (!st.ok()) return st;
    }
    std::size_t end = pos_;
    while (end > start && IsQuerySpace(s_[end - 1])) --end;
    t.text = std::string(s_.substr(start, end - start));
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] != ';' && s_[pos_] != '|' && s_[pos_] != ')') {
      return Error(has_op ? "unexpected text after value" : "expected an operator", pos_);
    }
    return Status::OK();
  }

  Status ParseOneValue(QValue& v) {
    SkipSpace();
    const std::size_t b = pos_;
    if (pos_ < s_.size() && s_[pos_] == '"') {
      ++pos_;
      std::string out;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        char c = s_[pos_++];
        if (c == '\\') {
          if (pos_ >= s_.size()) break;
          c = s_[pos_++];
          if (c == 'n') c = '\n';
          if (c == 't') c = '\t';
        }
        out += c;
      }
      if (pos_ >= s_.size()) return Error("unterminated string", b);
      ++pos_;
      v.kind = QValue::Kind::kString;
      v.s = std::move(out);
      return Status::OK();
    }
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ';' || c == '|' || c == ')' || c == ',' || c == '"' || IsQuerySpace(c)) break;
      if (c == '.' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '.') break;
      ++pos_;
    }
    if (pos_ == b) return Error("expected a value", b);
    if (!ClassifyBare(s_.substr(b, pos_ - b), v)) {
      return Error("invalid value (strings must be quoted)", b);
    }
    return Status::OK();
  }

  Status ParseValues(QTerm& t, std::size_t op_pos) {
    const bool equality = t.op == QOp::kEqual || t.op == QOp::kUnequal;
    const std::size_t first_pos = pos_;
    QValue first;
    if (Status st = ParseOneValue(first); !st.ok()) return st;
    t.values.push_back(std::move(first));
    if (At("..")) {
      if (!equality) return Error("a range needs '==' or '!='", op_pos);
      pos_ += 2;
      QValue second;
      const std::size_t second_pos = pos_;
      if (Status st = ParseOneValue(second); !st.ok()) return st;
      if (!IsComparable(t.values[0]) || !IsComparable(second)) {
        return Error("range bounds must be numbers, strings, dates or times", first_pos);
      }
      if (second.kind != t.values[0].kind) {
        return Error("range bounds are of different kinds", second_pos);
      }
      t.values.push_back(std::move(second));
      t.is_range = true;
      if (pos_ < s_.size() && s_[pos_] == ',') return Error("a range cannot be in a list", pos_);
      return Status::OK();
    }
    while (pos_ < s_.size() && s_[pos_] == ',') {
      if (!equality) return Error("a value list needs '==' or '!='", op_pos);
      ++pos_;
      QValue next;
      if (Status st = ParseOneValue(next); !st.ok()) return st;
      if (At("..")) return Error("a range cannot be in a list", pos_);
      t.values.push_back(std::move(next));
    }
    if (!equality && !IsComparable(t.values[0])) {
      return Error("ordering needs a number, string, date or time", first_pos);
    }
    return Status::OK();
  }

  Status ParsePattern(QTerm& t) {
    const std::size_t b = pos_;
    std::string pattern;
    if (pos_ < s_.size() && s_[pos_] == '"') {
      QValue v;
      if (Status st = ParseOneValue(v); !st.ok()) return st;
      pattern = std::move(v.s);
    } else {
      // Unquoted: up to ';', '|' or ')' outside the pattern's own groups and classes.
      int depth = 0;
      bool in_class = false;
      while (pos_ < s_.size()) {
        const char c = s_[pos_];
        if (c == '\\') {
          pos_ = std::min(pos_ + 2, s_.size());
          continue;
        }
        if (in_class) {
          if (c == ']') in_class = false;
        } else if (c == '[') {
          in_class = true;
        } else if (c == '(') {
          ++depth;
        } else if (c == ')') {
          if (depth == 0) break;
          --depth;
        } else if ((c == ';' || c == '|') && depth == 0) {
          break;
        }
        ++pos_;
      }
      pattern = std::string(s_.substr(b, pos_ - b));
    }
    if (pattern.empty()) return Error("expected a regular expression", b);
    if (pattern.size() > limits_.max_pattern_length) {
      return Error("regular expression longer than " +
                       std::to_string(limits_.max_pattern_length) + " bytes",
                   b);
    }
    Result<SafeRegex> re = SafeRegex::Compile(pattern);
    if (!re.ok()) return Error(re.status().message(), b);  // the reason alone
    auto compiled = std::make_shared<QPattern>(QPattern{std::move(*re)});
    QValue text;
    text.kind = QValue::Kind::kString;
    text.s = std::move(pattern);
    t.values.push_back(std::move(text));
    t.pattern = std::move(compiled);
    t.max_pattern_subject = limits_.max_pattern_subject;
    return Status::OK();
  }

  std::string_view s_;
  const QLimits& limits_;
  std::size_t pos_ = 0;
  QQuery q_;
};

Result<QQuery> ParseQ(std::string_view text, const QLimits& limits) {
  return QParser(text, limits).Parse();
}

Status QQuery::Resolve(const std::function<std::string(std::string_view)>& expand) {
  for (QTerm& t : terms_) {
    std::string iri = expand(t.attr.text);
    if (iri.empty()) return Status::BadRequestData("cannot expand attribute name", t.attr.text);
    t.attr.iri = std::move(iri);
    for (QName& s : t.subs) {
      std::string sub = expand(s.text);
      if (sub.empty()) return Status::BadRequestData("cannot expand attribute name", s.text);
      s.iri = std::move(sub);
    }
  }
  return Status::OK();
}

bool QQuery::EvalNode(std::uint32_t n, const Entity& e) const {
  return EvalBoolNode(nodes_, n,
                      [&](const QNode& leaf) { return TermMatches(terms_[leaf.term], e); });
}

bool QQuery::Matches(const Entity& e) const {
  if (nodes_.empty()) return true;  // a default-constructed query filters nothing out
  return EvalNode(root_, e);
}

std::vector<std::string> QQuery::AttributeIris() const {
  std::vector<std::string> out;
  for (const QTerm& t : terms_) {
    bool seen = false;
    for (const auto& s : out) seen = seen || s == t.attr.iri;
    if (!seen) out.push_back(t.attr.iri);
  }
  return out;
}

std::string QQuery::DebugString() const {
  return BoolTreeDebugString(nodes_, root_, [this](const QNode& leaf) -> const std::string& {
    return terms_[leaf.term].text;
  });
}

}  // namespace dothi::domain
