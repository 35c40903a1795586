#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "core/time.h"

// Entity is one NGSI-LD entity in dothi's canonical, fully expanded form. It is the value
// the service, the stores and the query evaluators share; the API codec turns it into and
// out of the wire representations (normalized, concise, keyValues, GeoJSON).
//
// Canonical form:
//  - id: the entity URI; types: expanded type IRIs (at least one); scope: null, or an
//    array of scope strings ("/Hanoi/BaDinh").
//  - attrs: a Json object. Key: the expanded attribute IRI. Value: a Json array of the
//    attribute's instances, one per datasetId (the default instance has no "datasetId").
//  - An instance is a Json object with these members, all optional but "type":
//      "type":        "Property" | "Relationship" | "GeoProperty" | "LanguageProperty" |
//                     "ListProperty" | "JsonProperty" | "VocabProperty" | "ListRelationship"
//      "value"        (Property, GeoProperty: the GeoJSON geometry object)
//      "object"       (Relationship: a URI string) / "objectList" (ListRelationship)
//      "languageMap"  (LanguageProperty: {"vi": "...", "en": "..."})
//      "valueList"    (ListProperty), "json" (JsonProperty), "vocab" (VocabProperty, expanded)
//      "observedAt", "createdAt", "modifiedAt" (ISO 8601 strings), "unitCode", "datasetId"
//    and sub-attributes, keyed by expanded IRI, each a single instance object of the same
//    shape. Values of Properties are kept as given (keys inside compound values are not
//    expanded).
// Entity is a plain value type; not synchronised.
namespace dothi::domain {

// Names of the instance members above, shared by codecs and evaluators.
namespace attr {
inline constexpr std::string_view kType = "type";
inline constexpr std::string_view kValue = "value";
inline constexpr std::string_view kObject = "object";
inline constexpr std::string_view kObjectList = "objectList";
inline constexpr std::string_view kLanguageMap = "languageMap";
inline constexpr std::string_view kValueList = "valueList";
inline constexpr std::string_view kJson = "json";
inline constexpr std::string_view kVocab = "vocab";
inline constexpr std::string_view kObservedAt = "observedAt";
inline constexpr std::string_view kCreatedAt = "createdAt";
inline constexpr std::string_view kModifiedAt = "modifiedAt";
inline constexpr std::string_view kUnitCode = "unitCode";
inline constexpr std::string_view kDatasetId = "datasetId";
inline constexpr std::string_view kProperty = "Property";
inline constexpr std::string_view kRelationship = "Relationship";
inline constexpr std::string_view kGeoProperty = "GeoProperty";
inline constexpr std::string_view kLanguageProperty = "LanguageProperty";
inline constexpr std::string_view kListProperty = "ListProperty";
inline constexpr std::string_view kJsonProperty = "JsonProperty";
inline constexpr std::string_view kVocabProperty = "VocabProperty";
inline constexpr std::string_view kListRelationship = "ListRelationship";

// True for the members of an instance that are not sub-attributes.
bool IsReservedMember(std::string_view key);
// The member that holds the instance's value for its type ("value", "object", ...).
std::string_view ValueMemberFor(std::string_view instance_type);
}  // namespace attr

// The expanded IRI of the default location GeoProperty ("location" in the core context).
inline constexpr std::string_view kLocationIri = "https://uri.etsi.org/ngsi-ld/location";

struct Entity {
  std::string id;
  std::vector<std::string> types;
  Json scope;            // null or array of strings
  Timestamp created_at;  // system attributes of the entity
  Timestamp modified_at;
  Json attrs = Json::MakeObject();

  // Instances of an attribute, or nullptr when absent.
  const Json::Array* FindAttr(std::string_view iri) const;
  // The default instance (no datasetId) or the first one, or nullptr.
  const Json* FindInstance(std::string_view iri, std::string_view dataset_id = {}) const;
  bool HasType(std::string_view type_iri) const;

  // Storage form: one Json object with every field; round-trips exactly.
  Json ToStorageJson() const;
  static Result<Entity> FromStorageJson(const Json& j);
  static Result<Entity> FromStorageJson(Json&& j);  // moves the attributes out of j
  // Compact binary storage form (Json::EncodeBinary of ToStorageJson).
  std::string Encode() const;
  static Result<Entity> Decode(std::string_view bytes);
};

// An encoded entity (Entity::Encode bytes) opened to change a few attributes: only those
// are decoded and re-encoded, the other members are copied as they are. The attributes are
// walked only as far as the ones asked for: those after them are copied unread (damaged
// bytes there are found by whoever reads them next, not here). Encode() gives the same bytes
// as decoding, changing and Entity::Encode would. The input bytes must outlive this object.
class EncodedEntity {
 public:
  static Result<EncodedEntity> Open(std::string_view bytes);

  // The instances of an attribute (expanded IRI), decoded; nullopt when absent.
  Result<std::optional<Json>> Attr(std::string_view iri);
  // The value encoding of an attribute's instances, undecoded; nullopt when absent.
  Result<std::optional<std::string_view>> AttrEncoding(std::string_view iri);
  // Replaces an attribute's instances, or adds the attribute at the end when absent.
  // Returns their value encoding (Json::EncodeValue), valid while this object lives.
  Result<std::string_view> SetAttr(std::string_view iri, const Json& instances);
  void SetModifiedAt(Timestamp t);
  std::string Encode() const;

 private:
  // Index in attrs_ of the attribute, walking on as far as needed; -1 when absent.
  Result<int> Find(std::string_view iri);

  std::vector<Json::BinaryMember> top_;    // id, type, [scope], createdAt, modifiedAt, attrs
  std::vector<Json::BinaryMember> attrs_;  // walked so far: views into the input or owned_
  Json::BinaryObjectCursor rest_;          // the stored attributes not walked yet
  std::vector<std::unique_ptr<std::string>> owned_;  // encodings of changed members
  std::size_t attrs_at_ = 0;  // index of "attrs" in top_
};

// True when s is an absolute URI as NGSI-LD requires for ids (scheme ":" rest, RFC 3986
// scheme characters, no spaces or control characters).
bool IsValidUri(std::string_view s);

}  // namespace dothi::domain
