#include "service/planning_service.h"

#include <algorithm>

#include "domain/text_fold.h"

namespace dothi::service {
namespace {

using domain::LayerRole;

std::string Fold(std::string_view text) { return domain::FoldForSearch(text, true, true); }

// A value as text for matching: strings as they are, numbers without trailing zeros.
std::string ValueText(const Json& v) {
  if (v.is_string()) return v.AsString();
  if (v.is_int()) return std::to_string(v.AsInt());
  if (v.is_double()) {
    const double d = v.AsDouble();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) return std::to_string(static_cast<std::int64_t>(d));
    return v.Dump();
  }
  if (v.is_bool()) return v.AsBool() ? "true" : "false";
  return {};
}

// A ward or commune name folded, without its "phường"/"xã"/"thị trấn" prefix.
std::string CommuneKey(std::string_view name) {
  std::string f = Fold(name);
  for (std::string_view prefix : {"phuong ", "xa ", "thi tran ", "dac khu "}) {
    if (f.rfind(prefix, 0) == 0) return f.substr(prefix.size());
  }
  return f;
}

std::string TrimZeros(std::string_view s) {
  std::size_t i = 0;
  while (i + 1 < s.size() && s[i] == '0') ++i;
  return std::string(s.substr(i));
}

}  // namespace

bool InsideVietnam(double lon, double lat) {
  return lon >= 102.0 && lon <= 117.9 && lat >= 6.0 && lat <= 23.5;
}

const Json* LayerHit::Field(std::string_view field) const {
  const std::string* property = layer->info().FieldProperty(field);
  if (property == nullptr) return nullptr;
  const Json* v = feature().properties.Find(*property);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

Result<PointLookup> PlanningService::AtPoint(const RequestContext& ctx, double lon, double lat) const {
  if (!InsideVietnam(lon, lat)) {
    return Status::BadRequestData("the point is outside Vietnam",
                                  "longitude " + std::to_string(lon) + ", latitude " + std::to_string(lat));
  }
  PointLookup out;
  out.lon = lon;
  out.lat = lat;
  bool any = false, has_admin = false;
  geo::BBox area;
  for (const auto& layer : layers_.Layers(ctx)) {
    const LayerRole role = layer->info().role;
    if (role == LayerRole::kGeneral) continue;
    any = true;
    if (role == LayerRole::kAdministrative) {
      has_admin = true;
      layer->Containing(lon, lat, [&](std::size_t i) { out.administrative.push_back({layer, i}); });
      continue;
    }
    area.Extend(layer->info().extent);
    if (role == LayerRole::kPlanning) {
      layer->Containing(lon, lat, [&](std::size_t i) { out.zones.push_back({layer, i}); });
    } else if (!out.parcel) {
      layer->Containing(lon, lat, [&](std::size_t i) {
        if (!out.parcel) out.parcel = LayerHit{layer, i};
      });
    }
  }
  if (!any) return Status::NotFound("this tenant has no planning data", ctx.tenant);
  const bool inside = has_admin ? !out.administrative.empty() : area.ContainsPoint(lon, lat);
  if (!inside) {
    return Status::BadRequestData("the point is outside the area this tenant's planning data covers",
                                  "longitude " + std::to_string(lon) + ", latitude " + std::to_string(lat));
  }
  return out;
}

Result<ParcelLookup> PlanningService::Parcel(const RequestContext& ctx, std::string_view commune,
                                             std::string_view sheet, std::string_view number) const {
  if (commune.empty() || sheet.empty() || number.empty()) {
    return Status::InvalidRequest("a parcel is named by its ward or commune, map sheet and number");
  }
  const std::string want_commune = CommuneKey(commune);
  const std::string want_sheet = TrimZeros(sheet), want_number = TrimZeros(number);
  std::vector<std::shared_ptr<const LayerData>> all = layers_.Layers(ctx);
  for (const auto& layer : all) {
    if (layer->info().role != LayerRole::kParcel) continue;
    for (std::size_t i = 0; i < layer->features().size(); ++i) {
      LayerHit hit{layer, i};
      const Json* s = hit.Field("map_sheet");
      const Json* n = hit.Field("parcel_number");
      if (s == nullptr || n == nullptr || TrimZeros(ValueText(*s)) != want_sheet ||
          TrimZeros(ValueText(*n)) != want_number) {
        continue;
      }
      const Json* c = hit.Field("commune");
      if (c == nullptr || CommuneKey(ValueText(*c)) != want_commune) continue;
      ParcelLookup out;
      out.parcel = hit;
      const auto& geometry = hit.feature().geometry;
      if (!geometry) return out;
      out.area_m2 = geo::AreaSquareMeters(*geometry);
      for (const auto& zones : all) {
        if (zones->info().role != LayerRole::kPlanning) continue;
        zones->Candidates(geometry->bbox(), [&](std::size_t z) {
          const auto& zg = zones->features()[z].geometry;
          if (!zg) return true;
          const double share = geo::AreaShareInside(*geometry, *zg);
          if (share > 1e-6) out.zones.push_back(LayerHit{zones, z, share});
          return true;
        });
      }
      std::stable_sort(out.zones.begin(), out.zones.end(),
                       [](const LayerHit& a, const LayerHit& b) { return a.share > b.share; });
      return out;
    }
  }
  return Status::NotFound("no such parcel",
                          std::string(commune) + ", tờ " + std::string(sheet) + ", thửa " + std::string(number));
}

Result<std::vector<SearchHit>> PlanningService::Search(const RequestContext& ctx, std::string_view text,
                                                       std::size_t limit) const {
  std::vector<std::string> words;
  {
    const std::string folded = Fold(text);
    std::size_t i = 0;
    while (i < folded.size()) {
      std::size_t j = folded.find(' ', i);
      if (j == std::string::npos) j = folded.size();
      if (j > i) words.push_back(folded.substr(i, j - i));
      i = j + 1;
    }
  }
  if (words.empty()) return Status::InvalidRequest("nothing to search for");
  std::vector<SearchHit> out;
  for (const auto& layer : layers_.Layers(ctx)) {
    if (layer->info().role == LayerRole::kGeneral) continue;
    const auto& names = layer->FoldedNames();
    for (std::size_t i = 0; i < names.size() && out.size() < limit; ++i) {
      for (std::size_t k = 0; k < names[i].size(); ++k) {
        const std::string& folded = names[i][k];
        if (folded.empty()) continue;
        const bool all = std::all_of(words.begin(), words.end(), [&](const std::string& w) {
          return folded.find(w) != std::string::npos;
        });
        if (all) {
          LayerHit hit{layer, i};
          const Json* v = hit.Field(LayerData::NameFields()[k]);
          out.push_back(SearchHit{hit, v != nullptr ? ValueText(*v) : folded});
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace dothi::service
