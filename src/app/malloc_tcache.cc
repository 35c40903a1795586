#include "app/malloc_tcache.h"

#include <string_view>

namespace dothi::app {

std::optional<std::string> TunablesToExecWith(int tcache, const char* tunables, bool executed,
                                              bool secure) {
  constexpr std::string_view kTunable = "glibc.malloc.tcache_count";
  if (tcache <= 0 || executed || secure) return std::nullopt;
  std::string value = tunables != nullptr ? tunables : "";
  if (value.find(kTunable) != std::string::npos) return std::nullopt;  // the user's own
  if (!value.empty()) value += ':';
  value += kTunable;
  value += '=';
  value += std::to_string(tcache);
  return value;
}

}  // namespace dothi::app
