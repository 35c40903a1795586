#include "http/server.h"

#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "core/json.h"
#include "core/time.h"

namespace dothi::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxRequestIdLength = 64;                   // characters
// After an error reply to a request whose body is not read (413), the rest of the body is
// drained before closing, so that a client still uploading (a 20 MB photo from a phone)
// reads the reply instead of a reset: at most this long and this many bytes.
constexpr auto kLingerTime = std::chrono::seconds(3);
constexpr std::size_t kMaxLingerBytes = std::size_t{64} << 20;
constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);    // after EMFILE and friends

// One accepted connection; shared by its session coroutine and Stop(). Touched only on the
// connection's I/O thread.
//
// Timeouts: one watchdog timer per connection closes the socket once the deadline passes.
// A read or write only stores its deadline; the timer wakes at most every `tick` (a quarter
// of the shortest configured timeout) while something is timed and checks it, so a timeout
// fires at most a tick late and a request costs no timer operation (re-arming a timer for
// every read and write, as beast::tcp_stream does, was a visible share of a request's CPU).
struct Connection {
  Connection(tcp::socket s, asio::io_context& io)
      : socket(std::move(s)), watchdog(socket.get_executor()), home(&io) {}
  tcp::socket socket;
  asio::steady_timer watchdog;
  Clock::time_point deadline = Clock::time_point::max();     // max: no operation is timed
  Clock::time_point watchdog_at = Clock::time_point::max();  // max: the timer is not waiting
  std::uint64_t watchdog_generation = 0;  // a wait that is not the latest one is ignored
  beast::flat_buffer buffer;  // bytes read and not yet parsed (pipelined or partial request)
  bool busy = false;  // a request has been read and is not answered yet
  asio::io_context* home;  // the I/O thread's context the connection lives on
  std::string head;  // the status line and fields of the response being written (reused)
};

void ArmWatchdog(const std::shared_ptr<Connection>& conn, Clock::duration tick) {
  const std::uint64_t generation = ++conn->watchdog_generation;
  conn->watchdog_at = std::min(conn->deadline, Clock::now() + tick);
  conn->watchdog.expires_at(conn->watchdog_at);  // cancels a wait that was pending
  conn->watchdog.async_wait([conn, generation, tick](const boost::system::error_code& ec) {
    if (generation != conn->watchdog_generation) return;  // replaced by a later wait
    conn->watchdog_at = Clock::time_point::max();
    if (ec || !conn->socket.is_open()) return;  // cancelled: the connection is closing
    if (conn->deadline == Clock::time_point::max()) return;  // nothing timed now
    if (Clock::now() >= conn->deadline) {
      boost::system::error_code ignored;
      conn->socket.close(ignored);  // the pending read or write fails with operation_aborted
      return;
    }
    ArmWatchdog(conn, tick);
  });
}

// The next read or write must finish within timeout.
void SetDeadline(const std::shared_ptr<Connection>& conn, Clock::duration timeout,
                 Clock::duration tick) {
  conn->deadline = Clock::now() + timeout;
  if (conn->deadline < conn->watchdog_at) ArmWatchdog(conn, tick);
}

// Nothing is timed until the next SetDeadline (a handler is running).
void ClearDeadline(Connection& conn) { conn.deadline = Clock::time_point::max(); }

// Header field text that cannot break the response framing: CR, LF and NUL become spaces.
void AppendFieldText(std::string& out, std::string_view text) {
  for (char c : text) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
}

bool SaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// Headers the server owns: a handler's value for them is ignored.
bool ServerOwnedHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Connection") ||
         EqualsIgnoreCase(name, "Transfer-Encoding");
}

bool BodylessStatus(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

Response InternalErrorResponse(std::string_view request_id) {
  Response res;
  res.status = 500;
  res.body = InternalErrorBody(request_id);
  res.SetHeader("Content-Type", "application/json");
  return res;
}

Response PlainResponse(int status, std::string_view text) {
  Response res;
  res.status = status;
  res.body = std::string(text);
  res.SetHeader("Content-Type", "text/plain");
  return res;
}

// Fills req (Reset first, so its buffers are reused) from a parsed header.
void ConvertRequest(bhttp::request<bhttp::string_body>& m, Request& req, bool* path_ok) {
  req.Reset();
  req.method = ParseMethod(std::string_view(m.method_string().data(), m.method_string().size()));
  req.target.assign(m.target().data(), m.target().size());
  std::string_view target = req.target;
  std::size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  *path_ok = PercentDecode(raw_path, req.path, /*plus_is_space=*/false);
  if (!*path_ok) req.path = std::string(raw_path);
  if (q != std::string_view::npos) req.query = ParseQueryString(target.substr(q + 1));
  req.headers.reserve(8);
  for (const auto& field : m) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
}

}  // namespace

std::string InternalErrorBody(std::string_view request_id) {
  std::string body =
      "{\"type\":\"https://uri.etsi.org/ngsi-ld/errors/InternalError\","
      "\"title\":\"internal error\",\"detail\":";
  AppendJsonString(body, std::string("request id ") + std::string(request_id));
  body += '}';
  return body;
}

struct Server::Impl {
  Impl(ServerOptions o, const Router& r, Metrics& m)
      : opts(std::move(o)),
        router(r),
        metrics(m),
        tick(std::max<Clock::duration>(std::chrono::milliseconds(1),
                                       std::min<Clock::duration>(opts.request_timeout,
                                                                 opts.keep_alive_timeout) /
                                           4)),
        iocs(MakeIoContexts(opts.io_threads)) {}

  // One io_context per I/O thread: a connection lives on one thread, so it needs no strand,
  // and its executor fits inside any_io_executor (a strand's would be allocated at every
  // copy, many times per request).
  static std::vector<std::unique_ptr<asio::io_context>> MakeIoContexts(int threads) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (int i = 0; i < std::max(1, threads); ++i) {
      out.push_back(std::make_unique<asio::io_context>(1));
    }
    return out;
  }

  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(std::shared_ptr<Connection> conn);
  // Writes res (status line, fields and body in one gathered write); sets ec on failure.
  asio::awaitable<void> Write(const std::shared_ptr<Connection>& conn, Response& res,
                              unsigned version, bool keep_alive, bool head_only,
                              boost::system::error_code& ec);
  asio::awaitable<void> LingeringClose(const std::shared_ptr<Connection>& conn);
  Response SafeDispatch(const RequestContext& ctx, Request& req, std::string* route) const;
  // Runs an asynchronous route on this I/O thread and resumes when it responds.
  asio::awaitable<Response> DispatchAsync(const RequestContext& ctx, Request& req,
                                          std::string* route);
  // A fresh request id into out (the connection's string, reused: no allocation).
  void NextRequestId(std::string& out);
  // Requests in flight and the body bytes since on_idle last ran (ServerOptions).
  void RequestStarted();
  void RequestFinished();
  void CloseConnections(bool force);
  void Release(const std::shared_ptr<Connection>& conn);

  ServerOptions opts;
  const Router& router;
  Metrics& metrics;
  const Clock::duration tick;  // how late a timeout may fire (see Connection)

  // Declared before iocs: session frames destroyed with iocs still use them.
  std::mutex mu;
  std::condition_variable cv;
  std::list<std::shared_ptr<Connection>> connections;  // guarded by mu
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> body_bytes_since_idle{0};

  std::vector<std::unique_ptr<asio::io_context>> iocs;  // [0] also runs the acceptor
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::optional<asio::thread_pool> pool;
  tcp::acceptor acceptor{*iocs.front()};
  std::size_t next_ioc = 0;  // round robin over iocs for new connections (accept loop only)
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  std::string id_prefix;
  std::atomic<std::uint64_t> next_id{1};
};

void Server::Impl::NextRequestId(std::string& out) {
  std::uint64_t n = next_id.fetch_add(1, std::memory_order_relaxed);
  char buf[16];
  std::size_t len = 0;
  do {
    buf[sizeof buf - 1 - len++] = "0123456789abcdef"[n & 0xf];
    n >>= 4;
  } while (n != 0);
  out.assign(id_prefix);
  out.append(buf + sizeof buf - len, len);
}

void Server::Impl::RequestStarted() { in_flight.fetch_add(1, std::memory_order_acq_rel); }

void Server::Impl::RequestFinished() {
  if (in_flight.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  const std::size_t threshold = opts.idle_after_body_bytes;
  if (threshold == 0 || !opts.on_idle) return;
  if (body_bytes_since_idle.load(std::memory_order_relaxed) < threshold) return;
  // Whoever takes the count runs the hook; a session that finds it taken gives back what it took.
  const std::size_t taken = body_bytes_since_idle.exchange(0, std::memory_order_relaxed);
  if (taken < threshold) {
    body_bytes_since_idle.fetch_add(taken, std::memory_order_relaxed);
    return;
  }
  asio::post(*pool, [this] {
    try {
      opts.on_idle();
    } catch (const std::exception& e) {
      spdlog::error("idle hook failed: {}", e.what());
    }
  });
}

Response Server::Impl::SafeDispatch(const RequestContext& ctx, Request& req,
                                    std::string* route) const {
  // The one last-resort catch (STYLE.md 2.4): if it fires, a handler has a bug.
  try {
    return router.Dispatch(ctx, req, route);
  } catch (const std::exception& e) {
    spdlog::error("unhandled exception request_id={} route={} what={}", ctx.request_id, *route,
                  e.what());
  } catch (...) {
    spdlog::error("unhandled non-standard exception request_id={} route={}", ctx.request_id,
                  *route);
  }
  return InternalErrorResponse(ctx.request_id);
}

asio::awaitable<Response> Server::Impl::DispatchAsync(const RequestContext& ctx, Request& req,
                                                      std::string* route) {
  auto executor = co_await asio::this_coro::executor;
  auto initiate = [&, executor](auto handler) {
    using Handler = decltype(handler);
    // Everything respond and offload need, in one allocation.
    struct State {
      State(Handler h, asio::any_io_executor e, std::string i, const std::string* n)
          : resume(std::move(h)), executor(std::move(e)), id(std::move(i)), name(n) {}
      Handler resume;
      std::atomic<bool> responded{false};
      // Set once the router has returned: from then on a response given on this session's
      // own thread resumes the coroutine right there (dispatch) instead of queueing it.
      std::atomic<bool> initiated{false};
      asio::any_io_executor executor;
      std::string id;
      const std::string* name;
    };
    auto state = std::make_shared<State>(std::move(handler), executor, ctx.request_id, route);
    // From any thread: hands the response to this session's coroutine on its executor.
    const auto deliver = [](const std::shared_ptr<State>& st, Response res) {
      if (st->responded.exchange(true)) return;  // a second answer would be a handler bug
      auto resume = [st, res = std::move(res)]() mutable { std::move(st->resume)(std::move(res)); };
      // During the router's call the coroutine is still being suspended: queue the resume.
      // After it, on the session's thread (a write finished through finish_on), resume in
      // place: the coroutine runs until its response write suspends it, then this returns.
      if (st->initiated.load(std::memory_order_acquire)) {
        asio::dispatch(st->executor, std::move(resume));
      } else {
        asio::post(st->executor, std::move(resume));
      }
    };
    AsyncCall call;
    call.respond = [state, deliver](Response res) { deliver(state, std::move(res)); };
    call.offload = [this, state, deliver](std::function<void()> fn) {
      asio::post(*pool, [fn = std::move(fn), state, deliver] {
        try {
          fn();
        } catch (const std::exception& e) {
          spdlog::error("unhandled exception request_id={} route={} what={}", state->id,
                        *state->name, e.what());
          deliver(state, InternalErrorResponse(state->id));
        } catch (...) {
          spdlog::error("unhandled non-standard exception request_id={} route={}", state->id,
                        *state->name);
          deliver(state, InternalErrorResponse(state->id));
        }
      });
    };
    // The one last-resort catch (STYLE.md 2.4) for the part that runs here.
    try {
      router.DispatchAsync(ctx, req, route, call);
    } catch (const std::exception& e) {
      spdlog::error("unhandled exception request_id={} route={} what={}", ctx.request_id, *route,
                    e.what());
      call.respond(InternalErrorResponse(ctx.request_id));
    } catch (...) {
      spdlog::error("unhandled non-standard exception request_id={} route={}", ctx.request_id,
                    *route);
      call.respond(InternalErrorResponse(ctx.request_id));
    }
    state->initiated.store(true, std::memory_order_release);
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Response)>(
      std::move(initiate), asio::use_awaitable);
}

void Server::Impl::Release(const std::shared_ptr<Connection>& conn) {
  std::lock_guard lock(mu);
  for (auto it = connections.begin(); it != connections.end(); ++it) {
    if (*it == conn) {
      connections.erase(it);
      break;
    }
  }
  cv.notify_all();
}

void Server::Impl::CloseConnections(bool force) {
  std::vector<std::shared_ptr<Connection>> snapshot;
  {
    std::lock_guard lock(mu);
    snapshot.assign(connections.begin(), connections.end());
  }
  for (auto& conn : snapshot) {
    asio::post(conn->socket.get_executor(), [conn, force] {
      // A connection with a request under way closes itself after its response. That
      // includes one whose request bytes arrived but whose header this thread has not
      // parsed yet (the signal can come in between): they are still in the socket or
      // the buffer.
      boost::system::error_code avail_ec;
      const bool pending = conn->buffer.size() > 0 || conn->socket.available(avail_ec) > 0;
      if ((conn->busy || pending) && !force) return;
      boost::system::error_code ec;
      conn->socket.shutdown(tcp::socket::shutdown_both, ec);
      conn->socket.close(ec);
      conn->watchdog.cancel();
    });
  }
}

asio::awaitable<void> Server::Impl::AcceptLoop() {
  for (;;) {
    asio::io_context& home = *iocs[next_ioc];
    next_ioc = (next_ioc + 1) % iocs.size();
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(
        home.get_executor(), asio::redirect_error(asio::use_awaitable, ec));
    if (stopping.load()) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer timer(*iocs.front(), kAcceptBackoff);  // e.g. out of file descriptors
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Connection>(std::move(socket), home);
    {
      std::lock_guard lock(mu);
      if (connections.size() >= opts.max_connections) {
        conn->socket.close(ec);
        continue;
      }
      connections.push_back(conn);
    }
    auto executor = conn->socket.get_executor();
    asio::co_spawn(executor, Session(std::move(conn)), asio::detached);
  }
}

asio::awaitable<void> Server::Impl::Write(const std::shared_ptr<Connection>& conn,
                                          Response& res, unsigned version, bool keep_alive,
                                          bool head_only, boost::system::error_code& ec) {
  // The status line and header fields are written here rather than by Beast's serializer,
  // which cost more than the rest of sending a small response.
  std::string& head = conn->head;
  head.clear();
  head += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(res.status);
  head += ' ';
  beast::string_view reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  head.append(reason.data(), reason.size());
  head += "\r\n";
  for (const auto& [name, value] : res.headers) {
    if (ServerOwnedHeader(name) || name.empty()) continue;
    AppendFieldText(head, name);
    head += ": ";
    AppendFieldText(head, value);
    head += "\r\n";
  }
  const bool bodyless = BodylessStatus(res.status);
  if (!bodyless) {
    head += "Content-Length: ";
    head += std::to_string(res.body.size());
    head += "\r\n";
  }
  if (version == 10 && keep_alive) head += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) head += "Connection: close\r\n";
  head += "\r\n";
  const bool send_body = !bodyless && !head_only && !res.body.empty();
  const std::size_t body_size = send_body ? res.body.size() : 0;
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                            asio::buffer(res.body.data(), body_size)};
  SetDeadline(conn, opts.request_timeout, tick);
  co_await asio::async_write(conn->socket, buffers, asio::redirect_error(asio::use_awaitable, ec));
  ClearDeadline(*conn);
}

asio::awaitable<void> Server::Impl::LingeringClose(const std::shared_ptr<Connection>& conn) {
  // Closing with unread request bytes makes the kernel send RST, which can destroy the
  // error reply before the client reads it; so half-close and drain for a moment first.
  boost::system::error_code ec;
  conn->socket.shutdown(tcp::socket::shutdown_send, ec);
  SetDeadline(conn, kLingerTime, tick);
  char buf[4096];
  std::size_t drained = 0;
  while (!ec && drained < kMaxLingerBytes) {
    drained += co_await conn->socket.async_read_some(asio::buffer(buf),
                                                     asio::redirect_error(asio::use_awaitable, ec));
  }
  conn->socket.close(ec);
  conn->watchdog.cancel();
}

asio::awaitable<void> Server::Impl::Session(std::shared_ptr<Connection> conn) {
  struct Guard {
    Impl* impl;
    std::shared_ptr<Connection> conn;
    ~Guard() {
      boost::system::error_code ec;
      conn->socket.close(ec);
      conn->watchdog.cancel();  // its handler holds conn
      impl->Release(conn);
    }
  } guard{this, conn};

  tcp::socket& socket = conn->socket;
  beast::flat_buffer& buffer = conn->buffer;
  // One Request and RequestContext per connection, reset for each request: their strings
  // and vectors (the body among them) keep their capacity, so a request allocates less.
  Request req;
  RequestContext ctx;
  bool first = true;
  while (!stopping.load()) {
    bhttp::request_parser<bhttp::string_body> parser;
    // The body is read into the previous request's body buffer.
    parser.get().body() = std::move(req.body);
    parser.get().body().clear();
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    parser.body_limit(opts.max_body_bytes);
    boost::system::error_code ec;
    SetDeadline(conn, first ? opts.request_timeout : opts.keep_alive_timeout, tick);
    first = false;
    co_await bhttp::async_read_header(socket, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::header_limit) {
      Response res = PlainResponse(431, "request header fields too large\n");
      co_await Write(conn, res, 11, false, false, ec);
      co_await LingeringClose(conn);
      co_return;
    }
    if (ec && ec != bhttp::error::body_limit) {
      // EOF, timeout, reset, or stop: just close. Malformed requests get a plain 400.
      const bool malformed = ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                             ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
      if (malformed) {
        Response res = PlainResponse(400, "malformed request\n");
        co_await Write(conn, res, 11, false, false, ec);
        co_await LingeringClose(conn);
      }
      co_return;
    }

    conn->busy = true;
    const Clock::time_point start = Clock::now();
    auto& msg = parser.get();
    RequestStarted();
    struct Finished {
      Impl* server;
      ~Finished() { server->RequestFinished(); }
    } finished{this};
    const unsigned version = msg.version();
    bool keep_alive = msg.keep_alive();
    bool path_ok = true;
    ConvertRequest(msg, req, &path_ok);

    const std::string* incoming_id = req.Header("X-Request-Id");
    if (incoming_id != nullptr && SaneRequestId(*incoming_id)) {
      ctx.request_id = *incoming_id;
    } else {
      NextRequestId(ctx.request_id);
    }
    const std::string* tenant = req.Header("NGSILD-Tenant");
    if (tenant != nullptr) {
      ctx.tenant = *tenant;
    } else {
      ctx.tenant.clear();
    }
    ctx.received_at = Now();
    ctx.finish_on = nullptr;

    // The header is read on its own: Boost 1.74's eager parsing skips the Content-Length
    // vs body_limit check, which async_read_header performs.
    if (!ec && !parser.is_done()) {
      SetDeadline(conn, opts.request_timeout, tick);
      co_await bhttp::async_read(socket, buffer, parser,
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (opts.idle_after_body_bytes > 0) {
      body_bytes_since_idle.fetch_add(msg.body().size(), std::memory_order_relaxed);
    }
    ClearDeadline(*conn);  // a handler's time is not limited here
    std::string route = "unmatched";
    Response res;
    bool linger = false;
    if (ec == bhttp::error::body_limit) {
      res = router.RenderError(ctx, req, Status::PayloadTooLarge("request body too large",
                                                                 "limit " + std::to_string(opts.max_body_bytes) + " bytes"));
      keep_alive = false;
      linger = true;
    } else if (ec) {
      co_return;  // timeout or reset mid-body: nobody to answer
    } else if (!path_ok) {
      res = router.RenderError(ctx, req, Status::InvalidRequest("malformed percent-escape in path"));
    } else {
      req.body = std::move(msg.body());
      const Router::Execution where = router.ExecutionOf(req);
      if (where == Router::Execution::kAsync) {
        // The handler's writes finish on this thread (see RequestContext::finish_on). The
        // capture is one pointer, so the function allocates nothing.
        ctx.finish_on = [io = conn->home](std::function<void()> fn) {
          asio::post(*io, std::move(fn));
        };
        res = co_await DispatchAsync(ctx, req, &route);
      } else if (where == Router::Execution::kInline) {
        res = SafeDispatch(ctx, req, &route);
      } else {
        res = co_await asio::co_spawn(
            pool->get_executor(),
            [&]() -> asio::awaitable<Response> { co_return SafeDispatch(ctx, req, &route); },
            asio::use_awaitable);
      }
    }

    if (stopping.load()) keep_alive = false;
    res.SetHeader("X-Request-Id", ctx.request_id);
    const int status = res.status;
    const std::size_t body_bytes = BodylessStatus(status) ? 0 : res.body.size();
    const bool head_only = req.method == Method::kHead;
    // Recorded before the write, so a client that has its answer also sees it counted.
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    metrics.RecordRequest(route, req.method, status, seconds);
    co_await Write(conn, res, version, keep_alive, head_only, ec);
    conn->busy = false;
    if (opts.access_log) {
      spdlog::info("http method={} target={} status={} bytes={} duration_ms={:.3f} "
                   "request_id={} route={} tenant={}",
                   MethodName(req.method), RedactedTarget(req.target), status, head_only ? 0 : body_bytes,
                   seconds * 1e3, ctx.request_id, route, ctx.tenant);
    }
    if (ec) co_return;
    if (linger) {
      co_await LingeringClose(conn);
      co_return;
    }
    if (!keep_alive) break;
  }
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
  conn->watchdog.cancel();
}

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() { Stop(); }

std::uint16_t Server::port() const { return impl_->port; }

Status Server::Start() {
  Impl& s = *impl_;
  if (s.started) return Status::Internal("server already started");
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(s.opts.address, ec);
  if (ec) return Status::BadRequestData("invalid listen address", s.opts.address);
  tcp::endpoint endpoint(address, s.opts.port);
  std::string where = s.opts.address + ":" + std::to_string(s.opts.port);
  if (s.acceptor.open(endpoint.protocol(), ec); ec) {
    return Status::Unavailable("cannot open socket", ec.message());
  }
  s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (s.acceptor.bind(endpoint, ec); ec) {
    return Status::Unavailable("cannot bind " + where, ec.message());
  }
  if (s.acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status::Unavailable("cannot listen on " + where, ec.message());
  }
  s.port = s.acceptor.local_endpoint(ec).port();

  std::random_device rd;
  char prefix[16];
  std::snprintf(prefix, sizeof(prefix), "%08x-", static_cast<unsigned>(rd()));
  s.id_prefix = prefix;

  s.started = true;
  s.pool.emplace(static_cast<std::size_t>(std::max(1, s.opts.worker_threads)));
  for (auto& ioc : s.iocs) s.work.push_back(asio::make_work_guard(*ioc));
  asio::co_spawn(*s.iocs.front(), s.AcceptLoop(), asio::detached);
  for (auto& ioc : s.iocs) {
    s.threads.emplace_back([ioc = ioc.get()] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("io thread: unhandled exception: {}", e.what());
        }
      }
    });
  }
  spdlog::info("http server listening on {}:{}", s.opts.address, s.port);
  return Status::OK();
}

void Server::Stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stopping.store(true);
  asio::post(*s.iocs.front(), [&s] {
    boost::system::error_code ec;
    s.acceptor.close(ec);
  });
  s.CloseConnections(/*force=*/false);
  {
    std::unique_lock lock(s.mu);
    if (!s.cv.wait_for(lock, s.opts.shutdown_grace, [&s] { return s.connections.empty(); })) {
      spdlog::warn("http server: {} requests still running after shutdown grace; cutting them",
                   s.connections.size());
      lock.unlock();
      s.CloseConnections(/*force=*/true);
      lock.lock();
      // Handlers still running on the pool post their completion to the io_context, so it
      // keeps running until every session has ended.
      s.cv.wait(lock, [&s] { return s.connections.empty(); });
    }
  }
  s.work.clear();
  for (auto& ioc : s.iocs) ioc->stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  s.pool->join();
  spdlog::info("http server stopped");
}

}  // namespace dothi::http
