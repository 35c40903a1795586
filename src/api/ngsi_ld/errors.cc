#include "api/ngsi_ld/errors.h"

#include "core/json.h"
#include "http/status_mapping.h"

namespace dothi::api::ngsi_ld {

std::string ProblemTypeFor(ErrorCode code) {
  constexpr const char* kBase = "https://uri.etsi.org/ngsi-ld/errors/";
  switch (code) {
    case ErrorCode::kInvalidRequest: return std::string(kBase) + "InvalidRequest";
    case ErrorCode::kBadRequestData: return std::string(kBase) + "BadRequestData";
    case ErrorCode::kNotFound: return std::string(kBase) + "ResourceNotFound";
    case ErrorCode::kNonexistentTenant: return std::string(kBase) + "NonexistentTenant";
    case ErrorCode::kAlreadyExists: return std::string(kBase) + "AlreadyExists";
    case ErrorCode::kConflict: return std::string(kBase) + "AlreadyExists";
    case ErrorCode::kUnsupported: return std::string(kBase) + "OperationNotSupported";
    case ErrorCode::kMethodNotAllowed: return std::string(kBase) + "OperationNotSupported";
    case ErrorCode::kTooManyResults: return std::string(kBase) + "TooManyResults";
    case ErrorCode::kPayloadTooLarge: return std::string(kBase) + "RequestEntityTooLarge";
    case ErrorCode::kNotAcceptable: return std::string(kBase) + "NotAcceptable";
    case ErrorCode::kUnsupportedMediaType: return std::string(kBase) + "UnsupportedMediaType";
    case ErrorCode::kLdContextNotAvailable: return std::string(kBase) + "LdContextNotAvailable";
    case ErrorCode::kInvalidContext: return std::string(kBase) + "InvalidRequest";
    case ErrorCode::kUnauthorized: return std::string(kBase) + "BadRequestData";
    case ErrorCode::kForbidden: return std::string(kBase) + "OperationNotSupported";
    case ErrorCode::kUnavailable: return std::string(kBase) + "InternalError";
    case ErrorCode::kInternal: return std::string(kBase) + "InternalError";
    case ErrorCode::kOk: break;
  }
  return std::string(kBase) + "InternalError";
}

namespace {

const char* TitleFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest: return "Invalid request";
    case ErrorCode::kBadRequestData: return "Bad request data";
    case ErrorCode::kNotFound: return "Resource not found";
    case ErrorCode::kNonexistentTenant: return "Nonexistent tenant";
    case ErrorCode::kAlreadyExists: return "Already exists";
    case ErrorCode::kConflict: return "Conflict";
    case ErrorCode::kUnsupported: return "Operation not supported";
    case ErrorCode::kMethodNotAllowed: return "Method not allowed";
    case ErrorCode::kTooManyResults: return "Too many results";
    case ErrorCode::kPayloadTooLarge: return "Request entity too large";
    case ErrorCode::kNotAcceptable: return "Not acceptable";
    case ErrorCode::kUnsupportedMediaType: return "Unsupported media type";
    case ErrorCode::kLdContextNotAvailable: return "JSON-LD context not available";
    case ErrorCode::kInvalidContext: return "Invalid JSON-LD context";
    case ErrorCode::kUnauthorized: return "Unauthorized";
    case ErrorCode::kForbidden: return "Forbidden";
    case ErrorCode::kUnavailable: return "Service unavailable";
    default: return "Internal error";
  }
}

}  // namespace

std::string ProblemJson(const Status& s) {
  Json j = Json::MakeObject();
  j.Set("type", ProblemTypeFor(s.code()));
  j.Set("title", TitleFor(s.code()));
  j.Set("status", http::HttpStatusFor(s.code()));
  j.Set("detail", s.message());
  return j.Dump();
}

http::Response ProblemResponse(const RequestContext& ctx, const Status& s) {
  (void)ctx;
  http::Response r;
  r.status = http::HttpStatusFor(s.code());
  r.SetHeader("Content-Type", "application/json");
  r.body = ProblemJson(s);
  return r;
}

}  // namespace dothi::api::ngsi_ld
