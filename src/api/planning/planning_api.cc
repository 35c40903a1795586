#include "api/planning/planning_api.h"

#include <charconv>
#include <cmath>
#include <initializer_list>

#include "domain/land_use.h"
#include "domain/planning_fields.h"
#include "geo/crs.h"
#include "http/status_mapping.h"

namespace dothi::api::planning {
namespace {

Json Label(std::string_view vi, std::string_view en) {
  return Json::MakeObject({{"vi", Json(vi)}, {"en", Json(en)}});
}

http::Response Error(const Status& s) {
  const char* code = "InvalidParameterValue";
  switch (s.code()) {
    case ErrorCode::kNotFound:
    case ErrorCode::kNonexistentTenant: code = "NotFound"; break;
    case ErrorCode::kMethodNotAllowed: code = "MethodNotAllowed"; break;
    case ErrorCode::kInvalidRequest:
    case ErrorCode::kBadRequestData: break;
    default: code = "ServerError"; break;
  }
  http::Response r;
  r.status = http::HttpStatusFor(s.code());
  r.SetHeader("Content-Type", "application/json");
  r.body = Json::MakeObject({{"code", code}, {"description", s.message()}}).Dump();
  return r;
}

http::Response JsonResponse(const Json& body) {
  http::Response r;
  r.SetHeader("Content-Type", "application/json");
  r.body = body.Dump();
  return r;
}

// Refuses parameters outside allowed and repeated ones.
Status CheckParams(const http::Request& req, std::initializer_list<std::string_view> allowed) {
  for (std::size_t i = 0; i < req.query.size(); ++i) {
    const std::string& name = req.query[i].first;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return Status::InvalidRequest("unknown parameter", name);
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (req.query[j].first == name) return Status::InvalidRequest("repeated parameter", name);
    }
  }
  return Status::OK();
}

Result<double> Number(const http::Request& req, std::string_view name) {
  const std::string* text = req.Query(name);
  if (text == nullptr) return Status::InvalidRequest("missing parameter", name);
  double v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || !std::isfinite(v)) {
    return Status::InvalidRequest("not a number", std::string(name) + "=" + *text);
  }
  return v;
}

// One field's entry: its labels, the value, and for land-use codes the code's names.
Json FieldJson(const domain::PlanningField& f, const Json& value) {
  Json out = Json::MakeObject({{"field", Json(f.name)}, {"label", Label(f.vi, f.en)}, {"value", value}});
  if (f.name == "land_use" && value.is_string()) {
    if (const domain::LandUseCode* c = domain::FindLandUse(value.AsString())) {
      out.Set("valueLabel", Label(c->vi, c->en));
    }
  }
  return out;
}

Json HitJson(const service::LayerHit& hit, const std::vector<domain::PlanningField>& fields,
             bool geometry) {
  const domain::LayerInfo& info = hit.layer->info();
  Json values = Json::MakeArray();
  for (const domain::PlanningField& f : fields) {
    if (const Json* v = hit.Field(f.name)) values.Push(FieldJson(f, *v));
  }
  Json out = Json::MakeObject({{"layer", info.name},
                               {"layerTitle", info.title},
                               {"featureId", hit.feature().id},
                               {"fields", std::move(values)},
                               {"properties", hit.feature().properties}});
  if (geometry) {
    out.Set("geometry", hit.feature().geometry ? hit.feature().geometry->ToGeoJson() : Json());
  }
  return out;
}

}  // namespace

PlanningApi::PlanningApi(service::PlanningService& planning, PlanningOptions options)
    : planning_(planning), options_(std::move(options)) {}

void PlanningApi::RegisterRoutes(http::Router& router) {
  using M = http::Method;
  auto bind = [this](http::Response (PlanningApi::*fn)(const RequestContext&, http::Request&) const) {
    return [this, fn](const RequestContext& ctx, http::Request& req) { return (this->*fn)(ctx, req); };
  };
  router.Add(M::kGet, "/planning/v1/lookup", "planning.lookup", bind(&PlanningApi::Lookup));
  router.Add(M::kGet, "/planning/v1/parcels", "planning.parcels", bind(&PlanningApi::Parcels));
  router.Add(M::kGet, "/planning/v1/search", "planning.search", bind(&PlanningApi::Search));
  router.Add(M::kGet, "/planning/v1/fields", "planning.fields", bind(&PlanningApi::Fields));
  router.SetErrorRenderer("/planning", [](const RequestContext&, const http::Request&, const Status& s) {
    return Error(s);
  });
}

RequestContext PlanningApi::TenantContext(const RequestContext& ctx, const http::Request& req) const {
  RequestContext out = ctx;
  if (req.Header("NGSILD-Tenant") != nullptr) return out;
  const std::string* t = req.Query("tenant");
  out.tenant = t != nullptr ? *t : options_.default_tenant;
  return out;
}

http::Response PlanningApi::Lookup(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"lon", "lat", "x", "y", "srs", "tenant"}); !s.ok()) return Error(s);
  double lon = 0, lat = 0;
  Json input;
  if (req.Query("lon") != nullptr || req.Query("lat") != nullptr) {
    if (req.Query("x") != nullptr || req.Query("y") != nullptr || req.Query("srs") != nullptr) {
      return Error(Status::InvalidRequest("give lon/lat or x/y with srs, not both"));
    }
    Result<double> a = Number(req, "lon"), b = Number(req, "lat");
    if (!a.ok()) return Error(a.status());
    if (!b.ok()) return Error(b.status());
    if (std::fabs(*a) > 180 || std::fabs(*b) > 90) {
      return Error(Status::InvalidRequest("lon is in [-180, 180] and lat in [-90, 90]"));
    }
    lon = *a;
    lat = *b;
  } else {
    const std::string* srs = req.Query("srs");
    if (srs == nullptr) {
      return Error(Status::InvalidRequest(
          "give lon and lat (WGS 84), or x, y and srs (e.g. srs=VN2000:ha-noi)"));
    }
    Result<double> x = Number(req, "x"), y = Number(req, "y");
    if (!x.ok()) return Error(x.status());
    if (!y.ok()) return Error(y.status());
    Result<geo::Crs> crs = geo::ParseImportSrs(*srs, nullptr, /*allow_definitions=*/false);
    if (!crs.ok()) return Error(crs.status());
    const bool projected = crs->kind == geo::Crs::Kind::kVn2000Tm3 ||
                           crs->kind == geo::Crs::Kind::kWebMercator || crs->kind == geo::Crs::Kind::kProj;
    double east = *y, north = *x;  // x is the northing, as on a land certificate
    if (crs->kind == geo::Crs::Kind::kVn2000Tm3 && (east < 100'000 || east > 900'000) &&
        north >= 100'000 && north <= 900'000) {
      return Error(Status::InvalidRequest(
          "x is the northing and y the easting (as on a Vietnamese land certificate); these "
          "look swapped"));
    }
    if (!projected) {  // geographic: x latitude, y longitude
      east = *y;
      north = *x;
    }
    Result<std::unique_ptr<geo::CrsTransform>> t = geo::CrsTransform::Make(*crs);
    if (!t.ok()) return Error(t.status());
    if (Status s = (*t)->GisOrderToCrs84(east, north); !s.ok()) {
      return Error(Status::BadRequestData("the coordinates are outside the CRS's domain", *srs));
    }
    lon = east;
    lat = north;
    input = Json::MakeObject({{"x", *x}, {"y", *y}, {"srs", crs->Name()}});
  }
  Result<service::PointLookup> r = planning_.AtPoint(TenantContext(ctx, req), lon, lat);
  if (!r.ok()) return Error(r.status());
  Json zones = Json::MakeArray();
  for (const auto& z : r->zones) zones.Push(HitJson(z, domain::ZoningFields(), false));
  Json admin = Json::MakeArray();
  for (const auto& a : r->administrative) admin.Push(HitJson(a, domain::AdministrativeFields(), false));
  Json out = Json::MakeObject({{"point", Json::MakeObject({{"lon", lon}, {"lat", lat}})}});
  if (!input.is_null()) out.Set("input", std::move(input));
  out.Set("zones", std::move(zones));
  out.Set("parcel", r->parcel ? HitJson(*r->parcel, domain::ParcelFields(), true) : Json());
  out.Set("administrative", std::move(admin));
  return JsonResponse(out);
}

http::Response PlanningApi::Parcels(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"commune", "sheet", "parcel", "tenant"}); !s.ok()) return Error(s);
  const std::string* commune = req.Query("commune");
  const std::string* sheet = req.Query("sheet");
  const std::string* number = req.Query("parcel");
  if (commune == nullptr || sheet == nullptr || number == nullptr) {
    return Error(Status::InvalidRequest("commune, sheet and parcel are required"));
  }
  Result<service::ParcelLookup> r = planning_.Parcel(TenantContext(ctx, req), *commune, *sheet, *number);
  if (!r.ok()) return Error(r.status());
  Json zones = Json::MakeArray();
  for (const auto& z : r->zones) {
    Json j = HitJson(z, domain::ZoningFields(), false);
    j.Set("share", std::round(z.share * 10000.0) / 10000.0);
    j.Set("areaM2", std::round(z.share * r->area_m2 * 100.0) / 100.0);
    zones.Push(std::move(j));
  }
  Json parcel = HitJson(r->parcel, domain::ParcelFields(), true);
  parcel.Set("computedAreaM2", std::round(r->area_m2 * 100.0) / 100.0);
  return JsonResponse(Json::MakeObject({{"parcel", std::move(parcel)}, {"zones", std::move(zones)}}));
}

http::Response PlanningApi::Search(const RequestContext& ctx, http::Request& req) const {
  if (Status s = CheckParams(req, {"q", "limit", "tenant"}); !s.ok()) return Error(s);
  const std::string* q = req.Query("q");
  if (q == nullptr || q->empty()) return Error(Status::InvalidRequest("q is required"));
  if (q->size() > 200) return Error(Status::InvalidRequest("q is at most 200 bytes"));
  std::size_t limit = 10;
  if (req.Query("limit") != nullptr) {
    Result<double> l = Number(req, "limit");
    if (!l.ok() || *l < 1 || *l != std::floor(*l)) {
      return Error(Status::InvalidRequest("limit is a positive integer"));
    }
    limit = std::min<std::size_t>(static_cast<std::size_t>(*l), options_.max_search_results);
  }
  Result<std::vector<service::SearchHit>> r = planning_.Search(TenantContext(ctx, req), *q, limit);
  if (!r.ok()) return Error(r.status());
  Json hits = Json::MakeArray();
  for (const auto& h : *r) {
    const auto& fields = h.hit.layer->info().role == domain::LayerRole::kParcel ? domain::ParcelFields()
                         : h.hit.layer->info().role == domain::LayerRole::kPlanning ? domain::ZoningFields()
                                                                                    : domain::AdministrativeFields();
    Json j = HitJson(h.hit, fields, false);
    j.Set("matched", h.text);
    if (const auto& g = h.hit.feature().geometry) {
      const geo::BBox& b = g->bbox();
      j.Set("bbox", Json(Json::Array{Json(b.min_x), Json(b.min_y), Json(b.max_x), Json(b.max_y)}));
    }
    hits.Push(std::move(j));
  }
  return JsonResponse(Json::MakeObject({{"query", *q}, {"results", std::move(hits)}}));
}

http::Response PlanningApi::Fields(const RequestContext&, http::Request& req) const {
  if (Status s = CheckParams(req, {"tenant"}); !s.ok()) return Error(s);
  auto list = [](const std::vector<domain::PlanningField>& fields) {
    Json out = Json::MakeArray();
    for (const auto& f : fields) {
      out.Push(Json::MakeObject({{"field", Json(f.name)}, {"label", Label(f.vi, f.en)}}));
    }
    return out;
  };
  return JsonResponse(Json::MakeObject({{"zoning", list(domain::ZoningFields())},
                                        {"parcel", list(domain::ParcelFields())},
                                        {"administrative", list(domain::AdministrativeFields())}}));
}

}  // namespace dothi::api::planning
