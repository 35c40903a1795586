#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Request and Response are dothi's own small HTTP value types. The server converts Beast
// messages into them, so nothing above http/ sees Beast. Plain values; not synchronised.
namespace dothi::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

const char* MethodName(Method m);
Method ParseMethod(std::string_view s);

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; nullptr when absent.
const std::string* FindHeader(const Headers& headers, std::string_view name);

struct Request {
  Method method = Method::kGet;
  std::string target;  // as received: path and query
  std::string path;    // percent-decoded path without the query
  std::vector<std::pair<std::string, std::string>> query;        // decoded, in order
  std::vector<std::pair<std::string, std::string>> path_params;  // filled by the Router
  // The path split into percent-decoded segments, valid once path_split is set; the Router
  // splits a request once and keeps them here.
  std::vector<std::string> path_segments;
  bool path_split = false;
  // The Router's lookup of this request's route (opaque outside the Router), kept so that
  // asking where a route runs and then dispatching it scan the route table once.
  struct RouteLookup {
    const void* route = nullptr;
    std::uint32_t allowed = 0;
  };
  std::optional<RouteLookup> route_lookup;
  Headers headers;
  std::string body;

  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
  // Back to a default Request, keeping the capacity of its strings and vectors: the server
  // reuses one Request per connection, so a request on a kept-alive connection allocates
  // little.
  void Reset();
  // First value of a query parameter, or nullptr.
  const std::string* Query(std::string_view name) const;
  // Value of a {name} path parameter ("" when absent).
  std::string_view PathParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  Response& SetHeader(std::string name, std::string value);
  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
};

// The query string of req ("?a=1&b=2", or "" when nothing is left) with the parameters named
// in set replaced: their old values are dropped and the new ones appended in set's order
// (an empty new value just drops the parameter). Keys and values are percent-encoded. For
// paging links: the same request with another offset.
std::string QueryStringWith(const Request& req,
                            std::initializer_list<std::pair<std::string_view, std::string>> set);

// target (path and query) for logs: the values of query parameters that carry secrets
// (api_key, apikey, token, key, password, secret, access_token; any case) and the segment
// after "/tokens/" (Open311's GET tokens/{token}, its extension kept) replaced by "REDACTED".
std::string RedactedTarget(std::string_view target);

// Splits "a=1&b=x%20y" into decoded pairs ('+' is a space). Invalid escapes are kept as is.
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view qs);
// ASCII case-insensitive equality (header names, tokens such as "close").
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Percent-decodes s; returns false on a malformed escape.
bool PercentDecode(std::string_view s, std::string& out, bool plus_is_space);
// Percent-encodes s for use in a query string value or path segment.
std::string PercentEncode(std::string_view s);

}  // namespace dothi::http
