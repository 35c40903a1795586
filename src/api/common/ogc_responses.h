#pragma once

#include <string_view>

#include "core/json.h"
#include "core/status.h"
#include "http/request.h"

// Responses shared by the APIs under /ogc (OGC API Features and Tiles).
namespace dothi::api {

// The OGC API exception body: {"code": "InvalidParameterValue" | "NotFound" | ...,
// "description": message}.
Json OgcExceptionJson(const Status& s);
// That body (application/json) with the HTTP status of s's code.
http::Response OgcErrorResponse(const Status& s);
// body, serialised, with the given Content-Type.
http::Response JsonResponse(const Json& body, std::string_view content_type);

}  // namespace dothi::api
