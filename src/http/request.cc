#include "http/request.h"

#include <cctype>

namespace dothi::http {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes like PercentDecode but keeps a malformed escape as literal text.
std::string LenientDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

}  // namespace

const char* MethodName(Method m) {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kHead: return "HEAD";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kPatch: return "PATCH";
    case Method::kDelete: return "DELETE";
    case Method::kOptions: return "OPTIONS";
    case Method::kOther: return "OTHER";
  }
  return "OTHER";
}

// Methods are case-sensitive tokens (RFC 9110 9.1).
Method ParseMethod(std::string_view s) {
  if (s == "GET") return Method::kGet;
  if (s == "POST") return Method::kPost;
  if (s == "PATCH") return Method::kPatch;
  if (s == "PUT") return Method::kPut;
  if (s == "DELETE") return Method::kDelete;
  if (s == "HEAD") return Method::kHead;
  if (s == "OPTIONS") return Method::kOptions;
  return Method::kOther;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

const std::string* FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

void Request::Reset() {
  method = Method::kGet;
  target.clear();
  path.clear();
  query.clear();
  path_params.clear();
  path_split = false;  // path_segments keeps its strings for the next split to reuse
  route_lookup.reset();
  headers.clear();
  body.clear();
}

const std::string* Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string_view Request::PathParam(std::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return {};
}

Response& Response::SetHeader(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) {
      v = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string RedactedTarget(std::string_view target) {
  std::size_t q = target.find('?');
  std::string path(target.substr(0, q));
  if (const std::size_t t = path.find("/tokens/"); t != std::string::npos) {
    const std::size_t from = t + 8;
    std::size_t to = path.find_first_of("/.", from);
    if (to == std::string::npos) to = path.size();
    if (to > from) path.replace(from, to - from, "REDACTED");
  }
  if (q == std::string_view::npos) return path;
  std::string out = path + "?";
  std::string_view rest = target.substr(q + 1);
  bool first = true;
  while (true) {
    const std::size_t amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    const std::size_t eq = part.find('=');
    std::string name = LenientDecode(part.substr(0, eq), true);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!first) out += '&';
    first = false;
    const bool secret = name == "api_key" || name == "apikey" || name == "token" || name == "key" ||
                        name == "password" || name == "secret" || name == "access_token";
    if (secret && eq != std::string_view::npos) {
      out.append(part.substr(0, eq + 1)).append("REDACTED");
    } else {
      out.append(part);
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view qs) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!qs.empty()) {
    std::size_t amp = qs.find('&');
    std::string_view part = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (part.empty()) continue;  // "a=1&&b=2"
    std::size_t eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    out.emplace_back(LenientDecode(key, true), LenientDecode(value, true));
  }
  return out;
}

bool PercentDecode(std::string_view s, std::string& out, bool plus_is_space) {
  if (s.find('%') == std::string_view::npos &&
      (!plus_is_space || s.find('+') == std::string_view::npos)) {
    out.assign(s);  // nothing to decode: the common case for paths
    return true;
  }
  out.clear();
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return false;
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && c == '+') {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

std::string QueryStringWith(const Request& req,
                            std::initializer_list<std::pair<std::string_view, std::string>> set) {
  std::string out;
  auto add = [&](std::string_view k, std::string_view v) {
    out += out.empty() ? '?' : '&';
    out += PercentEncode(k);
    out += '=';
    out += PercentEncode(v);
  };
  for (const auto& [k, v] : req.query) {
    bool replaced = false;
    for (const auto& [sk, sv] : set) replaced = replaced || sk == k;
    if (!replaced) add(k, v);
  }
  for (const auto& [k, v] : set) {
    if (!v.empty()) add(k, v);
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    // RFC 3986 unreserved characters pass through; everything else is escaped.
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

}  // namespace dothi::http
