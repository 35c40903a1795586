#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "api/ngsi_ld/entity_codec.h"
#include "api/ngsi_ld/ld_context.h"
#include "core/json.h"
#include "core/request_context.h"
#include "core/result.h"
#include "domain/entity.h"
#include "http/request.h"
#include "service/entity_service.h"

// Linked entity retrieval (NGSI-LD v1.8 clause 4.5.23): with join=inline the entity a
// Relationship points to is rendered inside that Relationship as "entity" (in keyValues it
// replaces the relationship's value); with join=flat the linked entities follow the
// entities themselves in one array. joinLevel says how many hops to follow (default 1).
// A target that does not exist (or is not visible to the tenant) leaves the Relationship
// as it is, and so does every link past the first 1,000 lookups of one answer (fan-out
// over several levels would otherwise grow as relationships^levels). Each entity is rendered with the projection pick/omit gives it ("rel{...}").
namespace dothi::api::ngsi_ld {

struct JoinOptions {
  bool flat = false;
  int levels = 1;
};

// join / joinLevel from the query; nullopt without join (or join=@none). 400 for other
// values.
Result<std::optional<JoinOptions>> JoinFromQuery(const http::Request& req);

// Looks an entity up by id in the request's tenant; nullopt when there is none.
using EntityLookup = std::function<std::optional<domain::Entity>(std::string_view id)>;
// The lookup through the entity service, scoped to ctx's tenant. ctx and service must
// outlive the lookup.
EntityLookup LookupIn(const service::EntityService& service, const RequestContext& ctx);

// The rendered entities with their links joined: for inline, one item per entity; for
// flat, the entities and then every linked entity once.
Json RenderJoined(const std::vector<domain::Entity>& entities, const LdContext& context,
                  const RenderOptions& options, const JoinOptions& join,
                  const EntityLookup& lookup);

}  // namespace dothi::api::ngsi_ld
