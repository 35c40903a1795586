// Handlers for queries (GET /entities, POST /entityOperations/query) and discovery.
#include "api/common/json_parse.h"
#include "api/ngsi_ld/errors.h"
#include "api/ngsi_ld/linked_entities.h"
#include "api/ngsi_ld/ngsi_ld_api.h"
#include "api/ngsi_ld/query_params.h"
#include "api/ngsi_ld/request_support.h"

namespace dothi::api::ngsi_ld {

using domain::Entity;
using http::Request;
using http::Response;

namespace {


// Renders a page of entities with NGSILD-Results-Count and a Link to the next page.
Response RenderPage(const Request& req, const service::EntityQuery& q,
                    const service::QueryResult& result, const LdContext& context,
                    const RenderOptions& opts, MediaType media,
                    const std::optional<JoinOptions>& join, const EntityLookup& lookup) {
  Json body;
  if (media == MediaType::kGeoJson) {
    const std::string* gp = req.Query("geometryProperty");
    const std::string geometry = gp ? context.ExpandTerm(*gp) : std::string(domain::kLocationIri);
    RenderOptions o = opts;
    o.include_context = false;
    Json features = Json::MakeArray();
    for (const auto& e : result.entities) features.Push(RenderFeature(e, context, o, geometry));
    body = Json::MakeObject({{"type", "FeatureCollection"}, {"features", std::move(features)}});
    body.Set("@context", context.source());  // GeoJSON carries its @context in the body
  } else if (join) {
    body = RenderJoined(result.entities, context, opts, *join, lookup);
  } else {
    body = Json::MakeArray();
    for (const auto& e : result.entities) body.Push(RenderEntity(e, context, opts));
  }
  Response r = JsonResponse(200, body, media, context);
  if (q.count) r.SetHeader("NGSILD-Results-Count", std::to_string(result.total));
  if (result.more) {
    // The same request with the next offset.
    const std::string next =
        req.path + http::QueryStringWith(req, {{"offset", std::to_string(q.offset + q.limit)}});
    const std::string link = "<" + next + ">; rel=\"next\"";
    if (const std::string* existing = r.Header("Link")) {
      r.SetHeader("Link", *existing + ", " + link);
    } else {
      r.SetHeader("Link", link);
    }
  }
  return r;
}

QueryParamLimits Limits(const service::EntityService& s, const DecodeLimits& d) {
  QueryParamLimits l;
  l.default_limit = s.options().default_page_size;
  l.geometry = d.geometry;
  return l;
}

}  // namespace

Response NgsiLdApi::QueryEntities(const RequestContext& ctx, Request& req) {
  Result<MediaType> media = NegotiateAccept(req, true);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  Result<RenderOptions> opts = RenderOptionsFromQuery(req, **context, *media);
  if (!opts.ok()) return ProblemResponse(ctx, opts.status());
  Result<service::EntityQuery> q =
      QueryFromParams(req, **context, Limits(entities_, options_.limits), true);
  if (!q.ok()) return ProblemResponse(ctx, q.status());
  // attrs (and the attributes a pick names) also select entities: only those having at
  // least one of them (ETSI 019_17_01), on top of q.
  std::vector<std::string> selecting;
  if (const std::string* attrs = req.Query("attrs")) selecting = SplitList(*attrs);
  if (const std::string* pick = req.Query("pick")) {
    Result<std::vector<std::string>> names = ProjectionNames(*pick, "pick");
    if (names.ok()) selecting = std::move(*names);  // (RenderOptionsFromQuery checked it)
  }
  std::string exists;
  for (const auto& name : selecting) {
    if (name.empty() || name == "id" || name == "type" || name == "scope") continue;
    if (!exists.empty()) exists += '|';
    exists += name;
  }
  if (!exists.empty()) {
    std::string text = "(" + exists + ")";
    if (const std::string* qtext = req.Query("q")) text += ";(" + *qtext + ")";
    Result<domain::QQuery> aq = domain::ParseQ(text);
    if (!aq.ok()) return ProblemResponse(ctx, aq.status());
    Status resolved = aq->Resolve([&](std::string_view t) { return (*context)->ExpandTerm(t); });
    if (!resolved.ok()) return ProblemResponse(ctx, resolved);
    q->q = std::move(*aq);
  }
  Result<service::QueryResult> result = entities_.Query(ctx, *q);
  if (!result.ok()) return ProblemResponse(ctx, result.status());
  Result<std::optional<JoinOptions>> join = JoinFromQuery(req);
  if (!join.ok()) return ProblemResponse(ctx, join.status());
  return RenderPage(req, *q, *result, **context, *opts, *media, *join, LookupIn(entities_, ctx));
}

Response NgsiLdApi::BatchQuery(const RequestContext& ctx, Request& req) {
  Result<MediaType> media = NegotiateAccept(req, true);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<RenderOptions> opts = RenderOptionsFromQuery(req, *body->context, *media);
  if (!opts.ok()) return ProblemResponse(ctx, opts.status());
  Result<service::EntityQuery> q =
      QueryFromBody(body->body, req, *body->context, Limits(entities_, options_.limits));
  if (!q.ok()) return ProblemResponse(ctx, q.status());
  if (const Json* attrs = body->body.Find("attrs")) {
    if (!attrs->is_array()) return ProblemResponse(ctx, Status::BadRequestData("attrs must be an array"));
    std::set<std::string> pick{"id", "type", "scope"};
    for (const auto& a : attrs->AsArray()) {
      if (!a.is_string()) return ProblemResponse(ctx, Status::BadRequestData("attrs must hold strings"));
      pick.insert(body->context->ExpandTerm(a.AsString()));
    }
    opts->pick = std::move(pick);
  }
  Result<service::QueryResult> result = entities_.Query(ctx, *q);
  if (!result.ok()) return ProblemResponse(ctx, result.status());
  Result<std::optional<JoinOptions>> join = JoinFromQuery(req);
  if (!join.ok()) return ProblemResponse(ctx, join.status());
  return RenderPage(req, *q, *result, *body->context, *opts, *media, *join,
                    LookupIn(entities_, ctx));
}

Response NgsiLdApi::ListTypes(const RequestContext& ctx, Request& req) {
  Result<MediaType> media = NegotiateAccept(req, false);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  Result<std::vector<service::TypeInfo>> types = entities_.Types(ctx);
  if (!types.ok()) return ProblemResponse(ctx, types.status());
  const LdContext& c = **context;
  const bool details = req.Query("details") && *req.Query("details") == "true";
  Json body;
  if (details) {
    body = Json::MakeArray();
    for (const auto& t : *types) {
      Json attrs = Json::MakeArray();
      for (const auto& a : t.attributes) attrs.Push(c.CompactIri(a));
      body.Push(Json::MakeObject({{"id", t.type},
                                  {"type", "EntityType"},
                                  {"typeName", c.CompactIri(t.type)},
                                  {"attributeNames", std::move(attrs)}}));
    }
  } else {
    Json names = Json::MakeArray();
    for (const auto& t : *types) names.Push(c.CompactIri(t.type));
    body = Json::MakeObject({{"id", "urn:ngsi-ld:EntityTypeList:" + (ctx.tenant.empty() ? std::string("default") : ctx.tenant)},
                             {"type", "EntityTypeList"},
                             {"typeList", std::move(names)}});
  }
  if (*media == MediaType::kLdJson && body.is_object()) body.Set("@context", c.source());
  return JsonResponse(200, body, *media, c);
}

Response NgsiLdApi::GetType(const RequestContext& ctx, Request& req) {
  Result<MediaType> media = NegotiateAccept(req, false);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  const LdContext& c = **context;
  const std::string iri = c.ExpandTerm(req.PathParam("type"));
  Result<std::vector<service::TypeInfo>> types = entities_.Types(ctx);
  if (!types.ok()) return ProblemResponse(ctx, types.status());
  Result<std::vector<service::AttributeInfo>> attrs = entities_.Attributes(ctx);
  if (!attrs.ok()) return ProblemResponse(ctx, attrs.status());
  for (const auto& t : *types) {
    if (t.type != iri) continue;
    Json details = Json::MakeArray();
    for (const auto& a : t.attributes) {
      Json kinds = Json::MakeArray();
      for (const auto& info : *attrs) {
        if (info.attribute != a) continue;
        for (const auto& k : info.attribute_types) kinds.Push(k);
      }
      details.Push(Json::MakeObject({{"id", a},
                                     {"type", "Attribute"},
                                     {"attributeName", c.CompactIri(a)},
                                     {"attributeTypes", std::move(kinds)}}));
    }
    Json body = Json::MakeObject({{"id", t.type},
                                  {"type", "EntityTypeInfo"},
                                  {"typeName", c.CompactIri(t.type)},
                                  {"entityCount", static_cast<std::int64_t>(t.entity_count)},
                                  {"attributeDetails", std::move(details)}});
    if (*media == MediaType::kLdJson) body.Set("@context", c.source());
    return JsonResponse(200, body, *media, c);
  }
  return ProblemResponse(ctx, Status::NotFound("entity type not found", req.PathParam("type")));
}

Response NgsiLdApi::ListAttributes(const RequestContext& ctx, Request& req) {
  Result<MediaType> media = NegotiateAccept(req, false);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  const LdContext& c = **context;
  Result<std::vector<service::AttributeInfo>> attrs = entities_.Attributes(ctx);
  if (!attrs.ok()) return ProblemResponse(ctx, attrs.status());
  const bool details = req.Query("details") && *req.Query("details") == "true";
  Json body;
  if (details) {
    body = Json::MakeArray();
    for (const auto& a : *attrs) {
      Json types = Json::MakeArray();
      for (const auto& t : a.types) types.Push(c.CompactIri(t));
      body.Push(Json::MakeObject({{"id", a.attribute},
                                  {"type", "Attribute"},
                                  {"attributeName", c.CompactIri(a.attribute)},
                                  {"typeNames", std::move(types)}}));
    }
  } else {
    Json names = Json::MakeArray();
    for (const auto& a : *attrs) names.Push(c.CompactIri(a.attribute));
    body = Json::MakeObject({{"id", "urn:ngsi-ld:AttributeList:" + (ctx.tenant.empty() ? std::string("default") : ctx.tenant)},
                             {"type", "AttributeList"},
                             {"attributeList", std::move(names)}});
  }
  if (*media == MediaType::kLdJson && body.is_object()) body.Set("@context", c.source());
  return JsonResponse(200, body, *media, c);
}

Response NgsiLdApi::GetAttribute(const RequestContext& ctx, Request& req) {
  Result<MediaType> media = NegotiateAccept(req, false);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  const LdContext& c = **context;
  const std::string iri = c.ExpandTerm(req.PathParam("attrId"));
  Result<std::vector<service::AttributeInfo>> attrs = entities_.Attributes(ctx);
  if (!attrs.ok()) return ProblemResponse(ctx, attrs.status());
  for (const auto& a : *attrs) {
    if (a.attribute != iri) continue;
    Json types = Json::MakeArray();
    for (const auto& t : a.types) types.Push(c.CompactIri(t));
    Json kinds = Json::MakeArray();
    for (const auto& k : a.attribute_types) kinds.Push(k);
    Json body = Json::MakeObject({{"id", a.attribute},
                                  {"type", "Attribute"},
                                  {"attributeName", c.CompactIri(a.attribute)},
                                  {"attributeCount", static_cast<std::int64_t>(a.attribute_count)},
                                  {"attributeTypes", std::move(kinds)},
                                  {"typeNames", std::move(types)}});
    if (*media == MediaType::kLdJson) body.Set("@context", c.source());
    return JsonResponse(200, body, *media, c);
  }
  return ProblemResponse(ctx, Status::NotFound("attribute not found", req.PathParam("attrId")));
}

}  // namespace dothi::api::ngsi_ld
