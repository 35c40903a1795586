#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

// multipart/form-data (RFC 7578 over RFC 2046's multipart syntax): the boundary from a
// Content-Type value, and the parts of a body. Parts are views into the body, which must
// outlive them. Untrusted input: every malformed body is an InvalidRequest, never a crash
// (fuzz target tests/fuzz/multipart_fuzz.cc).
namespace dothi::http {

struct MultipartPart {
  std::string name;                     // the form field (Content-Disposition name)
  std::optional<std::string> filename;  // set for a file
  std::string content_type;             // the part's Content-Type, "" when absent
  std::string_view data;
};

// The boundary of "multipart/form-data; boundary=XYZ" (quoted or not). Errors:
// UnsupportedMediaType when the type is not multipart/form-data, InvalidRequest when the
// boundary is missing or not 1-70 characters.
Result<std::string> MultipartBoundary(std::string_view content_type);

// Errors: InvalidRequest for a body without the opening or closing delimiter, a part
// without headers or without a form-data Content-Disposition name, headers over 8 KiB, or
// more than max_parts parts.
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                                  std::size_t max_parts = 64);

}  // namespace dothi::http
