#include "domain/entity.h"

#include <cctype>

namespace dothi::domain {

namespace attr {

bool IsReservedMember(std::string_view key) {
  return key == kType || key == kValue || key == kObject || key == kObjectList ||
         key == kLanguageMap || key == kValueList || key == kJson || key == kVocab ||
         key == kObservedAt || key == kCreatedAt || key == kModifiedAt || key == kUnitCode ||
         key == kDatasetId;
}

std::string_view ValueMemberFor(std::string_view t) {
  if (t == kRelationship) return kObject;
  if (t == kListRelationship) return kObjectList;
  if (t == kLanguageProperty) return kLanguageMap;
  if (t == kListProperty) return kValueList;
  if (t == kJsonProperty) return kJson;
  if (t == kVocabProperty) return kVocab;
  return kValue;
}

}  // namespace attr

const Json::Array* Entity::FindAttr(std::string_view iri) const {
  const Json* a = attrs.Find(iri);
  if (a == nullptr || !a->is_array()) return nullptr;
  return &a->AsArray();
}

const Json* Entity::FindInstance(std::string_view iri, std::string_view dataset_id) const {
  const Json::Array* arr = FindAttr(iri);
  if (arr == nullptr || arr->empty()) return nullptr;
  for (const Json& inst : *arr) {
    const Json* ds = inst.Find(attr::kDatasetId);
    if (dataset_id.empty() ? ds == nullptr : (ds != nullptr && ds->is_string() &&
                                              ds->AsString() == dataset_id)) {
      return &inst;
    }
  }
  return dataset_id.empty() ? &arr->front() : nullptr;
}

bool Entity::HasType(std::string_view type_iri) const {
  for (const auto& t : types) {
    if (t == type_iri) return true;
  }
  return false;
}

Json Entity::ToStorageJson() const {
  Json j = Json::MakeObject();
  j.Set("id", id);
  Json t = Json::MakeArray();
  for (const auto& s : types) t.Push(s);
  j.Set("type", std::move(t));
  if (!scope.is_null()) j.Set("scope", scope);
  j.Set("createdAt", created_at.micros);
  j.Set("modifiedAt", modified_at.micros);
  j.Set("attrs", attrs);
  return j;
}

Result<Entity> Entity::FromStorageJson(Json&& j) {
  Json* a = j.Find("attrs");
  Json attrs = a != nullptr && a->is_object() ? std::move(*a) : Json();
  if (a != nullptr) *a = Json::MakeObject();  // keeps j valid for the checks below
  Result<Entity> e = FromStorageJson(static_cast<const Json&>(j));
  if (e.ok()) e->attrs = std::move(attrs);
  return e;
}

Result<Entity> Entity::FromStorageJson(const Json& j) {
  const Json* id = j.Find("id");
  const Json* type = j.Find("type");
  const Json* c = j.Find("createdAt");
  const Json* m = j.Find("modifiedAt");
  const Json* a = j.Find("attrs");
  if (id == nullptr || !id->is_string() || type == nullptr || !type->is_array() ||
      c == nullptr || !c->is_int() || m == nullptr || !m->is_int() || a == nullptr ||
      !a->is_object()) {
    return Status::Internal("corrupt stored entity");
  }
  Entity e;
  e.id = id->AsString();
  for (const auto& t : type->AsArray()) {
    if (!t.is_string()) return Status::Internal("corrupt stored entity type", e.id);
    e.types.push_back(t.AsString());
  }
  if (const Json* s = j.Find("scope")) e.scope = *s;
  e.created_at = Timestamp{c->AsInt()};
  e.modified_at = Timestamp{m->AsInt()};
  e.attrs = *a;
  return e;
}

std::string Entity::Encode() const {
  // The same bytes as ToStorageJson().EncodeBinary(), without copying attrs.
  Json type = Json::MakeArray();
  for (const auto& s : types) type.Push(s);
  const Json id_json(id);
  const Json created(created_at.micros);
  const Json modified(modified_at.micros);
  std::string out;
  if (scope.is_null()) {
    Json::EncodeObjectBinary(out, {{"id", &id_json}, {"type", &type}, {"createdAt", &created},
                                   {"modifiedAt", &modified}, {"attrs", &attrs}});
  } else {
    Json::EncodeObjectBinary(out, {{"id", &id_json}, {"type", &type}, {"scope", &scope},
                                   {"createdAt", &created}, {"modifiedAt", &modified},
                                   {"attrs", &attrs}});
  }
  return out;
}

Result<Entity> Entity::Decode(std::string_view bytes) {
  Result<Json> j = Json::DecodeBinary(bytes);
  if (!j.ok()) return j.status();
  return FromStorageJson(std::move(*j));
}

Result<EncodedEntity> EncodedEntity::Open(std::string_view bytes) {
  // Entity::Encode writes attrs last, so only that member needs walking (by the second
  // call); bytes in another member order are walked whole.
  Result<std::vector<Json::BinaryMember>> top =
      Json::BinaryObjectMembers(bytes, true, /*last_to_end=*/true);
  if (top.ok() && (top->empty() || !Json::BinaryKeyEquals(top->back().key, "attrs"))) {
    top = Json::BinaryObjectMembers(bytes, true);
  }
  if (!top.ok()) return top.status();
  EncodedEntity e;
  e.top_ = std::move(*top);
  bool found = false;
  for (std::size_t i = 0; i < e.top_.size(); ++i) {
    if (Json::BinaryKeyEquals(e.top_[i].key, "attrs")) {
      e.attrs_at_ = i;
      found = true;
    }
  }
  if (!found) return Status::Internal("corrupt stored entity: no attributes");
  Result<Json::BinaryObjectCursor> attrs = Json::OpenBinaryObject(e.top_[e.attrs_at_].value);
  if (!attrs.ok()) return attrs.status();
  e.rest_ = *attrs;
  e.attrs_.reserve(e.rest_.count + 1);  // every stored attribute and one new one
  e.owned_.reserve(4);
  return e;
}

Result<int> EncodedEntity::Find(std::string_view iri) {
  for (std::size_t i = 0; i < attrs_.size(); ++i) {
    if (Json::BinaryKeyEquals(attrs_[i].key, iri)) return static_cast<int>(i);
  }
  while (rest_.walked < rest_.count) {
    Result<Json::BinaryMember> m = Json::NextBinaryMember(rest_);
    if (!m.ok()) return m.status();
    attrs_.push_back(*m);
    if (Json::BinaryKeyEquals(m->key, iri)) return static_cast<int>(attrs_.size() - 1);
  }
  return -1;
}

Result<std::optional<Json>> EncodedEntity::Attr(std::string_view iri) {
  Result<int> at = Find(iri);
  if (!at.ok()) return at.status();
  if (*at < 0) return std::optional<Json>();
  Result<Json> v = Json::DecodeBinaryValue(attrs_[static_cast<std::size_t>(*at)].value);
  if (!v.ok()) return v.status();
  if (!v->is_array()) return Status::Internal("corrupt stored attribute", std::string(iri));
  return std::optional<Json>(std::move(*v));
}

Result<std::optional<std::string_view>> EncodedEntity::AttrEncoding(std::string_view iri) {
  Result<int> at = Find(iri);
  if (!at.ok()) return at.status();
  if (*at < 0) return std::optional<std::string_view>();
  return std::optional<std::string_view>(attrs_[static_cast<std::size_t>(*at)].value);
}

Result<std::string_view> EncodedEntity::SetAttr(std::string_view iri, const Json& instances) {
  Result<int> at = Find(iri);
  if (!at.ok()) return at.status();
  auto bytes = std::make_unique<std::string>();
  instances.EncodeValue(*bytes);
  const std::string_view view = *bytes;
  owned_.push_back(std::move(bytes));
  if (*at >= 0) {
    attrs_[static_cast<std::size_t>(*at)].value = view;
    return view;
  }
  // Absent: every stored attribute has been walked, so the new one goes last.
  auto key = std::make_unique<std::string>();
  Json::AppendBinaryKey(*key, iri);
  attrs_.push_back({*key, view});
  owned_.push_back(std::move(key));
  return view;
}

void EncodedEntity::SetModifiedAt(Timestamp t) {
  auto bytes = std::make_unique<std::string>();
  Json(t.micros).EncodeValue(*bytes);
  for (auto& m : top_) {
    if (Json::BinaryKeyEquals(m.key, "modifiedAt")) m.value = *bytes;
  }
  owned_.push_back(std::move(bytes));
}

std::string EncodedEntity::Encode() const {
  std::string out;
  // The exact size: the entity index keeps these bytes, and a buffer with room to spare
  // would be copied again to give the room back.
  // (Open found the attributes, so top_[attrs_at_] is there.)
  const std::string_view unwalked = rest_.bytes.substr(rest_.pos);
  const std::size_t attr_count = attrs_.size() + (rest_.count - rest_.walked);
  std::size_t size = Json::BinaryObjectHeaderSize(top_.size(), true) +
                     Json::BinaryObjectHeaderSize(attr_count, false) + unwalked.size();
  for (std::size_t i = 0; i < top_.size(); ++i) {
    size += top_[i].key.size() + (i == attrs_at_ ? 0 : top_[i].value.size());
  }
  for (const auto& m : attrs_) size += m.key.size() + m.value.size();
  out.reserve(size);
  Json::BeginBinaryObject(out, top_.size(), true);
  for (std::size_t i = 0; i < top_.size(); ++i) {
    out.append(top_[i].key);
    if (i != attrs_at_) {
      out.append(top_[i].value);
      continue;
    }
    Json::BeginBinaryObject(out, attr_count, false);
    for (const auto& m : attrs_) {
      out.append(m.key);
      out.append(m.value);
    }
    out.append(unwalked);
  }
  return out;
}

bool IsValidUri(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size()) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      return false;
    }
  }
  return true;
}

}  // namespace dothi::domain
