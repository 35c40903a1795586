#pragma once

#include <string_view>

#include "core/json.h"
#include "core/result.h"

// ParseJson turns untrusted JSON text into a Json (simdjson underneath). Malformed text,
// nesting deeper than max_depth and invalid UTF-8 give kInvalidRequest with a message that
// says what was wrong. Thread-safe: each call uses its own parser.
namespace dothi::api {

inline constexpr std::size_t kDefaultMaxJsonDepth = 64;  // levels of arrays/objects

Result<Json> ParseJson(std::string_view text, std::size_t max_depth = kDefaultMaxJsonDepth);

}  // namespace dothi::api
