// Handlers for /ngsi-ld/v1/entities and its attributes: parse -> EntityService -> render.
#include <algorithm>

#include "api/ngsi_ld/errors.h"
#include "api/ngsi_ld/linked_entities.h"
#include "api/ngsi_ld/ngsi_ld_api.h"
#include "api/ngsi_ld/request_support.h"
#include "api/ngsi_ld/query_params.h"

namespace dothi::api::ngsi_ld {

using domain::Entity;
using http::Request;
using http::Response;

namespace {



// A 207 UpdateResult body: {"updated": [...], "notUpdated": [{"attributeName", "reason"}]}.
// Attribute names are given as expanded IRIs, as the ETSI conformance suite checks them.
Response UpdateResultResponse(const service::AttrOutcome& o, const LdContext& context) {
  if (o.not_updated.empty()) return NoContent();
  Json body = Json::MakeObject();
  Json updated = Json::MakeArray();
  for (const auto& iri : o.updated) updated.Push(iri);
  Json not_updated = Json::MakeArray();
  for (const auto& [iri, reason] : o.not_updated) {
    not_updated.Push(Json::MakeObject({{"attributeName", iri}, {"reason", reason}}));
  }
  body.Set("updated", std::move(updated));
  body.Set("notUpdated", std::move(not_updated));
  return JsonResponse(207, body, MediaType::kJson, context);
}

// The "type" and "scope" members of an attribute fragment body.
Result<service::EntityMembers> MembersOf(const Json& body, const LdContext& context) {
  service::EntityMembers m;
  if (const Json* t = body.Find("type")) {
    Result<std::vector<std::string>> types = DecodeEntityTypes(*t, context);
    if (!types.ok()) return types.status();
    m.types = std::move(*types);
  }
  if (const Json* sc = body.Find("scope")) {
    Result<Json> scope = DecodeScope(*sc);
    if (!scope.ok()) return scope.status();
    m.scope = std::move(*scope);
  }
  return m;
}

// The attributes object of a fragment body (id/type/@context removed) in canonical form.
Result<Json> AttributesOf(const Json& body, const LdContext& context, const DecodeLimits& limits,
                          bool allow_null) {
  if (!body.is_object()) return Status::BadRequestData("body must be a JSON object");
  Json attrs = Json::MakeObject();
  std::size_t n = 0;
  for (const auto& [k, v] : body.AsObject()) {
    if (k == "id" || k == "type" || k == "@context" || k == "scope" || k == "createdAt" ||
        k == "modifiedAt") {
      continue;
    }
    if (++n > limits.max_attributes) return Status::BadRequestData("too many attributes");
    Result<Json> inst = DecodeAttribute(k, v, context, limits, allow_null);
    if (!inst.ok()) return inst.status();
    attrs.Set(context.ExpandTerm(k), std::move(*inst));
  }
  return attrs;
}

// The entity fragment of a PUT or PATCH on /entities/{entityId}, with the id of the URL
// (an id in the body must agree with it).
Result<Entity> EntityForPath(ContextRegistry& contexts, const Request& req,
                             const DecodeLimits& limits, bool allow_merge_patch) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return id.status();
  Result<JsonLdBody> body = ReadBody(contexts, req, allow_merge_patch);
  if (!body.ok()) return body.status();
  Result<Entity> e = DecodeEntity(body->body, *body->context, DecodeMode::kFragment, limits);
  if (!e.ok()) return e.status();
  if (!e->id.empty() && e->id != *id) {
    return Status::BadRequestData("entity id in body differs from the URL", e->id);
  }
  e->id = std::move(*id);
  return e;
}

}  // namespace

NgsiLdApi::NgsiLdApi(service::EntityService& entities, ContextRegistry& contexts,
                     NgsiLdOptions options)
    : entities_(entities), contexts_(contexts), options_(options) {}

void NgsiLdApi::CreateEntity(const RequestContext& ctx, Request& req, http::AsyncCall call) {
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return call.respond(ProblemResponse(ctx, body.status()));
  Result<Entity> e = DecodeEntity(body->body, *body->context, DecodeMode::kCreate, options_.limits);
  if (!e.ok()) return call.respond(ProblemResponse(ctx, e.status()));
  std::string id = e->id;
  entities_.CreateAsync(ctx, std::move(*e), [&ctx, id = std::move(id), respond = call.respond](Status s) {
    if (!s.ok()) return respond(ProblemResponse(ctx, s));
    Response r;
    r.status = 201;
    r.SetHeader("Location", "/ngsi-ld/v1/entities/" + id);
    if (!ctx.tenant.empty()) r.SetHeader("NGSILD-Tenant", ctx.tenant);
    respond(std::move(r));
  });
}

Response NgsiLdApi::RetrieveEntity(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<MediaType> media = NegotiateAccept(req, true);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  Result<RenderOptions> opts = RenderOptionsFromQuery(req, **context, *media);
  if (!opts.ok()) return ProblemResponse(ctx, opts.status());
  Result<Entity> e = entities_.Get(ctx, *id);
  if (!e.ok()) return ProblemResponse(ctx, e.status());
  // Asking only for attributes the entity does not have finds nothing (ETSI 018_03_02).
  if (const std::string* attrs = req.Query("attrs")) {
    bool any = false;
    for (const auto& name : SplitList(*attrs)) {
      any = any || e->FindAttr((*context)->ExpandTerm(name)) != nullptr;
    }
    if (!any) return ProblemResponse(ctx, Status::NotFound("entity has none of the attributes", *attrs));
  }
  if (*media == MediaType::kGeoJson) {
    const std::string* gp = req.Query("geometryProperty");
    const std::string geometry = gp ? (*context)->ExpandTerm(*gp) : std::string(domain::kLocationIri);
    // GeoJSON carries its @context in the body (clause 4.5.16), as the ETSI tests expect.
    RenderOptions o = *opts;
    o.include_context = true;
    return JsonResponse(200, RenderFeature(*e, **context, o, geometry), *media, **context);
  }
  Result<std::optional<JoinOptions>> join = JoinFromQuery(req);
  if (!join.ok()) return ProblemResponse(ctx, join.status());
  if (*join) {
    Json all = RenderJoined({*e}, **context, *opts, **join, LookupIn(entities_, ctx));
    return JsonResponse(200, (*join)->flat ? all : all.AsArray().front(), *media, **context);
  }
  Json rendered = RenderEntity(*e, **context, *opts);
  // A pick or omit that leaves nothing of the entity finds nothing (ETSI 018_19).
  if ((opts->pick || opts->omit) && rendered.size() == (rendered.Contains("@context") ? 1u : 0u)) {
    return ProblemResponse(ctx, Status::NotFound("nothing of the entity is selected", *id));
  }
  return JsonResponse(200, rendered, *media, **context);
}

namespace {

// The answer of a write that reports only success or failure: 204 or a ProblemDetails.
service::EntityService::StatusCallback NoContentOr(const RequestContext& ctx,
                                                  const http::AsyncCall& call) {
  return [&ctx, respond = call.respond](Status s) {
    respond(s.ok() ? NoContent() : ProblemResponse(ctx, s));
  };
}

// The answer of append and update: 204, a 207 UpdateResult, or a ProblemDetails.
service::EntityService::OutcomeCallback UpdateResultOr(const RequestContext& ctx,
                                                       const http::AsyncCall& call,
                                                       std::shared_ptr<const LdContext> context) {
  return [&ctx, respond = call.respond, context = std::move(context)](
             Result<service::AttrOutcome> r) {
    respond(r.ok() ? UpdateResultResponse(*r, *context) : ProblemResponse(ctx, r.status()));
  };
}

}  // namespace

void NgsiLdApi::ReplaceEntity(const RequestContext& ctx, Request& req, http::AsyncCall call) {
  Result<Entity> e = EntityForPath(contexts_, req, options_.limits, false);
  if (!e.ok()) return call.respond(ProblemResponse(ctx, e.status()));
  entities_.ReplaceAsync(ctx, std::move(*e), NoContentOr(ctx, call));
}

void NgsiLdApi::MergeEntity(const RequestContext& ctx, Request& req, http::AsyncCall call) {
  Result<Entity> e = EntityForPath(contexts_, req, options_.limits, true);
  if (!e.ok()) return call.respond(ProblemResponse(ctx, e.status()));
  entities_.MergeAsync(ctx, std::move(*e), NoContentOr(ctx, call));
}

Response NgsiLdApi::EntityIdMissing(const RequestContext& ctx, Request&) {
  return ProblemResponse(ctx, Status::BadRequestData("entity id missing from the path"));
}

void NgsiLdApi::DeleteEntity(const RequestContext& ctx, Request& req, http::AsyncCall call) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return call.respond(ProblemResponse(ctx, id.status()));
  entities_.DeleteAsync(ctx, std::move(*id), NoContentOr(ctx, call));
}

void NgsiLdApi::AppendAttrs(const RequestContext& ctx, Request& req, http::AsyncCall call) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return call.respond(ProblemResponse(ctx, id.status()));
  // merge-patch+json is accepted here too: the ngsijs client sends it for append.
  Result<JsonLdBody> body = ReadBody(contexts_, req, true);
  if (!body.ok()) return call.respond(ProblemResponse(ctx, body.status()));
  Result<Json> attrs = AttributesOf(body->body, *body->context, options_.limits, false);
  if (!attrs.ok()) return call.respond(ProblemResponse(ctx, attrs.status()));
  Result<service::EntityMembers> members = MembersOf(body->body, *body->context);
  if (!members.ok()) return call.respond(ProblemResponse(ctx, members.status()));
  entities_.AppendAttrsAsync(ctx, std::move(*id), std::move(*attrs), HasOption(req, "noOverwrite"),
                             std::move(*members), UpdateResultOr(ctx, call, body->context));
}

void NgsiLdApi::UpdateAttrs(const RequestContext& ctx, Request& req, http::AsyncCall call) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return call.respond(ProblemResponse(ctx, id.status()));
  Result<JsonLdBody> body = ReadBody(contexts_, req, true);
  if (!body.ok()) return call.respond(ProblemResponse(ctx, body.status()));
  // NGSI-LD Null values are allowed here: they delete the instance.
  Result<Json> attrs = AttributesOf(body->body, *body->context, options_.limits, true);
  if (!attrs.ok()) return call.respond(ProblemResponse(ctx, attrs.status()));
  Result<service::EntityMembers> members = MembersOf(body->body, *body->context);
  if (!members.ok()) return call.respond(ProblemResponse(ctx, members.status()));
  entities_.UpdateAttrsAsync(ctx, std::move(*id), std::move(*attrs), std::move(*members),
                             UpdateResultOr(ctx, call, body->context));
}

void NgsiLdApi::PartialAttrUpdate(const RequestContext& ctx, Request& req, http::AsyncCall call) {
  const auto fail = [&](const Status& s) { call.respond(ProblemResponse(ctx, s)); };
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return fail(id.status());
  Result<JsonLdBody> body = ReadBody(contexts_, req, true);
  if (!body.ok()) return fail(body.status());
  if (!body->body.is_object()) return fail(Status::BadRequestData("body must be a JSON object"));
  std::string attr_iri = body->context->ExpandTerm(req.PathParam("attrId"));
  // The fragment holds members of the instance; sub-attribute names are expanded.
  Json fragment = Json::MakeObject();
  for (const auto& [k, v] : body->body.AsObject()) {
    if (k == "@context") continue;
    if (domain::attr::IsReservedMember(k)) {
      if (k == domain::attr::kType && !(v.is_string())) {
        return fail(Status::BadRequestData("attribute type must be a string"));
      }
      if (k == domain::attr::kDatasetId && (!v.is_string() || !domain::IsValidUri(v.AsString()))) {
        return fail(Status::BadRequestData("datasetId must be a URI"));
      }
      if (v.is_null()) return fail(Status::BadRequestData("null member", k));
      fragment.Set(k, v);
      continue;
    }
    Result<Json> sub = DecodeAttribute(k, v, *body->context, options_.limits, true);
    if (!sub.ok()) return fail(sub.status());
    fragment.Set(body->context->ExpandTerm(k), sub->AsArray().front());
  }
  entities_.PartialAttrUpdateAsync(ctx, std::move(*id), std::move(attr_iri), std::move(fragment),
                                   NoContentOr(ctx, call));
}

void NgsiLdApi::ReplaceAttr(const RequestContext& ctx, Request& req, http::AsyncCall call) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return call.respond(ProblemResponse(ctx, id.status()));
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return call.respond(ProblemResponse(ctx, body.status()));
  const std::string_view name = req.PathParam("attrId");
  if (name == "scope" || body->context->ExpandTerm(name) == "https://uri.etsi.org/ngsi-ld/scope") {
    // scope is not an attribute; it changes with PATCH or POST .../attrs (ETSI 055_03_05).
    return call.respond(ProblemResponse(ctx, Status::BadRequestData(
        "scope is not an attribute; use PATCH or POST on .../attrs", std::string(name))));
  }
  Json value = body->body;
  if (value.is_object()) value.Erase("@context");
  Result<Json> instances = DecodeAttribute(name, value, *body->context, options_.limits, false);
  if (!instances.ok()) return call.respond(ProblemResponse(ctx, instances.status()));
  entities_.ReplaceAttrAsync(ctx, std::move(*id), body->context->ExpandTerm(name),
                             std::move(*instances), NoContentOr(ctx, call));
}

void NgsiLdApi::DeleteAttr(const RequestContext& ctx, Request& req, http::AsyncCall call) {
  const auto fail = [&](const Status& s) { call.respond(ProblemResponse(ctx, s)); };
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return fail(id.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return fail(context.status());
  Result<AttrDeletion> del = AttrDeletionFromQuery(req);
  if (!del.ok()) return fail(del.status());
  if (del->delete_all && del->dataset_id) {
    return fail(Status::BadRequestData("deleteAll and datasetId cannot be combined"));
  }
  std::string attr_iri = (*context)->ExpandTerm(req.PathParam("attrId"));
  entities_.DeleteAttrAsync(ctx, std::move(*id), std::move(attr_iri), std::move(del->dataset_id),
                            del->delete_all, NoContentOr(ctx, call));
}

}  // namespace dothi::api::ngsi_ld
