#include "http/multipart.h"

#include "http/request.h"

namespace dothi::http {
namespace {

constexpr std::size_t kMaxHeaderBytes = 8 << 10;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parameters of a header value after its first ';': name=value or name="quoted value".
// Returns false on an unterminated quote.
bool Params(std::string_view v, std::vector<std::pair<std::string, std::string>>& out) {
  std::size_t i = v.find(';');
  while (i != std::string_view::npos && i < v.size()) {
    ++i;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    const std::size_t eq = v.find('=', i);
    if (eq == std::string_view::npos) return true;
    std::string name(Trim(v.substr(i, eq - i)));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t j = eq + 1;
    while (j < v.size() && (v[j] == ' ' || v[j] == '\t')) ++j;
    std::string value;
    if (j < v.size() && v[j] == '"') {
      ++j;
      bool closed = false;
      for (; j < v.size(); ++j) {
        if (v[j] == '\\' && j + 1 < v.size()) {
          value += v[++j];
        } else if (v[j] == '"') {
          closed = true;
          ++j;
          break;
        } else {
          value += v[j];
        }
      }
      if (!closed) return false;
      i = v.find(';', j);
    } else {
      const std::size_t end = v.find(';', j);
      value = std::string(Trim(v.substr(j, end == std::string_view::npos ? std::string_view::npos : end - j)));
      i = end;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

}  // namespace

Result<std::string> MultipartBoundary(std::string_view content_type) {
  const std::string_view type = Trim(content_type.substr(0, content_type.find(';')));
  if (!EqualsIgnoreCase(type, "multipart/form-data")) {
    return Status::UnsupportedMediaType("not multipart/form-data", content_type);
  }
  std::vector<std::pair<std::string, std::string>> params;
  if (!Params(content_type, params)) return Status::InvalidRequest("malformed Content-Type parameters");
  for (const auto& [k, v] : params) {
    if (k != "boundary") continue;
    if (v.empty() || v.size() > 70) return Status::InvalidRequest("multipart boundary must have 1 to 70 characters");
    return v;
  }
  return Status::InvalidRequest("multipart/form-data without a boundary");
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                                  std::size_t max_parts) {
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next = "\r\n" + delimiter;
  std::size_t pos;
  if (body.substr(0, delimiter.size()) == delimiter) {
    pos = delimiter.size();
  } else {
    pos = body.find(next);
    if (pos == std::string_view::npos) return Status::InvalidRequest("multipart body without its opening boundary");
    pos += next.size();
  }
  std::vector<MultipartPart> parts;
  for (;;) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;  // transport padding
    if (body.substr(pos, 2) != "\r\n") return Status::InvalidRequest("malformed multipart boundary line");
    pos += 2;
    const std::size_t header_end = body.find("\r\n\r\n", pos);
    const bool no_headers = body.substr(pos, 2) == "\r\n";
    if (no_headers || header_end == std::string_view::npos) {
      return Status::InvalidRequest("multipart part without headers");
    }
    if (header_end - pos > kMaxHeaderBytes) return Status::InvalidRequest("multipart part headers too long");
    if (parts.size() >= max_parts) return Status::InvalidRequest("too many multipart parts");
    MultipartPart part;
    bool form_data = false;
    std::string_view headers = body.substr(pos, header_end - pos);
    while (!headers.empty()) {
      const std::size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return Status::InvalidRequest("malformed multipart part header");
      const std::string_view name = Trim(line.substr(0, colon));
      const std::string_view value = Trim(line.substr(colon + 1));
      if (EqualsIgnoreCase(name, "Content-Disposition")) {
        if (!EqualsIgnoreCase(Trim(value.substr(0, value.find(';'))), "form-data")) {
          return Status::InvalidRequest("multipart part is not form-data");
        }
        std::vector<std::pair<std::string, std::string>> params;
        if (!Params(value, params)) return Status::InvalidRequest("malformed Content-Disposition");
        for (auto& [k, v] : params) {
          if (k == "name") {
            part.name = std::move(v);
            form_data = true;
          } else if (k == "filename") {
            part.filename = std::move(v);
          }
        }
      } else if (EqualsIgnoreCase(name, "Content-Type")) {
        part.content_type = std::string(value);
      }
    }
    if (!form_data || part.name.empty()) return Status::InvalidRequest("multipart part without a form-data name");
    const std::size_t data_start = header_end + 4;
    const std::size_t data_end = body.find(next, data_start);
    if (data_end == std::string_view::npos) return Status::InvalidRequest("multipart body without its closing boundary");
    part.data = body.substr(data_start, data_end - data_start);
    parts.push_back(std::move(part));
    pos = data_end + next.size();
  }
}

}  // namespace dothi::http
