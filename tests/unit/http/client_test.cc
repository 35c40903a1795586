#include "http/client.h"

#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace dothi::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// A tiny blocking Beast server for one connection on 127.0.0.1, answering with what
// respond() returns. With respond == nullptr it accepts and then waits for Finish().
class TinyServer {
 public:
  using Responder = std::function<bhttp::response<bhttp::string_body>(
      const bhttp::request<bhttp::string_body>&)>;

  explicit TinyServer(Responder respond)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, respond = std::move(respond)] {
      tcp::socket socket(ioc_);
      acceptor_.accept(socket);
      if (!respond) {
        finished_.get_future().wait();
        return;
      }
      beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> req;
      beast::error_code ec;
      bhttp::read(socket, buffer, req, ec);
      if (ec) return;
      auto res = respond(req);
      res.prepare_payload();
      bhttp::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_send, ec);
    });
  }
  ~TinyServer() {
    Finish();
    thread_.join();
  }
  void Finish() {
    if (!finished_set_) {
      finished_set_ = true;
      finished_.set_value();
    }
  }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::uint16_t port() const { return port_; }

 private:
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::promise<void> finished_;
  bool finished_set_ = false;
};

bhttp::response<bhttp::string_body> Reply(unsigned status, std::string body) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/ld+json");
  res.body() = std::move(body);
  return res;
}

TEST(ClientTest, GetsBodyStatusAndHeaders) {
  std::string seen_target, seen_accept, seen_host;
  TinyServer server([&](const auto& req) {
    seen_target = std::string(req.target());
    seen_accept = std::string(req[bhttp::field::accept]);
    seen_host = std::string(req[bhttp::field::host]);
    return Reply(200, "{\"@context\":{}}");
  });
  ClientOptions opts;
  opts.headers = {{"Accept", "application/ld+json"}};
  Result<ClientResponse> r = HttpGet(server.Url("/ctx.jsonld?v=1"), opts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"@context\":{}}");
  ASSERT_NE(r->Header("content-type"), nullptr);
  EXPECT_EQ(*r->Header("content-type"), "application/ld+json");
  EXPECT_EQ(seen_target, "/ctx.jsonld?v=1");
  EXPECT_EQ(seen_accept, "application/ld+json");
  EXPECT_EQ(seen_host, "127.0.0.1:" + std::to_string(server.port()));
}

TEST(ClientTest, ErrorStatusIsAResponseNotAFailure) {
  TinyServer server([](const auto&) { return Reply(404, "nope"); });
  Result<ClientResponse> r = HttpGet(server.Url("/missing"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "nope");
}

TEST(ClientTest, SendsPostBody) {
  std::string seen_body, seen_method;
  TinyServer server([&](const auto& req) {
    seen_body = req.body();
    seen_method = std::string(req.method_string());
    return Reply(204, "");
  });
  ClientOptions opts;
  opts.headers = {{"Content-Type", "application/json"}};
  Result<ClientResponse> r = HttpSend(Method::kPost, server.Url("/notify"), "{\"id\":1}", opts);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(seen_method, "POST");
  EXPECT_EQ(seen_body, "{\"id\":1}");
}

TEST(ClientTest, BodyOverLimitIsUnavailable) {
  TinyServer server([](const auto&) { return Reply(200, std::string(5000, 'x')); });
  ClientOptions opts;
  opts.max_body_bytes = 1000;
  Result<ClientResponse> r = HttpGet(server.Url("/big"), opts);
  ASSERT_FALSE(r.ok()) << r->status << " " << r->body.size();
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("larger than 1000 bytes"), std::string::npos);
}

TEST(ClientTest, SilentServerTimesOut) {
  TinyServer server(nullptr);
  ClientOptions opts;
  opts.timeout = std::chrono::milliseconds(200);
  Result<ClientResponse> r = HttpGet(server.Url("/slow"), opts);
  server.Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("timed out"), std::string::npos) << r.status().message();
}

TEST(ClientTest, RefusedConnectionIsUnavailable) {
  std::uint16_t port;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  Result<ClientResponse> r = HttpGet("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(r.status().message().find("connect"), std::string::npos);
}

TEST(ClientTest, HttpsToPlainServerFailsInHandshake) {
  TinyServer server(nullptr);
  ClientOptions opts;
  opts.timeout = std::chrono::milliseconds(2000);
  Result<ClientResponse> r =
      HttpGet("https://127.0.0.1:" + std::to_string(server.port()) + "/", opts);
  server.Finish();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
}

TEST(ClientTest, RejectsUnsupportedUrls) {
  EXPECT_EQ(HttpGet("ftp://example.org/x").status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(HttpGet("http://").status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(HttpGet("http://user@host/").status().code(), ErrorCode::kBadRequestData);
  EXPECT_EQ(HttpGet("http://host:port/").status().code(), ErrorCode::kBadRequestData);
}

}  // namespace
}  // namespace dothi::http

namespace dothi::http {
namespace {

// Serves requests on 127.0.0.1 until destroyed: each connection answers up to
// per_connection requests (body: the request's number on the server), then closes without
// saying so (as a peer whose idle timeout passed). Counts connections.
class KeepAliveServer {
 public:
  explicit KeepAliveServer(int per_connection)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        per_connection_(per_connection) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      for (;;) {
        tcp::socket socket(ioc_);
        beast::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stop_) return;
        ++connections_;
        beast::flat_buffer buffer;
        for (int i = 0; i < per_connection_; ++i) {
          bhttp::request<bhttp::string_body> req;
          bhttp::read(socket, buffer, req, ec);
          if (ec) break;
          bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
          res.body() = std::to_string(++requests_) + " " + req.body();
          res.keep_alive(true);
          res.prepare_payload();
          bhttp::write(socket, res, ec);
          if (ec) break;
        }
        socket.close(ec);
      }
    });
  }
  ~KeepAliveServer() {
    stop_ = true;
    beast::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);  // wakes the accept
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/notify"; }
  int connections() const { return connections_; }

 private:
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  int per_connection_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
};

TEST(KeepAliveClientTest, ReusesOneConnectionPerHost) {
  KeepAliveServer server(100);
  KeepAliveClient client;
  for (int i = 1; i <= 3; ++i) {
    Result<ClientResponse> r = client.Send(Method::kPost, server.Url(), "n" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::to_string(i) + " n" + std::to_string(i));
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.open_connections(), 1u);
}

TEST(KeepAliveClientTest, ReopensAConnectionThePeerClosed) {
  KeepAliveServer server(1);  // closes after each answer, without Connection: close
  KeepAliveClient client;
  for (int i = 1; i <= 3; ++i) {
    Result<ClientResponse> r = client.Send(Method::kPost, server.Url(), "x");
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    EXPECT_EQ(r->body, std::to_string(i) + " x") << "the body is sent again, once";
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST(KeepAliveClientTest, ReportsARefusedConnection) {
  std::string url;
  {
    KeepAliveServer gone(1);
    url = gone.Url();
  }
  KeepAliveClient client;
  Result<ClientResponse> r = client.Send(Method::kPost, url, "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(client.open_connections(), 0u);
  EXPECT_FALSE(client.Send(Method::kPost, "ftp://127.0.0.1/x", "").ok());
}

}  // namespace
}  // namespace dothi::http
