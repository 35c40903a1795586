#include "core/status.h"

namespace dothi {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidRequest: return "invalid_request";
    case ErrorCode::kBadRequestData: return "bad_request_data";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kNonexistentTenant: return "nonexistent_tenant";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case ErrorCode::kTooManyResults: return "too_many_results";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kNotAcceptable: return "not_acceptable";
    case ErrorCode::kUnsupportedMediaType: return "unsupported_media_type";
    case ErrorCode::kLdContextNotAvailable: return "ld_context_not_available";
    case ErrorCode::kInvalidContext: return "invalid_context";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

Status Status::Make(ErrorCode code, std::string_view msg, std::string_view detail) {
  std::string m(msg);
  if (!detail.empty()) {
    m += ": ";
    m += detail;
  }
  return Status(code, std::move(m));
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(ErrorCodeName(code_)) + ": " + message_;
}

}  // namespace dothi
