// Handlers for /ngsi-ld/v1/jsonldContexts (@context management).
#include "api/common/json_parse.h"
#include "api/ngsi_ld/errors.h"
#include "api/ngsi_ld/ngsi_ld_api.h"
#include "api/ngsi_ld/request_support.h"

namespace dothi::api::ngsi_ld {

using http::Request;
using http::Response;

namespace {


Response Plain(int status, const Json& body, const char* type = "application/json") {
  Response r;
  r.status = status;
  r.SetHeader("Content-Type", type);
  r.body = body.Dump();
  return r;
}

// details=true|false (absent: false); anything else is 400 (ETSI 052_04_02).
Result<bool> DetailsParam(const Request& req) {
  const std::string* d = req.Query("details");
  if (d == nullptr) return false;
  if (*d != "true" && *d != "false") return Status::BadRequestData("details must be true or false", *d);
  return *d == "true";
}

}  // namespace

Response NgsiLdApi::ListContexts(const RequestContext& ctx, Request& req) {
  Result<bool> details = DetailsParam(req);
  if (!details.ok()) return ProblemResponse(ctx, details.status());
  std::optional<ContextKind> kind;
  if (const std::string* k = req.Query("kind")) {
    Result<ContextKind> parsed = ParseContextKind(*k);
    if (!parsed.ok()) return ProblemResponse(ctx, parsed.status());
    kind = *parsed;
  }
  return Plain(200, contexts_.List(*details, kind));
}

Response NgsiLdApi::AddContext(const RequestContext& ctx, Request& req) {
  const std::string* ct = req.Header("Content-Type");
  if (ct == nullptr || (ct->rfind("application/json", 0) != 0 && ct->rfind("application/ld+json", 0) != 0)) {
    return ProblemResponse(ctx, Status::UnsupportedMediaType("Content-Type must be application/json or application/ld+json"));
  }
  Result<Json> body = ParseJson(req.body);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<ContextInfo> info = contexts_.AddHosted(*body);
  if (!info.ok()) return ProblemResponse(ctx, info.status());
  Response r;
  r.status = 201;
  // A path, as the ETSI suite reads it (it strips "/ngsi-ld/v1/jsonldContexts/" to get the
  // id); the context's URL for use in @context is in the listing.
  r.SetHeader("Location", "/ngsi-ld/v1/jsonldContexts/" + http::PercentEncode(info->local_id));
  return r;
}

Response NgsiLdApi::ServeContext(const RequestContext& ctx, Request& req) {
  Result<bool> details = DetailsParam(req);
  if (!details.ok()) return ProblemResponse(ctx, details.status());
  Result<Json> doc = contexts_.Get(req.PathParam("contextId"), *details);
  if (!doc.ok()) return ProblemResponse(ctx, doc.status());
  // application/json (ETSI 053_01), unless the client asks for JSON-LD alone.
  const std::string* accept = req.Header("Accept");
  const bool ld_only = !*details && accept != nullptr &&
                       accept->find("application/ld+json") != std::string::npos &&
                       accept->find("application/json") == std::string::npos &&
                       accept->find("*/*") == std::string::npos;
  return Plain(200, *doc, ld_only ? "application/ld+json" : "application/json");
}

Response NgsiLdApi::DeleteContext(const RequestContext& ctx, Request& req) {
  bool reload = false;
  if (const std::string* r = req.Query("reload")) {
    if (*r != "true" && *r != "false") {
      return ProblemResponse(ctx, Status::BadRequestData("reload must be true or false", *r));
    }
    reload = *r == "true";
  }
  if (Status s = contexts_.Delete(req.PathParam("contextId"), reload); !s.ok()) return ProblemResponse(ctx, s);
  return NoContent();
}

}  // namespace dothi::api::ngsi_ld
