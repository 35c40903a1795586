#pragma once

#include <string>

#include "core/request_context.h"
#include "core/status.h"
#include "http/request.h"

// Turns a Status into an NGSI-LD ProblemDetails response (RFC 7807 body with the NGSI-LD
// error type URI, application/json). The one place NGSI-LD error bodies are made.
namespace dothi::api::ngsi_ld {

// The NGSI-LD error type URI for a code ("https://uri.etsi.org/ngsi-ld/errors/BadRequestData").
std::string ProblemTypeFor(ErrorCode code);
// The ProblemDetails JSON object for s, as text.
std::string ProblemJson(const Status& s);
http::Response ProblemResponse(const RequestContext& ctx, const Status& s);

}  // namespace dothi::api::ngsi_ld
