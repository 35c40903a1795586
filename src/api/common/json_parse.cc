#include "api/common/json_parse.h"

#include <simdjson.h>

#include <optional>
#include <string>

namespace dothi::api {
namespace {

Status Convert(simdjson::dom::element el, Json& out, std::size_t depth, std::size_t max_depth) {
  if (depth > max_depth) return Status::InvalidRequest("JSON nested too deeply");
  switch (el.type()) {
    case simdjson::dom::element_type::NULL_VALUE: out = Json(); break;
    case simdjson::dom::element_type::BOOL: out = Json(bool(el.get_bool().value_unsafe())); break;
    case simdjson::dom::element_type::INT64: out = Json(el.get_int64().value_unsafe()); break;
    case simdjson::dom::element_type::UINT64: out = Json(el.get_uint64().value_unsafe()); break;
    case simdjson::dom::element_type::DOUBLE: out = Json(el.get_double().value_unsafe()); break;
    case simdjson::dom::element_type::STRING:
      out = Json(std::string(el.get_string().value_unsafe()));
      break;
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array arr = el.get_array().value_unsafe();
      Json::Array a;
      a.reserve(arr.size());
      for (simdjson::dom::element child : arr) {
        a.emplace_back();
        DOTHI_RETURN_IF_ERROR(Convert(child, a.back(), depth + 1, max_depth));
      }
      out = Json(std::move(a));
      break;
    }
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object obj = el.get_object().value_unsafe();
      Json::Object o;
      o.reserve(obj.size());
      for (auto field : obj) {
        std::string key(field.key);
        // Duplicate keys: the last one wins, as most JSON readers do.
        bool replaced = false;
        for (auto& m : o) {
          if (m.first == key) {
            DOTHI_RETURN_IF_ERROR(Convert(field.value, m.second, depth + 1, max_depth));
            replaced = true;
            break;
          }
        }
        if (replaced) continue;
        o.emplace_back(std::move(key), Json());
        DOTHI_RETURN_IF_ERROR(Convert(field.value, o.back().second, depth + 1, max_depth));
      }
      out = Json(std::move(o));
      break;
    }
  }
  return Status::OK();
}

}  // namespace

Result<Json> ParseJson(std::string_view text, std::size_t max_depth) {
  // A parser allocates its buffers on first use: each thread keeps one for small documents
  // (the common request body), and large ones get their own, so no thread holds on to a
  // large buffer after a large body. This is a scratch buffer, not request state (STYLE
  // 2.8.8): nothing here suspends, and the parsed document is copied out before return.
  constexpr std::size_t kReusedCapacity = 64 * 1024;
  thread_local simdjson::dom::parser reused(kReusedCapacity);
  std::optional<simdjson::dom::parser> large;
  simdjson::dom::parser& parser = text.size() <= kReusedCapacity ? reused : large.emplace();
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  auto error = parser.parse(padded).get(root);
  if (error) {
    return Status::InvalidRequest("malformed JSON", simdjson::error_message(error));
  }
  Json out;
  DOTHI_RETURN_IF_ERROR(Convert(root, out, 0, max_depth));
  return out;
}

}  // namespace dothi::api
