#pragma once

// ErrorCode is the closed list of expected failures. Each code has one row in
// docs/errors.md: its HTTP status and its NGSI-LD problem type.
namespace dothi {

enum class ErrorCode {
  kOk = 0,
  kInvalidRequest,         // malformed syntax: bad JSON, bad query string
  kBadRequestData,         // well-formed but invalid content
  kNotFound,               // the addressed resource does not exist
  kNonexistentTenant,      // the request names a tenant that holds nothing (NGSI-LD 404)
  kAlreadyExists,          // create of something that exists
  kConflict,               // the write conflicts with the current state
  kUnsupported,            // the operation is not supported (NGSI-LD OperationNotSupported)
  kMethodNotAllowed,       // the resource exists but not with this HTTP method (405)
  kTooManyResults,         // a query would return more than the limits allow
  kPayloadTooLarge,        // the body or batch exceeds a configured limit
  kNotAcceptable,          // no representation matches Accept
  kUnsupportedMediaType,   // Content-Type is not one we read
  kLdContextNotAvailable,  // a JSON-LD @context could not be retrieved
  kInvalidContext,         // a JSON-LD @context is not valid (NGSI-LD InvalidContext... LdContext)
  kUnauthorized,           // credentials missing or not valid (401)
  kForbidden,              // valid credentials that may not do this (403)
  kUnavailable,            // storage down or timed out
  kInternal,               // a bug; never for bad input
};

// Stable lower-case name, used in logs and metrics.
const char* ErrorCodeName(ErrorCode code);

}  // namespace dothi
