// libFuzzer target: NGSI-LD entity payload decoding. The input is parsed as JSON and
// decoded as an entity (create and fragment modes) and as one attribute, then rendered in
// every representation: none of it may crash, hang or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/common/json_parse.h"
#include "api/ngsi_ld/entity_codec.h"
#include "api/ngsi_ld/ld_context.h"

using namespace dothi;
using namespace dothi::api::ngsi_ld;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<Json> json = api::ParseJson(text);
  if (!json.ok()) return 0;
  const LdContext& context = *LdContext::Core();
  DecodeLimits limits;
  limits.geometry.max_vertices = 1000;
  for (DecodeMode mode : {DecodeMode::kCreate, DecodeMode::kFragment}) {
    Result<domain::Entity> e = DecodeEntity(*json, context, mode, limits);
    if (!e.ok()) continue;
    for (Format f : {Format::kNormalized, Format::kConcise, Format::kKeyValues}) {
      RenderOptions o;
      o.format = f;
      o.sys_attrs = true;
      o.lang = "vi,en";
      (void)RenderEntity(*e, context, o).Dump();
      (void)RenderFeature(*e, context, o, domain::kLocationIri).Dump();
    }
    std::string bytes = e->Encode();
    (void)domain::Entity::Decode(bytes);
  }
  (void)DecodeAttribute("attr", *json, context, limits, true);
  return 0;
}
