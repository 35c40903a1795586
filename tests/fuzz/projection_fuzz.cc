// libFuzzer target: the pick/omit grammar (ParseProjection). Any input either is refused
// or parses into a projection whose text parses back to the same projection; a difference
// traps. Nothing may crash, hang or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/ngsi_ld/projection.h"

using namespace dothi::api::ngsi_ld;

namespace {

bool Same(const Projection& a, const Projection& b) {
  if (a.names != b.names || a.nested.size() != b.nested.size()) return false;
  for (std::size_t i = 0; i < a.nested.size(); ++i) {
    if (a.nested[i].index != b.nested[i].index ||
        !Same(a.nested[i].projection, b.nested[i].projection)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dothi::Result<Projection> p = ParseProjection(text, "pick");
  if (!p.ok()) return 0;
  const std::string again = ProjectionText(*p);
  dothi::Result<Projection> back = ParseProjection(again, "pick");
  if (!back.ok() || !Same(*p, *back)) __builtin_trap();
  return 0;
}
