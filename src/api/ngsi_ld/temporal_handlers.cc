// Handlers for the temporal API (/ngsi-ld/v1/temporal, clause 5.6.11-5.6.16, 5.7.3-5.7.4):
// parse -> TemporalService -> render (api/ngsi_ld/temporal_codec.h).
#include "api/ngsi_ld/errors.h"
#include "api/ngsi_ld/ngsi_ld_api.h"
#include "api/ngsi_ld/query_params.h"
#include "api/ngsi_ld/request_support.h"
#include "api/ngsi_ld/temporal_codec.h"

namespace dothi::api::ngsi_ld {

using http::Request;
using http::Response;

namespace {

Result<std::string> AttrParam(const Request& req, const LdContext& context) {
  const std::string_view name = req.PathParam("attrId");
  if (!IsValidAttrName(name)) return Status::BadRequestData("invalid attribute name", name);
  return context.ExpandTerm(name);
}

Result<std::int64_t> InstanceParam(const Request& req) {
  const std::string_view text = req.PathParam("instanceId");
  if (!domain::IsValidUri(text)) return Status::BadRequestData("instanceId is not a URI", text);
  std::optional<std::int64_t> id = service::ParseInstanceIdUri(text);
  // A URI of another form names no instance here.
  if (!id) return Status::NotFound("attribute instance not found", text);
  return *id;
}

// attrs= and datasetId= into the query.
Status ReadProjection(const Request& req, const LdContext& context, service::TemporalQuery& q) {
  if (const std::string* attrs = req.Query("attrs")) {
    for (const std::string& name : SplitList(*attrs)) {
      if (name == "createdAt" || name == "modifiedAt" || name == "deletedAt" || name == "id" ||
          name == "type") {
        return Status::BadRequestData("attrs names attributes", name);
      }
      q.attrs.push_back(context.ExpandTerm(name));
    }
  }
  if (const std::string* ds = req.Query("datasetId")) {
    std::vector<std::string> ids;
    for (const std::string& d : SplitList(*ds)) {
      if (d == "@none") {
        ids.emplace_back();
      } else if (domain::IsValidUri(d)) {
        ids.push_back(d);
      } else {
        return Status::BadRequestData("datasetId must be a URI or @none", d);
      }
    }
    q.dataset_ids = std::move(ids);
  }
  return Status::OK();
}

service::TemporalQuery FromEntityQuery(service::EntityQuery&& e) {
  service::TemporalQuery q;
  q.ids = std::move(e.ids);
  q.id_pattern = std::move(e.id_pattern);
  q.types = std::move(e.types);
  q.q = std::move(e.q);
  q.geo = std::move(e.geo);
  q.scope = std::move(e.scope);
  q.limit = e.limit;
  q.offset = e.offset;
  q.count = e.count;
  return q;
}

Response RenderResult(const Request& req, const service::TemporalResult& result,
                      const service::TemporalQuery& q, const LdContext& context,
                      const TemporalRender& render, MediaType media) {
  Json body = Json::MakeArray();
  for (const auto& e : result.entities) {
    TemporalRender r = render;
    r.include_context = media == MediaType::kLdJson;
    body.Push(RenderTemporalEntity(e, context, r, q));
  }
  Response resp = JsonResponse(result.partial ? 206 : 200, body, media, context);
  if (result.partial) resp.SetHeader("Content-Range", ContentRange(result, q));
  if (q.count) resp.SetHeader("NGSILD-Results-Count", std::to_string(result.total));
  if (result.more && req.method == http::Method::kGet) {
    // The same request with the next offset.
    std::string next = req.path + "?";
    for (const auto& [k, v] : req.query) {
      if (k == "offset") continue;
      next += http::PercentEncode(k) + "=" + http::PercentEncode(v) + "&";
    }
    next += "offset=" + std::to_string(q.offset + q.limit);
    const std::string link = "<" + next + ">; rel=\"next\"";
    const std::string* existing = resp.Header("Link");
    resp.SetHeader("Link", existing != nullptr ? *existing + ", " + link : link);
  }
  return resp;
}

Status CheckTemporalQueryLimits(const service::TemporalQuery& q, std::size_t max_page) {
  if (q.limit > max_page) {
    return Status::TooManyResults("limit is larger than the largest page", std::to_string(max_page));
  }
  if (q.scope) return Status::Unsupported("scopeQ is not supported on the temporal API");
  return Status::OK();
}

}  // namespace

Response NgsiLdApi::QueryTemporal(const RequestContext& ctx, Request& req) {
  Result<MediaType> media = NegotiateAccept(req, false);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  Result<TemporalRender> render = TemporalRenderFromQuery(req, **context);
  if (!render.ok()) return ProblemResponse(ctx, render.status());
  QueryParamLimits limits;
  limits.default_limit = entities_.options().default_page_size;
  limits.geometry = options_.limits.geometry;
  Result<service::EntityQuery> eq = QueryFromParams(req, **context, limits, false);
  if (!eq.ok()) return ProblemResponse(ctx, eq.status());
  // A temporal query must say what it is about (ETSI 021_12, 021_24).
  if (!eq->types && !eq->q && !eq->geo && req.Query("attrs") == nullptr) {
    return ProblemResponse(ctx, Status::BadRequestData(
                                    "a temporal query needs type, attrs, q or a geo-query"));
  }
  service::TemporalQuery q = FromEntityQuery(std::move(*eq));
  if (Status s = ReadProjection(req, **context, q); !s.ok()) return ProblemResponse(ctx, s);
  auto lookup = [&req](std::string_view name) { return req.Query(name); };
  if (Status s = ReadTemporalParams(lookup, render->format == TemporalFormat::kAggregated, q);
      !s.ok()) {
    return ProblemResponse(ctx, s);
  }
  if (Status s = CheckTemporalQueryLimits(q, temporal_->options().max_page_size); !s.ok()) {
    return ProblemResponse(ctx, s);
  }
  Result<service::TemporalResult> result = temporal_->Query(ctx, q);
  if (!result.ok()) return ProblemResponse(ctx, result.status());
  return RenderResult(req, *result, q, **context, *render, *media);
}

Response NgsiLdApi::QueryTemporalPost(const RequestContext& ctx, Request& req) {
  Result<MediaType> media = NegotiateAccept(req, false);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<TemporalRender> render = TemporalRenderFromQuery(req, *body->context);
  if (!render.ok()) return ProblemResponse(ctx, render.status());
  QueryParamLimits limits;
  limits.default_limit = entities_.options().default_page_size;
  limits.geometry = options_.limits.geometry;
  Result<service::EntityQuery> eq = QueryFromBody(body->body, req, *body->context, limits);
  if (!eq.ok()) return ProblemResponse(ctx, eq.status());
  service::TemporalQuery q = FromEntityQuery(std::move(*eq));
  if (Status s = ReadProjection(req, *body->context, q); !s.ok()) return ProblemResponse(ctx, s);
  if (const Json* attrs = body->body.Find("attrs")) {
    if (!attrs->is_array()) return ProblemResponse(ctx, Status::BadRequestData("attrs must be an array"));
    for (const Json& a : attrs->AsArray()) {
      if (!a.is_string()) return ProblemResponse(ctx, Status::BadRequestData("attrs must hold strings"));
      q.attrs.push_back(body->context->ExpandTerm(a.AsString()));
    }
  }
  // temporalQ (and aggrParams) members are the GET parameters in JSON form.
  std::vector<std::pair<std::string, std::string>> members;
  for (const char* name : {"temporalQ", "aggrParams"}) {
    if (const Json* tq = body->body.Find(name)) {
      Result<std::vector<std::pair<std::string, std::string>>> m = TemporalQMembers(*tq);
      if (!m.ok()) return ProblemResponse(ctx, m.status());
      members.insert(members.end(), m->begin(), m->end());
    }
  }
  auto lookup = [&members](std::string_view name) -> const std::string* {
    for (const auto& [k, v] : members) {
      if (k == name) return &v;
    }
    return nullptr;
  };
  bool aggregated = render->format == TemporalFormat::kAggregated;
  if (lookup("aggrMethods") != nullptr && render->format == TemporalFormat::kNormalized &&
      !req.Query("format")) {
    aggregated = true;  // aggrMethods in the body asks for aggregated values (ETSI 021_27_07)
    render->format = TemporalFormat::kAggregated;
  }
  if (Status s = ReadTemporalParams(lookup, aggregated, q); !s.ok()) return ProblemResponse(ctx, s);
  if (Status s = CheckTemporalQueryLimits(q, temporal_->options().max_page_size); !s.ok()) {
    return ProblemResponse(ctx, s);
  }
  Result<service::TemporalResult> result = temporal_->Query(ctx, q);
  if (!result.ok()) return ProblemResponse(ctx, result.status());
  return RenderResult(req, *result, q, *body->context, *render, *media);
}

Response NgsiLdApi::RetrieveTemporal(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<MediaType> media = NegotiateAccept(req, false);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  Result<TemporalRender> render = TemporalRenderFromQuery(req, **context);
  if (!render.ok()) return ProblemResponse(ctx, render.status());
  service::TemporalQuery q;
  if (Status s = ReadProjection(req, **context, q); !s.ok()) return ProblemResponse(ctx, s);
  auto lookup = [&req](std::string_view name) { return req.Query(name); };
  if (Status s = ReadTemporalParams(lookup, render->format == TemporalFormat::kAggregated, q);
      !s.ok()) {
    return ProblemResponse(ctx, s);
  }
  Result<service::TemporalResult> result = temporal_->Retrieve(ctx, *id, q);
  if (!result.ok()) return ProblemResponse(ctx, result.status());
  TemporalRender r = *render;
  r.include_context = *media == MediaType::kLdJson;
  Json rendered = RenderTemporalEntity(result->entities.front(), **context, r, q);
  if (render->pick || render->omit) {
    // A projection that leaves nothing finds nothing (ETSI 020_23).
    std::size_t members = rendered.size() - (r.include_context ? 1 : 0);
    if (members == 0) return ProblemResponse(ctx, Status::NotFound("the projection leaves nothing", *id));
  }
  Response resp = JsonResponse(result->partial ? 206 : 200, rendered, *media, **context);
  if (result->partial) resp.SetHeader("Content-Range", ContentRange(*result, q));
  return resp;
}

Response NgsiLdApi::CreateTemporal(const RequestContext& ctx, Request& req) {
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<TemporalEntityBody> e = DecodeTemporalEntity(body->body, *body->context, options_.limits, true);
  if (!e.ok()) return ProblemResponse(ctx, e.status());
  Result<bool> created = temporal_->CreateOrUpdate(ctx, e->id, e->types, e->attrs);
  if (!created.ok()) return ProblemResponse(ctx, created.status());
  if (!*created) return NoContent();
  Response r;
  r.status = 201;
  r.SetHeader("Location", "/ngsi-ld/v1/temporal/entities/" + http::PercentEncode(e->id));
  return r;
}

Response NgsiLdApi::AppendTemporal(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<TemporalEntityBody> e = DecodeTemporalEntity(body->body, *body->context, options_.limits, false);
  if (!e.ok()) return ProblemResponse(ctx, e.status());
  if (Status s = temporal_->Append(ctx, *id, e->attrs); !s.ok()) return ProblemResponse(ctx, s);
  return NoContent();
}

Response NgsiLdApi::DeleteTemporal(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  if (Status s = temporal_->DeleteEntity(ctx, *id); !s.ok()) return ProblemResponse(ctx, s);
  return NoContent();
}

Response NgsiLdApi::DeleteTemporalAttr(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  Result<std::string> attr = AttrParam(req, **context);
  if (!attr.ok()) return ProblemResponse(ctx, attr.status());
  Result<AttrDeletion> del = AttrDeletionFromQuery(req);
  if (!del.ok()) return ProblemResponse(ctx, del.status());
  Status s = temporal_->DeleteAttribute(ctx, *id, *attr, std::move(del->dataset_id), del->delete_all);
  if (!s.ok()) return ProblemResponse(ctx, s);
  return NoContent();
}

Response NgsiLdApi::ModifyTemporalInstance(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<std::string> attr = AttrParam(req, *body->context);
  if (!attr.ok()) return ProblemResponse(ctx, attr.status());
  Result<std::int64_t> instance = InstanceParam(req);
  if (!instance.ok()) return ProblemResponse(ctx, instance.status());
  if (!body->body.is_object()) {
    return ProblemResponse(ctx, Status::BadRequestData("the instance fragment must be a JSON object"));
  }
  Json fragment = body->body;
  fragment.Erase("@context");
  fragment.Erase("instanceId");
  // Decoded like any instance, so values and sub-attributes get their canonical form.
  if (!fragment.Contains("type")) {
    fragment.Set("type", Json(std::string(domain::attr::kProperty)));
  }
  Result<Json> decoded =
      DecodeAttribute(req.PathParam("attrId"), fragment, *body->context, options_.limits, true);
  if (!decoded.ok()) return ProblemResponse(ctx, decoded.status());
  Json merged = decoded->AsArray().front();
  if (!body->body.Contains("type")) merged.Erase("type");
  Status s = temporal_->ModifyInstance(ctx, *id, *attr, *instance, merged);
  if (!s.ok()) return ProblemResponse(ctx, s);
  return NoContent();
}

Response NgsiLdApi::DeleteTemporalInstance(const RequestContext& ctx, Request& req) {
  Result<std::string> id = EntityIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  Result<std::string> attr = AttrParam(req, **context);
  if (!attr.ok()) return ProblemResponse(ctx, attr.status());
  Result<std::int64_t> instance = InstanceParam(req);
  if (!instance.ok()) return ProblemResponse(ctx, instance.status());
  Status s = temporal_->DeleteInstance(ctx, *id, *attr, *instance);
  if (!s.ok()) return ProblemResponse(ctx, s);
  return NoContent();
}

}  // namespace dothi::api::ngsi_ld
