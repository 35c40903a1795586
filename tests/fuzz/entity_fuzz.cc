// libFuzzer target: NGSI-LD entity payload decoding. The input is parsed as JSON and
// decoded as an entity (create and fragment modes) and as one attribute, then rendered in
// every representation: none of it may crash, hang or trip a sanitizer. The stored form
// must round-trip, and rewriting attributes through EncodedEntity must give the same bytes
// as rewriting the decoded entity (the attribute-update fast path); a difference traps.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/common/json_parse.h"
#include "api/ngsi_ld/entity_codec.h"
#include "api/ngsi_ld/ld_context.h"
#include "domain/entity.h"

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
    Result<domain::Entity> back = domain::Entity::Decode(bytes);
    if (!back.ok() || back->Encode() != bytes) __builtin_trap();
    // Every attribute rewritten with its own instances, plus one new attribute.
    Result<domain::EncodedEntity> enc = domain::EncodedEntity::Open(bytes);
    if (!enc.ok()) __builtin_trap();
    domain::Entity edited = *back;
    for (const auto& [iri, arr] : back->attrs.AsObject()) {
      Result<std::optional<Json>> got = enc->Attr(iri);
      if (!got.ok() || !got->has_value() || !(**got == arr)) __builtin_trap();
      if (!enc->SetAttr(iri, arr).ok()) __builtin_trap();
    }
    if (!enc->SetAttr("https://example.org/fuzz", *json).ok()) __builtin_trap();
    edited.attrs.Set("https://example.org/fuzz", *json);
    enc->SetModifiedAt(Timestamp{123456789});
    edited.modified_at = Timestamp{123456789};
    if (enc->Encode() != edited.Encode()) __builtin_trap();
    // Only the first attribute changed: the ones after it are copied without being walked.
    if (!back->attrs.AsObject().empty()) {
      Result<domain::EncodedEntity> first = domain::EncodedEntity::Open(bytes);
      if (!first.ok()) __builtin_trap();
      const auto& [iri, arr] = back->attrs.AsObject().front();
      if (!first->SetAttr(iri, *json).ok()) __builtin_trap();
      domain::Entity one = *back;
      one.attrs.Set(iri, *json);
      if (first->Encode() != one.Encode()) __builtin_trap();
    }
  }
  (void)DecodeAttribute("attr", *json, context, limits, true);
  return 0;
}
