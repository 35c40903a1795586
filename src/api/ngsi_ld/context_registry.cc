#include "api/ngsi_ld/context_registry.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <utility>

#include "api/common/json_parse.h"
#include "domain/entity.h"
#include "http/request.h"

namespace dothi::api::ngsi_ld {
namespace {

constexpr std::string_view kHostedPath = "/ngsi-ld/v1/jsonldContexts/";
constexpr std::size_t kResolvedEvictDivisor = 8;  // evict 1/8 of the cache when full

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// The host of an http(s) URL, lower-cased, without userinfo and port; empty when there is
// none or the scheme is not http(s).
std::string HttpHost(std::string_view url) {
  std::string lowered = Lower(url.substr(0, 8));
  std::size_t start;
  if (StartsWith(lowered, "http://")) {
    start = 7;
  } else if (StartsWith(lowered, "https://")) {
    start = 8;
  } else {
    return {};
  }
  std::string_view rest = url.substr(start);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (!authority.empty() && authority[0] == '[') {  // IPv6 literal
    std::size_t close = authority.find(']');
    return close == std::string_view::npos ? std::string() : Lower(authority.substr(0, close + 1));
  }
  return Lower(authority.substr(0, authority.find(':')));
}

bool HostAllowed(const std::string& host, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  for (const std::string& entry : allowed) {
    std::string a = Lower(entry);
    if (a == host) return true;
    if (StartsWith(a, "*.")) {
      std::string_view suffix = std::string_view(a).substr(1);  // ".example.org"
      if (host.size() > suffix.size() &&
          std::string_view(host).substr(host.size() - suffix.size()) == suffix) {
        return true;
      }
    }
  }
  return false;
}

std::string StripTrailingSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// True when every element is a core context URL (["...core-context-v1.8.jsonld"]).
bool OnlyCoreUrls(const Json& v) {
  if (!v.is_array() || v.AsArray().empty()) return false;
  for (const Json& e : v.AsArray()) {
    if (!e.is_string() || !IsCoreContextUrl(e.AsString())) return false;
  }
  return true;
}

}  // namespace

std::string_view ContextKindName(ContextKind kind) {
  switch (kind) {
    case ContextKind::kHosted:
      return "Hosted";
    case ContextKind::kCached:
      return "Cached";
    case ContextKind::kImplicitlyCreated:
      return "ImplicitlyCreated";
  }
  return "Cached";
}

Result<ContextKind> ParseContextKind(std::string_view name) {
  if (name == "Hosted") return ContextKind::kHosted;
  if (name == "Cached") return ContextKind::kCached;
  if (name == "ImplicitlyCreated") return ContextKind::kImplicitlyCreated;
  return Status::BadRequestData("invalid @context kind", name);
}

Json ContextInfo::ToJson() const {
  Json out = Json::MakeObject({
      {"URL", url},
      {"localId", local_id},
      {"kind", ContextKindName(kind)},
      {"createdAt", FormatIso8601(created_at)},
  });
  if (last_usage) out.Set("lastUsage", FormatIso8601(*last_usage));
  if (hits) out.Set("numberOfHits", static_cast<std::int64_t>(*hits));
  return out;
}

ContextRegistry::ContextRegistry(ContextOptions options, ContextFetcher fetcher,
                                 ContextPersistence persistence)
    : options_(std::move(options)),
      fetcher_(std::move(fetcher)),
      persistence_(std::move(persistence)),
      core_(LdContext::Core()),
      hosted_prefix_(std::make_shared<const std::string>(StripTrailingSlash(options_.base_url) +
                                                         std::string(kHostedPath))),
      started_at_(Now()),
      rng_(std::random_device{}()) {}

std::shared_ptr<const std::string> ContextRegistry::HostedPrefix() const {
  return std::atomic_load(&hosted_prefix_);
}

void ContextRegistry::SetBaseUrl(std::string_view base_url) {
  std::atomic_store(&hosted_prefix_, std::make_shared<const std::string>(
                                         StripTrailingSlash(std::string(base_url)) + std::string(kHostedPath)));
}

std::string ContextRegistry::HostedUrl(std::string_view id) const {
  return *HostedPrefix() + std::string(id);
}

std::size_t ContextRegistry::ResolvedCacheSizeForTesting() const {
  std::shared_lock lock(mu_);
  return resolved_.size();
}

Result<std::shared_ptr<const LdContext>> ContextRegistry::Resolve(const Json& context_value) {
  // Fast paths: no lock, no copy.
  if (context_value.is_null()) return core_;
  if (context_value.is_string() && IsCoreContextUrl(context_value.AsString())) return core_;
  if (OnlyCoreUrls(context_value)) return core_;

  std::string key = context_value.is_string() ? context_value.AsString() : context_value.Dump();
  {
    std::shared_lock lock(mu_);
    if (auto it = resolved_.find(key); it != resolved_.end()) {
      Resolved& r = *it->second;
      r.last_used.store(++tick_, std::memory_order_relaxed);
      for (const std::string& url : r.urls) {
        if (auto d = docs_by_url_.find(url); d != docs_by_url_.end()) Touch(*d->second);
      }
      return r.context;
    }
  }

  std::vector<std::string> urls;
  Result<std::shared_ptr<const LdContext>> ctx = Process(context_value, key, &urls);
  if (!ctx.ok()) return ctx.status();
  if (options_.max_cached == 0) return ctx;

  std::unique_lock lock(mu_);
  if (auto it = resolved_.find(key); it != resolved_.end()) return it->second->context;
  if (resolved_.size() >= options_.max_cached) EvictResolvedLocked();
  auto entry = std::make_unique<Resolved>();
  entry->context = *ctx;
  entry->urls = std::move(urls);
  entry->last_used.store(++tick_, std::memory_order_relaxed);
  resolved_.emplace(std::move(key), std::move(entry));
  return ctx;
}

Result<std::shared_ptr<const LdContext>> ContextRegistry::Process(const Json& context_value,
                                                                  std::string id,
                                                                  std::vector<std::string>* urls) {
  ContextLoader loader = [this, urls](std::string_view url) {
    if (urls != nullptr) urls->emplace_back(url);
    return LoadDocument(url);
  };
  return LdContext::Create(context_value, loader, std::move(id));
}

void ContextRegistry::Touch(Document& doc) {
  doc.last_usage_micros.store(Now().micros, std::memory_order_relaxed);
  doc.hits.fetch_add(1, std::memory_order_relaxed);
}

Result<std::shared_ptr<const Json>> ContextRegistry::LoadDocument(std::string_view url) {
  {
    std::shared_lock lock(mu_);
    if (auto it = docs_by_url_.find(url); it != docs_by_url_.end()) {
      Touch(*it->second);
      return it->second->context;
    }
    // A hosted context named through another host name of this server (the Location of
    // POST /jsonldContexts is a path, which clients resolve against the URL they used):
    // ".../ngsi-ld/v1/jsonldContexts/{localId}" with a hosted localId is ours.
    constexpr std::string_view kHostedPath = "/ngsi-ld/v1/jsonldContexts/";
    if (const std::size_t at = url.find(kHostedPath); at != std::string_view::npos) {
      std::string local_id;
      if (http::PercentDecode(url.substr(at + kHostedPath.size()), local_id, false)) {
        auto it = docs_by_id_.find(local_id);
        if (it != docs_by_id_.end() && it->second->kind == ContextKind::kHosted) {
          return it->second->context;
        }
      }
    }
  }
  // Our own hosted URLs are served locally; an unknown one is not fetched from ourselves.
  if (StartsWith(url, *HostedPrefix())) {
    return Status::LdContextNotAvailable("hosted @context not found", url);
  }
  Result<std::shared_ptr<const Json>> value = FetchRemote(url);
  if (!value.ok()) return value.status();

  auto doc = std::make_shared<Document>();
  doc->url = std::string(url);
  doc->kind = ContextKind::kCached;
  doc->created_at = Now();
  doc->context = *value;
  doc->last_usage_micros.store(doc->created_at.micros, std::memory_order_relaxed);
  doc->hits.store(1, std::memory_order_relaxed);

  std::unique_lock lock(mu_);
  if (auto it = docs_by_url_.find(url); it != docs_by_url_.end()) {  // fetched concurrently
    Touch(*it->second);
    return it->second->context;
  }
  doc->local_id = NewIdLocked();
  InsertLocked(doc);
  EvictCachedDocumentsLocked();
  return value;
}

Status ContextRegistry::CheckFetchAllowed(std::string_view url) const {
  if (!options_.allow_remote) {
    return Status::LdContextNotAvailable("remote @context URLs are not enabled", url);
  }
  std::string host = HttpHost(url);
  if (host.empty()) {
    return Status::LdContextNotAvailable("@context URL is not an absolute http(s) URL", url);
  }
  if (!HostAllowed(host, options_.allowed_hosts)) {
    return Status::LdContextNotAvailable("@context host is not allowed", url);
  }
  return Status::OK();
}

Result<std::shared_ptr<const Json>> ContextRegistry::FetchRemote(std::string_view url) {
  DOTHI_RETURN_IF_ERROR(CheckFetchAllowed(url));
  if (!fetcher_) return Status::LdContextNotAvailable("no client for remote @context", url);
  Result<std::string> body = fetcher_(url);
  if (!body.ok()) {
    std::string detail(url);
    detail.append(": ").append(body.status().message());
    return Status::LdContextNotAvailable("remote @context could not be retrieved", detail);
  }
  if (body->size() > options_.max_bytes) {
    return Status::LdContextNotAvailable("remote @context is larger than the limit", url);
  }
  Result<Json> doc = ParseJson(*body);
  if (!doc.ok()) {
    std::string detail(url);
    detail.append(": ").append(doc.status().message());
    return Status::InvalidContext("remote @context is not valid JSON", detail);
  }
  Json* value = doc->Find("@context");
  if (value == nullptr) {
    return Status::InvalidContext("remote document has no @context member", url);
  }
  return std::shared_ptr<const Json>(std::make_shared<Json>(std::move(*value)));
}

Result<ContextInfo> ContextRegistry::AddHosted(const Json& body) {
  const Json* value = body.Find("@context");
  if (value == nullptr) {
    return Status::InvalidRequest("the body must be a JSON object with an @context member");
  }
  if (!value->is_object() && !value->is_array() && !value->is_string()) {
    return Status::BadRequestData("@context must be an object, an array or a URL");
  }
  Result<std::shared_ptr<const LdContext>> processed = Process(*value, {}, nullptr);
  if (!processed.ok()) {
    if (processed.status().code() == ErrorCode::kInvalidContext) {
      return Status::BadRequestData("invalid @context", processed.status().message());
    }
    return processed.status();
  }

  auto doc = std::make_shared<Document>();
  doc->kind = ContextKind::kHosted;
  doc->created_at = Now();
  doc->context = std::make_shared<const Json>(*value);
  {
    std::unique_lock lock(mu_);
    doc->local_id = NewIdLocked();
  }
  doc->url = HostedUrl(doc->local_id);
  if (persistence_.persist) {
    Json stored =
        Json::MakeObject({{"@context", *value}, {"createdAt", FormatIso8601(doc->created_at)}});
    DOTHI_RETURN_IF_ERROR(persistence_.persist(doc->local_id, stored.Dump()));
  }
  std::unique_lock lock(mu_);
  InsertLocked(doc);
  return InfoOf(*doc);
}

Result<ContextInfo> ContextRegistry::AddImplicit(const Json& context_value) {
  if (context_value.is_null() ||
      (context_value.is_string() && IsCoreContextUrl(context_value.AsString())) ||
      OnlyCoreUrls(context_value)) {
    return CoreInfo();
  }
  std::string key = context_value.Dump();
  {
    std::shared_lock lock(mu_);
    if (auto it = implicit_by_key_.find(key); it != implicit_by_key_.end()) {
      return InfoOf(*it->second);
    }
  }
  Result<std::shared_ptr<const LdContext>> processed = Process(context_value, {}, nullptr);
  if (!processed.ok()) return processed.status();

  auto doc = std::make_shared<Document>();
  doc->kind = ContextKind::kImplicitlyCreated;
  doc->created_at = Now();
  doc->context = std::make_shared<const Json>(context_value);
  doc->implicit_key = key;
  std::unique_lock lock(mu_);
  if (auto it = implicit_by_key_.find(key); it != implicit_by_key_.end()) {
    return InfoOf(*it->second);
  }
  doc->local_id = NewIdLocked();
  doc->url = HostedUrl(doc->local_id);
  InsertLocked(doc);
  return InfoOf(*doc);
}

Status ContextRegistry::LoadHosted(std::string_view id, std::string_view bytes) {
  if (id.empty()) return Status::BadRequestData("hosted @context id is empty");
  Result<Json> stored = ParseJson(bytes);
  if (!stored.ok()) {
    return Status::InvalidContext("stored hosted @context is not valid JSON", id);
  }
  Json* value = stored->Find("@context");
  if (value == nullptr) return Status::InvalidContext("stored hosted @context has none", id);

  auto doc = std::make_shared<Document>();
  doc->local_id = std::string(id);
  doc->url = HostedUrl(id);
  doc->kind = ContextKind::kHosted;
  doc->created_at = Now();
  if (const Json* created = stored->Find("createdAt"); created != nullptr && created->is_string()) {
    if (std::optional<Timestamp> t = ParseIso8601(created->AsString())) doc->created_at = *t;
  }
  doc->context = std::make_shared<const Json>(std::move(*value));
  std::unique_lock lock(mu_);
  if (docs_by_id_.count(doc->local_id) != 0 || docs_by_url_.count(doc->url) != 0) {
    return Status::AlreadyExists("hosted @context exists", id);
  }
  InsertLocked(std::move(doc));
  return Status::OK();
}

Json ContextRegistry::List(bool details, std::optional<ContextKind> kind) const {
  Json out = Json::MakeArray();
  if (!kind || *kind == ContextKind::kCached) {
    out.Push(details ? CoreInfo().ToJson() : Json(kCoreContextUrl));
  }
  std::vector<std::shared_ptr<Document>> docs;
  {
    std::shared_lock lock(mu_);
    docs.reserve(docs_by_id_.size());
    for (const auto& [id, doc] : docs_by_id_) {
      if (!kind || doc->kind == *kind) docs.push_back(doc);
    }
  }
  std::sort(docs.begin(), docs.end(), [](const auto& a, const auto& b) {
    if (a->created_at != b->created_at) return a->created_at < b->created_at;
    return a->local_id < b->local_id;
  });
  for (const auto& doc : docs) out.Push(details ? InfoOf(*doc).ToJson() : Json(doc->url));
  return out;
}

Result<Json> ContextRegistry::Get(std::string_view context_id, bool details) const {
  if (IsCoreId(context_id)) {
    if (details) return CoreInfo().ToJson();
    return ParseJson(CoreContextDocument());
  }
  std::shared_lock lock(mu_);
  std::shared_ptr<Document> doc = FindLocked(context_id);
  if (doc == nullptr) return Status::NotFound("@context not found", context_id);
  if (details) return InfoOf(*doc).ToJson();
  return Json::MakeObject({{"@context", *doc->context}});
}

Status ContextRegistry::Delete(std::string_view context_id, bool reload) {
  if (IsCoreId(context_id)) {
    // The core context is built in: reloading it is a no-op (ETSI 051_09_01).
    if (reload) return Status::OK();
    return Status::BadRequestData("the core @context cannot be deleted", context_id);
  }
  if (reload && !domain::IsValidUri(context_id)) {
    // Only a cached context, named by its URL, can be reloaded (ETSI 051_04_01).
    return Status::BadRequestData("reload needs the URL of a cached @context", context_id);
  }
  std::shared_ptr<Document> doc;
  {
    std::shared_lock lock(mu_);
    doc = FindLocked(context_id);
  }
  if (doc == nullptr) return Status::NotFound("@context not found", context_id);

  if (doc->kind != ContextKind::kCached) {
    if (reload) {
      return Status::BadRequestData("reload applies to cached @contexts only", context_id);
    }
    if (doc->kind == ContextKind::kHosted && persistence_.remove) {
      DOTHI_RETURN_IF_ERROR(persistence_.remove(doc->local_id));
    }
    std::unique_lock lock(mu_);
    EraseLocked(*doc);
    resolved_.clear();  // contexts built from it must be rebuilt (and now fail)
    return Status::OK();
  }

  if (reload) {
    Result<std::shared_ptr<const Json>> fresh = FetchRemote(doc->url);
    if (!fresh.ok()) return fresh.status();
    std::unique_lock lock(mu_);
    doc->context = std::move(*fresh);
    resolved_.clear();
    return Status::OK();
  }
  std::unique_lock lock(mu_);
  EraseLocked(*doc);
  resolved_.clear();
  return Status::OK();
}

std::shared_ptr<ContextRegistry::Document> ContextRegistry::FindLocked(
    std::string_view context_id) const {
  if (auto it = docs_by_id_.find(context_id); it != docs_by_id_.end()) return it->second;
  if (auto it = docs_by_url_.find(context_id); it != docs_by_url_.end()) return it->second;
  return nullptr;
}

bool ContextRegistry::IsCoreId(std::string_view context_id) const {
  return context_id == kCoreLocalId || IsCoreContextUrl(context_id);
}

ContextInfo ContextRegistry::InfoOf(const Document& doc) const {
  ContextInfo info;
  info.url = doc.url;
  info.local_id = doc.local_id;
  info.kind = doc.kind;
  info.created_at = doc.created_at;
  if (doc.kind == ContextKind::kCached) {
    std::int64_t last = doc.last_usage_micros.load(std::memory_order_relaxed);
    if (last != 0) info.last_usage = Timestamp{last};
    info.hits = doc.hits.load(std::memory_order_relaxed);
  }
  return info;
}

ContextInfo ContextRegistry::CoreInfo() const {
  ContextInfo info;
  info.url = std::string(kCoreContextUrl);
  info.local_id = std::string(kCoreLocalId);
  info.kind = ContextKind::kCached;
  info.created_at = started_at_;
  return info;
}

void ContextRegistry::InsertLocked(std::shared_ptr<Document> doc) {
  docs_by_url_.insert_or_assign(doc->url, doc);
  if (!doc->implicit_key.empty()) implicit_by_key_.insert_or_assign(doc->implicit_key, doc);
  std::string id = doc->local_id;
  docs_by_id_.insert_or_assign(std::move(id), std::move(doc));
}

void ContextRegistry::EraseLocked(const Document& doc) {
  auto erase_if_same = [&doc](auto& map, const std::string& key) {
    if (auto it = map.find(key); it != map.end() && it->second.get() == &doc) map.erase(it);
  };
  erase_if_same(docs_by_url_, doc.url);
  erase_if_same(docs_by_id_, doc.local_id);
  if (!doc.implicit_key.empty()) erase_if_same(implicit_by_key_, doc.implicit_key);
}

void ContextRegistry::EvictResolvedLocked() {
  std::vector<std::pair<std::uint64_t, const std::string*>> ages;
  ages.reserve(resolved_.size());
  for (const auto& [key, entry] : resolved_) {
    ages.emplace_back(entry->last_used.load(std::memory_order_relaxed), &key);
  }
  std::size_t n = std::max<std::size_t>(1, ages.size() / kResolvedEvictDivisor);
  n = std::min(n, ages.size());
  std::nth_element(ages.begin(), ages.begin() + static_cast<std::ptrdiff_t>(n - 1), ages.end());
  std::vector<std::string> victims;
  victims.reserve(n);
  for (std::size_t i = 0; i < n; ++i) victims.push_back(*ages[i].second);
  for (const std::string& key : victims) resolved_.erase(key);
}

void ContextRegistry::EvictCachedDocumentsLocked() {
  std::vector<std::shared_ptr<Document>> cached;
  for (const auto& [id, doc] : docs_by_id_) {
    if (doc->kind == ContextKind::kCached) cached.push_back(doc);
  }
  if (cached.size() <= options_.max_cached) return;
  std::sort(cached.begin(), cached.end(), [](const auto& a, const auto& b) {
    return a->last_usage_micros.load(std::memory_order_relaxed) <
           b->last_usage_micros.load(std::memory_order_relaxed);
  });
  std::size_t excess = cached.size() - options_.max_cached;
  for (std::size_t i = 0; i < excess; ++i) EraseLocked(*cached[i]);
}

std::string ContextRegistry::NewIdLocked() {
  for (;;) {
    std::uint64_t hi = rng_();
    std::uint64_t lo = rng_();
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
    char buf[37];
    std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48),
                  static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    std::string id(buf);
    if (docs_by_id_.count(id) == 0) return id;
  }
}

}  // namespace dothi::api::ngsi_ld
