// Handlers for /ngsi-ld/v1/entities and its attributes: parse -> EntityService -> render.
#include <algorithm>

#include "api/ngsi_ld/errors.h"
#include "api/ngsi_ld/ngsi_ld_api.h"
#include "api/ngsi_ld/request_support.h"
#include "api/ngsi_ld/query_params.h"

namespace dothi::api::ngsi_ld {

using domain::Entity;
using http::Request;
using http::Response;

namespace {


// The {entityId} path parameter, checked to be a URI.
Result<std::string> EntityIdParam(const Request& req) {
  std::string id(req.PathParam("entityId"));
  if (!domain::IsValidUri(id)) return Status::BadRequestData("entity id is not a URI", id);
  return id;
}

// A 207 UpdateResult body: {"updated": [...], "notUpdated": [{"attributeName", "reason"}]}.
Response UpdateResultResponse(const service::AttrOutcome& o, const LdContext& context) {
  if (o.not_updated.empty()) return NoContent();
  Json body = Json::MakeObject();
  Json updated = Json::MakeArray();
  for (const auto& iri : o.updated) updated.Push(context.CompactIri(iri));
  Json not_updated = Json::MakeArray();
  for (const auto& [iri, reason] : o.not_updated) {
    not_updated.Push(Json::MakeObject({{"attributeName", context.CompactIri(iri)}, {"reason", reason}}));
  }
  body.Set("updated", std::move(updated));
  body.Set("notUpdated", std::move(not_updated));
  return JsonResponse(207, body, MediaType::kJson, context);
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

Response NgsiLdApi::CreateEntity(const RequestContext& ctx, Request& req) {
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<Entity> e = DecodeEntity(body->body, *body->context, DecodeMode::kCreate, options_.limits);
  if (!e.ok()) return ProblemResponse(ctx, e.status());
  const std::string id = e->id;
  if (Status s = entities_.Create(ctx, std::move(*e)); !s.ok()) return ProblemResponse(ctx, s);
  Response r;
  r.status = 201;
  r.SetHeader("Location", "/ngsi-ld/v1/entities/" + id);
  if (!ctx.tenant.empty()) r.SetHeader("NGSILD-Tenant", ctx.tenant);
  return r;
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
  if (*media == MediaType::kGeoJson) {
    const std::string* gp = req.Query("geometryProperty");
    const std::string geometry = gp ? (*context)->ExpandTerm(*gp) : std::string(domain::kLocationIri);
    // GeoJSON carries its @context in the body (clause 4.5.16), as the ETSI tests expect.
    RenderOptions o = *opts;
    o.include_context = true;
    return JsonResponse(200, RenderFeature(*e, **context, o, geometry), *media, **context);
  }
  return JsonResponse(200, RenderEntity(*e, **context, *opts), *media, **context);
}

Response NgsiLdApi::ReplaceEntity(const RequestContext& ctx, Request& req) {
  Result<Entity> e = EntityForPath(contexts_, req, options_.limits, false);
  if (!e.ok()) return ProblemResponse(ctx, e.status());
  if (Status s = entities_.Replace(ctx, std::move(*e)); !s.ok()) return ProblemResponse(ctx, s);
  return NoContent();
}

Response NgsiLdApi::MergeEntity(const RequestContext& ctx, Request& req) {
  Result<Entity> e = EntityForPath(contexts_, req, options_.limits, true);
  if (!e.ok()) return ProblemResponse(ctx, e.status());
  if (Status s = entities_.Merge(ctx, std::move(*e)); !s.ok()) return ProblemResponse(ctx, s);
  return NoContent();
}

Response NgsiLdApi::DeleteEntity(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  if (Status s = entities_.Delete(ctx, *id); !s.ok()) return ProblemResponse(ctx, s);
  return NoContent();
}

Response NgsiLdApi::AppendAttrs(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  // merge-patch+json is accepted here too: the ngsijs client sends it for append.
  Result<JsonLdBody> body = ReadBody(contexts_, req, true);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<Json> attrs = AttributesOf(body->body, *body->context, options_.limits, false);
  if (!attrs.ok()) return ProblemResponse(ctx, attrs.status());
  Json types = Json::MakeArray();
  if (const Json* t = body->body.Find("type")) {
    if (t->is_string()) types.Push(body->context->ExpandTerm(t->AsString()));
    if (t->is_array()) {
      for (const auto& x : t->AsArray()) {
        if (x.is_string()) types.Push(body->context->ExpandTerm(x.AsString()));
      }
    }
  }
  Result<service::AttrOutcome> r = entities_.AppendAttrs(ctx, *id, std::move(*attrs),
                                                         HasOption(req, "noOverwrite"), &types);
  if (!r.ok()) return ProblemResponse(ctx, r.status());
  return UpdateResultResponse(*r, *body->context);
}

Response NgsiLdApi::UpdateAttrs(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<JsonLdBody> body = ReadBody(contexts_, req, true);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<Json> attrs = AttributesOf(body->body, *body->context, options_.limits, false);
  if (!attrs.ok()) return ProblemResponse(ctx, attrs.status());
  Result<service::AttrOutcome> r = entities_.UpdateAttrs(ctx, *id, std::move(*attrs));
  if (!r.ok()) return ProblemResponse(ctx, r.status());
  return UpdateResultResponse(*r, *body->context);
}

Response NgsiLdApi::PartialAttrUpdate(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<JsonLdBody> body = ReadBody(contexts_, req, true);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  if (!body->body.is_object()) return ProblemResponse(ctx, Status::BadRequestData("body must be a JSON object"));
  const std::string attr_iri = body->context->ExpandTerm(req.PathParam("attrId"));
  // The fragment holds members of the instance; sub-attribute names are expanded.
  Json fragment = Json::MakeObject();
  for (const auto& [k, v] : body->body.AsObject()) {
    if (k == "@context") continue;
    if (domain::attr::IsReservedMember(k)) {
      if (k == domain::attr::kType && !(v.is_string())) {
        return ProblemResponse(ctx, Status::BadRequestData("attribute type must be a string"));
      }
      if (k == domain::attr::kDatasetId && (!v.is_string() || !domain::IsValidUri(v.AsString()))) {
        return ProblemResponse(ctx, Status::BadRequestData("datasetId must be a URI"));
      }
      if (v.is_null()) return ProblemResponse(ctx, Status::BadRequestData("null member", k));
      fragment.Set(k, v);
      continue;
    }
    Result<Json> sub = DecodeAttribute(k, v, *body->context, options_.limits, true);
    if (!sub.ok()) return ProblemResponse(ctx, sub.status());
    fragment.Set(body->context->ExpandTerm(k), sub->AsArray().front());
  }
  if (Status s = entities_.PartialAttrUpdate(ctx, *id, attr_iri, std::move(fragment)); !s.ok()) {
    return ProblemResponse(ctx, s);
  }
  return NoContent();
}

Response NgsiLdApi::ReplaceAttr(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  const std::string_view name = req.PathParam("attrId");
  Json value = body->body;
  if (value.is_object()) value.Erase("@context");
  Result<Json> instances = DecodeAttribute(name, value, *body->context, options_.limits, false);
  if (!instances.ok()) return ProblemResponse(ctx, instances.status());
  if (Status s = entities_.ReplaceAttr(ctx, *id, body->context->ExpandTerm(name), std::move(*instances));
      !s.ok()) {
    return ProblemResponse(ctx, s);
  }
  return NoContent();
}

Response NgsiLdApi::DeleteAttr(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  std::optional<std::string> dataset;
  if (const std::string* ds = req.Query("datasetId")) {
    if (!domain::IsValidUri(*ds)) return ProblemResponse(ctx, Status::BadRequestData("datasetId must be a URI", *ds));
    dataset = *ds;
  }
  bool delete_all = false;
  if (const std::string* all = req.Query("deleteAll")) {
    if (*all != "true" && *all != "false") {
      return ProblemResponse(ctx, Status::BadRequestData("deleteAll must be true or false", *all));
    }
    delete_all = *all == "true";
  }
  if (delete_all && dataset) {
    return ProblemResponse(ctx, Status::BadRequestData("deleteAll and datasetId cannot be combined"));
  }
  const std::string attr_iri = (*context)->ExpandTerm(req.PathParam("attrId"));
  if (Status s = entities_.DeleteAttr(ctx, *id, attr_iri, dataset, delete_all); !s.ok()) {
    return ProblemResponse(ctx, s);
  }
  return NoContent();
}

}  // namespace dothi::api::ngsi_ld
