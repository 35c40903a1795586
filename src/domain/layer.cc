#include "domain/layer.h"

#include <unordered_map>

namespace dothi::domain {

std::string_view LayerRoleName(LayerRole role) {
  switch (role) {
    case LayerRole::kGeneral: return "general";
    case LayerRole::kPlanning: return "planning";
    case LayerRole::kParcel: return "parcel";
    case LayerRole::kAdministrative: return "administrative";
  }
  return "general";
}

std::optional<LayerRole> ParseLayerRole(std::string_view name) {
  for (LayerRole r : {LayerRole::kGeneral, LayerRole::kPlanning, LayerRole::kParcel,
                      LayerRole::kAdministrative}) {
    if (LayerRoleName(r) == name) return r;
  }
  return std::nullopt;
}

const std::string* LayerInfo::FieldProperty(std::string_view field) const {
  for (const auto& [f, property] : fields) {
    if (f == field) return &property;
  }
  return nullptr;
}

Status ValidateLayerName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Status::InvalidRequest("a layer name has 1 to 64 characters", std::string(name));
  }
  if (name.front() == '-') {
    return Status::InvalidRequest("a layer name does not start with '-'", std::string(name));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidRequest(
          "a layer name has only lower-case ASCII letters, digits, '_' and '-' (it is the "
          "collection id in URLs; give the display name as the title)",
          std::string(name));
    }
  }
  return Status::OK();
}

std::vector<LayerProperty> InferLayerProperties(const std::vector<LayerFeature>& features) {
  std::vector<LayerProperty> out;
  std::unordered_map<std::string, std::size_t> index;
  for (const LayerFeature& f : features) {
    if (!f.properties.is_object()) continue;
    for (const auto& [name, value] : f.properties.AsObject()) {
      auto [it, added] = index.emplace(name, out.size());
      if (added) out.push_back(LayerProperty{name, ""});
      std::string& type = out[it->second].type;
      std::string_view t;
      if (value.is_null()) continue;
      if (value.is_bool()) t = "boolean";
      else if (value.is_int()) t = "integer";
      else if (value.is_double()) t = "number";
      else t = "string";
      if (type.empty() || type == t) type = t;
      else if ((type == "integer" && t == "number") || (type == "number" && t == "integer")) type = "number";
      else type = "string";
    }
  }
  for (LayerProperty& p : out) {
    if (p.type.empty()) p.type = "string";  // only nulls seen
  }
  return out;
}

}  // namespace dothi::domain
