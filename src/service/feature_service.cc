#include "service/feature_service.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>

#include "core/check.h"
#include "domain/cql2/evaluator.h"
#include "domain/geo_query.h"
#include "domain/query/q_query.h"
#include "domain/query/type_query.h"

namespace dothi::service {
namespace {

// A collection id is used as a path segment: keep letters, digits, '-', '_' and '.'.
std::string UrlSafe(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  // "." and ".." would be read as dot segments by every URL resolver.
  return out.empty() || out == "." || out == ".." ? std::string("_") : out;
}

bool IsNumber(std::string_view s) {
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  return ec == std::errc() && end == s.data() + s.size();
}

// q text quoting: backslash and double quote escaped.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// The collections of a tenant's layers and types: layers by name, then types by id made
// unique (also against the layer names) in type order.
std::vector<FeatureCollectionInfo> Catalogue(
    const std::vector<std::shared_ptr<const LayerData>>& layers, const std::vector<TypeInfo>& types) {
  std::vector<FeatureCollectionInfo> out;
  std::set<std::string> used;
  for (const auto& l : layers) {
    FeatureCollectionInfo c;
    c.id = l->info().name;
    c.title = l->info().title;
    c.layer = l;
    c.entity_count = l->features().size();
    for (const domain::LayerProperty& p : l->info().properties) {
      c.properties.emplace_back(p.name, p.name);
      c.property_types[p.name] = p.type;
    }
    used.insert(c.id);
    out.push_back(std::move(c));
  }
  const std::size_t layer_count = out.size();
  for (const TypeInfo& t : types) {
    if (std::find(t.attributes.begin(), t.attributes.end(), domain::kLocationIri) ==
        t.attributes.end()) {
      continue;
    }
    FeatureCollectionInfo c;
    const std::string base = UrlSafe(FeatureService::ShortName(t.type));
    c.id = base;
    for (int n = 2; used.count(c.id) != 0; ++n) c.id = base + "~" + std::to_string(n);
    used.insert(c.id);
    c.title = std::string(FeatureService::ShortName(t.type));
    c.type_iri = t.type;
    c.entity_count = t.entity_count;
    std::map<std::string, std::vector<std::string>> by_name;
    for (const std::string& iri : t.attributes) {
      if (iri == domain::kLocationIri) continue;
      by_name[std::string(FeatureService::ShortName(iri))].push_back(iri);
    }
    for (auto& [name, iris] : by_name) {
      if (iris.size() == 1) {
        c.properties.emplace_back(name, iris.front());
      } else {
        for (const std::string& iri : iris) c.properties.emplace_back(iri, iri);
      }
    }
    std::sort(c.properties.begin(), c.properties.end());
    out.push_back(std::move(c));
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(layer_count), out.end(),
            [](const FeatureCollectionInfo& a, const FeatureCollectionInfo& b) { return a.id < b.id; });
  return out;
}

// A property filter's text as the value it compares with: a number or boolean when the
// text is one and the property holds those, else the string.
bool EqualsText(const Json& value, std::string_view text) {
  if (value.is_string()) return value.AsString() == text;
  if (value.is_bool()) return text == (value.AsBool() ? "true" : "false");
  if (value.is_number()) {
    double d = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    return ec == std::errc() && end == text.data() + text.size() && d == value.AsDouble();
  }
  return false;
}

Result<domain::GeoQuery> BoxQuery(const geo::BBox& b) {
  auto ring = [](double x0, double y0, double x1, double y1) {
    Json::Array r;
    for (auto [x, y] : {std::pair{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}) {
      r.push_back(Json(Json::Array{Json(x), Json(y)}));
    }
    return Json(Json::Array{Json(std::move(r))});
  };
  if (b.min_y > b.max_y) return Status::BadRequestData("bbox: minimum latitude above maximum");
  if (b.min_x > b.max_x) {  // across the antimeridian: two boxes
    Json parts(Json::Array{ring(b.min_x, b.min_y, 180.0, b.max_y), ring(-180.0, b.min_y, b.max_x, b.max_y)});
    return domain::GeoQueryFromJson("intersects", "MultiPolygon", parts,
                                    std::string(domain::kLocationIri));
  }
  if (b.min_x == b.max_x || b.min_y == b.max_y) {  // a degenerate box is a point or a line
    Json line(Json::Array{Json(Json::Array{Json(b.min_x), Json(b.min_y)}),
                          Json(Json::Array{Json(b.max_x), Json(b.max_y)})});
    if (b.min_x == b.max_x && b.min_y == b.max_y) {
      return domain::GeoQueryFromJson("intersects", "Point",
                                      Json(Json::Array{Json(b.min_x), Json(b.min_y)}),
                                      std::string(domain::kLocationIri));
    }
    return domain::GeoQueryFromJson("intersects", "LineString", line,
                                    std::string(domain::kLocationIri));
  }
  return domain::GeoQueryFromJson("intersects", "Polygon", ring(b.min_x, b.min_y, b.max_x, b.max_y),
                                  std::string(domain::kLocationIri));
}

// A layer feature as the CQL2 evaluator reads it, without copying anything.
class LayerFeatureView final : public domain::cql2::FeatureView {
 public:
  explicit LayerFeatureView(const domain::LayerFeature& f) : f_(f) {}
  const Json* Property(std::string_view name) const override { return f_.properties.Find(name); }
  const geo::Geometry* Geometry() const override { return f_.geometry ? &*f_.geometry : nullptr; }
  // Empty: "id" is not a queryable, so a filter never names the feature id.
  std::string_view Id() const override { return {}; }

 private:
  const domain::LayerFeature& f_;
};

// An entity, converted to its feature, as the CQL2 evaluator reads it. The geometry is
// read from GeoJSON only when a spatial predicate asks for it. One evaluation at a time.
class EntityFeatureView final : public domain::cql2::FeatureView {
 public:
  explicit EntityFeatureView(const Feature& f) : f_(f) {}
  const Json* Property(std::string_view name) const override { return f_.properties.Find(name); }
  const geo::Geometry* Geometry() const override {
    if (!read_) {
      read_ = true;
      if (!f_.geometry.is_null()) {
        // Stored locations were validated on write; one that no longer reads has none.
        Result<geo::Geometry> g = geo::Geometry::FromGeoJson(f_.geometry);
        if (g.ok()) geometry_ = std::move(*g);
      }
    }
    return geometry_ ? &*geometry_ : nullptr;
  }
  std::string_view Id() const override { return {}; }
  bool IsGeometryProperty(std::string_view name) const override {
    return name == "location" || name == "geometry";
  }

 private:
  const Feature& f_;
  mutable bool read_ = false;
  mutable std::optional<geo::Geometry> geometry_;
};

// The box a filter confines the geometry of its matches to (SpatialSearchBox), if any.
std::optional<geo::BBox> FilterBox(const FeatureCollectionInfo& c, const FeatureQuery& query) {
  if (!query.filter) return std::nullopt;
  return domain::cql2::SpatialSearchBox(
      *query.filter, [&](std::string_view name) { return c.IsGeometryName(name); });
}

Status CheckEquals(const FeatureCollectionInfo& c, const FeatureQuery& query) {
  for (const auto& [name, value] : query.equals) {
    if (c.PropertyIri(name) == nullptr) return Status::BadRequestData("unknown property", name);
  }
  return Status::OK();
}

}  // namespace

const std::string* FeatureCollectionInfo::PropertyIri(std::string_view name) const {
  for (const auto& [n, iri] : properties) {
    if (n == name) return &iri;
  }
  return nullptr;
}

std::string_view FeatureCollectionInfo::PropertyName(std::string_view iri) const {
  for (const auto& [n, i] : properties) {
    if (i == iri) return n;
  }
  return {};
}

std::string_view FeatureService::ShortName(std::string_view iri) {
  const std::size_t cut = iri.find_last_of("/#:");
  if (cut == std::string_view::npos || cut + 1 == iri.size()) return iri;
  return iri.substr(cut + 1);
}

Status FeatureService::CheckQueryables(const FeatureCollectionInfo& c,
                                       const domain::cql2::Expression& filter) {
  for (const std::string& name : domain::cql2::PropertyNames(filter)) {
    if (c.PropertyIri(name) == nullptr && !c.IsGeometryName(name)) {
      return Status::BadRequestData("unknown queryable", name);
    }
  }
  return Status::OK();
}

Result<std::vector<FeatureCollectionInfo>> FeatureService::Collections(
    const RequestContext& ctx) const {
  std::vector<std::shared_ptr<const LayerData>> layers = layers_.Layers(ctx);
  Result<std::vector<TypeInfo>> types = entities_.Types(ctx);
  if (!types.ok()) {
    if (types.status().code() != ErrorCode::kNonexistentTenant || layers.empty()) {
      return types.status();
    }
    types = std::vector<TypeInfo>{};
  }
  return Catalogue(layers, *types);
}

Result<FeatureCollectionInfo> FeatureService::Collection(const RequestContext& ctx,
                                                         std::string_view id) const {
  Result<std::vector<FeatureCollectionInfo>> all = Collections(ctx);
  if (!all.ok()) return all.status();
  for (FeatureCollectionInfo& c : *all) {
    if (c.id == id) return std::move(c);
  }
  return Status::NotFound("collection not found", id);
}

Result<FeaturePage> FeatureService::Items(const RequestContext& ctx,
                                          const FeatureCollectionInfo& collection,
                                          const FeatureQuery& query) const {
  if (Status s = CheckEquals(collection, query); !s.ok()) return s;
  if (query.filter) {
    if (Status s = CheckQueryables(collection, *query.filter); !s.ok()) return s;
  }
  if (collection.layer) return LayerItems(collection, query);
  const std::optional<geo::BBox> filter_box = FilterBox(collection, query);
  if (filter_box && filter_box->empty()) return FeaturePage{};  // nothing can match
  EntityQuery q;
  Result<domain::TypeQuery> types = domain::ParseTypeQuery("T");
  if (!types.ok()) return types.status();
  if (Status s = types->Resolve([&](std::string_view) { return collection.type_iri; }); !s.ok()) {
    return s;
  }
  q.types = std::move(*types);
  if (query.bbox) {
    Result<domain::GeoQuery> box = BoxQuery(*query.bbox);
    if (!box.ok()) return box.status();
    q.geo = std::move(*box);
    q.geo_keeps_unplaced = true;  // OGC API Features /req/core/fc-bbox-response C
  } else if (filter_box) {
    // Only features whose location meets the box can match: fetch them through the
    // entities' spatial index. (With a bbox too, the bbox does that; the two boxes cannot
    // be intersected, as a geometry may meet both without meeting their intersection.)
    Result<domain::GeoQuery> box = BoxQuery(*filter_box);
    if (!box.ok()) return box.status();
    q.geo = std::move(*box);
  }
  if (query.filter) {
    const domain::cql2::Expression& filter = *query.filter;
    q.matches = [&collection, &filter](const domain::Entity& e) {
      const Feature f = EntityFeature(collection, e);
      return domain::cql2::Matches(filter, EntityFeatureView(f));
    };
  }
  if (!query.equals.empty()) {
    std::string text;
    std::vector<std::string> iris;
    for (const auto& [name, value] : query.equals) {
      const std::string* iri = collection.PropertyIri(name);
      DOTHI_DCHECK(iri != nullptr);  // CheckEquals
      const std::string p = "p" + std::to_string(iris.size());
      iris.push_back(*iri);
      if (!text.empty()) text += ';';
      text += '(' + p + "==" + Quoted(value);
      if (IsNumber(value) || value == "true" || value == "false") text += '|' + p + "==" + value;
      text += ')';
    }
    Result<domain::QQuery> parsed = domain::ParseQ(text);
    if (!parsed.ok()) return Status::BadRequestData("invalid property filter", parsed.status().message());
    Status resolved = parsed->Resolve([&](std::string_view name) -> std::string {
      if (name.size() < 2 || name[0] != 'p') return {};
      std::size_t i = 0;
      auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), i);
      if (ec != std::errc() || end != name.data() + name.size() || i >= iris.size()) return {};
      return iris[i];
    });
    if (!resolved.ok()) return resolved;
    q.q = std::move(*parsed);
  }
  q.modified_from = query.modified_from;
  q.modified_to = query.modified_to;
  q.limit = std::min(query.limit, MaxLimit());
  q.offset = query.offset;
  q.count = true;
  Result<QueryResult> r = entities_.Query(ctx, q);
  if (!r.ok()) return r.status();
  FeaturePage page;
  page.features.reserve(r->entities.size());
  for (const domain::Entity& e : r->entities) page.features.push_back(EntityFeature(collection, e));
  page.matched = r->total;
  page.more = r->more;
  return page;
}

Result<FeaturePage> FeatureService::LayerItems(const FeatureCollectionInfo& collection,
                                               const FeatureQuery& query) const {
  const LayerData& layer = *collection.layer;
  const auto& features = layer.features();
  const std::size_t n = features.size();
  // Layers have no time: datetime keeps every feature, as bbox keeps those without geometry.
  std::vector<geo::BBox> boxes;
  if (query.bbox) {
    const geo::BBox& b = *query.bbox;
    if (b.min_y > b.max_y) return Status::BadRequestData("bbox: minimum latitude above maximum");
    if (b.min_x > b.max_x) {
      boxes = {geo::BBox{b.min_x, b.min_y, 180.0, b.max_y}, geo::BBox{-180.0, b.min_y, b.max_x, b.max_y}};
    } else {
      boxes = {b};
    }
  }
  // pass[i]: feature i is still a candidate. A filter with a spatial constraint limits the
  // candidates to the features the spatial index finds in its box.
  std::vector<char> pass(n, 1);
  if (const std::optional<geo::BBox> filter_box = FilterBox(collection, query)) {
    pass.assign(n, 0);
    if (!filter_box->empty()) {
      layer.Candidates(*filter_box, [&](std::size_t i) {
        pass[i] = 1;
        return true;
      });
    }
  }
  if (!boxes.empty()) {
    std::vector<char> in_box(n, 0);
    for (const geo::BBox& box : boxes) {
      Result<geo::Geometry> shape =
          box.min_x == box.max_x && box.min_y == box.max_y
              ? geo::Geometry::MakePoint(box.min_x, box.min_y)
              : geo::Geometry::FromTypeAndCoordinates(
                    "Polygon",
                    Json(Json::Array{Json(Json::Array{
                        Json(Json::Array{Json(box.min_x), Json(box.min_y)}),
                        Json(Json::Array{Json(box.max_x), Json(box.min_y)}),
                        Json(Json::Array{Json(box.max_x), Json(box.max_y)}),
                        Json(Json::Array{Json(box.min_x), Json(box.max_y)}),
                        Json(Json::Array{Json(box.min_x), Json(box.min_y)})})}));
      if (!shape.ok()) return Status::BadRequestData("invalid bbox", shape.status().message());
      geo::PreparedGeometry prepared(std::move(*shape));
      layer.Candidates(box, [&](std::size_t i) {
        if (pass[i] && !in_box[i] &&
            prepared.Relate(*features[i].geometry, geo::SpatialRelation::kIntersects)) {
          in_box[i] = 1;
        }
        return true;
      });
    }
    // OGC API Features /req/core/fc-bbox-response C: no geometry, no exclusion.
    for (std::size_t i = 0; i < n; ++i) pass[i] = in_box[i] || (pass[i] && !features[i].geometry);
  }
  // The remaining tests in import order, so that pages are stable.
  std::vector<std::size_t> hits;
  for (std::size_t i = 0; i < n; ++i) {
    if (!pass[i]) continue;
    const domain::LayerFeature& f = features[i];
    bool keep = true;
    for (const auto& [name, value] : query.equals) {
      const Json* v = f.properties.Find(name);
      if (v == nullptr || !EqualsText(*v, value)) {
        keep = false;
        break;
      }
    }
    if (keep && query.filter) keep = domain::cql2::Matches(*query.filter, LayerFeatureView(f));
    if (keep) hits.push_back(i);
  }
  FeaturePage page;
  page.matched = hits.size();
  const std::size_t limit = std::min(query.limit, MaxLimit());
  for (std::size_t k = query.offset; k < hits.size() && page.features.size() < limit; ++k) {
    page.features.push_back(LayerFeature(features[hits[k]]));
  }
  page.more = query.offset + page.features.size() < hits.size();
  return page;
}

Feature FeatureService::LayerFeature(const domain::LayerFeature& f) {
  Feature out;
  out.id = f.id;
  if (f.geometry) out.geometry = f.geometry->ToGeoJson();
  out.properties = f.properties;
  return out;
}

Feature FeatureService::EntityFeature(const FeatureCollectionInfo& c, const domain::Entity& e) {
  Feature out;
  out.id = e.id;
  if (const Json* loc = e.FindInstance(domain::kLocationIri)) {
    if (const Json* v = loc->Find(domain::attr::kValue)) out.geometry = *v;
  }
  for (const auto& [iri, instances] : e.attrs.AsObject()) {
    if (iri == domain::kLocationIri || !instances.is_array()) continue;
    const Json* inst = e.FindInstance(iri);
    if (inst == nullptr) continue;
    const Json* type = inst->Find(domain::attr::kType);
    const std::string_view member =
        domain::attr::ValueMemberFor(type != nullptr && type->is_string() ? type->AsString() : "");
    const Json* value = inst->Find(member.empty() ? domain::attr::kValue : member);
    std::string_view name = c.PropertyName(iri);
    Json v = value != nullptr ? *value : Json();
    // A JSON-LD typed literal ({"@type": "DateTime", "@value": "..."}) is its value.
    if (const Json* literal = v.is_object() ? v.Find("@value") : nullptr) v = Json(*literal);
    out.properties.Set(name.empty() ? std::string_view(iri) : name, std::move(v));
  }
  return out;
}

Result<Feature> FeatureService::Item(const RequestContext& ctx,
                                     const FeatureCollectionInfo& collection,
                                     std::string_view id) const {
  if (collection.layer) {
    std::ptrdiff_t i = collection.layer->Find(id);
    if (i < 0) return Status::NotFound("feature not found", id);
    return LayerFeature(collection.layer->features()[static_cast<std::size_t>(i)]);
  }
  Result<domain::Entity> e = entities_.Get(ctx, id);
  if (!e.ok()) {
    if (e.status().code() == ErrorCode::kNotFound) return Status::NotFound("feature not found", id);
    return e.status();
  }
  if (!e->HasType(collection.type_iri)) {
    return Status::NotFound("feature not found", id);
  }
  return EntityFeature(collection, *e);
}

}  // namespace dothi::service
