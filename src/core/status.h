#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/error_code.h"

// Status is an ErrorCode with a message; ok() when the code is kOk. Expected failures
// travel as values (STYLE.md 2.4). The message is "msg: detail" when a detail is given.
namespace dothi {

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }
  static Status InvalidRequest(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kInvalidRequest, msg, detail);
  }
  static Status BadRequestData(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kBadRequestData, msg, detail);
  }
  static Status NotFound(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kNotFound, msg, detail);
  }
  static Status NonexistentTenant(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kNonexistentTenant, msg, detail);
  }
  static Status AlreadyExists(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kAlreadyExists, msg, detail);
  }
  static Status Conflict(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kConflict, msg, detail);
  }
  static Status Unsupported(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kUnsupported, msg, detail);
  }
  static Status MethodNotAllowed(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kMethodNotAllowed, msg, detail);
  }
  static Status TooManyResults(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kTooManyResults, msg, detail);
  }
  static Status PayloadTooLarge(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kPayloadTooLarge, msg, detail);
  }
  static Status NotAcceptable(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kNotAcceptable, msg, detail);
  }
  static Status UnsupportedMediaType(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kUnsupportedMediaType, msg, detail);
  }
  static Status LdContextNotAvailable(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kLdContextNotAvailable, msg, detail);
  }
  static Status InvalidContext(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kInvalidContext, msg, detail);
  }
  static Status Unauthorized(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kUnauthorized, msg, detail);
  }
  static Status Forbidden(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kForbidden, msg, detail);
  }
  static Status Unavailable(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kUnavailable, msg, detail);
  }
  static Status Internal(std::string_view msg, std::string_view detail = {}) {
    return Make(ErrorCode::kInternal, msg, detail);
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  static Status Make(ErrorCode code, std::string_view msg, std::string_view detail);

  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

}  // namespace dothi
