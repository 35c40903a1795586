#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/result.h"

// LdContext is one processed JSON-LD @context: the NGSI-LD core context (always in effect)
// plus, optionally, a user context layered on top. It turns short names (attribute names,
// entity types, VocabProperty values) into IRIs and back. It supports what NGSI-LD payloads
// use: simple and expanded term definitions (@id, @type, @container, @prefix), compact IRIs
// through prefixes, @vocab, arrays of contexts (later wins), null (reset) and nested contexts
// by URL, which a ContextLoader supplies (ContextRegistry does, with its cache and limits).
//
// Precedence: the core context is "@protected" (Annex B) and always in effect, as if it
// were appended last. A user term whose name the core context defines is ignored, so
// "location" is always ngsi-ld:location. A user "@vocab" replaces the core's default vocab
// (https://uri.etsi.org/ngsi-ld/default-context/) for unknown terms.
//
// An LdContext is immutable once built; share it as std::shared_ptr<const LdContext> and
// call it from any number of threads. Lookups are hash-map probes, no regex.
namespace dothi::api::ngsi_ld {

// The URL of the core context served by this build (its text is v1.8, Annex B).
inline constexpr std::string_view kCoreContextUrl =
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
inline constexpr std::string_view kNgsiLdNamespace = "https://uri.etsi.org/ngsi-ld/";
// The core context's "@vocab": where terms nobody defined end up.
inline constexpr std::string_view kDefaultVocab = "https://uri.etsi.org/ngsi-ld/default-context/";

// The embedded core context document ({"@context": {...}}), generated at build time.
std::string_view CoreContextDocument();
// True for the core context URLs that resolve offline to the embedded document: the
// unversioned URL and v1.6, v1.7, v1.8 and v1.9.
bool IsCoreContextUrl(std::string_view url);

// How values of a term are coerced (its "@type" in the term definition).
enum class TermType : std::uint8_t {
  kNone,      // no @type
  kId,        // "@id": string values are IRIs, expanded against the document base
  kVocab,     // "@vocab": string values are terms/IRIs, expanded like attribute names
  kJson,      // "@json": the value is a JSON literal, never expanded
  kDatatype,  // any other IRI: a typed literal (e.g. ngsi-ld:DateTime); see datatype
};

struct TermDefinition {
  std::string iri;  // the expanded IRI, or a keyword ("@id", "@type") for an alias
  TermType type = TermType::kNone;
  std::string datatype;   // expanded datatype IRI when type is kDatatype
  std::string container;  // "@list", "@set", "@language", "@index", ... or empty
  bool prefix = false;    // may be the prefix of a compact IRI ("ngsi-ld:foo")
  bool reverse = false;   // defined with @reverse
};

// Supplies the "@context" value of the document at a context URL (core URLs never reach it).
// Errors it returns are passed through unchanged.
using ContextLoader = std::function<Result<std::shared_ptr<const Json>>(std::string_view url)>;

class LdContext {
 public:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using TermMap = std::unordered_map<std::string, TermDefinition, StringHash, std::equal_to<>>;
  using IriMap = std::unordered_map<std::string, std::string, StringHash, std::equal_to<>>;

  // Most URL levels a context may nest (a URL whose document names a URL ...).
  static constexpr int kMaxUrlNesting = 8;
  // Most context documents one Create may load through the loader.
  static constexpr int kMaxLoads = 64;

  // The core context alone, processed once per process (thread-safe lazy init).
  static const std::shared_ptr<const LdContext>& Core();

  // Processes context_value (a URL string, an object, null or an array of those) on top of
  // the core context. id names the result (the registry uses the cache key); empty means
  // context_value's compact JSON text. Errors: kInvalidContext for a malformed context, a
  // cycle or too deep nesting; loader errors (kLdContextNotAvailable, ...) as returned.
  static Result<std::shared_ptr<const LdContext>> Create(const Json& context_value,
                                                         const ContextLoader& loader,
                                                         std::string id = {});

  // Attribute name or entity type -> IRI: a defined term -> its IRI; "prefix:suffix" with a
  // known prefix -> expanded; an absolute IRI ("urn:x", "https://...") -> unchanged;
  // a keyword ("@id") -> unchanged; otherwise @vocab + term.
  std::string ExpandTerm(std::string_view term) const;
  // IRI -> the short name to render: the term whose IRI it is (user terms before core terms;
  // among several, the shortest, then the least), else the part after @vocab when that does
  // not read as another term or IRI, else a compact IRI with a known prefix, else the IRI.
  // ExpandTerm(CompactIri(iri)) == iri for every iri.
  std::string CompactIri(std::string_view iri) const;

  // The definition of term (user layer, then core), or nullptr.
  const TermDefinition* FindTerm(std::string_view term) const;
  // The definition of the term that CompactIri(iri) would choose, or nullptr.
  const TermDefinition* FindTermByIri(std::string_view iri) const;
  // True when the term for this expanded IRI is defined with "@type": "@vocab", so its
  // string values are vocabulary terms (expand/compact them with the two functions below).
  bool IsVocabTerm(std::string_view iri) const;
  // Value expansion/compaction for @type @vocab values (VocabProperty "vocab", typeName ...).
  std::string ExpandVocabValue(std::string_view value) const { return ExpandTerm(value); }
  std::string CompactVocabValue(std::string_view iri) const { return CompactIri(iri); }

  // The @context value to echo back in responses: what the request carried (URL string,
  // object or array), or the core context URL for the core context.
  const Json& source() const { return source_; }
  // Identifies this context: the registry's cache key, the URL for a single URL, or
  // kCoreContextUrl for the core context.
  const std::string& id() const { return id_; }
  // The vocabulary in effect for unknown terms.
  const std::string& vocab() const { return vocab_; }
  bool is_core() const { return core_ == nullptr; }

 private:
  struct Builder;
  friend struct Builder;
  LdContext() = default;

  // Prefix candidates for compaction: (term, iri), in preference order.
  using PrefixList = std::vector<std::pair<std::string, std::string>>;

  void BuildIndexes();
  const std::string* FindReverse(std::string_view iri) const;

  std::shared_ptr<const LdContext> core_;  // null for the core context itself
  TermMap terms_;                          // this layer's terms
  IriMap reverse_;                         // this layer: IRI -> preferred term
  PrefixList prefixes_;                    // this layer's prefix terms
  std::string vocab_;
  Json source_;
  std::string id_;
};

}  // namespace dothi::api::ngsi_ld
