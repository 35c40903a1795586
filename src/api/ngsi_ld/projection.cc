#include "api/ngsi_ld/projection.h"

#include <cctype>
#include <string>
#include <utility>

namespace dothi::api::ngsi_ld {

namespace {

// Characters of a term or an IRI (";", spaces, quotes and brackets are not among them).
bool IsNameChar(char ch) {
  const unsigned char c = static_cast<unsigned char>(ch);
  return std::isalnum(c) || c >= 0x80 || std::string_view("_:/.#-@~%?=&+").find(ch) != std::string_view::npos;
}

constexpr int kMaxProjectionDepth = 8;  // levels of "{...}" in a pick or omit

// list := item ("," item)* ; item := name ("{" list "}")?
class ProjectionParser {
 public:
  ProjectionParser(std::string_view text, std::string_view param) : text_(text), param_(param) {}

  Result<Projection> Parse() {
    Result<Projection> p = List(0);
    if (!p.ok()) return p;
    if (pos_ != text_.size()) return Bad("unbalanced '}'");
    return p;
  }

 private:
  Status Bad(std::string_view why) const {
    return Status::BadRequestData(
        "invalid " + std::string(param_) + ": " + std::string(why), std::string(text_));
  }
  Result<Projection> List(int depth) {
    if (depth > kMaxProjectionDepth) return Bad("nested too deeply");
    Projection out;
    for (;;) {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
      if (pos_ == start) return Bad(pos_ < text_.size() ? "unexpected character" : "empty name");
      std::string name(text_.substr(start, pos_ - start));
      if (pos_ < text_.size() && text_[pos_] == '{') {
        ++pos_;
        Result<Projection> inner = List(depth + 1);
        if (!inner.ok()) return inner;
        if (pos_ >= text_.size() || text_[pos_] != '}') return Bad("unbalanced '{'");
        ++pos_;
        out.nested.push_back(Projection::Nested{out.names.size(), std::move(*inner)});
      }
      out.names.push_back(std::move(name));
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      return out;
    }
  }

  std::string_view text_;
  std::string_view param_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<Projection> ParseProjection(std::string_view list, std::string_view param) {
  return ProjectionParser(list, param).Parse();
}

Result<std::vector<std::string>> ProjectionNames(std::string_view list, std::string_view param) {
  Result<Projection> p = ParseProjection(list, param);
  if (!p.ok()) return p.status();
  return std::move(p->names);
}

std::string ProjectionText(const Projection& p) {
  std::string out;
  std::size_t next = 0;  // the next entry of p.nested
  for (std::size_t i = 0; i < p.names.size(); ++i) {
    if (i > 0) out += ',';
    out += p.names[i];
    if (next < p.nested.size() && p.nested[next].index == i) {
      out += '{';
      out += ProjectionText(p.nested[next].projection);
      out += '}';
      ++next;
    }
  }
  return out;
}

}  // namespace dothi::api::ngsi_ld
