#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "core/time.h"
#include "geo/geometry.h"

// A layer is a set of GIS features a planner imported (zoning plans, parcels, roads,
// administrative boundaries): each feature an id, a geometry in CRS84 (or none) and flat
// attributes. Layers live beside the NGSI-LD entities, in the store of record, one tenant's
// layer per (tenant, name), replaced whole at each import (its version counts imports).
// Plain values; not synchronised.
namespace dothi::domain {

struct LayerFeature {
  std::string id;                       // unique in the layer
  std::optional<geo::Geometry> geometry;  // CRS84; none for a feature without geometry
  Json properties = Json::MakeObject();   // flat: name -> string, number, boolean or null
};

// What a layer's properties hold, for the catalogue (OGC queryables, OpenAPI).
struct LayerProperty {
  std::string name;
  std::string type;  // "string", "integer", "number", "boolean"
  friend bool operator==(const LayerProperty&, const LayerProperty&) = default;
};

// The role of a layer in the planning lookup.
enum class LayerRole : std::uint8_t {
  kGeneral,         // any other data (roads, points of interest)
  kPlanning,        // zoning plan: its features carry the planning fields
  kParcel,          // cadastral parcels (thửa đất)
  kAdministrative,  // provinces, communes or wards
};
std::string_view LayerRoleName(LayerRole role);
std::optional<LayerRole> ParseLayerRole(std::string_view name);

struct LayerInfo {
  std::string tenant;
  std::string name;   // the collection id: [a-z0-9_-], 1..64 bytes, not starting with '-'
  std::string title;  // as the planner wrote it (UTF-8); the name when not given
  std::int64_t version = 0;  // 1 after the first import, +1 per replacement
  Timestamp imported_at;
  std::string source;      // the file name imported (no directories)
  std::string source_crs;  // how the source coordinates were read ("EPSG:9210", ...)
  std::size_t feature_count = 0;
  geo::BBox extent;  // of every geometry (empty when none)
  std::vector<LayerProperty> properties;  // in first-seen order
  LayerRole role = LayerRole::kGeneral;
  // Planning or parcel field -> the property holding it ("land_use" -> "MA_DAT").
  std::vector<std::pair<std::string, std::string>> fields;

  // The property mapped to a planning field, or nullptr.
  const std::string* FieldProperty(std::string_view field) const;
};

// Errors: InvalidRequest naming the rule the text breaks.
Status ValidateLayerName(std::string_view name);

// The property list of a set of features: every name in first-seen order, typed by its
// non-null values ("integer" widened to "number" by a double, anything else mixed:
// "string").
std::vector<LayerProperty> InferLayerProperties(const std::vector<LayerFeature>& features);

}  // namespace dothi::domain
