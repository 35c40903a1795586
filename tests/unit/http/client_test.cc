#include "http/client.h"

#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <gtest/gtest.h>

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
