#include "api/ngsi_ld/ld_context.h"

#include <algorithm>
#include <array>

#include "api/common/json_parse.h"
#include "core/check.h"

namespace dothi::api::ngsi_ld {
namespace {

constexpr std::array<std::string_view, 5> kCoreContextUrls = {
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld",
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool IsScheme(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return false;
  for (char c : s) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// JSON-LD 1.1: a simple term whose IRI ends with a gen-delim may serve as a prefix.
bool EndsWithGenDelim(std::string_view iri) {
  if (iri.empty()) return false;
  switch (iri.back()) {
    case ':':
    case '/':
    case '?':
    case '#':
    case '[':
    case ']':
    case '@':
      return true;
    default:
      return false;
  }
}

bool IsKeywordIri(std::string_view iri) { return !iri.empty() && iri[0] == '@'; }

bool UsableAsPrefix(const TermDefinition& d) {
  return !IsKeywordIri(d.iri) && !d.reverse && (d.prefix || EndsWithGenDelim(d.iri));
}

// Shorter wins, then the lexicographically least (JSON-LD term selection, simplified).
bool BetterTerm(std::string_view candidate, std::string_view current) {
  if (candidate.size() != current.size()) return candidate.size() < current.size();
  return candidate < current;
}

}  // namespace

bool IsCoreContextUrl(std::string_view url) {
  return std::find(kCoreContextUrls.begin(), kCoreContextUrls.end(), url) != kCoreContextUrls.end();
}

// Builder runs the context processing: it accumulates the user layer's terms and vocab.
// Each context object being processed has a Local with the define-on-demand states that
// JSON-LD's "defined" map holds, so a term may use a prefix defined later in the object.
struct LdContext::Builder {
  enum class State : std::uint8_t { kInProgress, kDone };
  struct Local {
    explicit Local(const Json::Object& obj) {
      members.reserve(obj.size());
      for (const auto& m : obj) members.insert_or_assign(m.first, &m.second);
    }
    const Json* Member(std::string_view key) const {
      auto it = members.find(key);
      return it == members.end() ? nullptr : it->second;
    }
    std::unordered_map<std::string_view, const Json*> members;
    std::unordered_map<std::string_view, State> states;
  };

  const LdContext* core = nullptr;  // null while building the core context itself
  const ContextLoader* loader = nullptr;
  TermMap terms;
  std::string vocab;
  std::vector<std::string> url_stack;
  int loads = 0;

  const TermDefinition* Lookup(std::string_view term) const {
    if (auto it = terms.find(term); it != terms.end()) return &it->second;
    return core != nullptr ? core->FindTerm(term) : nullptr;
  }

  Status ProcessValue(const Json& v, int url_depth) {
    switch (v.type()) {
      case Json::Type::kNull:
        // A null context resets the user layer; the core context stays in effect.
        terms.clear();
        vocab = core != nullptr ? core->vocab_ : std::string(kDefaultVocab);
        return Status::OK();
      case Json::Type::kString:
        return ProcessUrl(v.AsString(), url_depth);
      case Json::Type::kObject:
        return ProcessObject(v.AsObject(), url_depth);
      case Json::Type::kArray:
        for (const Json& element : v.AsArray()) {
          if (element.is_array()) {
            return Status::InvalidContext("an @context array may not contain arrays");
          }
          DOTHI_RETURN_IF_ERROR(ProcessValue(element, url_depth));
        }
        return Status::OK();
      default:
        return Status::InvalidContext("an @context entry must be a URL, an object or null",
                                      v.Dump());
    }
  }

  Result<std::shared_ptr<const Json>> Load(const std::string& url, int url_depth) {
    if (url_depth >= kMaxUrlNesting) {
      return Status::InvalidContext("@context nested too deeply", url);
    }
    if (std::find(url_stack.begin(), url_stack.end(), url) != url_stack.end()) {
      return Status::InvalidContext("recursive @context inclusion", url);
    }
    if (++loads > kMaxLoads) return Status::InvalidContext("too many nested @context URLs", url);
    if (loader == nullptr || !*loader) {
      return Status::LdContextNotAvailable("remote @context cannot be loaded", url);
    }
    return (*loader)(url);
  }

  Status ProcessUrl(const std::string& url, int url_depth) {
    if (IsCoreContextUrl(url)) return Status::OK();  // always in effect
    Result<std::shared_ptr<const Json>> doc = Load(url, url_depth);
    if (!doc.ok()) return doc.status();
    url_stack.push_back(url);
    Status s = ProcessValue(**doc, url_depth + 1);
    url_stack.pop_back();
    return s;
  }

  Status ProcessObject(const Json::Object& obj, int url_depth) {
    // @import (JSON-LD 1.1): the imported object's members, overridden by this object's.
    Local local(obj);
    if (const Json* imp = local.Member("@import"); imp != nullptr) {
      if (!imp->is_string()) return Status::InvalidContext("@import must be a URL");
      Result<std::shared_ptr<const Json>> doc = Load(imp->AsString(), url_depth);
      if (!doc.ok()) return doc.status();
      if (!(*doc)->is_object()) {
        return Status::InvalidContext("an imported @context must be an object", imp->AsString());
      }
      Json::Object merged;
      for (const auto& m : (*doc)->AsObject()) {
        if (m.first == "@import") return Status::InvalidContext("@import may not be nested");
        if (local.Member(m.first) == nullptr) merged.push_back(m);
      }
      for (const auto& m : obj) {
        if (m.first != "@import") merged.push_back(m);
      }
      return ProcessObject(merged, url_depth + 1);
    }

    if (const Json* v = local.Member("@vocab"); v != nullptr) {
      if (v->is_null()) {
        vocab = core != nullptr ? core->vocab_ : std::string(kDefaultVocab);
      } else if (v->is_string()) {
        Result<std::string> iri = ExpandIri(v->AsString(), &local, false);
        if (!iri.ok()) return iri.status();
        vocab = std::move(*iri);
      } else {
        return Status::InvalidContext("@vocab must be a string or null");
      }
    }
    for (const auto& m : obj) {
      if (!m.first.empty() && m.first[0] == '@') continue;  // @version, @protected, @base ...
      DOTHI_RETURN_IF_ERROR(Define(m.first, local));
    }
    return Status::OK();
  }

  // JSON-LD IRI expansion with vocab=true. skip_self: value is the term being defined.
  Result<std::string> ExpandIri(std::string_view value, Local* local, bool skip_self) {
    if (IsKeywordIri(value)) return std::string(value);
    if (!skip_self) {
      if (local != nullptr && local->Member(value) != nullptr) {
        DOTHI_RETURN_IF_ERROR(Define(value, *local));
      }
      if (const TermDefinition* d = Lookup(value); d != nullptr) return d->iri;
    }
    std::size_t colon = value.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      std::string_view prefix = value.substr(0, colon);
      std::string_view suffix = value.substr(colon + 1);
      if (prefix == "_" || suffix.substr(0, 2) == "//") return std::string(value);
      if (local != nullptr && local->Member(prefix) != nullptr) {
        DOTHI_RETURN_IF_ERROR(Define(prefix, *local));
      }
      if (const TermDefinition* d = Lookup(prefix); d != nullptr && UsableAsPrefix(*d)) {
        return d->iri + std::string(suffix);
      }
      if (IsScheme(prefix)) return std::string(value);
    }
    if (vocab.empty()) return Status::InvalidContext("cannot expand without @vocab", value);
    return vocab + std::string(value);
  }

  Status Define(std::string_view term, Local& local) {
    if (auto it = local.states.find(term); it != local.states.end()) {
      if (it->second == State::kDone) return Status::OK();
      return Status::InvalidContext("cyclic IRI mapping", term);
    }
    // The core context is protected: a user definition of a core term is ignored.
    if (core != nullptr && core->FindTerm(term) != nullptr) {
      local.states[term] = State::kDone;
      return Status::OK();
    }
    local.states[term] = State::kInProgress;
    const Json& value = *local.Member(term);

    const Json* id = nullptr;
    const Json* type = nullptr;
    const Json* container = nullptr;
    const Json* prefix = nullptr;
    bool simple = false;
    TermDefinition def;
    if (value.is_null()) {
      terms.erase(std::string(term));
      local.states[term] = State::kDone;
      return Status::OK();
    }
    if (value.is_string()) {
      id = &value;
      simple = true;
    } else if (value.is_object()) {
      id = value.Find("@id");
      if (const Json* rev = value.Find("@reverse"); rev != nullptr) {
        if (!rev->is_string()) return Status::InvalidContext("invalid @reverse", term);
        id = rev;
        def.reverse = true;
      }
      type = value.Find("@type");
      container = value.Find("@container");
      prefix = value.Find("@prefix");
      if (id != nullptr && id->is_null()) {  // explicitly unmapped
        terms.erase(std::string(term));
        local.states[term] = State::kDone;
        return Status::OK();
      }
      if (id != nullptr && !id->is_string()) {
        return Status::InvalidContext("invalid IRI mapping", term);
      }
    } else {
      return Status::InvalidContext("invalid term definition", term);
    }

    if (id != nullptr && id->AsString() != term) {
      Result<std::string> iri = ExpandIri(id->AsString(), &local, false);
      if (!iri.ok()) return iri.status();
      def.iri = std::move(*iri);
    } else if (term.find(':') != std::string_view::npos) {
      Result<std::string> iri = ExpandIri(term, &local, true);
      if (!iri.ok()) return iri.status();
      def.iri = std::move(*iri);
    } else {
      if (vocab.empty()) return Status::InvalidContext("term has no IRI mapping", term);
      def.iri = vocab + std::string(term);
    }

    if (type != nullptr) {
      if (!type->is_string()) return Status::InvalidContext("invalid type mapping", term);
      const std::string& t = type->AsString();
      if (t == "@id") {
        def.type = TermType::kId;
      } else if (t == "@vocab") {
        def.type = TermType::kVocab;
      } else if (t == "@json") {
        def.type = TermType::kJson;
      } else if (t == "@none") {
        def.type = TermType::kNone;
      } else {
        Result<std::string> dt = ExpandIri(t, &local, false);
        if (!dt.ok()) return dt.status();
        def.type = TermType::kDatatype;
        def.datatype = std::move(*dt);
      }
    }
    if (container != nullptr) {
      if (container->is_string()) {
        def.container = container->AsString();
      } else if (container->is_array() && !container->AsArray().empty() &&
                 container->AsArray()[0].is_string()) {
        def.container = container->AsArray()[0].AsString();  // e.g. ["@list"] / ["@set", ...]
      } else if (!container->is_null()) {
        return Status::InvalidContext("invalid container mapping", term);
      }
    }
    if (prefix != nullptr) {
      if (!prefix->is_bool()) return Status::InvalidContext("invalid @prefix value", term);
      def.prefix = prefix->AsBool();
    } else {
      def.prefix =
          simple && term.find_first_of(":/") == std::string_view::npos && EndsWithGenDelim(def.iri);
    }
    if (def.prefix && term.find(':') != std::string_view::npos) def.prefix = false;

    terms.insert_or_assign(std::string(term), std::move(def));
    local.states[term] = State::kDone;
    return Status::OK();
  }
};

const std::shared_ptr<const LdContext>& LdContext::Core() {
  static const std::shared_ptr<const LdContext> core = [] {
    Result<Json> doc = ParseJson(CoreContextDocument());
    DOTHI_CHECK(doc.ok());  // the embedded document is part of the build
    const Json* value = doc->Find("@context");
    DOTHI_CHECK(value != nullptr);
    Builder b;
    Status s = b.ProcessValue(*value, 0);
    DOTHI_CHECK(s.ok());
    std::shared_ptr<LdContext> ctx(new LdContext());
    ctx->terms_ = std::move(b.terms);
    ctx->vocab_ = b.vocab.empty() ? std::string(kDefaultVocab) : std::move(b.vocab);
    ctx->source_ = Json(kCoreContextUrl);
    ctx->id_ = std::string(kCoreContextUrl);
    ctx->BuildIndexes();
    return std::shared_ptr<const LdContext>(std::move(ctx));
  }();
  return core;
}

Result<std::shared_ptr<const LdContext>> LdContext::Create(const Json& context_value,
                                                           const ContextLoader& loader,
                                                           std::string id) {
  const std::shared_ptr<const LdContext>& core = Core();
  if (context_value.is_null() ||
      (context_value.is_string() && IsCoreContextUrl(context_value.AsString()))) {
    return core;
  }
  Builder b;
  b.core = core.get();
  b.loader = &loader;
  b.vocab = core->vocab_;
  DOTHI_RETURN_IF_ERROR(b.ProcessValue(context_value, 0));

  std::shared_ptr<LdContext> ctx(new LdContext());
  ctx->core_ = core;
  ctx->terms_ = std::move(b.terms);
  ctx->vocab_ = std::move(b.vocab);
  ctx->source_ = context_value;
  if (!id.empty()) {
    ctx->id_ = std::move(id);
  } else {
    ctx->id_ = context_value.is_string() ? context_value.AsString() : context_value.Dump();
  }
  ctx->BuildIndexes();
  return std::shared_ptr<const LdContext>(std::move(ctx));
}

void LdContext::BuildIndexes() {
  for (const auto& [term, def] : terms_) {
    if (IsKeywordIri(def.iri) || def.reverse) continue;
    auto [it, inserted] = reverse_.try_emplace(def.iri, term);
    if (!inserted && BetterTerm(term, it->second)) it->second = term;
    if (def.prefix && UsableAsPrefix(def)) prefixes_.emplace_back(term, def.iri);
  }
  // Deterministic order: shortest term first, so ties in compact length favour it.
  std::sort(prefixes_.begin(), prefixes_.end(),
            [](const auto& a, const auto& b) { return BetterTerm(a.first, b.first); });
}

const TermDefinition* LdContext::FindTerm(std::string_view term) const {
  if (auto it = terms_.find(term); it != terms_.end()) return &it->second;
  return core_ != nullptr ? core_->FindTerm(term) : nullptr;
}

const std::string* LdContext::FindReverse(std::string_view iri) const {
  if (auto it = reverse_.find(iri); it != reverse_.end()) return &it->second;
  return core_ != nullptr ? core_->FindReverse(iri) : nullptr;
}

const TermDefinition* LdContext::FindTermByIri(std::string_view iri) const {
  const std::string* term = FindReverse(iri);
  return term != nullptr ? FindTerm(*term) : nullptr;
}

bool LdContext::IsVocabTerm(std::string_view iri) const {
  const TermDefinition* d = FindTermByIri(iri);
  return d != nullptr && d->type == TermType::kVocab;
}

std::string LdContext::ExpandTerm(std::string_view term) const {
  if (term.empty() || IsKeywordIri(term)) return std::string(term);
  if (const TermDefinition* d = FindTerm(term); d != nullptr) return d->iri;
  std::size_t colon = term.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    std::string_view prefix = term.substr(0, colon);
    std::string_view suffix = term.substr(colon + 1);
    if (prefix == "_" || suffix.substr(0, 2) == "//") return std::string(term);
    if (const TermDefinition* d = FindTerm(prefix); d != nullptr && UsableAsPrefix(*d)) {
      std::string out;
      out.reserve(d->iri.size() + suffix.size());
      out.append(d->iri).append(suffix);
      return out;
    }
    if (IsScheme(prefix)) return std::string(term);
  }
  std::string out;
  out.reserve(vocab_.size() + term.size());
  out.append(vocab_).append(term);
  return out;
}

std::string LdContext::CompactIri(std::string_view iri) const {
  if (iri.empty() || IsKeywordIri(iri)) return std::string(iri);
  if (const std::string* term = FindReverse(iri); term != nullptr) return *term;

  // Relative to @vocab, when the rest reads back as the same IRI.
  if (iri.size() > vocab_.size() && iri.substr(0, vocab_.size()) == vocab_) {
    std::string_view rest = iri.substr(vocab_.size());
    if (rest.find(':') == std::string_view::npos && rest[0] != '@' && FindTerm(rest) == nullptr) {
      return std::string(rest);
    }
  }

  // A compact IRI with the prefix that gives the shortest result (user prefixes first).
  std::string best;
  auto try_layer = [&](const PrefixList& prefixes) {
    for (const auto& [term, prefix_iri] : prefixes) {
      if (iri.size() <= prefix_iri.size() || iri.substr(0, prefix_iri.size()) != prefix_iri) {
        continue;
      }
      std::string_view suffix = iri.substr(prefix_iri.size());
      if (suffix.substr(0, 2) == "//") continue;
      if (!best.empty() && term.size() + 1 + suffix.size() >= best.size()) continue;
      std::string candidate;
      candidate.reserve(term.size() + 1 + suffix.size());
      candidate.append(term).append(":").append(suffix);
      if (FindTerm(candidate) != nullptr) continue;  // would read back as that term
      // The prefix must resolve to this very definition when expanded again.
      const TermDefinition* d = FindTerm(term);
      if (d == nullptr || d->iri != prefix_iri) continue;
      best = std::move(candidate);
    }
  };
  try_layer(prefixes_);
  if (core_ != nullptr) try_layer(core_->prefixes_);
  if (!best.empty()) return best;
  return std::string(iri);
}

}  // namespace dothi::api::ngsi_ld
