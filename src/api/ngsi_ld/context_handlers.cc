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

}  // namespace

Response NgsiLdApi::ListContexts(const RequestContext& ctx, Request& req) {
  std::optional<ContextKind> kind;
  if (const std::string* k = req.Query("kind")) {
    Result<ContextKind> parsed = ParseContextKind(*k);
    if (!parsed.ok()) return ProblemResponse(ctx, parsed.status());
    kind = *parsed;
  }
  const bool details = req.Query("details") && *req.Query("details") == "true";
  return Plain(200, contexts_.List(details, kind));
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
  r.SetHeader("Location", info->url);
  return r;
}

Response NgsiLdApi::ServeContext(const RequestContext& ctx, Request& req) {
  const bool details = req.Query("details") && *req.Query("details") == "true";
  Result<Json> doc = contexts_.Get(req.PathParam("contextId"), details);
  if (!doc.ok()) return ProblemResponse(ctx, doc.status());
  return Plain(200, *doc, details ? "application/json" : "application/ld+json");
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
