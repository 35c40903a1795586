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
// Matching is by path segment. A "{name}" segment matches any one segment, even an empty
// one (the handler validates the value), whose
// percent-decoded value becomes a path parameter ("urn%3Angsi-ld%3ABus%3A1" and
// "urn:ngsi-ld:Bus:1" both give "urn:ngsi-ld:Bus:1"). When several patterns fit, the one
// with a literal segment at the first place where they differ wins. A trailing slash is
// ignored. HEAD falls back to the GET route; OPTIONS answers 204 with Allow unless a route
// handles it.
namespace dothi::http {

using Handler = std::function<Response(const RequestContext&, Request&)>;

// How an asynchronous handler finishes. respond: call exactly once, from any thread, with
// the response; ctx and req stay valid until then (and must not be touched after). offload:
// runs a function on the server's worker pool, for work that may block.
struct AsyncCall {
  std::function<void(Response)> respond;
  std::function<void(std::function<void()>)> offload;
};
// An asynchronous handler runs on an I/O thread and must not block there: it starts its
// work (offloading anything that may block) and returns; the request is answered when it
// calls respond. Used for writes that wait for a durable commit without holding a thread.
using AsyncHandler = std::function<void(const RequestContext&, Request&, AsyncCall)>;
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
  void AddAsync(Method method, std::string pattern, std::string name, AsyncHandler handler);
  void SetErrorRenderer(std::string prefix, ErrorRenderer renderer);

  // Finds the route, fills req.path_params, calls the handler. Sets *route_name to the
  // matched route's name ("unmatched" otherwise) for metrics. Exceptions from the handler
  // propagate to the caller (the server's last-resort catch).
  Response Dispatch(const RequestContext& ctx, Request& req, std::string* route_name) const;
  // Dispatch for any route: an asynchronous handler gets call; a plain one (and every 404,
  // 405 or OPTIONS answer) runs here and passes its response to call.respond.
  void DispatchAsync(const RequestContext& ctx, Request& req, std::string* route_name,
                     AsyncCall call) const;

  // The error response for s under the renderer of req.path's prefix. Without a renderer,
  // a small JSON problem body {"type","title","status","detail"} is used.
  Response RenderError(const RequestContext& ctx, const Request& req, const Status& s) const;

  // Where the server runs the route that would handle req.
  enum class Execution { kPool, kInline, kAsync };
  Execution ExecutionOf(Request& req) const;

 private:
  struct Route {
    Method method;
    std::vector<std::string> segments;  // "{x}" marks a parameter
    std::vector<bool> is_param;         // per segment
    std::string name;
    Handler handler;             // empty for an asynchronous route
    AsyncHandler async_handler;  // set for an asynchronous route
    bool run_inline = false;
  };
  struct Resolution {
    const Route* route = nullptr;
    std::uint32_t allowed = 0;  // bit per Method of routes whose pattern fits the path
  };

  static bool Match(const Route& r, const std::vector<std::string>& segs, Request* req);
  Resolution Resolve(Method method, const std::vector<std::string>& segs) const;
  // Resolve for req, once: the result is kept in req.route_lookup.
  Resolution Lookup(Request& req) const;

  std::vector<Route> routes_;
  // Indexes into routes_ by number of segments, in the order added: a path is matched
  // only against the patterns of its length.
  std::vector<std::vector<std::size_t>> by_length_;
  std::vector<std::pair<std::string, ErrorRenderer>> renderers_;
  // Resolves req to its route and fills req.path_params; nullptr when no route handles it.
  const Route* Find(Request& req, Resolution* found) const;
  Response Unrouted(const RequestContext& ctx, const Request& req, const Resolution& found) const;

  bool has_special_ = false;  // any route that is inline or asynchronous
};

// "GET, HEAD, POST" for a bit set of Methods (bit i = static_cast<int>(Method)); HEAD is
// added when GET is present and OPTIONS always.
std::string AllowHeaderValue(std::uint32_t methods);

}  // namespace dothi::http
