#pragma once

#include <utility>
#include <variant>

#include "core/check.h"
#include "core/status.h"

// Result<T> holds a T or a non-OK Status (std::expected is C++23).
namespace dothi {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    DOTHI_DCHECK(!std::get<Status>(v_).ok());  // an OK Status carries no value
  }

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace dothi

// Returns the Status from the enclosing function when it is not OK.
#define DOTHI_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::dothi::Status dothi_s_ = (expr);           \
    if (!dothi_s_.ok()) return dothi_s_;         \
  } while (0)
