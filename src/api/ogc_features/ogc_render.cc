#include "api/ogc_features/ogc_render.h"

#include "api/common/markup.h"
#include "domain/planning_fields.h"

#include <string_view>

#include "core/time.h"
#include "http/request.h"

namespace dothi::api::ogc {
namespace {

constexpr const char* kConformance[] = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    // Part 3 (Filtering) and the CQL2 classes the filter supports (domain/cql2/parser.h).
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    // Not "spatial-functions": its literals include GEOMETRYCOLLECTION, which we refuse. The
    // other functions (S_WITHIN, S_CONTAINS, ...) work all the same.
};
constexpr const char* kQueryablesRel = "http://www.opengis.net/def/rel/ogc/1.0/queryables";
constexpr const char* kSchemaJsonType = "application/schema+json";
constexpr const char* kJsonSchemaDialect = "https://json-schema.org/draft/2019-09/schema";
constexpr const char* kGeoJsonType = "application/geo+json";
constexpr const char* kOpenApiType = "application/vnd.oai.openapi+json;version=3.0";
constexpr const char* kTitle = "dothi — OGC API Features";
constexpr const char* kDescription =
    "Dữ liệu không gian đô thị của dothi: mỗi lớp dữ liệu GIS đã nhập và mỗi loại thực thể "
    "NGSI-LD có vị trí là một bộ sưu tập / dothi's urban spatial data: every imported GIS "
    "layer and every NGSI-LD entity type with a location is a collection";

Json Link(std::string href, const char* rel, const char* type, std::string title = {}) {
  Json l = Json::MakeObject({{"href", std::move(href)}, {"rel", rel}, {"type", type}});
  if (!title.empty()) l.Set("title", std::move(title));
  return l;
}

std::string Escape(std::string_view s) { return EscapeMarkup(s); }

std::string A(const std::string& href, std::string_view text) {
  return "<a href=\"" + Escape(href) + "\">" + Escape(text) + "</a>";
}

// A whole page: bilingual title, a breadcrumb back to the landing page, then body.
std::string Page(const std::string& base, std::string_view title, const std::string& body) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>";
  out += Escape(title);
  out +=
      "</title><style>body{font-family:sans-serif;margin:1.5em;max-width:70em}"
      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .5em;"
      "text-align:left;vertical-align:top}code{font-size:.9em}</style></head><body>";
  out += "<p>" + A(base, "dothi OGC API") + " · " + A(base + "/collections", "Bộ sưu tập / Collections") +
         "</p><h1>" + Escape(title) + "</h1>";
  out += body;
  out += "</body></html>\n";
  return out;
}

std::string ItemsUrl(const std::string& base, const service::FeatureCollectionInfo& c) {
  return base + "/collections/" + http::PercentEncode(c.id) + "/items";
}

std::string QueryablesUrl(const std::string& base, const service::FeatureCollectionInfo& c) {
  return base + "/collections/" + http::PercentEncode(c.id) + "/queryables";
}

// The JSON schema type of a property, or "" when not known (entity attributes).
std::string_view PropertyType(const service::FeatureCollectionInfo& c, const std::string& name) {
  auto it = c.property_types.find(name);
  return it != c.property_types.end() ? std::string_view(it->second) : std::string_view();
}

std::string ValueText(const Json& v) { return v.is_string() ? v.AsString() : v.Dump(); }

Json Parameter(const char* ref) { return Json::MakeObject({{"$ref", std::string("#/components/parameters/") + ref}}); }

Json Response(const char* description, const char* type, const char* schema_ref) {
  Json content = Json::MakeObject();
  Json media = Json::MakeObject();
  if (schema_ref != nullptr) media.Set("schema", Json::MakeObject({{"$ref", schema_ref}}));
  else media.Set("schema", Json::MakeObject({{"type", "object"}}));
  content.Set(type, std::move(media));
  content.Set("text/html", Json::MakeObject({{"schema", Json::MakeObject({{"type", "string"}})}}));
  return Json::MakeObject({{"description", description}, {"content", std::move(content)}});
}

Json Responses(Json ok) {
  Json error = Json::MakeObject(
      {{"description", "error / lỗi"},
       {"content", Json::MakeObject({{"application/json",
                                      Json::MakeObject({{"schema", Json::MakeObject({{"$ref", "#/components/schemas/exception"}})}})}})}});
  Json r = Json::MakeObject({{"200", std::move(ok)}});
  r.Set("400", error);
  r.Set("404", error);
  r.Set("500", error);
  return r;
}

Json Operation(const char* id, const char* summary, Json parameters, Json ok) {
  return Json::MakeObject({{"get", Json::MakeObject({{"operationId", id},
                                                     {"summary", summary},
                                                     {"parameters", std::move(parameters)},
                                                     {"responses", Responses(std::move(ok))}})}});
}

Json StringSchema() { return Json::MakeObject({{"type", "string"}}); }

// Converts a feature's geometry (if any) from CRS84 to crs.
Status InCrs(Json& feature, const geo::CrsTransform& crs, std::string_view id) {
  Json* g = feature.Find("geometry");
  if (g == nullptr || g->is_null()) return Status::OK();
  Result<Json> converted = crs.GeometryFromCrs84(*g);
  if (!converted.ok()) {
    return Status::BadRequestData("a geometry cannot be given in the requested crs", id);
  }
  *g = std::move(*converted);
  return Status::OK();
}

}  // namespace

Json LandingJson(const std::string& base, const OgcExtension& extension) {
  Json links = Json::MakeArray();
  links.Push(Link(base, "self", "application/json", "this document"));
  links.Push(Link(base + "?f=html", "alternate", "text/html", "this document as HTML"));
  links.Push(Link(base + "/api", "service-desc", kOpenApiType, "the API definition"));
  links.Push(Link(base + "/api?f=html", "service-doc", "text/html", "the API documentation"));
  links.Push(Link(base + "/conformance", "conformance", "application/json",
                  "OGC API conformance classes implemented by this server"));
  links.Push(Link(base + "/collections", "data", "application/json",
                  "information about the feature collections"));
  for (const OgcLink& l : extension.landing_links) {
    links.Push(Link(base + l.path, l.rel.c_str(), l.type.c_str(), l.title));
  }
  return Json::MakeObject({{"title", kTitle}, {"description", kDescription}, {"links", std::move(links)}});
}

std::string LandingHtml(const std::string& base, const OgcExtension& extension) {
  std::string body = "<p>" + Escape(kDescription) + "</p><ul>";
  body += "<li>" + A(base + "/collections?f=html", "Bộ sưu tập dữ liệu / Collections") + "</li>";
  body += "<li>" + A(base + "/conformance?f=html", "Lớp tuân thủ / Conformance") + "</li>";
  body += "<li>" + A(base + "/api?f=html", "Định nghĩa API / API definition") + " (" +
          A(base + "/api", "OpenAPI 3.0 JSON") + ")</li>";
  for (const OgcLink& l : extension.landing_links) {
    body += "<li>" + A(base + l.path, l.title) + " (" + Escape(l.type) + ")</li>";
  }
  body += "<li>" + A(base + "?f=json", "JSON") + "</li></ul>";
  return Page(base, kTitle, body);
}

Json ConformanceJson(const OgcExtension& extension) {
  Json list = Json::MakeArray();
  for (const char* c : kConformance) list.Push(c);
  for (const std::string& c : extension.conformance) list.Push(c);
  return Json::MakeObject({{"conformsTo", std::move(list)}});
}

std::string ConformanceHtml(const std::string& base, const OgcExtension& extension) {
  std::string body = "<ul>";
  for (const char* c : kConformance) body += "<li><code>" + Escape(c) + "</code></li>";
  for (const std::string& c : extension.conformance) body += "<li><code>" + Escape(c) + "</code></li>";
  body += "</ul>";
  return Page(base, "Lớp tuân thủ / Conformance", body);
}

// What a collection serves, in English (the JSON description) or both languages (HTML).
std::string Description(const service::FeatureCollectionInfo& c) {
  if (!c.layer) return "NGSI-LD entity type " + c.type_iri;
  const domain::LayerInfo& info = c.layer->info();
  return "Layer imported from " + info.source + " (" + info.source_crs + "), version " +
         std::to_string(info.version) + ", " + std::string(domain::LayerRoleName(info.role));
}

Json CollectionJson(const std::string& base, const service::FeatureCollectionInfo& c,
                    const OgcExtension& extension) {
  const std::string self = base + "/collections/" + http::PercentEncode(c.id);
  Json links = Json::MakeArray();
  links.Push(Link(self, "self", "application/json", "this collection"));
  links.Push(Link(self + "?f=html", "alternate", "text/html", "this collection as HTML"));
  links.Push(Link(ItemsUrl(base, c), "items", kGeoJsonType, "the features of " + c.id));
  links.Push(Link(ItemsUrl(base, c) + "?f=html", "items", "text/html", "the features as HTML"));
  links.Push(Link(QueryablesUrl(base, c), kQueryablesRel, kSchemaJsonType,
                  "the properties a filter on " + c.id + " may use"));
  links.Push(Link(QueryablesUrl(base, c) + "?f=html", kQueryablesRel, "text/html",
                  "the queryables as HTML"));
  for (const OgcLink& l : extension.collection_links) {
    links.Push(Link(self + l.path, l.rel.c_str(), l.type.c_str(), l.title));
  }
  Json crs = Json::MakeArray();
  for (const geo::Crs& c : geo::SupportedCrs()) crs.Push(c.Uri());
  Json out = Json::MakeObject({{"id", c.id},
                               {"title", c.title},
                               {"description", Description(c)},
                               {"itemType", "feature"},
                               {"crs", std::move(crs)},
                               {"storageCrs", kCrs84},
                               {"links", std::move(links)}});
  if (c.layer && !c.layer->info().extent.empty()) {
    const geo::BBox& b = c.layer->info().extent;
    Json box(Json::Array{Json(b.min_x), Json(b.min_y), Json(b.max_x), Json(b.max_y)});
    out.Set("extent", Json::MakeObject({{"spatial", Json::MakeObject({
                                                        {"bbox", Json(Json::Array{std::move(box)})},
                                                        {"crs", kCrs84}})}}));
  }
  return out;
}

Json CollectionsJson(const std::string& base,
                     const std::vector<service::FeatureCollectionInfo>& collections,
                     const OgcExtension& extension) {
  Json list = Json::MakeArray();
  for (const auto& c : collections) list.Push(CollectionJson(base, c, extension));
  Json links = Json::MakeArray();
  links.Push(Link(base + "/collections", "self", "application/json", "this document"));
  links.Push(Link(base + "/collections?f=html", "alternate", "text/html", "this document as HTML"));
  return Json::MakeObject({{"links", std::move(links)}, {"collections", std::move(list)}});
}

std::string CollectionHtml(const std::string& base, const service::FeatureCollectionInfo& c) {
  std::string what =
      c.layer ? "<p>Lớp dữ liệu nhập từ / Layer imported from <code>" +
                    Escape(c.layer->info().source) + "</code> (" + Escape(c.layer->info().source_crs) +
                    "), phiên bản / version " + std::to_string(c.layer->info().version) + "</p>"
              : "<p>Loại thực thể NGSI-LD / NGSI-LD entity type: <code>" + Escape(c.type_iri) +
                    "</code></p>";
  std::string body = what + "<p>Số đối tượng / Features: " + std::to_string(c.entity_count) +
                     "</p><p>" + A(ItemsUrl(base, c) + "?f=html", "Các đối tượng / Features") +
                     " · " + A(ItemsUrl(base, c), "GeoJSON") + " · " +
                     A(QueryablesUrl(base, c) + "?f=html", "Thuộc tính lọc / Queryables") + "</p>";
  if (c.layer) {
    body += "<h2>Thuộc tính / Properties</h2><table><tr><th>tên / name</th><th>kiểu / type</th>"
            "<th>trường quy hoạch / planning field</th></tr>";
    for (const auto& [name, iri] : c.properties) {
      std::string field;
      for (const auto& [f, property] : c.layer->info().fields) {
        if (property != name) continue;
        const domain::PlanningField* pf = domain::FindPlanningField(f);
        field += (field.empty() ? "" : "; ") +
                 (pf != nullptr ? std::string(pf->vi) + " / " + std::string(pf->en) : f);
      }
      auto type = c.property_types.find(name);
      body += "<tr><td>" + Escape(name) + "</td><td>" +
              Escape(type != c.property_types.end() ? type->second : "") + "</td><td>" +
              Escape(field) + "</td></tr>";
    }
  } else {
    body += "<h2>Thuộc tính / Properties</h2><table><tr><th>tên / name</th><th>IRI</th></tr>";
    for (const auto& [name, iri] : c.properties) {
      body += "<tr><td>" + Escape(name) + "</td><td><code>" + Escape(iri) + "</code></td></tr>";
    }
  }
  body += "</table>";
  return Page(base, c.title, body);
}

std::string CollectionsHtml(const std::string& base,
                            const std::vector<service::FeatureCollectionInfo>& collections) {
  std::string body = "<table><tr><th>Bộ sưu tập / Collection</th><th>Số thực thể / Entities</th>"
                     "<th>Đối tượng / Features</th></tr>";
  for (const auto& c : collections) {
    body += "<tr><td>" + A(base + "/collections/" + http::PercentEncode(c.id) + "?f=html", c.title) +
            "</td><td>" + std::to_string(c.entity_count) + "</td><td>" +
            A(ItemsUrl(base, c) + "?f=html", "HTML") + " · " + A(ItemsUrl(base, c), "GeoJSON") +
            "</td></tr>";
  }
  body += "</table>";
  if (collections.empty()) body += "<p>Chưa có dữ liệu / No collections yet.</p>";
  return Page(base, "Bộ sưu tập dữ liệu / Collections", body);
}

Json QueryablesJson(const std::string& base, const service::FeatureCollectionInfo& c) {
  Json properties = Json::MakeObject();
  properties.Set(c.GeometryName(),
                 Json::MakeObject({{"title", std::string(c.GeometryName())},
                                   {"description", c.layer ? "the feature geometry"
                                                           : "the entity's location (also "
                                                             "accepted as \"geometry\")"},
                                   {"format", "geometry-any"},
                                   {"x-ogc-role", "primary-geometry"}}));
  for (const auto& [name, iri] : c.properties) {
    Json p = Json::MakeObject({{"title", name}});
    if (!c.layer) p.Set("description", "NGSI-LD attribute " + iri);
    if (std::string_view type = PropertyType(c, name); !type.empty()) {
      p.Set("type", std::string(type));
    }
    properties.Set(name, std::move(p));
  }
  return Json::MakeObject({{"$schema", kJsonSchemaDialect},
                           {"$id", QueryablesUrl(base, c)},
                           {"type", "object"},
                           {"title", c.title},
                           {"description", "the properties a filter on " + c.id + " may use"},
                           {"properties", std::move(properties)},
                           {"additionalProperties", false}});
}

std::string QueryablesHtml(const std::string& base, const service::FeatureCollectionInfo& c) {
  std::string body =
      "<p>" + A(base + "/collections/" + http::PercentEncode(c.id) + "?f=html", c.title) + " · " +
      A(QueryablesUrl(base, c) + "?f=json", "JSON Schema") + "</p>"
      "<p>Các thuộc tính dùng được trong tham số <code>filter</code> (CQL2) và làm tham số "
      "<code>tên=giá trị</code> / The properties the <code>filter</code> parameter (CQL2) may use, "
      "also as <code>name=value</code> parameters.</p>"
      "<table><tr><th>tên / name</th><th>kiểu / type</th><th>mô tả / description</th></tr>";
  body += "<tr><td><code>" + Escape(c.GeometryName()) +
          "</code></td><td>hình học / geometry</td><td>" +
          (c.layer ? std::string("hình học của đối tượng / the feature geometry")
                   : std::string("vị trí của thực thể; cũng viết được là <code>geometry</code> / the "
                                 "entity's location; <code>geometry</code> works too")) +
          "</td></tr>";
  for (const auto& [name, iri] : c.properties) {
    const std::string_view type = PropertyType(c, name);
    body += "<tr><td><code>" + Escape(name) + "</code></td><td>" +
            Escape(type.empty() ? "bất kỳ / any" : type) + "</td><td>" +
            (c.layer ? std::string() : "<code>" + Escape(iri) + "</code>") + "</td></tr>";
  }
  body += "</table><p>Ví dụ / Example: " +
          A(ItemsUrl(base, c) + "?f=html&filter=" +
                http::PercentEncode("S_INTERSECTS(" + std::string(c.GeometryName()) +
                                    ", BBOX(102,8,110,24))"),
            "S_INTERSECTS(" + std::string(c.GeometryName()) + ", BBOX(102,8,110,24))") +
          "</p>";
  return Page(base, "Thuộc tính lọc / Queryables: " + c.title, body);
}

Json FeatureJson(const service::Feature& f) {
  return Json::MakeObject({{"type", "Feature"},
                           {"id", f.id},
                           {"geometry", f.geometry},
                           {"properties", f.properties}});
}

Result<Json> ItemsJson(const std::string&, const service::FeatureCollectionInfo&,
                       const service::FeaturePage& page, const ItemsLinks& links,
                       const geo::CrsTransform* crs) {
  Json features = Json::MakeArray();
  for (const auto& e : page.features) {
    Json f = FeatureJson(e);
    if (crs != nullptr) {
      if (Status s = InCrs(f, *crs, e.id); !s.ok()) return s;
    }
    features.Push(std::move(f));
  }
  Json l = Json::MakeArray();
  l.Push(Link(links.self, "self", kGeoJsonType, "this document"));
  l.Push(Link(links.alternate_html, "alternate", "text/html", "this document as HTML"));
  if (!links.next.empty()) l.Push(Link(links.next, "next", kGeoJsonType, "next page"));
  if (!links.prev.empty()) l.Push(Link(links.prev, "prev", kGeoJsonType, "previous page"));
  l.Push(Link(links.collection, "collection", "application/json", "the collection"));
  return Json::MakeObject({{"type", "FeatureCollection"},
                           {"features", std::move(features)},
                           {"numberMatched", static_cast<std::int64_t>(page.matched)},
                           {"numberReturned", static_cast<std::int64_t>(page.features.size())},
                           {"timeStamp", FormatIso8601(Now())},
                           {"links", std::move(l)}});
}

std::string ItemsHtml(const std::string& base, const service::FeatureCollectionInfo& c,
                      const service::FeaturePage& page, const ItemsLinks& links) {
  std::string body = "<p>" + std::to_string(page.features.size()) + " / " +
                     std::to_string(page.matched) +
                     " đối tượng / features · " + A(links.alternate_json, "GeoJSON") + " · " +
                     A(QueryablesUrl(base, c) + "?f=html", "Thuộc tính lọc / Queryables") + "</p>";
  body += "<form method=\"get\" action=\"" + Escape(ItemsUrl(base, c)) +
          "\"><label>Bộ lọc CQL2 / CQL2 filter: <input name=\"filter\" size=\"60\" value=\"" +
          Escape(links.filter) + "\"></label><input type=\"hidden\" name=\"f\" value=\"html\"> "
          "<button>Lọc / Filter</button></form>";
  body += "<table><tr><th>id</th><th>hình học / geometry</th><th>thuộc tính / properties</th></tr>";
  for (const auto& e : page.features) {
    Json f = FeatureJson(e);
    const Json* g = f.Find("geometry");
    const Json* gt = g != nullptr && g->is_object() ? g->Find("type") : nullptr;
    std::string props;
    for (const auto& [k, v] : f.Find("properties")->AsObject()) {
      props += Escape(k) + ": " + Escape(ValueText(v)) + "<br>";
    }
    body += "<tr><td>" + A(ItemsUrl(base, c) + "/" + http::PercentEncode(e.id) + "?f=html", e.id) +
            "</td><td>" + Escape(gt != nullptr ? ValueText(*gt) : "") + "</td><td>" + props +
            "</td></tr>";
  }
  body += "</table><p>";
  if (!links.prev_html.empty()) body += A(links.prev_html, "← trước / previous") + " ";
  if (!links.next_html.empty()) body += A(links.next_html, "sau / next →");
  body += "</p>";
  return Page(base, c.title, body);
}

Result<Json> ItemJson(const std::string& base, const service::FeatureCollectionInfo& c,
                      const service::Feature& e, const geo::CrsTransform* crs) {
  Json f = FeatureJson(e);
  if (crs != nullptr) {
    if (Status s = InCrs(f, *crs, e.id); !s.ok()) return s;
  }
  const std::string self = ItemsUrl(base, c) + "/" + http::PercentEncode(e.id);
  Json links = Json::MakeArray();
  links.Push(Link(self, "self", kGeoJsonType, "this document"));
  links.Push(Link(self + "?f=html", "alternate", "text/html", "this document as HTML"));
  links.Push(Link(base + "/collections/" + http::PercentEncode(c.id), "collection",
                  "application/json", "the collection"));
  f.Set("links", std::move(links));
  return f;
}

std::string ItemHtml(const std::string& base, const service::FeatureCollectionInfo& c,
                     const service::Feature& e) {
  Json f = FeatureJson(e);
  std::string body = "<p>" + A(base + "/collections/" + http::PercentEncode(c.id) + "?f=html", c.title) +
                     " · " + A(ItemsUrl(base, c) + "/" + http::PercentEncode(e.id) + "?f=json", "GeoJSON") +
                     "</p><table><tr><th>thuộc tính / property</th><th>giá trị / value</th></tr>";
  for (const auto& [k, v] : f.Find("properties")->AsObject()) {
    body += "<tr><td>" + Escape(k) + "</td><td>" + Escape(ValueText(v)) + "</td></tr>";
  }
  body += "</table><h2>Hình học / Geometry</h2><pre>" + Escape(f.Find("geometry")->Dump()) + "</pre>";
  return Page(base, e.id, body);
}

Json OpenApiJson(const std::string& base,
                 const std::vector<service::FeatureCollectionInfo>& collections,
                 std::size_t max_limit) {
  Json params = Json::MakeObject();
  params.Set("f", Json::MakeObject({{"name", "f"}, {"in", "query"}, {"required", false},
                                    {"description", "json or html"},
                                    {"schema", Json::MakeObject({{"type", "string"},
                                                                 {"enum", Json(Json::Array{"json", "html"})}})}}));
  params.Set("collectionId", Json::MakeObject({{"name", "collectionId"}, {"in", "path"}, {"required", true},
                                               {"schema", StringSchema()}}));
  params.Set("featureId", Json::MakeObject({{"name", "featureId"}, {"in", "path"}, {"required", true},
                                            {"description", "the NGSI-LD entity id"},
                                            {"schema", StringSchema()}}));
  params.Set("limit", Json::MakeObject(
                          {{"name", "limit"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                           {"schema", Json::MakeObject({{"type", "integer"}, {"minimum", 1},
                                                        {"maximum", static_cast<std::int64_t>(max_limit)},
                                                        {"default", 10}})}}));
  params.Set("offset", Json::MakeObject({{"name", "offset"}, {"in", "query"}, {"required", false},
                                         {"description", "features to skip (paging)"},
                                         {"schema", Json::MakeObject({{"type", "integer"}, {"minimum", 0}, {"default", 0}})}}));
  params.Set("bbox", Json::MakeObject(
                         {{"name", "bbox"}, {"in", "query"}, {"required", false}, {"style", "form"}, {"explode", false},
                          {"schema", Json::MakeObject({{"type", "array"}, {"minItems", 4}, {"maxItems", 6},
                                                       {"items", Json::MakeObject({{"type", "number"}})}})}}));
  params.Set("datetime", Json::MakeObject({{"name", "datetime"}, {"in", "query"}, {"required", false},
                                           {"description", "instant or interval; matches the entity's modifiedAt"},
                                           {"style", "form"}, {"explode", false}, {"schema", StringSchema()}}));
  Json crs_values = Json::MakeArray();
  for (const geo::Crs& c : geo::SupportedCrs()) crs_values.Push(c.Uri());
  params.Set("crs", Json::MakeObject({{"name", "crs"}, {"in", "query"}, {"required", false},
                                      {"description", "CRS of the geometries in the response"},
                                      {"schema", Json::MakeObject({{"type", "string"}, {"format", "uri"},
                                                                   {"enum", crs_values}})}}));
  params.Set("bbox-crs", Json::MakeObject({{"name", "bbox-crs"}, {"in", "query"}, {"required", false},
                                           {"description", "CRS of bbox (default CRS84)"},
                                           {"schema", Json::MakeObject({{"type", "string"}, {"format", "uri"},
                                                                        {"enum", crs_values}})}}));
  params.Set("filter", Json::MakeObject({{"name", "filter"}, {"in", "query"}, {"required", false},
                                         {"description", "a CQL2 filter on the queryables"},
                                         {"style", "form"}, {"explode", false}, {"schema", StringSchema()}}));
  params.Set("filter-lang",
             Json::MakeObject({{"name", "filter-lang"}, {"in", "query"}, {"required", false},
                               {"description", "the encoding of filter"},
                               {"style", "form"},
                               {"schema", Json::MakeObject({{"type", "string"},
                                                            {"enum", Json(Json::Array{"cql2-text", "cql2-json"})},
                                                            {"default", "cql2-text"}})}}));
  params.Set("filter-crs", Json::MakeObject({{"name", "filter-crs"}, {"in", "query"}, {"required", false},
                                             {"description", "CRS of the geometries in filter (default CRS84)"},
                                             {"style", "form"}, {"explode", false},
                                             {"schema", Json::MakeObject({{"type", "string"}, {"format", "uri-reference"},
                                                                          {"enum", crs_values}})}}));
  Json schemas = Json::MakeObject();
  schemas.Set("exception", Json::MakeObject({{"type", "object"},
                                             {"required", Json(Json::Array{"code"})},
                                             {"properties", Json::MakeObject({{"code", StringSchema()},
                                                                              {"description", StringSchema()}})}}));

  auto refs = [](std::initializer_list<const char*> names) {
    Json a = Json::MakeArray();
    for (const char* n : names) a.Push(Parameter(n));
    return a;
  };
  Json paths = Json::MakeObject();
  paths.Set("/", Operation("getLandingPage", "landing page", refs({"f"}),
                           Response("the landing page", "application/json", nullptr)));
  paths.Set("/conformance", Operation("getConformanceDeclaration", "conformance classes", refs({"f"}),
                                      Response("the conformance classes", "application/json", nullptr)));
  paths.Set("/api", Operation("getApiDefinition", "this API definition", refs({"f"}),
                              Response("the API definition", kOpenApiType, nullptr)));
  paths.Set("/collections", Operation("getCollections", "the feature collections", refs({"f"}),
                                      Response("the collections", "application/json", nullptr)));
  paths.Set("/collections/{collectionId}",
            Operation("describeCollection", "one collection", refs({"collectionId", "f"}),
                      Response("the collection", "application/json", nullptr)));
  paths.Set("/collections/{collectionId}/queryables",
            Operation("getQueryables", "the properties a filter may use", refs({"collectionId", "f"}),
                      Response("a JSON Schema of the queryables", kSchemaJsonType, nullptr)));
  paths.Set("/collections/{collectionId}/items",
            Operation("getFeatures", "the features of a collection",
                      refs({"collectionId", "limit", "offset", "bbox", "bbox-crs", "datetime", "filter",
                            "filter-lang", "filter-crs", "crs", "f"}),
                      Response("a GeoJSON FeatureCollection", kGeoJsonType, nullptr)));
  paths.Set("/collections/{collectionId}/items/{featureId}",
            Operation("getFeature", "one feature", refs({"collectionId", "featureId", "crs", "f"}),
                      Response("a GeoJSON Feature", kGeoJsonType, nullptr)));
  for (const auto& c : collections) {
    Json p = refs({"limit", "offset", "bbox", "bbox-crs", "datetime", "filter", "filter-lang",
                   "filter-crs", "crs", "f"});
    for (const auto& [name, iri] : c.properties) {
      const std::string_view type = PropertyType(c, name);
      p.Push(Json::MakeObject({{"name", name}, {"in", "query"}, {"required", false},
                               {"description", "equals; attribute " + iri},
                               {"style", "form"}, {"explode", false},
                               {"schema", Json::MakeObject({{"type", type.empty() ? "string" : std::string(type)}})}}));
    }
    const std::string id = "getFeatures_" + c.id;
    paths.Set("/collections/" + c.id + "/items",
              Operation(id.c_str(), ("the features of " + c.id).c_str(), std::move(p),
                        Response("a GeoJSON FeatureCollection", kGeoJsonType, nullptr)));
  }
  Json servers = Json::MakeArray();
  servers.Push(Json::MakeObject({{"url", base}}));
  return Json::MakeObject(
      {{"openapi", "3.0.3"},
       {"info", Json::MakeObject({{"title", kTitle}, {"version", "1.0.0"}, {"description", kDescription},
                                  {"license", Json::MakeObject({{"name", "open data"}})}})},
       {"servers", std::move(servers)},
       {"paths", std::move(paths)},
       {"components", Json::MakeObject({{"parameters", std::move(params)}, {"schemas", std::move(schemas)}})}});
}

std::string OpenApiHtml(const std::string& base, const Json& api) {
  std::string body = "<p>" + A(base + "/api?f=json", "OpenAPI 3.0 JSON") + "</p><table><tr><th>path</th><th></th></tr>";
  for (const auto& [path, item] : api.Find("paths")->AsObject()) {
    const Json* get = item.Find("get");
    const Json* summary = get != nullptr ? get->Find("summary") : nullptr;
    body += "<tr><td><code>GET " + Escape(path) + "</code></td><td>" +
            Escape(summary != nullptr ? ValueText(*summary) : "") + "</td></tr>";
  }
  body += "</table>";
  return Page(base, "Định nghĩa API / API definition", body);
}

}  // namespace dothi::api::ogc
