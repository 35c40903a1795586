#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "core/time.h"
#include "domain/entity.h"
#include "geo/geometry.h"
#include "service/entity_service.h"

// FeatureService serves the tenant's data as OGC API Features collections: every NGSI-LD
// entity type that has a `location` is one collection, its entities the features (their
// `location` the geometry; an entity without one is a feature with a null geometry). Reads go through EntityService, so tenant isolation and the
// in-memory indexes are the entity service's. Stateless; safe from any thread.
namespace dothi::service {

// One collection as the catalogue describes it.
struct FeatureCollectionInfo {
  std::string id;        // URL-safe short name of the type ("Streetlight")
  std::string title;     // the type's short name as written (UTF-8)
  std::string type_iri;  // the NGSI-LD entity type it serves
  std::size_t entity_count = 0;  // entities of the type (with or without a location)
  // Property name -> attribute IRI, in name order; `location` is the geometry, not a
  // property. Names are the IRI's last segment unless two attributes share it.
  std::vector<std::pair<std::string, std::string>> properties;

  // The attribute IRI a property name stands for, or nullptr.
  const std::string* PropertyIri(std::string_view name) const;
  // The property name of an attribute IRI ("" when the attribute is not a property).
  std::string_view PropertyName(std::string_view iri) const;
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
  std::size_t limit = 10;
  std::size_t offset = 0;
};

struct FeaturePage {
  std::vector<domain::Entity> features;
  std::size_t matched = 0;  // features matching in all
  bool more = false;        // another page follows
};

class FeatureService {
 public:
  explicit FeatureService(EntityService& entities) : entities_(entities) {}

  // The collections of ctx.tenant, ordered by id. Errors: NonexistentTenant.
  Result<std::vector<FeatureCollectionInfo>> Collections(const RequestContext& ctx) const;
  // One collection by id. Errors: NotFound, NonexistentTenant.
  Result<FeatureCollectionInfo> Collection(const RequestContext& ctx, std::string_view id) const;
  // A page of features. Errors: BadRequestData (unknown property, invalid box),
  // TooManyResults never: the limit is capped at MaxLimit().
  Result<FeaturePage> Items(const RequestContext& ctx, const FeatureCollectionInfo& collection,
                            const FeatureQuery& query) const;
  // One feature by entity id. Errors: NotFound (no such entity, or not of this collection).
  Result<domain::Entity> Item(const RequestContext& ctx, const FeatureCollectionInfo& collection,
                              std::string_view id) const;

  // The largest page Items returns (the entity service's maximum page size).
  std::size_t MaxLimit() const { return entities_.options().max_page_size; }

  // The short name of an IRI: what follows its last '/', '#' or ':' ("" stays "").
  static std::string_view ShortName(std::string_view iri);

 private:
  EntityService& entities_;
};

}  // namespace dothi::service
