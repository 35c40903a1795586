// Fuzzes the photo check of Open311 uploads (untrusted bytes from the network): SanitizeImage
// must refuse or clean any input, and what it returns must come back unchanged from a second
// pass (nothing left to remove, still a valid image).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "domain/media/image_sanitizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto clean = dothi::domain::media::SanitizeImage(bytes);
  if (!clean.ok()) return 0;
  auto again = dothi::domain::media::SanitizeImage(clean->bytes);
  if (!again.ok() || again->bytes != clean->bytes || again->type != clean->type || again->width != clean->width ||
      again->height != clean->height) {
    __builtin_trap();
  }
  return 0;
}
