#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

// MediaStore keeps the photos of citizen reports and staff updates as named files. Names
// are made by the caller (random, with the type's extension) and never reused. Put is
// durable when it returns OK: the bytes survive kill -9. Safe from any thread.
namespace dothi::storage {

class MediaStore {
 public:
  virtual ~MediaStore() = default;
  virtual Status Put(std::string_view name, std::string_view bytes) = 0;
  // The bytes, or nullopt when there is no such file.
  virtual Result<std::optional<std::string>> Get(std::string_view name) const = 0;
  virtual Status Delete(std::string_view name) = 0;
};

}  // namespace dothi::storage
