#pragma once

#include <memory>
#include <string>

#include "api/ngsi_ld/context_registry.h"
#include "api/ngsi_ld/entity_codec.h"
#include "api/ngsi_ld/subscription_codec.h"
#include "core/request_context.h"
#include "http/request.h"
#include "http/router.h"
#include "service/entity_service.h"
#include "service/subscription_service.h"
#include "service/temporal_service.h"

// NgsiLdApi is the NGSI-LD protocol adapter mounted at /ngsi-ld/v1: it parses requests,
// resolves the JSON-LD @context, calls EntityService and renders the representations and
// ProblemDetails errors. Stateless apart from its references; thread-safe.
namespace dothi::api::ngsi_ld {

struct NgsiLdOptions {
  DecodeLimits limits;  // per-entity decoding limits (attributes, geometry vertices)
};

class NgsiLdApi {
 public:
  NgsiLdApi(service::EntityService& entities, ContextRegistry& contexts, NgsiLdOptions options);

  // Serves /subscriptions with this service (before RegisterRoutes; without it those
  // routes are not offered).
  void SetSubscriptions(service::SubscriptionService* subscriptions, SubscriptionLimits limits) {
    subscriptions_ = subscriptions;
    subscription_limits_ = limits;
  }

  // Serves /temporal with this service (before RegisterRoutes).
  void SetTemporal(service::TemporalService* temporal) { temporal_ = temporal; }
  // Adds every NGSI-LD route and the ProblemDetails error renderer for /ngsi-ld/.
  void RegisterRoutes(http::Router& router);

  // Entities (clause 5.6 / 5.7). The writes are asynchronous handlers (http::AsyncCall):
  // they answer once the write is durable, without holding a thread while it commits.
  // POST /entities -> 201 + Location. Errors: 400, 409, 415.
  void CreateEntity(const RequestContext& ctx, http::Request& req, http::AsyncCall call);
  // GET /entities?type=&id=&idPattern=&q=&georel=&geometry=&coordinates=&attrs=&limit=&offset=
  http::Response QueryEntities(const RequestContext& ctx, http::Request& req);
  // GET /entities/{entityId}?attrs=&pick=&omit=&options=&lang= -> 200. Errors: 400, 404, 406.
  http::Response RetrieveEntity(const RequestContext& ctx, http::Request& req);
  // PUT /entities/{entityId} -> 204. Errors: 400, 404.
  void ReplaceEntity(const RequestContext& ctx, http::Request& req, http::AsyncCall call);
  // PUT, PATCH and DELETE of /entities without an id (also "/entities/"): 400.
  http::Response EntityIdMissing(const RequestContext& ctx, http::Request& req);
  // PATCH /entities/{entityId} (merge) -> 204. Errors: 400, 404.
  void MergeEntity(const RequestContext& ctx, http::Request& req, http::AsyncCall call);
  // DELETE /entities/{entityId} -> 204. Errors: 400, 404.
  void DeleteEntity(const RequestContext& ctx, http::Request& req, http::AsyncCall call);
  // POST /entities/{entityId}/attrs?options=noOverwrite -> 204 or 207 UpdateResult.
  void AppendAttrs(const RequestContext& ctx, http::Request& req, http::AsyncCall call);
  // PATCH /entities/{entityId}/attrs -> 204 or 207 UpdateResult.
  void UpdateAttrs(const RequestContext& ctx, http::Request& req, http::AsyncCall call);
  // PATCH /entities/{entityId}/attrs/{attrId} -> 204. Errors: 400, 404.
  void PartialAttrUpdate(const RequestContext& ctx, http::Request& req, http::AsyncCall call);
  // PUT /entities/{entityId}/attrs/{attrId} -> 204. Errors: 400, 404.
  void ReplaceAttr(const RequestContext& ctx, http::Request& req, http::AsyncCall call);
  // DELETE /entities/{entityId}/attrs/{attrId}?datasetId=&deleteAll= -> 204. Errors: 400, 404.
  void DeleteAttr(const RequestContext& ctx, http::Request& req, http::AsyncCall call);

  // Batch (clause 5.6.7-5.6.10, 5.6.18, 5.7.2): 201/204 on success, 207 BatchOperationResult.
  http::Response BatchCreate(const RequestContext& ctx, http::Request& req);
  http::Response BatchUpsert(const RequestContext& ctx, http::Request& req);
  http::Response BatchUpdate(const RequestContext& ctx, http::Request& req);
  http::Response BatchDelete(const RequestContext& ctx, http::Request& req);
  http::Response BatchMerge(const RequestContext& ctx, http::Request& req);
  // POST /entityOperations/query (a Query object in the body) -> 200.
  http::Response BatchQuery(const RequestContext& ctx, http::Request& req);

  // Discovery (clause 5.7.5-5.7.8).
  http::Response ListTypes(const RequestContext& ctx, http::Request& req);
  http::Response GetType(const RequestContext& ctx, http::Request& req);
  http::Response ListAttributes(const RequestContext& ctx, http::Request& req);
  http::Response GetAttribute(const RequestContext& ctx, http::Request& req);

  // Subscriptions (clause 5.8): POST -> 201 + Location; GET list (limit, offset, count);
  // GET, PATCH (-> 204), DELETE (-> 204) one. Errors: 400, 404, 409, 415, 422.
  http::Response CreateSubscription(const RequestContext& ctx, http::Request& req);
  http::Response ListSubscriptions(const RequestContext& ctx, http::Request& req);
  http::Response RetrieveSubscription(const RequestContext& ctx, http::Request& req);
  http::Response UpdateSubscription(const RequestContext& ctx, http::Request& req);
  http::Response DeleteSubscription(const RequestContext& ctx, http::Request& req);

  // Temporal API (clause 5.6.11-5.6.16, 5.7.3-5.7.4; temporal_handlers.cc).
  // GET /temporal/entities?type=&attrs=&q=&georel=...&timerel=&timeAt=&endTimeAt=&lastN=
  //   &timeproperty=&options=temporalValues|aggregatedValues&aggrMethods=&aggrPeriodDuration=
  //   -> 200, or 206 + Content-Range when the instance cap cut an attribute.
  http::Response QueryTemporal(const RequestContext& ctx, http::Request& req);
  // POST /temporal/entityOperations/query (Query with temporalQ) -> 200/206.
  http::Response QueryTemporalPost(const RequestContext& ctx, http::Request& req);
  // GET /temporal/entities/{entityId} -> 200/206. Errors: 400, 404.
  http::Response RetrieveTemporal(const RequestContext& ctx, http::Request& req);
  // POST /temporal/entities -> 201 (new) or 204 (instances added). Errors: 400, 415.
  http::Response CreateTemporal(const RequestContext& ctx, http::Request& req);
  // POST /temporal/entities/{entityId}/attrs -> 204. Errors: 400, 404.
  http::Response AppendTemporal(const RequestContext& ctx, http::Request& req);
  // DELETE /temporal/entities/{entityId} -> 204 (history gone). Errors: 400, 404.
  http::Response DeleteTemporal(const RequestContext& ctx, http::Request& req);
  // DELETE /temporal/entities/{entityId}/attrs/{attrId}?datasetId=&deleteAll= -> 204.
  http::Response DeleteTemporalAttr(const RequestContext& ctx, http::Request& req);
  // PATCH and DELETE /temporal/entities/{entityId}/attrs/{attrId}/{instanceId} -> 204.
  http::Response ModifyTemporalInstance(const RequestContext& ctx, http::Request& req);
  http::Response DeleteTemporalInstance(const RequestContext& ctx, http::Request& req);
  // @context management (clause 5.13): /jsonldContexts.
  http::Response ListContexts(const RequestContext& ctx, http::Request& req);
  http::Response AddContext(const RequestContext& ctx, http::Request& req);
  http::Response ServeContext(const RequestContext& ctx, http::Request& req);
  http::Response DeleteContext(const RequestContext& ctx, http::Request& req);

 private:
  service::EntityService& entities_;
  ContextRegistry& contexts_;
  NgsiLdOptions options_;
  service::SubscriptionService* subscriptions_ = nullptr;
  service::TemporalService* temporal_ = nullptr;
  SubscriptionLimits subscription_limits_;
};

}  // namespace dothi::api::ngsi_ld
