#include "api/common/ogc_responses.h"

#include <string>

#include "http/status_mapping.h"

namespace dothi::api {

Json OgcExceptionJson(const Status& s) {
  const char* code = ErrorCodeName(s.code());
  switch (s.code()) {
    case ErrorCode::kInvalidRequest:
    case ErrorCode::kBadRequestData:
    case ErrorCode::kTooManyResults: code = "InvalidParameterValue"; break;
    case ErrorCode::kNotFound:
    case ErrorCode::kNonexistentTenant: code = "NotFound"; break;
    case ErrorCode::kMethodNotAllowed: code = "MethodNotAllowed"; break;
    case ErrorCode::kNotAcceptable: code = "NotAcceptable"; break;
    case ErrorCode::kPayloadTooLarge: code = "PayloadTooLarge"; break;
    case ErrorCode::kUnavailable: code = "ServiceUnavailable"; break;
    case ErrorCode::kInternal: code = "ServerError"; break;
    default: break;
  }
  return Json::MakeObject({{"code", code}, {"description", s.message()}});
}

http::Response OgcErrorResponse(const Status& s) {
  http::Response r;
  r.status = http::HttpStatusFor(s.code());
  r.SetHeader("Content-Type", "application/json");
  r.body = OgcExceptionJson(s).Dump();
  return r;
}

http::Response JsonResponse(const Json& body, std::string_view content_type) {
  http::Response r;
  r.SetHeader("Content-Type", std::string(content_type));
  r.body = body.Dump();
  return r;
}

}  // namespace dothi::api
