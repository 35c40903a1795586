#include "service/layer_service.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <spdlog/spdlog.h>

#include "domain/planning_fields.h"
#include "domain/text_fold.h"

namespace dothi::service {
namespace {

// Cell size of a layer's grid: twice the median feature's box, but no less than the side of
// the extent's share per feature (so points and tiny shapes do not get a cell each), within
// [1e-5, 1] degrees; the index widens it to the extent's longer side / 60,000. Parcels of
// 10-25 m get cells of a few parcels, so a point lookup checks a handful of boxes.
double CellDegrees(const std::vector<domain::LayerFeature>& features, const geo::BBox& extent) {
  std::vector<double> sizes;
  sizes.reserve(features.size());
  for (const auto& f : features) {
    if (!f.geometry) continue;
    const geo::BBox& b = f.geometry->bbox();
    sizes.push_back(std::max(b.max_x - b.min_x, b.max_y - b.min_y));
  }
  if (sizes.empty()) return 0.01;
  std::nth_element(sizes.begin(), sizes.begin() + static_cast<std::ptrdiff_t>(sizes.size() / 2),
                   sizes.end());
  const double share = extent.empty()
                           ? 0.0
                           : std::max(extent.max_x - extent.min_x, extent.max_y - extent.min_y) /
                                 std::sqrt(static_cast<double>(sizes.size()));
  return std::clamp(std::max(sizes[sizes.size() / 2] * 2.0, share), 1e-5, 1.0);
}

// Every position under a GeoJSON "coordinates" value, from GIS order in t's CRS to CRS84.
Status ToCrs84(Json& coords, const geo::CrsTransform& t, int depth) {
  if (depth > 4 || !coords.is_array()) return Status::BadRequestData("invalid coordinates");
  Json::Array& a = coords.AsArray();
  if (!a.empty() && a.front().is_number()) {
    if (a.size() < 2 || !a[1].is_number()) return Status::BadRequestData("invalid position");
    double x = a[0].AsDouble(), y = a[1].AsDouble();
    DOTHI_RETURN_IF_ERROR(t.GisOrderToCrs84(x, y));
    a.resize(2);
    a[0] = Json(x);
    a[1] = Json(y);
    return Status::OK();
  }
  for (Json& c : a) DOTHI_RETURN_IF_ERROR(ToCrs84(c, t, depth + 1));
  return Status::OK();
}

// True when every position lies in [-180, 180] x [-90, 90].
bool LooksLonLat(const Json& coords, int depth = 0) {
  if (depth > 4 || !coords.is_array()) return true;
  const Json::Array& a = coords.AsArray();
  if (!a.empty() && a.front().is_number()) {
    return a.size() >= 2 && a[1].is_number() && std::fabs(a[0].AsDouble()) <= 180.0 &&
           std::fabs(a[1].AsDouble()) <= 90.0;
  }
  return std::all_of(a.begin(), a.end(), [&](const Json& c) { return LooksLonLat(c, depth + 1); });
}

Result<geo::Crs> ChooseCrs(const LayerImport& request, const storage::SourceLayer& source,
                           std::string& note) {
  if (request.srs) return *request.srs;
  const storage::SourceCrs& c = source.crs;
  if (!c.present) {
    for (const auto& f : source.features) {
      const Json* coords = f.geometry.is_object() ? f.geometry.Find("coordinates") : nullptr;
      if (coords != nullptr && !LooksLonLat(*coords)) {
        return Status::InvalidRequest(
            "the file declares no CRS and its coordinates are not longitude/latitude",
            "name the CRS, e.g. --srs VN2000:ha-noi (TM-3 of a province), --srs VN2000:105.75 "
            "or --srs EPSG:32648");
      }
    }
    note = "the file declares no CRS: its coordinates were read as WGS 84 longitude/latitude";
    return geo::SupportedCrs().front();
  }
  if (c.vn2000 && c.transverse_mercator) {
    return geo::Vn2000TransverseMercator(c.lon_0, c.k_0, c.x_0, c.y_0);
  }
  if (c.vn2000 && c.geographic) return geo::ParseCrs("EPSG:4756");
  if (c.epsg == 4326) return geo::SupportedCrs().front();  // GIS order: longitude first
  if (c.epsg != 0) return geo::ParseImportSrs("EPSG:" + std::to_string(c.epsg));
  geo::Crs crs;
  crs.kind = geo::Crs::Kind::kProj;
  crs.definition = c.wkt;
  return crs;
}

Status CheckFields(const domain::LayerInfo& info,
                   const std::vector<std::pair<std::string, std::string>>& fields) {
  for (const auto& entry : fields) {
    const std::string& field = entry.first;
    const std::string& property = entry.second;  // not a binding: lambdas capture it (clang 14)
    if (domain::FindPlanningField(field) == nullptr) {
      return Status::InvalidRequest("no such planning field", field);
    }
    const bool has = std::any_of(info.properties.begin(), info.properties.end(),
                                 [&](const domain::LayerProperty& p) { return p.name == property; });
    if (!has) {
      return Status::InvalidRequest("the layer has no such property",
                                    property + " (for " + field + ")");
    }
  }
  return Status::OK();
}

// Features grouped by the text of one property, each group one feature: the union of its
// polygons, the group's value as id, the properties equal across the group.
Result<std::vector<domain::LayerFeature>> Dissolve(std::vector<domain::LayerFeature> features,
                                                   const std::string& field) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<domain::LayerFeature*>> groups;
  for (domain::LayerFeature& f : features) {
    const Json* v = f.properties.Find(field);
    if (v == nullptr || v->is_null()) {
      return Status::InvalidRequest("a feature has no value to dissolve by", f.id + " lacks " + field);
    }
    const std::string key = v->is_string() ? v->AsString() : v->Dump();
    auto [it, added] = groups.try_emplace(key);
    if (added) order.push_back(key);
    it->second.push_back(&f);
  }
  std::vector<domain::LayerFeature> out;
  out.reserve(order.size());
  for (const std::string& key : order) {
    const auto& members = groups[key];
    domain::LayerFeature joined;
    joined.id = key;
    joined.properties = members.front()->properties;
    std::vector<const geo::Geometry*> parts;
    for (const domain::LayerFeature* m : members) {
      if (m->geometry) parts.push_back(&*m->geometry);
      if (m == members.front()) continue;
      for (auto& [name, value] : joined.properties.AsObject()) {
        const Json* other = m->properties.Find(name);
        if (other == nullptr || !(*other == value)) value = Json();
      }
    }
    Json::Object kept;
    for (auto& member : joined.properties.AsObject()) {
      if (!member.second.is_null()) kept.push_back(std::move(member));
    }
    joined.properties = Json(std::move(kept));
    if (!parts.empty()) {
      Result<geo::Geometry> u = members.size() == 1 ? Result<geo::Geometry>(*parts.front())
                                                    : geo::UnionPolygons(parts);
      if (!u.ok()) return Status::BadRequestData("cannot join the features of " + key, u.status().message());
      joined.geometry = std::move(*u);
    }
    out.push_back(std::move(joined));
  }
  return out;
}

}  // namespace

LayerData::LayerData(domain::LayerInfo info, std::vector<domain::LayerFeature> features)
    : info_(std::move(info)),
      features_(std::move(features)),
      index_(CellDegrees(features_, info_.extent), info_.extent),
      prepared_(features_.size()) {
  by_id_.reserve(features_.size());
  for (std::size_t i = 0; i < features_.size(); ++i) {
    const domain::LayerFeature& f = features_[i];
    by_id_.emplace(f.id, i);
    if (!f.geometry) continue;
    index_.Insert(i, f.geometry->bbox());
    if (f.geometry->is_polygonal()) prepared_[i] = std::make_unique<geo::PreparedGeometry>(*f.geometry);
  }
}

const std::array<std::string_view, 5>& LayerData::NameFields() {
  static const std::array<std::string_view, 5> fields = {"name", "plan_name", "zone_code", "commune", "address"};
  return fields;
}

const std::vector<std::array<std::string, 5>>& LayerData::FoldedNames() const {
  std::call_once(names_once_, [this] {
    std::array<const std::string*, 5> properties{};
    for (std::size_t k = 0; k < NameFields().size(); ++k) properties[k] = info_.FieldProperty(NameFields()[k]);
    folded_names_.resize(features_.size());
    for (std::size_t i = 0; i < features_.size(); ++i) {
      for (std::size_t k = 0; k < properties.size(); ++k) {
        if (properties[k] == nullptr) continue;
        const Json* v = features_[i].properties.Find(*properties[k]);
        if (v == nullptr || v->is_null()) continue;
        folded_names_[i][k] = domain::FoldForSearch(v->is_string() ? v->AsString() : v->Dump(), true, true);
      }
    }
  });
  return folded_names_;
}

std::ptrdiff_t LayerData::Find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}

void LayerData::Candidates(const geo::BBox& box, const std::function<bool(std::size_t)>& fn) const {
  index_.Query(box, [&](std::uint64_t key) { return fn(static_cast<std::size_t>(key)); });
}

void LayerData::Containing(double lon, double lat, const std::function<void(std::size_t)>& fn) const {
  std::vector<std::size_t> hits;
  index_.Query(geo::BBox::OfPoint(lon, lat), [&](std::uint64_t key) {
    const geo::PreparedGeometry* p = prepared_[key].get();
    if (p != nullptr && p->RelatePoint(lon, lat, geo::SpatialRelation::kIntersects)) {
      hits.push_back(static_cast<std::size_t>(key));
    }
    return true;
  });
  std::sort(hits.begin(), hits.end());
  for (std::size_t i : hits) fn(i);
}

LayerService::LayerService(storage::LayerStore& store, Limits limits)
    : store_(store), limits_(limits) {}

void LayerService::SetChangeListener(
    std::function<void(const std::string&, const std::string&)> fn) {
  std::lock_guard lock(mu_);
  listener_ = std::move(fn);
}

void LayerService::Notify(const std::string& tenant, const std::string& name) {
  std::function<void(const std::string&, const std::string&)> fn;
  {
    std::lock_guard lock(mu_);
    fn = listener_;
  }
  if (fn) fn(tenant, name);
}

void LayerService::Put(const std::string& tenant, std::shared_ptr<const LayerData> data) {
  const std::string name = data->info().name;
  {
    std::lock_guard lock(mu_);
    layers_[tenant][name] = std::move(data);
  }
  Notify(tenant, name);
}

Status LayerService::Refresh() {
  std::lock_guard refresh(refresh_mu_);
  Result<std::uint64_t> counter = store_.ChangeCounter();
  if (!counter.ok()) return counter.status();
  Result<std::vector<domain::LayerInfo>> stored = store_.List();
  if (!stored.ok()) return stored.status();
  std::set<std::pair<std::string, std::string>> present;
  for (domain::LayerInfo& info : *stored) {
    present.emplace(info.tenant, info.name);
    {
      std::lock_guard lock(mu_);
      auto t = layers_.find(info.tenant);
      if (t != layers_.end()) {
        auto l = t->second.find(info.name);
        if (l != t->second.end() && l->second->info().version == info.version) {
          if (l->second->info().fields == info.fields && l->second->info().role == info.role &&
              l->second->info().title == info.title) {
            continue;
          }
        }
      }
    }
    std::vector<domain::LayerFeature> features;
    features.reserve(info.feature_count);
    Status s = store_.Load(info.tenant, info.name, info.version, [&](domain::LayerFeature&& f) {
      features.push_back(std::move(f));
      return Status::OK();
    });
    if (s.code() == ErrorCode::kNotFound) continue;  // replaced meanwhile: the next look
    if (!s.ok()) return s;
    const std::string tenant = info.tenant;
    Put(tenant, std::make_shared<const LayerData>(std::move(info), std::move(features)));
  }
  std::vector<std::pair<std::string, std::string>> gone;
  {
    std::lock_guard lock(mu_);
    for (auto& [tenant, layers] : layers_) {
      for (auto it = layers.begin(); it != layers.end();) {
        if (present.count({tenant, it->first}) == 0) {
          gone.emplace_back(tenant, it->first);
          it = layers.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  for (const auto& [tenant, name] : gone) Notify(tenant, name);
  seen_counter_ = *counter;
  return Status::OK();
}

Status LayerService::RefreshIfChanged() {
  {
    std::lock_guard refresh(refresh_mu_);
    Result<std::uint64_t> counter = store_.ChangeCounter();
    if (!counter.ok()) return counter.status();
    if (seen_counter_ && *seen_counter_ == *counter) return Status::OK();
  }
  return Refresh();
}

Result<LayerImportReport> LayerService::Import(const RequestContext& ctx, const LayerImport& request,
                                               storage::SourceLayer source) {
  DOTHI_RETURN_IF_ERROR(domain::ValidateLayerName(request.name));
  if (source.features.size() > limits_.max_features) {
    return Status::BadRequestData("too many features for one layer",
                                  std::to_string(source.features.size()) + " > " +
                                      std::to_string(limits_.max_features));
  }
  LayerImportReport report;
  Result<geo::Crs> crs = ChooseCrs(request, source, report.note);
  if (!crs.ok()) return crs.status();
  Result<std::unique_ptr<geo::CrsTransform>> transform = geo::CrsTransform::Make(*crs);
  if (!transform.ok()) return transform.status();
  report.crs = crs->Name();

  geo::GeometryLimits limits;
  limits.max_vertices = limits_.max_vertices;
  {
    std::set<std::string_view> ids;
    for (const storage::SourceFeature& f : source.features) {
      if (f.id.empty() || !ids.insert(f.id).second) {
        return Status::BadRequestData("feature ids must be unique and not empty", "'" + f.id + "'");
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> refused = std::move(source.unreadable);
  std::vector<domain::LayerFeature> features;
  features.reserve(source.features.size());
  for (storage::SourceFeature& sf : source.features) {
    domain::LayerFeature f;
    f.id = std::move(sf.id);
    f.properties = std::move(sf.properties);
    if (sf.geometry.is_object()) {
      Json* coords = sf.geometry.Find("coordinates");
      Status s = coords != nullptr ? ToCrs84(*coords, **transform, 0)
                                   : Status::BadRequestData("geometry without coordinates");
      Result<geo::Geometry> g = s.ok() ? geo::Geometry::FromGeoJson(sf.geometry, limits)
                                       : Result<geo::Geometry>(s);
      if (!g.ok()) {
        refused.emplace_back(f.id, g.status().message());
        continue;
      }
      if (Status valid = geo::CheckValid(*g); !valid.ok()) {
        if (request.invalid == InvalidGeometryPolicy::kRefuse) {
          refused.emplace_back(f.id, valid.message());
          continue;
        }
        Result<geo::Geometry> fixed = geo::MakeValid(*g);
        if (!fixed.ok()) {
          refused.emplace_back(f.id, valid.message() + "; " + fixed.status().message());
          continue;
        }
        report.repaired.emplace_back(f.id, valid.message());
        g = std::move(fixed);
      }
      f.geometry = std::move(*g);
    }
    features.push_back(std::move(f));
  }
  if (!refused.empty()) {
    std::string ids;
    for (std::size_t i = 0; i < refused.size() && i < 20; ++i) {
      ids += (i ? "; " : "") + refused[i].first + " (" + refused[i].second + ")";
    }
    if (refused.size() > 20) ids += "; ...";
    return Status::BadRequestData(std::to_string(refused.size()) +
                                      " feature(s) have geometries that cannot be stored; "
                                      "nothing was imported",
                                  ids);
  }

  if (!request.dissolve_by.empty()) {
    Result<std::vector<domain::LayerFeature>> joined = Dissolve(std::move(features), request.dissolve_by);
    if (!joined.ok()) return joined.status();
    features = std::move(*joined);
  }

  std::lock_guard refresh(refresh_mu_);
  std::shared_ptr<const LayerData> previous = Layer(ctx, request.name);
  domain::LayerInfo info;
  info.tenant = ctx.tenant;
  info.name = request.name;
  info.title = !request.title.empty() ? request.title
               : previous             ? previous->info().title
                                      : request.name;
  info.imported_at = Now();
  info.source = request.source_name;
  info.source_crs = report.crs;
  info.feature_count = features.size();
  for (const auto& f : features) {
    if (f.geometry) info.extent.Extend(f.geometry->bbox());
  }
  info.properties = domain::InferLayerProperties(features);
  info.role = request.role       ? *request.role
              : previous         ? previous->info().role
                                 : domain::LayerRole::kGeneral;
  if (request.fields) {
    info.fields = *request.fields;
  } else if (previous) {
    // Keep the mapping of the fields whose property is still there.
    for (const auto& fp : previous->info().fields) {
      if (CheckFields(info, {fp}).ok()) info.fields.push_back(fp);
    }
  }
  DOTHI_RETURN_IF_ERROR(CheckFields(info, info.fields));
  std::optional<std::int64_t> expected = request.expected_version;
  if (!request.replace && !expected) expected = 0;
  Result<std::int64_t> version = store_.Replace(info, features, expected);
  if (!version.ok()) {
    if (version.status().code() == ErrorCode::kConflict && !request.replace &&
        !request.expected_version) {
      return Status::AlreadyExists("the layer exists; replace it to import a new version",
                                   request.name);
    }
    return version.status();
  }
  report.info = info;
  spdlog::info("layer {}/{} version {}: {} features from {} ({}), {} repaired", ctx.tenant,
               info.name, info.version, features.size(), request.source_name, report.crs,
               report.repaired.size());
  Put(ctx.tenant, std::make_shared<const LayerData>(std::move(info), std::move(features)));
  return report;
}

Result<domain::LayerInfo> LayerService::SetRole(const RequestContext& ctx, std::string_view name,
                                                domain::LayerRole role,
                                                std::vector<std::pair<std::string, std::string>> fields) {
  std::lock_guard refresh(refresh_mu_);
  std::shared_ptr<const LayerData> current = Layer(ctx, name);
  if (!current) return Status::NotFound("no such layer", std::string(name));
  domain::LayerInfo info = current->info();
  DOTHI_RETURN_IF_ERROR(CheckFields(info, fields));
  info.role = role;
  info.fields = std::move(fields);
  DOTHI_RETURN_IF_ERROR(store_.UpdateInfo(info));
  Put(ctx.tenant, std::make_shared<const LayerData>(info, current->features()));
  return info;
}

Status LayerService::Delete(const RequestContext& ctx, std::string_view name) {
  std::lock_guard refresh(refresh_mu_);
  DOTHI_RETURN_IF_ERROR(store_.Delete(ctx.tenant, std::string(name), std::nullopt));
  {
    std::lock_guard lock(mu_);
    auto t = layers_.find(ctx.tenant);
    if (t != layers_.end()) {
      auto l = t->second.find(name);
      if (l != t->second.end()) t->second.erase(l);
    }
  }
  Notify(ctx.tenant, std::string(name));
  return Status::OK();
}

std::vector<std::shared_ptr<const LayerData>> LayerService::Layers(const RequestContext& ctx) const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const LayerData>> out;
  auto t = layers_.find(ctx.tenant);
  if (t == layers_.end()) return out;
  for (const auto& [name, data] : t->second) out.push_back(data);
  return out;
}

std::shared_ptr<const LayerData> LayerService::Layer(const RequestContext& ctx,
                                                     std::string_view name) const {
  std::lock_guard lock(mu_);
  auto t = layers_.find(ctx.tenant);
  if (t == layers_.end()) return nullptr;
  auto l = t->second.find(name);
  return l == t->second.end() ? nullptr : l->second;
}

}  // namespace dothi::service
