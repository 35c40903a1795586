#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/ngsi_ld/ld_context.h"
#include "core/json.h"
#include "core/result.h"
#include "core/time.h"

// ContextRegistry turns the @context of a request (Link header URL or inline "@context")
// into a processed LdContext, caching both the fetched documents and the processed results,
// and keeps the /jsonldContexts store (ETSI GS CIM 009 v1.8 clause 5.13): Hosted contexts
// added by POST, Cached remote documents, ImplicitlyCreated contexts.
//
// Errors: a URL that may not be fetched, fails to fetch or is larger than max_bytes ->
// kLdContextNotAvailable (503). A fetched document that is not JSON or has no "@context",
// a malformed context, a cycle or nesting beyond LdContext::kMaxUrlNesting ->
// kInvalidContext. The core context URLs (v1.6 - v1.9, unversioned) never leave the process.
//
// Thread-safe: Resolve is called from many request threads at once; it takes a shared lock
// for cache hits and never holds a lock while fetching or processing. The null context is a
// lock-free fast path. The fetcher and persistence callbacks are called without a lock held.
namespace dothi::api::ngsi_ld {

struct ContextOptions {
  // Fetch remote @context URLs at all; when false only core and hosted URLs resolve.
  bool allow_remote = false;
  // Hosts remote contexts may come from ("example.org", or "*.example.org" for subdomains);
  // empty means any host when allow_remote.
  std::vector<std::string> allowed_hosts;
  // Largest remote @context document accepted, in bytes.
  std::size_t max_bytes = 1 << 20;
  // Time limit for one fetch; the fetcher app/ builds applies it (the registry cannot).
  std::chrono::milliseconds timeout{5000};
  // Most processed contexts and most Cached documents kept (least recently used go first).
  std::size_t max_cached = 1000;
  // Scheme, host and port of this broker; hosted contexts are
  // {base_url}/ngsi-ld/v1/jsonldContexts/{id}.
  std::string base_url = "http://localhost:1026";
};

// Fetches the body of a remote @context URL (the HTTP client is wired in app/; tests fake it).
using ContextFetcher = std::function<Result<std::string>(std::string_view url)>;

// Stores hosted contexts across restarts; app/ wires it to the document store.
struct ContextPersistence {
  // Saves bytes (JSON: {"@context": ..., "createdAt": ...}) under id.
  std::function<Status(std::string_view id, std::string_view bytes)> persist;
  // Deletes what persist saved under id.
  std::function<Status(std::string_view id)> remove;
};

enum class ContextKind : std::uint8_t { kHosted, kCached, kImplicitlyCreated };

// "Hosted", "Cached", "ImplicitlyCreated".
std::string_view ContextKindName(ContextKind kind);
// Parses a kind= query value; anything else is kBadRequestData.
Result<ContextKind> ParseContextKind(std::string_view name);

// One entry of GET /jsonldContexts?details=true.
struct ContextInfo {
  std::string url;
  std::string local_id;
  ContextKind kind = ContextKind::kCached;
  Timestamp created_at;
  std::optional<Timestamp> last_usage;  // Cached only
  std::optional<std::uint64_t> hits;    // Cached only (numberOfHits)

  // {"URL", "localId", "kind", "createdAt", "lastUsage"?, "numberOfHits"?}.
  Json ToJson() const;
};

class ContextRegistry {
 public:
  // The localId of the core context in the /jsonldContexts listing.
  static constexpr std::string_view kCoreLocalId = "ngsi-ld-core-context";

  explicit ContextRegistry(ContextOptions options, ContextFetcher fetcher = nullptr,
                           ContextPersistence persistence = {});
  ContextRegistry(const ContextRegistry&) = delete;
  ContextRegistry& operator=(const ContextRegistry&) = delete;

  // context_value: a URL string (Link header), or an inline @context (URL, object, array);
  // null means none was given. The core context is always in effect underneath.
  Result<std::shared_ptr<const LdContext>> Resolve(const Json& context_value);
  // True when Resolve may fetch a remote document (and so block on the network).
  bool MayFetch() const { return options_.allow_remote && fetcher_ != nullptr; }
  // The core context alone.
  const std::shared_ptr<const LdContext>& Core() const { return core_; }

  // POST /jsonldContexts. body: {"@context": object | array}. Returns the new Hosted entry
  // (its url goes in the Location header). Errors: kBadRequestData (body or context invalid),
  // kLdContextNotAvailable (a URL it names), the persistence callback's Status.
  Result<ContextInfo> AddHosted(const Json& body);
  // Registers an inline @context (e.g. a subscription's) so it can be referred to by URL.
  // The same value gives the same entry. Not persisted.
  Result<ContextInfo> AddImplicit(const Json& context_value);
  // Start-up: registers a hosted context that persist saved earlier (no persist call).
  Status LoadHosted(std::string_view id, std::string_view bytes);

  // GET /jsonldContexts?details=&kind=: URL strings, or ContextInfo objects with details.
  // The core context is listed as Cached.
  Json List(bool details, std::optional<ContextKind> kind = std::nullopt) const;
  // GET /jsonldContexts/{contextId}: context_id is a localId or a URL. Returns the document
  // {"@context": ...}, or its ContextInfo with details. kNotFound when unknown.
  Result<Json> Get(std::string_view context_id, bool details = false) const;
  // DELETE /jsonldContexts/{contextId}?reload=: Hosted and ImplicitlyCreated are deleted;
  // Cached is dropped from the cache, or fetched again with reload. kBadRequestData for the
  // core context and for reload of a non-Cached context; kNotFound when unknown.
  Status Delete(std::string_view context_id, bool reload = false);

  // Sets the base URL of hosted contexts once the server knows its port (options.base_url
  // was empty and the port was chosen by the system). Contexts hosted earlier keep theirs.
  void SetBaseUrl(std::string_view base_url);
  // The URL a hosted context with this id is served at.
  std::string HostedUrl(std::string_view id) const;
  // Processed contexts currently cached.
  std::size_t ResolvedCacheSizeForTesting() const;

 private:
  struct Document {
    std::string local_id;
    std::string url;
    ContextKind kind = ContextKind::kCached;
    Timestamp created_at;
    std::shared_ptr<const Json> context;  // the "@context" value; replaced under the lock
    std::string implicit_key;             // ImplicitlyCreated: the value's JSON text
    std::atomic<std::int64_t> last_usage_micros{0};
    std::atomic<std::uint64_t> hits{0};
  };
  struct Resolved {
    std::shared_ptr<const LdContext> context;
    std::vector<std::string> urls;  // documents it was built from, for their hit counters
    std::atomic<std::uint64_t> last_used{0};
  };

  Result<std::shared_ptr<const Json>> LoadDocument(std::string_view url);
  // Fetches, checks and parses a remote document; returns its "@context" value.
  Result<std::shared_ptr<const Json>> FetchRemote(std::string_view url);
  Status CheckFetchAllowed(std::string_view url) const;
  Result<std::shared_ptr<const LdContext>> Process(const Json& context_value, std::string id,
                                                   std::vector<std::string>* urls);
  static void Touch(Document& doc);
  // Callers hold mu_ (shared is enough).
  std::shared_ptr<Document> FindLocked(std::string_view context_id) const;
  bool IsCoreId(std::string_view context_id) const;
  ContextInfo InfoOf(const Document& doc) const;
  ContextInfo CoreInfo() const;
  // Callers hold mu_ exclusively.
  void InsertLocked(std::shared_ptr<Document> doc);
  void EraseLocked(const Document& doc);
  void EvictResolvedLocked();
  void EvictCachedDocumentsLocked();
  std::string NewIdLocked();

  const ContextOptions options_;
  const ContextFetcher fetcher_;
  const ContextPersistence persistence_;
  const std::shared_ptr<const LdContext> core_;
  // {base_url}/ngsi-ld/v1/jsonldContexts/; replaced whole by SetBaseUrl (atomic load/store).
  std::shared_ptr<const std::string> hosted_prefix_;
  std::shared_ptr<const std::string> HostedPrefix() const;
  const Timestamp started_at_;

  template <typename V>
  using StringMap = std::unordered_map<std::string, V, LdContext::StringHash, std::equal_to<>>;

  mutable std::shared_mutex mu_;
  // Guarded by mu_.
  StringMap<std::shared_ptr<Document>> docs_by_url_;
  StringMap<std::shared_ptr<Document>> docs_by_id_;
  StringMap<std::shared_ptr<Document>> implicit_by_key_;
  StringMap<std::unique_ptr<Resolved>> resolved_;
  std::mt19937_64 rng_;
  std::atomic<std::uint64_t> tick_{0};  // LRU clock for resolved_
};

}  // namespace dothi::api::ngsi_ld
