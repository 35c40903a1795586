// Fuzzes multipart/form-data parsing (Open311 uploads): the first line is the Content-Type
// value, the rest the body. Every part must be a view inside the body.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return 0;
  const std::string_view type = input.substr(0, eol);
  const std::string_view body = input.substr(eol + 1);
  auto boundary = dothi::http::MultipartBoundary(type);
  if (!boundary.ok()) return 0;
  auto parts = dothi::http::ParseMultipart(body, *boundary, 16);
  if (!parts.ok()) return 0;
  for (const auto& p : *parts) {
    if (p.name.empty() || p.data.data() < body.data() || p.data.data() + p.data.size() > body.data() + body.size()) {
      __builtin_trap();
    }
  }
  return 0;
}
