#include "http/server.h"

#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "http/status_mapping.h"

namespace dothi::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using RawResponse = bhttp::response<bhttp::string_body>;

// A blocking test client on one TCP connection; reads give up after 10 s instead of hanging.
class TestConnection {
 public:
  explicit TestConnection(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{10, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  void Send(const std::string& raw) { asio::write(socket_, asio::buffer(raw)); }
  RawResponse Read(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head);
    parser.body_limit(16 << 20);
    bhttp::read(socket_, buffer_, parser);
    return parser.release();
  }
  RawResponse Get(const std::string& target, const std::string& extra_headers = "") {
    Send("GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra_headers + "\r\n");
    return Read();
  }
  // True when the server has closed the connection (EOF on the next read).
  // A plain recv, so SO_RCVTIMEO applies (asio's blocking read would wait again after it).
  bool ClosedByPeer() {
    char c;
    ssize_t n = ::recv(socket_.native_handle(), &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

std::string Header(const RawResponse& r, std::string_view name) {
  auto it = r.find(beast::string_view(name.data(), name.size()));
  return it == r.end() ? std::string() : std::string(it->value());
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.SetErrorRenderer("/", [](const RequestContext& ctx, const Request&, const Status& s) {
      Response res;
      res.status = HttpStatusFor(s.code());
      res.body = "renderer:" + s.message() + ":" + ctx.request_id;
      res.SetHeader("Content-Type", "text/x-problem");
      return res;
    });
    router_.Add(Method::kGet, "/hello", "hello", [](const RequestContext&, Request&) {
      Response res;
      res.body = "hello";
      res.SetHeader("Content-Type", "text/plain");
      return res;
    });
    router_.Add(Method::kGet, "/inline", "inline", [](const RequestContext&, Request&) {
      Response res;
      res.body = "inline";
      return res;
    }, RouteOptions{.run_inline = true});
    router_.Add(Method::kGet, "/ctx", "ctx", [](const RequestContext& ctx, Request&) {
      Response res;
      res.body = ctx.request_id + "|" + ctx.tenant;
      return res;
    });
    router_.Add(Method::kPost, "/echo", "echo", [](const RequestContext&, Request& req) {
      Response res;
      res.status = 201;
      res.body = req.body;
      return res;
    });
    router_.Add(Method::kGet, "/items/{id}", "item", [](const RequestContext&, Request& req) {
      Response res;
      res.body = std::string(req.PathParam("id")) + "|" + (req.Query("q") ? *req.Query("q") : "");
      return res;
    });
    router_.Add(Method::kGet, "/throw", "throw", [](const RequestContext&, Request&) -> Response {
      throw std::runtime_error("boom");
    });
    router_.Add(Method::kGet, "/throw-int", "throw_int", [](const RequestContext&, Request&) -> Response {
      throw 42;
    });
    router_.Add(Method::kDelete, "/nothing", "nothing", [](const RequestContext&, Request&) {
      Response res;
      res.status = 204;
      return res;
    });
    router_.Add(Method::kGet, "/slow", "slow", [this](const RequestContext&, Request&) {
      entered_.set_value();
      release_.get_future().wait();
      Response res;
      res.body = "slow done";
      return res;
    });
  }

  // An asynchronous route that finishes from another thread through ctx.finish_on and says
  // whether that ran on the thread that started the handler.
  void AddFinishOnRoutes() {
    router_.AddAsync(Method::kGet, "/finish-on", "finish_on",
                     [this](const RequestContext& ctx, Request&, AsyncCall call) {
                       if (!ctx.finish_on) return call.respond(PlainBody("no finish_on"));
                       const std::thread::id handler_thread = std::this_thread::get_id();
                       if (helper_.joinable()) helper_.join();  // the last one has answered
                       helper_ = std::thread([finish_on = ctx.finish_on, call, handler_thread] {
                         finish_on([call, handler_thread] {
                           const bool same = std::this_thread::get_id() == handler_thread;
                           call.respond(PlainBody(same ? "same thread" : "other thread"));
                         });
                       });
                     });
    router_.Add(Method::kGet, "/pool-finish-on", "pool_finish_on",
                [](const RequestContext& ctx, Request&) {
                  return PlainBody(ctx.finish_on ? "set" : "empty");
                });
  }

  static Response PlainBody(std::string body) {
    Response res;
    res.body = std::move(body);
    return res;
  }

  void StartServer(ServerOptions opts = {}) {
    opts.address = "127.0.0.1";
    opts.port = 0;
    opts.io_threads = 2;
    opts.worker_threads = 4;
    opts.access_log = false;
    server_ = std::make_unique<Server>(opts, router_, metrics_);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (helper_.joinable()) helper_.join();
    if (server_) server_->Stop();
  }

  Router router_;
  Metrics metrics_;
  std::unique_ptr<Server> server_;
  std::promise<void> entered_;
  std::promise<void> release_;
  std::thread helper_;  // started by /finish-on
};

TEST_F(ServerTest, ServesTwoRequestsOnOneKeepAliveConnection) {
  StartServer();
  TestConnection c(server_->port());
  RawResponse a = c.Get("/hello");
  EXPECT_EQ(a.result_int(), 200u);
  EXPECT_EQ(a.body(), "hello");
  EXPECT_EQ(Header(a, "Content-Length"), "5");
  EXPECT_EQ(Header(a, "Content-Type"), "text/plain");
  EXPECT_TRUE(a.keep_alive());
  RawResponse b = c.Get("/inline");
  EXPECT_EQ(b.result_int(), 200u);
  EXPECT_EQ(b.body(), "inline");
}

TEST_F(ServerTest, AnswersPipelinedRequestsInOrder) {
  StartServer();
  TestConnection c(server_->port());
  c.Send("GET /items/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /items/2 HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(c.Read().body(), "1|");
  EXPECT_EQ(c.Read().body(), "2|");
}

TEST_F(ServerTest, DecodesPathParametersAndQuery) {
  StartServer();
  TestConnection c(server_->port());
  EXPECT_EQ(c.Get("/items/urn%3Angsi-ld%3ABus%3A1?q=speed%3E5").body(), "urn:ngsi-ld:Bus:1|speed>5");
}

TEST_F(ServerTest, PostBodyReachesHandler) {
  StartServer();
  TestConnection c(server_->port());
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  RawResponse r = c.Read();
  EXPECT_EQ(r.result_int(), 201u);
  EXPECT_EQ(r.body(), "{\"a\":1}");
}

TEST_F(ServerTest, KeptAliveRequestsSeeOnlyTheirOwnBodyAndHeaders) {
  // The session reuses one Request and RequestContext per connection.
  StartServer();
  TestConnection c(server_->port());
  const std::string long_body(3000, 'x');
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3000\r\n\r\n" + long_body);
  EXPECT_EQ(c.Read().body(), long_body);
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(c.Read().body(), "abc");
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(c.Read().body(), "");
  EXPECT_EQ(c.Get("/ctx", "X-Request-Id: first-id\r\nNGSILD-Tenant: t1\r\n").body(),
            "first-id|t1");
  RawResponse plain = c.Get("/ctx");
  EXPECT_NE(plain.body().substr(0, 9), "first-id|");
  EXPECT_EQ(plain.body().back(), '|');  // no tenant: the last request's is gone
  EXPECT_EQ(c.Get("/items/abc?q=1").body(), "abc|1");
  EXPECT_EQ(c.Get("/items/d").body(), "d|");
}

// A request without a usable X-Request-Id gets "<8 hex digits of this server>-<hex counter>",
// a new one each time, also when the connection's previous id was longer.
TEST_F(ServerTest, GeneratedRequestIdsAreDistinctAndHex) {
  StartServer();
  TestConnection c(server_->port());
  auto id_of = [](const RawResponse& r) { return r.body().substr(0, r.body().find('|')); };
  const std::string a = id_of(c.Get("/ctx"));
  ASSERT_EQ(c.Get("/ctx", "X-Request-Id: a-rather-long-incoming-request-id\r\n").body(),
            "a-rather-long-incoming-request-id|");
  const std::string b = id_of(c.Get("/ctx"));
  for (const std::string& id : {a, b}) {
    ASSERT_GT(id.size(), 9u) << id;
    EXPECT_EQ(id[8], '-') << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 9), std::string::npos) << id;
  }
  EXPECT_EQ(a.substr(0, 9), b.substr(0, 9));
  EXPECT_LT(std::stoull(a.substr(9), nullptr, 16), std::stoull(b.substr(9), nullptr, 16));
}

// The idle hook runs once request bodies reach the threshold and no request is in flight,
// on a worker thread, and the count starts over after it.
TEST_F(ServerTest, IdleHookRunsOnceAfterEnoughBodyBytes) {
  std::atomic<int> runs{0};
  std::promise<void> ran;
  std::future<void> ran_future = ran.get_future();
  ServerOptions opts;
  opts.idle_after_body_bytes = 1000;
  opts.on_idle = [&] {
    if (runs.fetch_add(1) == 0) ran.set_value();
  };
  StartServer(opts);
  TestConnection c(server_->port());
  const std::string body(600, 'b');
  const std::string post = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 600\r\n\r\n" + body;
  c.Send(post);
  ASSERT_EQ(c.Read().body(), body);
  EXPECT_EQ(runs.load(), 0) << "600 of 1000 bytes";
  c.Send(post);
  ASSERT_EQ(c.Read().body(), body);
  ASSERT_EQ(ran_future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  // A request without a body after it: far from the threshold again.
  EXPECT_EQ(c.Get("/ctx").result_int(), 200u);
  EXPECT_EQ(runs.load(), 1);
}

TEST_F(ServerTest, AsynchronousRouteFinishesOnTheConnectionsThread) {
  AddFinishOnRoutes();
  StartServer();
  TestConnection c(server_->port());
  EXPECT_EQ(c.Get("/finish-on").body(), "same thread");
  // Only asynchronous routes get it: a pool handler that waited on its own I/O thread
  // would deadlock.
  EXPECT_EQ(c.Get("/pool-finish-on").body(), "empty");
  EXPECT_EQ(c.Get("/finish-on").body(), "same thread");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  TestConnection c(server_->port());
  RawResponse r = c.Get("/hello", "Connection: close\r\n");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(c.ClosedByPeer());
}

TEST_F(ServerTest, Http10WithoutKeepAliveIsClosed) {
  StartServer();
  TestConnection c(server_->port());
  c.Send("GET /hello HTTP/1.0\r\n\r\n");
  RawResponse r = c.Read();
  EXPECT_EQ(r.body(), "hello");
  EXPECT_TRUE(c.ClosedByPeer());
}

TEST_F(ServerTest, UnknownRouteAnswers404FromRendererAnd405WithAllow) {
  StartServer();
  TestConnection c(server_->port());
  RawResponse r = c.Get("/missing");
  EXPECT_EQ(r.result_int(), 404u);
  EXPECT_EQ(r.body().rfind("renderer:no such resource: /missing", 0), 0u);
  c.Send("PUT /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  r = c.Read();
  EXPECT_EQ(r.result_int(), 405u);
  EXPECT_EQ(Header(r, "Allow"), "GET, HEAD, OPTIONS");
}

TEST_F(ServerTest, HeadSendsLengthButNoBody) {
  StartServer();
  TestConnection c(server_->port());
  c.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  RawResponse r = c.Read(/*head=*/true);
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(Header(r, "Content-Length"), "5");
  EXPECT_EQ(c.Get("/hello").body(), "hello");  // no stray body bytes in between
}

TEST_F(ServerTest, NoContentHasNoBodyOrLength) {
  StartServer();
  TestConnection c(server_->port());
  c.Send("DELETE /nothing HTTP/1.1\r\nHost: t\r\n\r\n");
  RawResponse r = c.Read();
  EXPECT_EQ(r.result_int(), 204u);
  EXPECT_EQ(r.find(bhttp::field::content_length), r.end());
  EXPECT_EQ(c.Get("/hello").body(), "hello");
}

TEST_F(ServerTest, DeclaredBodyTooLargeGets413FromRenderer) {
  ServerOptions opts;
  opts.max_body_bytes = 1000;
  StartServer(opts);
  TestConnection c(server_->port());
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nX-Request-Id: big-1\r\nContent-Length: 5000\r\n\r\n" +
         std::string(100, 'x'));
  RawResponse r = c.Read();
  EXPECT_EQ(r.result_int(), 413u);
  EXPECT_EQ(r.body(), "renderer:request body too large: limit 1000 bytes:big-1");
  EXPECT_EQ(Header(r, "Content-Type"), "text/x-problem");
  EXPECT_FALSE(r.keep_alive());
  EXPECT_EQ(metrics_.RequestCount("unmatched", Method::kPost, 413), 1u);
}

TEST_F(ServerTest, ChunkedBodyTooLargeGets413) {
  ServerOptions opts;
  opts.max_body_bytes = 1000;
  StartServer(opts);
  TestConnection c(server_->port());
  std::string chunk(800, 'y');
  c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
         "320\r\n" + chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n");
  RawResponse r = c.Read();
  EXPECT_EQ(r.result_int(), 413u);
  EXPECT_EQ(r.body().rfind("renderer:request body too large", 0), 0u);
}

TEST_F(ServerTest, HeaderTooLargeGets431) {
  ServerOptions opts;
  opts.max_header_bytes = 4096;
  StartServer(opts);
  TestConnection c(server_->port());
  RawResponse r = c.Get("/hello", "X-Big: " + std::string(5000, 'h') + "\r\n");
  EXPECT_EQ(r.result_int(), 431u);
  EXPECT_FALSE(r.keep_alive());
}

TEST_F(ServerTest, MalformedRequestGets400) {
  StartServer();
  TestConnection c(server_->port());
  c.Send("GET /hello HTTP/9\r\n\r\n");
  EXPECT_EQ(c.Read().result_int(), 400u);
}

TEST_F(ServerTest, MalformedPercentEscapeInPathGets400FromRenderer) {
  StartServer();
  TestConnection c(server_->port());
  RawResponse r = c.Get("/items/%zz");
  EXPECT_EQ(r.result_int(), 400u);
  EXPECT_EQ(r.body().rfind("renderer:malformed percent-escape in path", 0), 0u);
}

TEST_F(ServerTest, EchoesSaneRequestIdAndPassesTenant) {
  StartServer();
  TestConnection c(server_->port());
  RawResponse r = c.Get("/ctx", "X-Request-Id: abc-123\r\nNGSILD-Tenant: hanoi\r\n");
  EXPECT_EQ(Header(r, "X-Request-Id"), "abc-123");
  EXPECT_EQ(r.body(), "abc-123|hanoi");
}

TEST_F(ServerTest, ReplacesInsaneRequestIdWithGeneratedOne) {
  StartServer();
  TestConnection c(server_->port());
  RawResponse a = c.Get("/ctx", "X-Request-Id: no spaces <allowed>\r\n");
  RawResponse b = c.Get("/ctx");
  std::string id_a = Header(a, "X-Request-Id");
  std::string id_b = Header(b, "X-Request-Id");
  EXPECT_FALSE(id_a.empty());
  EXPECT_NE(id_a, "no spaces <allowed>");
  EXPECT_NE(id_a, id_b);
  EXPECT_EQ(a.body(), id_a + "|");
}

TEST_F(ServerTest, ThrowingHandlerGets500FixedBodyAndServerKeepsServing) {
  StartServer();
  TestConnection c(server_->port());
  RawResponse r = c.Get("/throw", "X-Request-Id: req-9\r\n");
  EXPECT_EQ(r.result_int(), 500u);
  EXPECT_EQ(Header(r, "Content-Type"), "application/json");
  EXPECT_EQ(r.body(),
            "{\"type\":\"https://uri.etsi.org/ngsi-ld/errors/InternalError\","
            "\"title\":\"internal error\",\"detail\":\"request id req-9\"}");
  EXPECT_EQ(c.Get("/throw-int").result_int(), 500u);
  EXPECT_EQ(c.Get("/hello").body(), "hello");  // same connection still served
  TestConnection d(server_->port());
  EXPECT_EQ(d.Get("/hello").result_int(), 200u);
}

TEST_F(ServerTest, CountsRequestsInMetrics) {
  StartServer();
  TestConnection c(server_->port());
  c.Get("/hello");
  c.Get("/hello");
  c.Get("/missing");
  EXPECT_EQ(metrics_.RequestCount("hello", Method::kGet, 200), 2u);
  EXPECT_EQ(metrics_.RequestCount("unmatched", Method::kGet, 404), 1u);
  std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("dothi_http_requests_total{route=\"hello\",method=\"GET\",status=\"200\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("dothi_http_request_duration_seconds_count{route=\"hello\"} 2"),
            std::string::npos);
}

TEST_F(ServerTest, GracefulStopLetsInFlightRequestFinish) {
  StartServer();
  TestConnection slow(server_->port());
  TestConnection idle(server_->port());
  EXPECT_EQ(idle.Get("/hello").result_int(), 200u);
  slow.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  entered_.get_future().wait();  // the handler is running

  std::uint16_t port = server_->port();
  std::thread stopper([this] { server_->Stop(); });
  // Once Stop has closed the listener, new connections are refused.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool refused = false;
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    beast::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    refused = static_cast<bool>(ec);
  }
  EXPECT_TRUE(refused);
  EXPECT_TRUE(idle.ClosedByPeer());  // idle keep-alive connections are closed at once

  release_.set_value();
  RawResponse r = slow.Read();
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "slow done");
  EXPECT_FALSE(r.keep_alive());
  stopper.join();
  server_.reset();
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterKeepAliveTimeout) {
  ServerOptions opts;
  opts.keep_alive_timeout = std::chrono::milliseconds(100);
  opts.request_timeout = std::chrono::seconds(60);  // the first request's; not this one
  StartServer(opts);
  TestConnection conn(server_->port());
  EXPECT_EQ(conn.Get("/hello").result_int(), 200u);
  // Without the timeout the read below would give up after 10 s with no EOF.
  EXPECT_TRUE(conn.ClosedByPeer());
}

TEST_F(ServerTest, StalledRequestHeaderIsDroppedAfterRequestTimeout) {
  ServerOptions opts;
  opts.request_timeout = std::chrono::milliseconds(100);
  StartServer(opts);
  TestConnection conn(server_->port());
  conn.Send("GET /hello HTTP/1.1\r\nHo");
  EXPECT_TRUE(conn.ClosedByPeer());
}

TEST_F(ServerTest, HandlerMayRunLongerThanRequestTimeout) {
  ServerOptions opts;
  opts.request_timeout = std::chrono::milliseconds(100);
  StartServer(opts);
  TestConnection slow(server_->port());
  slow.Send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
  entered_.get_future().wait();
  // A stalled connection opened after the handler started is dropped for its timeout, so
  // more than the request timeout has passed while the handler ran.
  TestConnection stalled(server_->port());
  stalled.Send("GET /hello HTTP/1.1\r\n");
  EXPECT_TRUE(stalled.ClosedByPeer());
  release_.set_value();
  RawResponse r = slow.Read();
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(r.body(), "slow done");
}

TEST_F(ServerTest, HeaderValuesCannotSplitTheResponse) {
  router_.Add(Method::kGet, "/inject", "inject", [](const RequestContext&, Request&) {
    Response res;
    res.body = "x";
    res.SetHeader("X-Test", "a\r\nInjected: b");
    return res;
  });
  StartServer();
  TestConnection conn(server_->port());
  RawResponse r = conn.Get("/inject");
  EXPECT_EQ(r.result_int(), 200u);
  EXPECT_EQ(Header(r, "X-Test"), "a  Injected: b");
  EXPECT_EQ(Header(r, "Injected"), "");
  EXPECT_EQ(r.body(), "x");
  EXPECT_EQ(conn.Get("/hello").body(), "hello");  // the connection still frames correctly
}

TEST_F(ServerTest, StartFailsWhenPortIsTaken) {
  StartServer();
  ServerOptions opts;
  opts.address = "127.0.0.1";
  opts.port = server_->port();
  Server other(opts, router_, metrics_);
  Status s = other.Start();
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace dothi::http
