#include "api/ngsi_ld/entity_codec.h"

#include <algorithm>
#include <cctype>

#include "core/time.h"

namespace dothi::api::ngsi_ld {

using domain::Entity;
namespace attr = domain::attr;

namespace {

constexpr std::string_view kNullUri = "urn:ngsi-ld:null";

bool IsAttributeType(std::string_view t) {
  return t == attr::kProperty || t == attr::kRelationship || t == attr::kGeoProperty ||
         t == attr::kLanguageProperty || t == attr::kListProperty || t == attr::kJsonProperty ||
         t == attr::kVocabProperty || t == attr::kListRelationship;
}

bool IsGeoJsonGeometryType(std::string_view t) {
  return t == "Point" || t == "MultiPoint" || t == "LineString" || t == "MultiLineString" ||
         t == "Polygon" || t == "MultiPolygon" || t == "GeometryCollection";
}

bool IsGeoPropertyName(std::string_view iri) {
  return iri == domain::kLocationIri || iri == "https://uri.etsi.org/ngsi-ld/observationSpace" ||
         iri == "https://uri.etsi.org/ngsi-ld/operationSpace";
}

Status Bad(std::string_view msg, std::string_view detail) {
  return Status::BadRequestData(msg, detail);
}

bool IsNameStart(unsigned char c) { return std::isalpha(c) || c >= 0x80; }

// Clause 4.6.2: a name (entity type, attribute) is a letter followed by letters, digits
// and "_", optionally "prefix:name"; an expanded IRI is accepted too. Bytes >= 0x80 are
// taken as (UTF-8) letters.
bool IsValidName(std::string_view name) {
  if (name.find(':') != std::string_view::npos) return domain::IsValidUri(name);
  if (name.empty() || !IsNameStart(static_cast<unsigned char>(name[0]))) return false;
  for (const char ch : name) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (!IsNameStart(c) && !std::isdigit(c) && c != '_') return false;
  }
  return true;
}

// Infers the attribute type of a concise instance from its members.
std::string_view InferType(const Json& v) {
  if (v.Contains(attr::kValue)) return attr::kProperty;
  if (v.Contains(attr::kObject)) return attr::kRelationship;
  if (v.Contains(attr::kObjectList)) return attr::kListRelationship;
  if (v.Contains(attr::kLanguageMap)) return attr::kLanguageProperty;
  if (v.Contains(attr::kValueList)) return attr::kListProperty;
  if (v.Contains(attr::kJson)) return attr::kJsonProperty;
  if (v.Contains(attr::kVocab)) return attr::kVocabProperty;
  return {};
}

Result<Json> DecodeInstance(std::string_view name, std::string_view iri, const Json& in,
                            const LdContext& context, const DecodeLimits& limits, int depth,
                            bool allow_null);

Status DecodeSubAttributes(const Json& in, Json& out, const LdContext& context,
                           const DecodeLimits& limits, int depth, bool allow_null) {
  for (const auto& [k, v] : in.AsObject()) {
    if (attr::IsReservedMember(k) || k == "@context") continue;
    if (k == "id" || k == "@id" || k == "@type") return Bad("reserved member in attribute", k);
    if (depth >= limits.max_sub_attribute_depth) return Bad("sub-attributes nested too deeply", k);
    if (!IsValidName(k)) return Bad("invalid sub-attribute name", k);
    const std::string sub_iri = context.ExpandTerm(k);
    Result<Json> sub = DecodeInstance(k, sub_iri, v, context, limits, depth + 1, allow_null);
    if (!sub.ok()) return sub.status();
    out.Set(sub_iri, std::move(*sub));
  }
  return Status::OK();
}

Status CheckDateTime(const Json* v, std::string_view member, std::string_view name) {
  if (v == nullptr) return Status::OK();
  if (!v->is_string() || !ParseIso8601(v->AsString())) {
    return Bad(std::string(member) + " is not a valid DateTime in attribute", name);
  }
  return Status::OK();
}

Result<Json> DecodeInstance(std::string_view name, std::string_view iri, const Json& in,
                            const LdContext& context, const DecodeLimits& limits, int depth,
                            bool allow_null) {
  Json out = Json::MakeObject();
  // The members sent, and the createdAt and modifiedAt the service stamps on: one
  // allocation instead of one per doubling.
  out.AsObject().reserve((in.is_object() ? in.AsObject().size() : 2) + 2);
  // Concise forms first: scalars, arrays and plain objects are Property values; GeoJSON
  // geometries are GeoProperty values.
  if (!in.is_object()) {
    if (in.is_null()) return Bad("attribute value must not be null", name);
    out.Set(attr::kType, attr::kProperty);
    out.Set(attr::kValue, in);
    return out;
  }
  const Json* type = in.Find(attr::kType);
  std::string_view t;
  if (type != nullptr && type->is_string() && IsAttributeType(type->AsString())) {
    t = type->AsString();
  } else if (type != nullptr && type->is_string() && IsGeoJsonGeometryType(type->AsString()) &&
             in.Contains("coordinates")) {
    Result<geo::Geometry> g = geo::Geometry::FromGeoJson(in, limits.geometry);
    if (!g.ok()) return Bad("invalid GeoJSON geometry in attribute " + std::string(name), g.status().message());
    out.Set(attr::kType, attr::kGeoProperty);
    out.Set(attr::kValue, in);
    return out;
  } else if (type != nullptr) {
    if (!type->is_string()) return Bad("attribute type must be a string", name);
    return Bad("unknown attribute type " + type->AsString() + " in attribute", name);
  } else {
    t = InferType(in);
    if (t.empty()) {
      // A concise compound value.
      out.Set(attr::kType, attr::kProperty);
      out.Set(attr::kValue, in);
      return out;
    }
  }
  out.Set(attr::kType, t);
  const std::string_view member = attr::ValueMemberFor(t);
  const Json* value = in.Find(member);
  if (value == nullptr) {
    return Bad(std::string(t) + " without " + std::string(member) + " in attribute", name);
  }
  const bool is_null_uri = value->is_string() && value->AsString() == kNullUri;
  if (value->is_null()) return Bad("attribute value must not be null", name);
  if (is_null_uri && !allow_null) return Bad("urn:ngsi-ld:null is only allowed in merge and update", name);
  if (!is_null_uri) {
    if (t == attr::kProperty) {
      // A Property value of any JSON type except null.
    } else if (t == attr::kGeoProperty) {
      Result<geo::Geometry> g = geo::Geometry::FromGeoJson(*value, limits.geometry);
      if (!g.ok()) {
        return Bad("invalid GeoJSON geometry in attribute " + std::string(name), g.status().message());
      }
    } else if (t == attr::kRelationship) {
      auto valid = [](const Json& o) { return o.is_string() && domain::IsValidUri(o.AsString()); };
      bool ok = valid(*value);
      if (value->is_array() && !value->AsArray().empty()) {
        ok = true;
        for (const auto& o : value->AsArray()) ok = ok && valid(o);
      }
      if (!ok) return Bad("Relationship object must be a URI in attribute", name);
    } else if (t == attr::kListRelationship) {
      if (!value->is_array()) return Bad("ListRelationship objectList must be an array in", name);
      // Each member is {"object": URI} (normalized) or a bare URI (concise).
      for (const auto& m : value->AsArray()) {
        const Json* o = m.is_object() ? m.Find(attr::kObject) : &m;
        if (o == nullptr || !o->is_string() || !domain::IsValidUri(o->AsString())) {
          return Bad("ListRelationship objectList members must be URIs in attribute", name);
        }
      }
    } else if (t == attr::kLanguageProperty) {
      if (!value->is_object()) return Bad("languageMap must be an object in attribute", name);
      for (const auto& [lang, text] : value->AsObject()) {
        bool ok = text.is_string();
        if (text.is_array()) {
          ok = true;
          for (const auto& s : text.AsArray()) ok = ok && s.is_string();
        }
        if (!ok || lang.empty()) return Bad("languageMap values must be strings in attribute", name);
      }
    } else if (t == attr::kListProperty) {
      if (!value->is_array()) return Bad("valueList must be an array in attribute", name);
    } else if (t == attr::kVocabProperty) {
      auto expand_vocab = [&](const Json& v) -> Result<Json> {
        if (!v.is_string()) return Bad("vocab must be a string or array of strings in", name);
        return Json(context.ExpandVocabValue(v.AsString()));
      };
      if (value->is_array()) {
        Json arr = Json::MakeArray();
        for (const auto& v : value->AsArray()) {
          Result<Json> e = expand_vocab(v);
          if (!e.ok()) return e.status();
          arr.Push(std::move(*e));
        }
        out.Set(member, std::move(arr));
      } else {
        Result<Json> e = expand_vocab(*value);
        if (!e.ok()) return e.status();
        out.Set(member, std::move(*e));
      }
    }
  }
  if (!out.Contains(member)) out.Set(member, *value);
  if (const Json* ds = in.Find(attr::kDatasetId)) {
    if (!ds->is_string() || !domain::IsValidUri(ds->AsString())) {
      return Bad("datasetId must be a URI in attribute", name);
    }
    out.Set(attr::kDatasetId, *ds);
  }
  if (const Json* oa = in.Find(attr::kObservedAt)) {
    DOTHI_RETURN_IF_ERROR(CheckDateTime(oa, "observedAt", name));
    out.Set(attr::kObservedAt, *oa);
  }
  if (const Json* uc = in.Find(attr::kUnitCode)) {
    if (!uc->is_string()) return Bad("unitCode must be a string in attribute", name);
    out.Set(attr::kUnitCode, *uc);
  }
  (void)iri;
  DOTHI_RETURN_IF_ERROR(DecodeSubAttributes(in, out, context, limits, depth, allow_null));
  return out;
}

}  // namespace

Result<Json> DecodeAttribute(std::string_view attr_name, const Json& value,
                             const LdContext& context, const DecodeLimits& limits,
                             bool allow_null_value) {
  if (!IsValidName(attr_name)) return Bad("invalid attribute name", attr_name);
  const std::string iri = context.ExpandTerm(attr_name);
  Json instances = Json::MakeArray();
  // An array of instance objects is a multi-attribute; any other array is a concise value.
  bool multi = value.is_array() && !value.AsArray().empty();
  if (multi) {
    for (const auto& e : value.AsArray()) {
      if (!e.is_object() || (!e.Contains(attr::kType) && InferType(e).empty())) multi = false;
    }
  }
  if (multi) {
    for (const auto& e : value.AsArray()) {
      Result<Json> inst = DecodeInstance(attr_name, iri, e, context, limits, 0, allow_null_value);
      if (!inst.ok()) return inst.status();
      const Json* ds = inst->Find(attr::kDatasetId);
      for (const auto& prev : instances.AsArray()) {
        const Json* pds = prev.Find(attr::kDatasetId);
        if ((ds == nullptr && pds == nullptr) || (ds && pds && *ds == *pds)) {
          return Bad("two instances with the same datasetId in attribute", attr_name);
        }
      }
      instances.Push(std::move(*inst));
    }
  } else {
    Result<Json> inst = DecodeInstance(attr_name, iri, value, context, limits, 0, allow_null_value);
    if (!inst.ok()) return inst.status();
    instances.Push(std::move(*inst));
  }
  if (IsGeoPropertyName(iri)) {
    for (const auto& inst : instances.AsArray()) {
      const Json* t = inst.Find(attr::kType);
      if (t == nullptr || t->AsString() != attr::kGeoProperty) {
        return Bad("must be a GeoProperty", attr_name);
      }
    }
  }
  return instances;
}

Result<std::vector<std::string>> DecodeEntityTypes(const Json& type, const LdContext& context) {
  std::vector<std::string> types;
  auto add = [&](const Json& t) -> Status {
    if (!t.is_string() || t.AsString().empty()) return Status::BadRequestData("entity type must be a non-empty string");
    if (!IsValidName(t.AsString())) return Status::BadRequestData("invalid entity type name", t.AsString());
    std::string iri = context.ExpandTerm(t.AsString());
    if (!iri.empty() && iri[0] == '@') {
      return Status::BadRequestData("entity type names a JSON-LD keyword", t.AsString());
    }
    if (std::find(types.begin(), types.end(), iri) == types.end()) types.push_back(std::move(iri));
    return Status::OK();
  };
  if (type.is_array()) {
    if (type.AsArray().empty()) return Status::BadRequestData("entity type must not be empty");
    for (const auto& t : type.AsArray()) DOTHI_RETURN_IF_ERROR(add(t));
  } else {
    DOTHI_RETURN_IF_ERROR(add(type));
  }
  return types;
}

Result<Json> DecodeScope(const Json& v) {
  bool ok = v.is_string();
  if (v.is_array()) {
    ok = true;
    for (const auto& s : v.AsArray()) ok = ok && s.is_string();
  }
  if (!ok) return Status::BadRequestData("scope must be a string or array of strings");
  Json scopes = Json::MakeArray();
  if (v.is_string()) {
    scopes.Push(v);
  } else {
    scopes = v;
  }
  for (const auto& s : scopes.AsArray()) {
    const std::string& str = s.AsString();
    if (str.empty() || str[0] != '/' || str.find_first_of("#+ ") != std::string::npos) {
      return Status::BadRequestData("invalid scope", str);
    }
  }
  return scopes;
}

Result<Entity> DecodeEntity(const Json& body, const LdContext& context, DecodeMode mode,
                            const DecodeLimits& limits) {
  if (!body.is_object()) return Status::BadRequestData("entity must be a JSON object");
  Entity e;
  const Json* id = body.Find("id");
  if (id == nullptr) id = body.Find("@id");
  if (id != nullptr) {
    if (!id->is_string() || !domain::IsValidUri(id->AsString())) {
      return Status::BadRequestData("entity id is not a URI", id->is_string() ? id->AsString() : id->Dump());
    }
    e.id = id->AsString();
  } else if (mode == DecodeMode::kCreate) {
    return Status::BadRequestData("entity id missing");
  }
  const Json* type = body.Find("type");
  if (type == nullptr) type = body.Find("@type");
  if (type != nullptr) {
    Result<std::vector<std::string>> types = DecodeEntityTypes(*type, context);
    if (!types.ok()) return types.status();
    e.types = std::move(*types);
  } else if (mode == DecodeMode::kCreate) {
    return Status::BadRequestData("entity type missing", e.id);
  }
  std::size_t count = 0;
  for (const auto& [k, v] : body.AsObject()) {
    if (k == "id" || k == "@id" || k == "type" || k == "@type" || k == "@context") continue;
    if (k == "createdAt" || k == "modifiedAt" || k == "deletedAt") continue;  // system-set
    if (k == "scope") {
      Result<Json> scopes = DecodeScope(v);
      if (!scopes.ok()) return scopes.status();
      e.scope = std::move(*scopes);
      continue;
    }
    if (++count > limits.max_attributes) {
      return Status::BadRequestData("too many attributes", std::to_string(limits.max_attributes));
    }
    Result<Json> instances = DecodeAttribute(k, v, context, limits, mode == DecodeMode::kFragment);
    if (!instances.ok()) return instances.status();
    const std::string iri = context.ExpandTerm(k);
    e.attrs.Set(iri, std::move(*instances));
  }
  return e;
}

namespace {

Json RenderInstance(const Json& inst, const LdContext& context, const RenderOptions& o,
                    bool in_array = false);

// Adds compacted sub-attributes and metadata of inst to out.
void RenderMembers(const Json& inst, Json& out, const LdContext& context, const RenderOptions& o) {
  for (const auto& [k, v] : inst.AsObject()) {
    if (k == attr::kType || k == attr::ValueMemberFor(inst.Find(attr::kType)->AsString())) continue;
    if (k == attr::kCreatedAt || k == attr::kModifiedAt) {
      if (o.sys_attrs) out.Set(k, v);
      continue;
    }
    if (attr::IsReservedMember(k)) {
      out.Set(k, v);
      continue;
    }
    out.Set(context.CompactIri(k), RenderInstance(v, context, o));
  }
}

Json CompactVocab(const Json& v, const LdContext& context) {
  if (v.is_string()) return Json(context.CompactVocabValue(v.AsString()));
  if (v.is_array()) {
    Json arr = Json::MakeArray();
    for (const auto& e : v.AsArray()) arr.Push(CompactVocab(e, context));
    return arr;
  }
  return v;
}

// The language of map to show under lang ("vi,en;q=0.8" or "*"): the first listed tag the
// map has, else "@none", else the map's first language. Empty for an empty map.
std::string LanguageShown(const Json& map, const std::string& lang) {
  if (!map.is_object() || map.size() == 0) return {};
  std::size_t start = 0;
  while (start <= lang.size()) {
    std::size_t end = lang.find(',', start);
    if (end == std::string::npos) end = lang.size();
    std::string tag = lang.substr(start, end - start);
    if (auto semi = tag.find(';'); semi != std::string::npos) tag.resize(semi);
    while (!tag.empty() && tag.front() == ' ') tag.erase(tag.begin());
    while (!tag.empty() && tag.back() == ' ') tag.pop_back();
    if (map.Contains(tag)) return tag;
    start = end + 1;
  }
  if (map.Contains("@none")) return "@none";
  return map.AsObject().front().first;
}

// The string shown for a languageMap under lang (null for an empty map).
Json PickLanguage(const Json& map, const std::string& lang) {
  const std::string tag = LanguageShown(map, lang);
  const Json* s = tag.empty() ? nullptr : map.Find(tag);
  return s != nullptr ? *s : Json();
}

Json KeyValue(const Json& inst, const LdContext& context, const RenderOptions& o) {
  const std::string& t = inst.Find(attr::kType)->AsString();
  const Json* v = inst.Find(attr::ValueMemberFor(t));
  if (v == nullptr) return Json();
  if (t == attr::kVocabProperty) return CompactVocab(*v, context);
  if (t == attr::kLanguageProperty) {
    if (o.lang) return PickLanguage(*v, *o.lang);
    return Json::MakeObject({{"languageMap", *v}});
  }
  return *v;
}

Json RenderInstance(const Json& inst, const LdContext& context, const RenderOptions& o,
                    bool in_array) {
  const std::string& t = inst.Find(attr::kType)->AsString();
  const std::string_view member = attr::ValueMemberFor(t);
  const Json* v = inst.Find(member);
  Json out = Json::MakeObject();
  if (o.format == Format::kNormalized) {
    if (t == attr::kLanguageProperty && o.lang && v) {
      out.Set(attr::kType, attr::kProperty);
      out.Set(attr::kValue, PickLanguage(*v, *o.lang));
      out.Set("lang", LanguageShown(*v, *o.lang));
    } else {
      out.Set(attr::kType, t);
      if (v) out.Set(member, t == attr::kVocabProperty ? CompactVocab(*v, context) : *v);
    }
    RenderMembers(inst, out, context, o);
    return out;
  }
  // Concise: no "type"; a lone value collapses to the value itself, except a scalar inside
  // a multi-attribute array, which would read back as one Property with an array value.
  if (t == attr::kLanguageProperty && o.lang && v) {
    out.Set(attr::kValue, PickLanguage(*v, *o.lang));
    out.Set("lang", LanguageShown(*v, *o.lang));
  } else if (v) {
    out.Set(member, t == attr::kVocabProperty ? CompactVocab(*v, context) : *v);
  }
  RenderMembers(inst, out, context, o);
  if (out.size() == 1 && !in_array && (t == attr::kProperty || t == attr::kGeoProperty) && v &&
      out.Contains(attr::kValue) && !v->is_object() && !v->is_array()) {
    return *v;
  }
  if (out.size() == 1 && t == attr::kGeoProperty && v) return *v;
  return out;
}

bool Selected(const std::string& iri, const RenderOptions& o) {
  if (o.pick && !o.pick->count(iri)) return false;
  if (o.omit && o.omit->count(iri)) return false;
  return true;
}

}  // namespace

Json RenderAttribute(const Json& instances, const LdContext& context, const RenderOptions& o) {
  const Json::Array& arr = instances.AsArray();
  if (o.format == Format::kKeyValues) {
    for (const auto& inst : arr) {
      if (!inst.Contains(attr::kDatasetId)) return KeyValue(inst, context, o);
    }
    return arr.empty() ? Json() : KeyValue(arr.front(), context, o);
  }
  if (arr.size() == 1) return RenderInstance(arr.front(), context, o);
  Json out = Json::MakeArray();
  for (const auto& inst : arr) out.Push(RenderInstance(inst, context, o, /*in_array=*/true));
  return out;
}

namespace {

Json RenderTypes(const Entity& e, const LdContext& context) {
  if (e.types.size() == 1) return Json(context.CompactIri(e.types.front()));
  Json arr = Json::MakeArray();
  for (const auto& t : e.types) arr.Push(context.CompactIri(t));
  return arr;
}

}  // namespace

Json RenderEntity(const Entity& e, const LdContext& context, const RenderOptions& o) {
  Json out = Json::MakeObject();
  if (Selected("id", o)) out.Set("id", e.id);
  if (!o.pick || o.pick->count("type")) {
    if (!o.omit || !o.omit->count("type")) out.Set("type", RenderTypes(e, context));
  }
  if (!e.scope.is_null() && Selected("scope", o)) {
    out.Set("scope", e.scope.size() == 1 ? e.scope.AsArray().front() : e.scope);
  }
  for (const auto& [iri, arr] : e.attrs.AsObject()) {
    if (!Selected(iri, o)) continue;
    if (o.dataset_ids) {
      // Only the instances with the asked datasetIds ("" is the default instance).
      Json kept = Json::MakeArray();
      for (const Json& inst : arr.AsArray()) {
        const Json* ds = inst.Find(attr::kDatasetId);
        if (o.dataset_ids->count(ds != nullptr && ds->is_string() ? ds->AsString() : "")) {
          kept.Push(inst);
        }
      }
      if (kept.size() > 0) out.Set(context.CompactIri(iri), RenderAttribute(kept, context, o));
      continue;
    }
    out.Set(context.CompactIri(iri), RenderAttribute(arr, context, o));
  }
  if (o.sys_attrs && o.format != Format::kKeyValues) {
    out.Set("createdAt", FormatIso8601(e.created_at));
    out.Set("modifiedAt", FormatIso8601(e.modified_at));
  }
  if (o.include_context) out.Set("@context", context.source());
  return out;
}

Json RenderFeature(const Entity& e, const LdContext& context, const RenderOptions& o,
                   std::string_view geometry_iri) {
  Json feature = Json::MakeObject();
  feature.Set("id", e.id);
  feature.Set("type", "Feature");
  const Json* inst = e.FindInstance(geometry_iri);
  const Json* geom = inst ? inst->Find(attr::kValue) : nullptr;
  feature.Set("geometry", geom ? *geom : Json());
  RenderOptions inner = o;
  inner.include_context = false;
  Json props = RenderEntity(e, context, inner);
  props.Erase("id");
  feature.Set("properties", std::move(props));
  if (o.include_context) feature.Set("@context", context.source());
  return feature;
}

}  // namespace dothi::api::ngsi_ld
