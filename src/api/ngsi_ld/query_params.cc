#include "api/ngsi_ld/query_params.h"

#include <charconv>

#include "api/ngsi_ld/request_support.h"

namespace dothi::api::ngsi_ld {

namespace {

Result<std::size_t> ParseCount(const std::string& s, std::string_view name) {
  std::size_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
    return Status::BadRequestData(std::string(name) + " must be a non-negative integer", s);
  }
  return v;
}

auto Expander(const LdContext& context) {
  return [&context](std::string_view term) { return context.ExpandTerm(term); };
}

Status SetTypes(service::EntityQuery& q, std::string_view text, const LdContext& context) {
  Result<domain::TypeQuery> t = domain::ParseTypeQuery(text);
  if (!t.ok()) return t.status();
  DOTHI_RETURN_IF_ERROR(t->Resolve(Expander(context)));
  q.types = std::move(*t);
  return Status::OK();
}

Status SetQ(service::EntityQuery& q, std::string_view text, const LdContext& context) {
  Result<domain::QQuery> parsed = ParseResolvedQ(text, context);
  if (!parsed.ok()) return parsed.status();
  q.q = std::move(*parsed);
  return Status::OK();
}

Status SetScope(service::EntityQuery& q, std::string_view text) {
  Result<domain::ScopeQuery> s = domain::ParseScopeQuery(text);
  if (!s.ok()) return s.status();
  q.scope = std::move(*s);
  return Status::OK();
}

}  // namespace

Status ReadPaging(const http::Request& req, const QueryParamLimits& limits, service::EntityQuery& q) {
  q.limit = limits.default_limit;
  if (const std::string* l = req.Query("limit")) {
    Result<std::size_t> v = ParseCount(*l, "limit");
    if (!v.ok()) return v.status();
    q.limit = *v;
  }
  if (const std::string* o = req.Query("offset")) {
    Result<std::size_t> v = ParseCount(*o, "offset");
    if (!v.ok()) return v.status();
    q.offset = *v;
  }
  if (const std::string* c = req.Query("count")) {
    if (*c != "true" && *c != "false") return Status::BadRequestData("count must be true or false", *c);
    q.count = *c == "true";
  }
  if (q.limit == 0 && !q.count) {
    return Status::BadRequestData("limit=0 is only allowed with count=true");
  }
  return Status::OK();
}

Result<domain::QQuery> ParseResolvedQ(std::string_view text, const LdContext& context) {
  Result<domain::QQuery> parsed = domain::ParseQ(text);
  if (!parsed.ok()) return parsed.status();
  DOTHI_RETURN_IF_ERROR(parsed->Resolve(Expander(context)));
  return parsed;
}

Result<domain::GeoQuery> GeoQueryFromMember(const Json& g, const LdContext& context,
                                            const geo::GeometryLimits& limits) {
  if (!g.is_object()) return Status::BadRequestData("geoQ must be an object");
  const Json* georel = g.Find("georel");
  const Json* geometry = g.Find("geometry");
  const Json* coords = g.Find("coordinates");
  const Json* gp = g.Find("geoproperty");
  if (!georel || !georel->is_string() || !geometry || !geometry->is_string() || !coords) {
    return Status::BadRequestData("geoQ needs georel, geometry and coordinates");
  }
  if (gp != nullptr && !gp->is_string()) return Status::BadRequestData("geoproperty must be a string");
  return domain::GeoQueryFromJson(
      georel->AsString(), geometry->AsString(), *coords,
      gp ? context.ExpandTerm(gp->AsString()) : std::string(domain::kLocationIri), limits);
}

Result<service::EntityQuery> QueryFromParams(const http::Request& req, const LdContext& context,
                                             const QueryParamLimits& limits, bool require_filter) {
  service::EntityQuery q;
  bool has_filter = false;
  if (const std::string* ids = req.Query("id")) {
    for (auto& id : SplitList(*ids)) {
      if (!domain::IsValidUri(id)) return Status::BadRequestData("id is not a URI", id);
      q.ids.push_back(std::move(id));
    }
  }
  // id and idPattern alone do not make a query narrow enough (clause 5.7.2; ETSI 019_03_05).
  if (const std::string* p = req.Query("idPattern")) q.id_pattern = *p;
  bool local = false;
  if (const std::string* l = req.Query("local")) {
    if (*l != "true" && *l != "false") return Status::BadRequestData("local must be true or false", *l);
    local = *l == "true";
  }
  if (const std::string* t = req.Query("type")) {
    DOTHI_RETURN_IF_ERROR(SetTypes(q, *t, context));
    has_filter = true;
  }
  if (const std::string* text = req.Query("q")) {
    DOTHI_RETURN_IF_ERROR(SetQ(q, *text, context));
    has_filter = true;
  }
  if (const std::string* s = req.Query("scopeQ")) {
    DOTHI_RETURN_IF_ERROR(SetScope(q, *s));
    has_filter = true;
  }
  if (req.Query("attrs") || req.Query("pick")) has_filter = true;
  const std::string* georel = req.Query("georel");
  const std::string* geometry = req.Query("geometry");
  const std::string* coords = req.Query("coordinates");
  if (georel || geometry || coords) {
    if (!georel || !geometry || !coords) {
      return Status::BadRequestData("georel, geometry and coordinates must be given together");
    }
    const std::string* gp = req.Query("geoproperty");
    Result<domain::GeoQuery> g = domain::ParseGeoQuery(
        *georel, *geometry, *coords, gp ? context.ExpandTerm(*gp) : std::string(domain::kLocationIri),
        limits.geometry);
    if (!g.ok()) return g.status();
    q.geo = std::move(*g);
    has_filter = true;
  }
  if (require_filter && !has_filter && !local) {
    return Status::BadRequestData(
        "query too broad: give at least one of type, attrs, pick, q, geoQ or scopeQ, or local=true");
  }
  DOTHI_RETURN_IF_ERROR(ReadPaging(req, limits, q));
  return q;
}

Result<service::EntityQuery> QueryFromBody(const Json& body, const http::Request& req,
                                           const LdContext& context,
                                           const QueryParamLimits& limits) {
  if (!body.is_object()) return Status::BadRequestData("Query must be a JSON object");
  const Json* type = body.Find("type");
  if (type == nullptr || !type->is_string() || type->AsString() != "Query") {
    return Status::BadRequestData("Query body must have \"type\": \"Query\"");
  }
  service::EntityQuery q;
  if (const Json* entities = body.Find("entities")) {
    if (!entities->is_array()) return Status::BadRequestData("entities must be an array");
    std::string type_expr;
    for (const auto& sel : entities->AsArray()) {
      if (!sel.is_object()) return Status::BadRequestData("entity selector must be an object");
      const Json* id = sel.Find("id");
      const Json* t = sel.Find("type");
      const Json* p = sel.Find("idPattern");
      if (id != nullptr) {
        if (!id->is_string() || !domain::IsValidUri(id->AsString())) {
          return Status::BadRequestData("entity selector id is not a URI");
        }
        q.ids.push_back(id->AsString());
      }
      if (p != nullptr) {
        if (!p->is_string()) return Status::BadRequestData("idPattern must be a string");
        q.id_pattern = p->AsString();
      }
      if (t != nullptr) {
        if (!t->is_string()) return Status::BadRequestData("entity selector type must be a string");
        if (!type_expr.empty()) type_expr += '|';
        type_expr += "(" + t->AsString() + ")";
      }
    }
    if (!type_expr.empty()) DOTHI_RETURN_IF_ERROR(SetTypes(q, type_expr, context));
  }
  if (const Json* text = body.Find("q")) {
    if (!text->is_string()) return Status::BadRequestData("q must be a string");
    DOTHI_RETURN_IF_ERROR(SetQ(q, text->AsString(), context));
  }
  if (const Json* s = body.Find("scopeQ")) {
    if (!s->is_string()) return Status::BadRequestData("scopeQ must be a string");
    DOTHI_RETURN_IF_ERROR(SetScope(q, s->AsString()));
  }
  if (const Json* g = body.Find("geoQ")) {
    Result<domain::GeoQuery> gq = GeoQueryFromMember(*g, context, limits.geometry);
    if (!gq.ok()) return gq.status();
    q.geo = std::move(*gq);
  }
  DOTHI_RETURN_IF_ERROR(ReadPaging(req, limits, q));
  return q;
}

}  // namespace dothi::api::ngsi_ld
