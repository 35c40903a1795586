// The NGSI-LD route table: one line per endpoint; 404/405 and Allow come from it.
#include "api/ngsi_ld/errors.h"
#include "api/ngsi_ld/ngsi_ld_api.h"
#include "api/ngsi_ld/request_support.h"

namespace dothi::api::ngsi_ld {

void NgsiLdApi::RegisterRoutes(http::Router& router) {
  using http::Method;
  constexpr const char* kBase = "/ngsi-ld/v1";
  // Every route first refuses query parameters NGSI-LD does not define.
  auto bind = [this](http::Response (NgsiLdApi::*fn)(const RequestContext&, http::Request&)) {
    return [this, fn](const RequestContext& ctx, http::Request& req) {
      if (Status s = CheckQueryParams(req); !s.ok()) return ProblemResponse(ctx, s);
      return (this->*fn)(ctx, req);
    };
  };
  auto add = [&](Method m, const std::string& path, const char* name, auto fn) {
    router.Add(m, kBase + path, std::string("ngsi_ld.") + name, bind(fn));
  };
  // Writes answer once durable without holding a thread. They start on the I/O thread, or
  // on the worker pool when resolving a remote @context may block on the network.
  using AsyncFn = void (NgsiLdApi::*)(const RequestContext&, http::Request&, http::AsyncCall);
  auto add_async = [&](Method m, const std::string& path, const char* name, AsyncFn fn) {
    router.AddAsync(m, kBase + path, std::string("ngsi_ld.") + name,
                    [this, fn](const RequestContext& ctx, http::Request& req, http::AsyncCall call) {
                      if (Status s = CheckQueryParams(req); !s.ok()) {
                        return call.respond(ProblemResponse(ctx, s));
                      }
                      if (!contexts_.MayFetch()) return (this->*fn)(ctx, req, std::move(call));
                      std::function<void(std::function<void()>)> offload = call.offload;
                      offload([this, fn, &ctx, &req, call = std::move(call)] {
                        (this->*fn)(ctx, req, call);
                      });
                    });
  };
  add_async(Method::kPost, "/entities", "create_entity", &NgsiLdApi::CreateEntity);
  add(Method::kGet, "/entities", "query_entities", &NgsiLdApi::QueryEntities);
  for (Method m : {Method::kPut, Method::kPatch, Method::kDelete}) {
    add(m, "/entities", "entity_id_missing", &NgsiLdApi::EntityIdMissing);
  }
  add(Method::kGet, "/entities/{entityId}", "retrieve_entity", &NgsiLdApi::RetrieveEntity);
  add_async(Method::kPut, "/entities/{entityId}", "replace_entity", &NgsiLdApi::ReplaceEntity);
  add_async(Method::kPatch, "/entities/{entityId}", "merge_entity", &NgsiLdApi::MergeEntity);
  add_async(Method::kDelete, "/entities/{entityId}", "delete_entity", &NgsiLdApi::DeleteEntity);
  add_async(Method::kPost, "/entities/{entityId}/attrs", "append_attrs", &NgsiLdApi::AppendAttrs);
  add_async(Method::kPatch, "/entities/{entityId}/attrs", "update_attrs", &NgsiLdApi::UpdateAttrs);
  add_async(Method::kPatch, "/entities/{entityId}/attrs/{attrId}", "partial_attr_update", &NgsiLdApi::PartialAttrUpdate);
  add_async(Method::kPut, "/entities/{entityId}/attrs/{attrId}", "replace_attr", &NgsiLdApi::ReplaceAttr);
  add_async(Method::kDelete, "/entities/{entityId}/attrs/{attrId}", "delete_attr", &NgsiLdApi::DeleteAttr);
  add(Method::kPost, "/entityOperations/create", "batch_create", &NgsiLdApi::BatchCreate);
  add(Method::kPost, "/entityOperations/upsert", "batch_upsert", &NgsiLdApi::BatchUpsert);
  add(Method::kPost, "/entityOperations/update", "batch_update", &NgsiLdApi::BatchUpdate);
  add(Method::kPost, "/entityOperations/delete", "batch_delete", &NgsiLdApi::BatchDelete);
  add(Method::kPost, "/entityOperations/merge", "batch_merge", &NgsiLdApi::BatchMerge);
  add(Method::kPost, "/entityOperations/query", "batch_query", &NgsiLdApi::BatchQuery);
  add(Method::kGet, "/types", "list_types", &NgsiLdApi::ListTypes);
  add(Method::kGet, "/types/{type}", "get_type", &NgsiLdApi::GetType);
  add(Method::kGet, "/attributes", "list_attributes", &NgsiLdApi::ListAttributes);
  add(Method::kGet, "/attributes/{attrId}", "get_attribute", &NgsiLdApi::GetAttribute);
  if (subscriptions_ != nullptr) {
    add(Method::kPost, "/subscriptions", "create_subscription", &NgsiLdApi::CreateSubscription);
    add(Method::kGet, "/subscriptions", "list_subscriptions", &NgsiLdApi::ListSubscriptions);
    add(Method::kGet, "/subscriptions/{subscriptionId}", "retrieve_subscription", &NgsiLdApi::RetrieveSubscription);
    add(Method::kPatch, "/subscriptions/{subscriptionId}", "update_subscription", &NgsiLdApi::UpdateSubscription);
    add(Method::kDelete, "/subscriptions/{subscriptionId}", "delete_subscription", &NgsiLdApi::DeleteSubscription);
  }
  if (temporal_ != nullptr) {
    add(Method::kGet, "/temporal/entities", "query_temporal", &NgsiLdApi::QueryTemporal);
    add(Method::kPost, "/temporal/entities", "create_temporal", &NgsiLdApi::CreateTemporal);
    add(Method::kPost, "/temporal/entityOperations/query", "query_temporal_post", &NgsiLdApi::QueryTemporalPost);
    add(Method::kGet, "/temporal/entities/{entityId}", "retrieve_temporal", &NgsiLdApi::RetrieveTemporal);
    add(Method::kDelete, "/temporal/entities/{entityId}", "delete_temporal", &NgsiLdApi::DeleteTemporal);
    add(Method::kPost, "/temporal/entities/{entityId}/attrs", "append_temporal", &NgsiLdApi::AppendTemporal);
    add(Method::kDelete, "/temporal/entities/{entityId}/attrs/{attrId}", "delete_temporal_attr", &NgsiLdApi::DeleteTemporalAttr);
    add(Method::kPatch, "/temporal/entities/{entityId}/attrs/{attrId}/{instanceId}", "modify_temporal_instance", &NgsiLdApi::ModifyTemporalInstance);
    add(Method::kDelete, "/temporal/entities/{entityId}/attrs/{attrId}/{instanceId}", "delete_temporal_instance", &NgsiLdApi::DeleteTemporalInstance);
  }
  add(Method::kGet, "/jsonldContexts", "list_contexts", &NgsiLdApi::ListContexts);
  add(Method::kPost, "/jsonldContexts", "add_context", &NgsiLdApi::AddContext);
  add(Method::kGet, "/jsonldContexts/{contextId}", "serve_context", &NgsiLdApi::ServeContext);
  add(Method::kDelete, "/jsonldContexts/{contextId}", "delete_context", &NgsiLdApi::DeleteContext);
  router.SetErrorRenderer(kBase, [](const RequestContext& ctx, const http::Request&, const Status& s) {
    return ProblemResponse(ctx, s);
  });
}

}  // namespace dothi::api::ngsi_ld
