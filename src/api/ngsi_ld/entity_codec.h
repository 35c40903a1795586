#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "api/ngsi_ld/ld_context.h"
#include "core/json.h"
#include "core/result.h"
#include "domain/entity.h"
#include "geo/geometry.h"

// entity_codec turns NGSI-LD entity payloads (normalized or concise, compact terms under a
// JSON-LD @context) into the canonical domain::Entity and back into the normalized,
// concise, keyValues and GeoJSON representations. Pure functions; thread-safe.
namespace dothi::api::ngsi_ld {

struct DecodeLimits {
  geo::GeometryLimits geometry;      // vertices per GeoProperty value
  std::size_t max_attributes = 1000; // attributes per entity
  int max_sub_attribute_depth = 8;   // levels of attributes within attributes
};

enum class DecodeMode {
  kCreate,    // id and type required (POST /entities, batch create/upsert)
  kFragment,  // attributes only; id and type optional (PATCH, POST .../attrs, PUT entity)
};

// Decodes an entity body. "@context" members are ignored here (the caller resolved them).
Result<domain::Entity> DecodeEntity(const Json& body, const LdContext& context, DecodeMode mode,
                                    const DecodeLimits& limits);
// An entity's "type" member (a name or an array of names) as expanded IRIs, without
// duplicates. A name that expands to a JSON-LD keyword ("type" -> "@type") is refused.
Result<std::vector<std::string>> DecodeEntityTypes(const Json& type, const LdContext& context);
// An entity's "scope" member (a scope or an array of scopes) as an array of scope strings.
Result<Json> DecodeScope(const Json& scope);
// Decodes one attribute's value (an instance, an array of instances, or a concise value)
// into the canonical array of instances. attr_iri is the expanded name (for messages and
// for the special handling of location-like GeoProperties).
Result<Json> DecodeAttribute(std::string_view attr_name, const Json& value,
                             const LdContext& context, const DecodeLimits& limits,
                             bool allow_null_value = false);

enum class Format { kNormalized, kConcise, kKeyValues };

struct RenderOptions {
  Format format = Format::kNormalized;
  bool sys_attrs = false;
  std::optional<std::string> lang;          // LanguageProperty -> Property in that language
  std::optional<std::set<std::string>> pick;  // expanded attribute IRIs (and "id", "type")
  std::optional<std::set<std::string>> omit;  // expanded attribute IRIs (and "id", "type")
  // datasetId=: only instances with these datasetIds ("" for the default one, "@none").
  std::optional<std::set<std::string>> dataset_ids;
  bool include_context = false;             // add "@context" (application/ld+json)
  // How entities reached through a relationship are rendered when they are joined
  // (pick/omit "rel{...}"), by the relationship's expanded IRI; absent: in full.
  std::map<std::string, std::shared_ptr<const RenderOptions>> linked;
};

Json RenderEntity(const domain::Entity& e, const LdContext& context, const RenderOptions& o);
// A GeoJSON Feature; geometry from geometry_iri's default instance (null when absent).
Json RenderFeature(const domain::Entity& e, const LdContext& context, const RenderOptions& o,
                   std::string_view geometry_iri);
// Renders one attribute (all its instances) as it appears inside an entity.
Json RenderAttribute(const Json& instances, const LdContext& context, const RenderOptions& o);

}  // namespace dothi::api::ngsi_ld
