#pragma once

#include "core/error_code.h"

// ErrorCode -> HTTP status code: the only place in dothi that picks a status number for an
// expected failure (STYLE.md 2.4). Pure functions; safe from any thread.
namespace dothi::http {

// The HTTP status for a failure code, following the NGSI-LD error-type table
// (ETSI GS CIM 009 / TS 104 176 clause 6.3). kOk maps to 200.
int HttpStatusFor(ErrorCode code);

// The standard reason phrase for an HTTP status ("Not Found"); "Unknown" for others.
const char* ReasonPhrase(int status);

}  // namespace dothi::http
