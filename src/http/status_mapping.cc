#include "http/status_mapping.h"

namespace dothi::http {

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return 200;
    case ErrorCode::kInvalidRequest: return 400;         // NGSI-LD InvalidRequest
    case ErrorCode::kBadRequestData: return 400;         // NGSI-LD BadRequestData
    case ErrorCode::kNotFound: return 404;               // NGSI-LD ResourceNotFound
    case ErrorCode::kAlreadyExists: return 409;          // NGSI-LD AlreadyExists
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kUnsupported: return 422;            // NGSI-LD OperationNotSupported
    case ErrorCode::kMethodNotAllowed: return 405;       // Allow lists the methods
    case ErrorCode::kTooManyResults: return 403;         // NGSI-LD TooManyResults
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kNotAcceptable: return 406;
    case ErrorCode::kUnsupportedMediaType: return 415;
    case ErrorCode::kLdContextNotAvailable: return 503;  // GS CIM 009 v1.8 (v1.9.1 says 504)
    case ErrorCode::kNonexistentTenant: return 404;       // NGSI-LD NonexistentTenant
    case ErrorCode::kInvalidContext: return 400;         // JSON-LD errors are BadRequestData
    case ErrorCode::kUnauthorized: return 401;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kInternal: return 500;               // NGSI-LD InternalError
  }
  return 500;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 207: return "Multi-Status";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
  }
  return "Unknown";
}

}  // namespace dothi::http
