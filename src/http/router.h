#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/request_context.h"
#include "core/status.h"
#include "http/request.h"

// Router holds the route table: method + pattern ("/ngsi-ld/v1/entities/{id}") -> handler.
// 404 and 405 (with Allow) are derived from the table; their bodies come from the error
// renderer registered for the longest matching mount prefix, so each API answers in its
// own error format. Build the table before serving; Dispatch is then safe from many threads.
//
// Matching is by path segment. A "{name}" segment matches any one non-empty segment, whose
// percent-decoded value becomes a path parameter ("urn%3Angsi-ld%3ABus%3A1" and
// "urn:ngsi-ld:Bus:1" both give "urn:ngsi-ld:Bus:1"). When several patterns fit, the one
// with a literal segment at the first place where they differ wins. A trailing slash is
// ignored. HEAD falls back to the GET route; OPTIONS answers 204 with Allow unless a route
// handles it.
namespace dothi::http {

using Handler = std::function<Response(const RequestContext&, Request&)>;
// Turns a Status into the protocol's error response (status code and body).
using ErrorRenderer = std::function<Response(const RequestContext&, const Request&, const Status&)>;

// Per-route options.
struct RouteOptions {
  // Run the handler on the I/O thread instead of the worker pool. Only for handlers that
  // never block (health checks, metrics, static text).
  bool run_inline = false;
};

class Router {
 public:
  // name: a stable route label for metrics ("ngsi_ld.get_entity").
  void Add(Method method, std::string pattern, std::string name, Handler handler,
           RouteOptions options = {});
  void SetErrorRenderer(std::string prefix, ErrorRenderer renderer);

  // Finds the route, fills req.path_params, calls the handler. Sets *route_name to the
  // matched route's name ("unmatched" otherwise) for metrics. Exceptions from the handler
  // propagate to the caller (the server's last-resort catch).
  Response Dispatch(const RequestContext& ctx, Request& req, std::string* route_name) const;

  // The error response for s under the renderer of req.path's prefix. Without a renderer,
  // a small JSON problem body {"type","title","status","detail"} is used.
  Response RenderError(const RequestContext& ctx, const Request& req, const Status& s) const;

  // True when the route that would handle req is marked run_inline.
  bool RunsInline(const Request& req) const;

 private:
  struct Route {
    Method method;
    std::vector<std::string> segments;  // "{x}" marks a parameter
    std::vector<bool> is_param;         // per segment
    std::string name;
    Handler handler;
    bool run_inline = false;
  };
  struct Resolution {
    const Route* route = nullptr;
    std::uint32_t allowed = 0;  // bit per Method of routes whose pattern fits the path
  };

  static bool Match(const Route& r, const std::vector<std::string>& segs, Request* req);
  Resolution Resolve(Method method, const std::vector<std::string>& segs) const;

  std::vector<Route> routes_;
  std::vector<std::pair<std::string, ErrorRenderer>> renderers_;
  bool has_inline_ = false;
};

// "GET, HEAD, POST" for a bit set of Methods (bit i = static_cast<int>(Method)); HEAD is
// added when GET is present and OPTIONS always.
std::string AllowHeaderValue(std::uint32_t methods);

}  // namespace dothi::http
