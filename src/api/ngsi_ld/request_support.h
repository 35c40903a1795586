#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/ngsi_ld/context_registry.h"
#include "api/ngsi_ld/entity_codec.h"
#include "api/ngsi_ld/projection.h"
#include "core/json.h"
#include "core/result.h"
#include "http/request.h"

// The request plumbing every NGSI-LD handler shares: content negotiation (Accept and
// Content-Type), the @context from a Link header or the body, representation options from
// the query string, and JSON responses with the right Link header. Thread-safe functions.
namespace dothi::api::ngsi_ld {

inline constexpr std::string_view kJsonLdContextRel = "http://www.w3.org/ns/json-ld#context";

enum class MediaType { kJson, kLdJson, kGeoJson };

// The response media type for the Accept header. 406 (kNotAcceptable) when nothing fits.
Result<MediaType> NegotiateAccept(const http::Request& req, bool allow_geojson);

// The URL in a Link header with rel=json-ld#context, if any. Malformed -> kBadRequestData.
Result<std::optional<std::string>> LinkContextUrl(const http::Request& req);

// The @context for a request without a body (or a JSON body): Link header or the core.
Result<std::shared_ptr<const LdContext>> ContextFromLink(ContextRegistry& registry,
                                                        const http::Request& req);

struct JsonLdBody {
  Json body;
  std::shared_ptr<const LdContext> context;
};
// Reads a JSON or JSON-LD body: checks Content-Type (415), parses (400), takes the
// @context from the body (application/ld+json) or the Link header (application/json).
Result<JsonLdBody> ReadBody(ContextRegistry& registry, const http::Request& req,
                            bool allow_merge_patch);

// A batch body (entityOperations): a JSON array whose entities each bring their own
// @context (application/ld+json) or none (application/json, the Link header's context for
// all). An entity breaking that rule gets its own error, not the whole request
// (ETSI 003_06_01, 003_08_01).
struct BatchBody {
  Json body;  // the array
  std::vector<Result<std::shared_ptr<const LdContext>>> contexts;  // one per element
};
Result<BatchBody> ReadBatchBody(ContextRegistry& registry, const http::Request& req);

// Representation options from options=, format=, attrs=, pick=, omit=, lang=.
// Every query parameter must be one NGSI-LD defines (v1.8, any endpoint); another is
// 400 InvalidRequest (ETSI 059_01). Which ones an endpoint uses is its own business.
Status CheckQueryParams(const http::Request& req);



Result<RenderOptions> RenderOptionsFromQuery(const http::Request& req, const LdContext& context,
                                             MediaType media);

// The {entityId} path parameter, checked to be a URI (400 BadRequestData otherwise).
Result<std::string> EntityIdParam(const http::Request& req);

// datasetId= (a URI) and deleteAll= (true|false) of an attribute deletion.
struct AttrDeletion {
  std::optional<std::string> dataset_id;
  bool delete_all = false;
};
Result<AttrDeletion> AttrDeletionFromQuery(const http::Request& req);

// Splits "a,b,c" into trimmed non-empty parts.
std::vector<std::string> SplitList(std::string_view s);
// True if options= (or format=) names word.
bool HasOption(const http::Request& req, std::string_view word);

// A JSON response: Content-Type by media; for application/json a Link header to context.
http::Response JsonResponse(int status, const Json& body, MediaType media, const LdContext& context);
http::Response NoContent();

}  // namespace dothi::api::ngsi_ld
