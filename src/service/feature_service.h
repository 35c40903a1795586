#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "core/time.h"
#include "domain/cql2/expression.h"
#include "domain/entity.h"
#include "geo/geometry.h"
#include "service/entity_service.h"
#include "service/layer_service.h"

// FeatureService serves the tenant's data as OGC API Features collections:
//  - every imported layer (LayerService) is one, its id the layer name;
//  - every NGSI-LD entity type that has a `location` is one, its entities the features
//    (their `location` the geometry; an entity without one is a feature with a null
//    geometry).
// Reads go through LayerService and EntityService, so tenant isolation and the in-memory
// indexes are theirs. Stateless; safe from any thread.
namespace dothi::service {

// One collection as the catalogue describes it.
struct FeatureCollectionInfo {
  std::string id;        // the layer name, or the URL-safe short name of the type ("Streetlight")
  std::string title;     // the layer's title, or the type's short name as written (UTF-8)
  std::string type_iri;  // the NGSI-LD entity type it serves ("" for a layer)
  std::shared_ptr<const LayerData> layer;  // the layer it serves (null for an entity type)
  std::size_t entity_count = 0;  // features (entities of the type, with or without a location)
  // Property name -> JSON schema type ("string", "number", "integer", "boolean"), when known.
  std::map<std::string, std::string, std::less<>> property_types;
  // Property name -> attribute IRI, in name order; `location` is the geometry, not a
  // property. Names are the IRI's last segment unless two attributes share it. For a layer
  // the IRI is the name.
  std::vector<std::pair<std::string, std::string>> properties;

  // The attribute IRI a property name stands for, or nullptr.
  const std::string* PropertyIri(std::string_view name) const;
  // The property name of an attribute IRI ("" when the attribute is not a property).
  std::string_view PropertyName(std::string_view iri) const;
  // The name of the geometry among the queryables: "geometry" for a layer, "location"
  // for an entity type (its GeoProperty).
  std::string_view GeometryName() const { return layer ? "geometry" : "location"; }
  // Whether a filter may call the geometry so: GeometryName(), and for an entity type also
  // "geometry" (what CQL2 and GeoJSON call it).
  bool IsGeometryName(std::string_view name) const {
    return name == GeometryName() || name == "geometry";
  }
};

// A selection of features (OGC API Features /items).
struct FeatureQuery {
  // Features whose geometry intersects this CRS84 box. A box with min_x > max_x crosses
  // the antimeridian.
  std::optional<geo::BBox> bbox;
  // Features last modified within [from, to]; an absent end is open.
  std::optional<Timestamp> modified_from;
  std::optional<Timestamp> modified_to;
  // property name -> value text: the property equals the value (as a number or boolean
  // when the text is one, or as the string).
  std::vector<std::pair<std::string, std::string>> equals;
  // A CQL2 filter (OGC API Features Part 3): features for which it is TRUE. The property
  // names it uses must be queryables of the collection (CheckQueryables).
  std::optional<domain::cql2::Expression> filter;
  std::size_t limit = 10;
  std::size_t offset = 0;
};

// One feature as OGC API Features serves it.
struct Feature {
  std::string id;
  Json geometry;  // GeoJSON geometry object in CRS84, or null
  Json properties = Json::MakeObject();  // property name -> value
};

struct FeaturePage {
  std::vector<Feature> features;
  std::size_t matched = 0;  // features matching in all
  bool more = false;        // another page follows
};

class FeatureService {
 public:
  FeatureService(EntityService& entities, LayerService& layers)
      : entities_(entities), layers_(layers) {}

  // The collections of ctx.tenant: its layers by name, then its entity types by id.
  // Errors: NonexistentTenant (neither layers nor entities).
  Result<std::vector<FeatureCollectionInfo>> Collections(const RequestContext& ctx) const;
  // One collection by id. Errors: NotFound, NonexistentTenant.
  Result<FeatureCollectionInfo> Collection(const RequestContext& ctx, std::string_view id) const;
  // A page of features: those matching every part of the query (bbox, datetime, equals,
  // filter), in a stable order, so pages do not overlap. matched counts them all.
  // Errors: BadRequestData (unknown property or queryable, invalid box), TooManyResults
  // never: the limit is capped at MaxLimit().
  Result<FeaturePage> Items(const RequestContext& ctx, const FeatureCollectionInfo& collection,
                            const FeatureQuery& query) const;
  // One feature by id. Errors: NotFound (no such feature in this collection).
  Result<Feature> Item(const RequestContext& ctx, const FeatureCollectionInfo& collection,
                              std::string_view id) const;

  // The largest page Items returns (the entity service's maximum page size).
  std::size_t MaxLimit() const { return entities_.options().max_page_size; }

  // Checks that every property a filter names is a queryable of c: one of its properties
  // or its geometry (FeatureCollectionInfo::IsGeometryName). Errors: BadRequestData naming
  // the first that is not.
  static Status CheckQueryables(const FeatureCollectionInfo& c,
                                const domain::cql2::Expression& filter);

  // The short name of an IRI: what follows its last '/', '#' or ':' ("" stays "").
  static std::string_view ShortName(std::string_view iri);

  // An entity as a feature of c: its location the geometry, each other attribute's default
  // instance's value under its property name (a JSON-LD typed literal as its @value).
  static Feature EntityFeature(const FeatureCollectionInfo& c, const domain::Entity& e);
  // A layer's feature.
  static Feature LayerFeature(const domain::LayerFeature& f);

 private:
  Result<FeaturePage> LayerItems(const FeatureCollectionInfo& collection,
                                 const FeatureQuery& query) const;

  EntityService& entities_;
  LayerService& layers_;
};

}  // namespace dothi::service
