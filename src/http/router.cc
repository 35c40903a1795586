#include "http/router.h"

#include <future>
#include <memory>

#include <utility>

#include "core/json.h"
#include "http/status_mapping.h"

namespace dothi::http {
namespace {

constexpr std::uint32_t Bit(Method m) { return 1u << static_cast<int>(m); }

std::string_view RawPath(const Request& req) {
  if (!req.target.empty()) {
    std::string_view t = req.target;
    return t.substr(0, t.find('?'));
  }
  return req.path;
}

// Splits a path into percent-decoded segments; empty segments except inner ones are dropped,
// so "/a/b/" and "/a/b" are the same path. Reuses the strings segs already holds, so a
// Request reused for the next request on its connection splits without allocating.
void SplitPathInto(std::string_view path, std::vector<std::string>& segs) {
  std::size_t n = 0;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  for (bool more = !path.empty(); more;) {
    std::size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    if (n == segs.size()) segs.emplace_back();
    // A malformed escape is kept as literal text; it then matches nothing literal.
    if (!PercentDecode(seg, segs[n], /*plus_is_space=*/false)) segs[n].assign(seg);
    ++n;
    more = slash != std::string_view::npos;
    if (more) path.remove_prefix(slash + 1);
  }
  segs.resize(n);
}

// True when a is more specific than b: at the first segment where they differ in kind,
// a has the literal.
bool MoreSpecific(const std::vector<bool>& a, const std::vector<bool>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] != b[i]) return !a[i];
  }
  return false;
}

Response DefaultRenderError(const Status& s) {
  Response res;
  res.status = HttpStatusFor(s.code());
  std::string body = "{\"type\":\"about:blank\",\"title\":";
  AppendJsonString(body, ReasonPhrase(res.status));
  body += ",\"status\":";
  body += std::to_string(res.status);
  body += ",\"detail\":";
  AppendJsonString(body, s.message());
  body += '}';
  res.body = std::move(body);
  res.SetHeader("Content-Type", "application/json");
  return res;
}

}  // namespace

std::string AllowHeaderValue(std::uint32_t methods) {
  if (methods & Bit(Method::kGet)) methods |= Bit(Method::kHead);
  methods |= Bit(Method::kOptions);
  static constexpr Method kOrder[] = {Method::kGet,   Method::kHead,   Method::kPost,
                                      Method::kPut,   Method::kPatch,  Method::kDelete,
                                      Method::kOptions};
  std::string out;
  for (Method m : kOrder) {
    if (!(methods & Bit(m))) continue;
    if (!out.empty()) out += ", ";
    out += MethodName(m);
  }
  return out;
}

void Router::Add(Method method, std::string pattern, std::string name, Handler handler,
                 RouteOptions options) {
  Route r;
  r.method = method;
  std::string_view p = pattern;
  if (!p.empty() && p.front() == '/') p.remove_prefix(1);
  if (!p.empty() && p.back() == '/') p.remove_suffix(1);
  while (!p.empty()) {
    std::size_t slash = p.find('/');
    std::string_view seg = p.substr(0, slash);
    bool param = seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
    r.segments.emplace_back(param ? seg.substr(1, seg.size() - 2) : seg);
    r.is_param.push_back(param);
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  r.name = std::move(name);
  r.handler = std::move(handler);
  r.run_inline = options.run_inline;
  has_special_ = has_special_ || options.run_inline;
  if (by_length_.size() <= r.segments.size()) by_length_.resize(r.segments.size() + 1);
  by_length_[r.segments.size()].push_back(routes_.size());
  routes_.push_back(std::move(r));
}

void Router::AddAsync(Method method, std::string pattern, std::string name,
                      AsyncHandler handler) {
  Add(method, std::move(pattern), std::move(name), nullptr);
  routes_.back().async_handler = std::move(handler);
  has_special_ = true;
}

void Router::SetErrorRenderer(std::string prefix, ErrorRenderer renderer) {
  for (auto& [p, r] : renderers_) {
    if (p == prefix) {
      r = std::move(renderer);
      return;
    }
  }
  renderers_.emplace_back(std::move(prefix), std::move(renderer));
}

bool Router::Match(const Route& r, const std::vector<std::string>& segs, Request* req) {
  if (r.segments.size() != segs.size()) return false;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    if (r.is_param[i]) {
      // An empty segment ("/entities//attrs") still reaches the route, whose handler
      // refuses the empty value in its API's terms (a 400, not a 404 for the path).
    } else if (r.segments[i] != segs[i]) {
      return false;
    }
  }
  if (req != nullptr) {
    req->path_params.clear();
    for (std::size_t i = 0; i < segs.size(); ++i) {
      if (r.is_param[i]) req->path_params.emplace_back(r.segments[i], segs[i]);
    }
  }
  return true;
}

Router::Resolution Router::Resolve(Method method, const std::vector<std::string>& segs) const {
  Resolution res;
  const Route* get_route = nullptr;  // HEAD falls back to this
  if (segs.size() >= by_length_.size()) return res;  // no pattern has that many segments
  for (std::size_t i : by_length_[segs.size()]) {
    const Route& r = routes_[i];
    if (!Match(r, segs, nullptr)) continue;
    res.allowed |= Bit(r.method);
    if (r.method == method) {
      if (res.route == nullptr || MoreSpecific(r.is_param, res.route->is_param)) res.route = &r;
    } else if (method == Method::kHead && r.method == Method::kGet) {
      if (get_route == nullptr || MoreSpecific(r.is_param, get_route->is_param)) get_route = &r;
    }
  }
  if (res.route == nullptr) res.route = get_route;
  return res;
}

namespace {

const std::vector<std::string>& SegmentsOf(Request& req) {
  if (!req.path_split) {
    SplitPathInto(RawPath(req), req.path_segments);
    req.path_split = true;
  }
  return req.path_segments;
}

}  // namespace

Router::Resolution Router::Lookup(Request& req) const {
  if (!req.route_lookup) {
    Resolution found = Resolve(req.method, SegmentsOf(req));
    req.route_lookup = Request::RouteLookup{found.route, found.allowed};
  }
  return Resolution{static_cast<const Route*>(req.route_lookup->route), req.route_lookup->allowed};
}

const Router::Route* Router::Find(Request& req, Resolution* found) const {
  *found = Lookup(req);
  if (found->route != nullptr) Match(*found->route, SegmentsOf(req), &req);
  return found->route;
}

Response Router::Dispatch(const RequestContext& ctx, Request& req, std::string* route_name) const {
  Resolution found;
  const Route* route = Find(req, &found);
  if (route_name != nullptr) *route_name = route != nullptr ? route->name : "unmatched";
  if (route == nullptr) return Unrouted(ctx, req, found);
  if (route->async_handler) {
    // A plain caller of an asynchronous route: run it and wait for its answer here.
    auto done = std::make_shared<std::promise<Response>>();
    std::future<Response> answer = done->get_future();
    AsyncCall call;
    call.respond = [done](Response r) { done->set_value(std::move(r)); };
    call.offload = [](std::function<void()> fn) { fn(); };
    route->async_handler(ctx, req, std::move(call));
    return answer.get();
  }
  return route->handler(ctx, req);
}

void Router::DispatchAsync(const RequestContext& ctx, Request& req, std::string* route_name,
                           AsyncCall call) const {
  Resolution found;
  const Route* route = Find(req, &found);
  if (route_name != nullptr) *route_name = route != nullptr ? route->name : "unmatched";
  if (route == nullptr) return call.respond(Unrouted(ctx, req, found));
  if (route->async_handler) return route->async_handler(ctx, req, std::move(call));
  call.respond(route->handler(ctx, req));
}

Response Router::Unrouted(const RequestContext& ctx, const Request& req,
                          const Resolution& found) const {
  if (found.allowed == 0) {
    return RenderError(ctx, req, Status::NotFound("no such resource", req.path));
  }
  if (req.method == Method::kOptions) {
    Response res;
    res.status = 204;
    res.SetHeader("Allow", AllowHeaderValue(found.allowed));
    return res;
  }
  // Render the body in the API's format; the Allow header comes from the table.
  Response res = RenderError(
      ctx, req, Status::MethodNotAllowed("method not allowed", req.method == Method::kOther
                                                              ? std::string_view("OTHER")
                                                              : MethodName(req.method)));
  res.SetHeader("Allow", AllowHeaderValue(found.allowed));
  return res;
}

Response Router::RenderError(const RequestContext& ctx, const Request& req,
                             const Status& s) const {
  std::string_view path = req.path.empty() ? RawPath(req) : std::string_view(req.path);
  const ErrorRenderer* best = nullptr;
  std::size_t best_len = 0;
  for (const auto& [prefix, renderer] : renderers_) {
    if (path.substr(0, prefix.size()) != prefix) continue;
    if (best == nullptr || prefix.size() > best_len) {
      best = &renderer;
      best_len = prefix.size();
    }
  }
  if (best == nullptr) return DefaultRenderError(s);
  return (*best)(ctx, req, s);
}

Router::Execution Router::ExecutionOf(Request& req) const {
  if (!has_special_) return Execution::kPool;
  Resolution found = Lookup(req);
  if (found.route == nullptr) return Execution::kPool;
  if (found.route->async_handler) return Execution::kAsync;
  return found.route->run_inline ? Execution::kInline : Execution::kPool;
}

}  // namespace dothi::http
