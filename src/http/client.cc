#include "http/client.h"

#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <map>
#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>

namespace dothi::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

constexpr char kUserAgent[] = "dothi/0.1";

struct Url {
  bool https = false;
  std::string host;  // without IPv6 brackets
  std::string port;
  std::string target;
  std::string host_header;  // host[:port] as written
};

std::optional<Url> ParseUrl(std::string_view url) {
  Url u;
  if (url.substr(0, 7) == "http://") {
    url.remove_prefix(7);
  } else if (url.substr(0, 8) == "https://") {
    u.https = true;
    url.remove_prefix(8);
  } else {
    return std::nullopt;
  }
  std::size_t hash = url.find('#');
  url = url.substr(0, hash);
  std::size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  std::string_view rest = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo
  u.host_header = std::string(authority);
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view after = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else if (std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) return std::nullopt;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  u.host = std::string(host);
  u.port = port.empty() ? (u.https ? "443" : "80") : std::string(port);
  u.target = rest.empty() ? "/" : (rest.front() == '?' ? "/" + std::string(rest) : std::string(rest));
  return u;
}

// One SSL context for the process: loading the CA store is costly; SSL_CTX is shareable.
ssl::context& SharedTlsContext() {
  static ssl::context* ctx = [] {
    auto* c = new ssl::context(ssl::context::tls_client);
    c->set_default_verify_paths();
    c->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    return c;
  }();
  return *ctx;
}

struct Outcome {
  boost::system::error_code ec;
  std::string stage;  // what failed, for the message
  ClientResponse response;
};

template <typename Stream>
asio::awaitable<void> Exchange(Stream& stream, bhttp::request<bhttp::string_body>& req,
                               std::size_t max_body, Outcome& out) {
  co_await bhttp::async_write(stream, req, asio::redirect_error(asio::use_awaitable, out.ec));
  if (out.ec) {
    out.stage = "write";
    co_return;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body);
  if (req.method() == bhttp::verb::head) parser.skip(true);
  // Header first: Boost 1.74's eager parsing (as in async_read) skips the check of
  // Content-Length against body_limit, so a whole read would accept an oversized body.
  co_await bhttp::async_read_header(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, out.ec));
  if (!out.ec && !parser.is_done()) {
    co_await bhttp::async_read(stream, buffer, parser,
                               asio::redirect_error(asio::use_awaitable, out.ec));
  }
  if (out.ec) {
    out.stage = "read";
    co_return;
  }
  auto& msg = parser.get();
  out.response.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg) {
    out.response.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  out.response.body = std::move(msg.body());
}

// Resolves url's host by deadline; on failure sets out.ec and out.stage.
asio::awaitable<tcp::resolver::results_type> Resolve(const Url& url,
                                                      std::chrono::steady_clock::time_point deadline,
                                                      Outcome& out) {
  auto executor = co_await asio::this_coro::executor;
  // The resolver has no timeout of its own: a watchdog timer cancels it.
  tcp::resolver resolver(executor);
  asio::steady_timer watchdog(executor, deadline);
  watchdog.async_wait([&resolver](boost::system::error_code ec) {
    if (!ec) resolver.cancel();
  });
  auto endpoints = co_await resolver.async_resolve(
      url.host, url.port, asio::redirect_error(asio::use_awaitable, out.ec));
  watchdog.cancel();
  if (out.ec) out.stage = out.ec == asio::error::operation_aborted ? "resolve (timeout)" : "resolve";
  co_return endpoints;
}

asio::awaitable<void> Run(const Url& url, bhttp::request<bhttp::string_body>& req,
                          const ClientOptions& options, Outcome& out) {
  auto executor = co_await asio::this_coro::executor;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  auto endpoints = co_await Resolve(url, deadline, out);
  if (out.ec) co_return;

  if (!url.https) {
    beast::tcp_stream stream(executor);
    stream.expires_at(deadline);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, out.ec));
    if (out.ec) {
      out.stage = "connect";
      co_return;
    }
    co_await Exchange(stream, req, options.max_body_bytes, out);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return;
  }

  beast::ssl_stream<beast::tcp_stream> stream(executor, SharedTlsContext());
  beast::get_lowest_layer(stream).expires_at(deadline);
  co_await beast::get_lowest_layer(stream).async_connect(
      endpoints, asio::redirect_error(asio::use_awaitable, out.ec));
  if (out.ec) {
    out.stage = "connect";
    co_return;
  }
  // SNI, so virtual hosts present the right certificate.
  if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    out.ec = boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                       asio::error::get_ssl_category());
    out.stage = "tls sni";
    co_return;
  }
  if (options.verify_peer) {
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(url.host));
  } else {
    stream.set_verify_mode(ssl::verify_none);
  }
  co_await stream.async_handshake(ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, out.ec));
  if (out.ec) {
    out.stage = "tls handshake";
    co_return;
  }
  co_await Exchange(stream, req, options.max_body_bytes, out);
  // No TLS close_notify: with Connection: close many servers just drop the connection.
}

bhttp::verb VerbFor(Method m) {
  switch (m) {
    case Method::kGet: return bhttp::verb::get;
    case Method::kHead: return bhttp::verb::head;
    case Method::kPost: return bhttp::verb::post;
    case Method::kPut: return bhttp::verb::put;
    case Method::kPatch: return bhttp::verb::patch;
    case Method::kDelete: return bhttp::verb::delete_;
    case Method::kOptions: return bhttp::verb::options;
    case Method::kOther: break;
  }
  return bhttp::verb::unknown;
}

bhttp::request<bhttp::string_body> BuildRequest(bhttp::verb verb, const Url& url, Method method,
                                                std::string body, const ClientOptions& options,
                                                bool keep_alive) {
  bhttp::request<bhttp::string_body> req{verb, url.target, 11};
  req.set(bhttp::field::host, url.host_header);
  req.set(bhttp::field::user_agent, kUserAgent);
  for (const auto& [name, value] : options.headers) req.set(name, value);
  req.keep_alive(keep_alive);
  req.body() = std::move(body);
  if (!req.body().empty() || method == Method::kPost || method == Method::kPut ||
      method == Method::kPatch) {
    req.content_length(req.body().size());
  }
  return req;
}

Status FailureOf(std::string_view url_text, const Outcome& out, const ClientOptions& options) {
  std::string reason = out.stage + ": ";
  if (out.ec == beast::error::timeout) {
    reason += "timed out";
  } else if (out.ec == bhttp::error::body_limit) {
    reason += "response body larger than " + std::to_string(options.max_body_bytes) + " bytes";
  } else {
    reason += out.ec.message();
  }
  return Status::Unavailable("http request failed", std::string(url_text) + ": " + reason);
}

}  // namespace

Result<ClientResponse> HttpSend(Method method, std::string_view url_text, std::string body,
                                const ClientOptions& options) {
  std::optional<Url> url = ParseUrl(url_text);
  if (!url) return Status::BadRequestData("unsupported url", url_text);
  bhttp::verb verb = VerbFor(method);
  if (verb == bhttp::verb::unknown) return Status::BadRequestData("unsupported method");
  bhttp::request<bhttp::string_body> req =
      BuildRequest(verb, *url, method, std::move(body), options, /*keep_alive=*/false);

  asio::io_context ioc(1);
  Outcome out;
  std::exception_ptr failure;
  asio::co_spawn(ioc, Run(*url, req, options, out),
                 [&failure](std::exception_ptr e) { failure = e; });
  ioc.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      return Status::Unavailable("http request failed", std::string(url_text) + ": " + e.what());
    }
  }
  if (out.ec) return FailureOf(url_text, out, options);
  return std::move(out.response);
}

Result<ClientResponse> HttpGet(std::string_view url, const ClientOptions& options) {
  return HttpSend(Method::kGet, url, std::string(), options);
}

struct KeepAliveClient::Impl {
  struct Connection {
    explicit Connection(asio::io_context& ioc) : stream(ioc) {}
    beast::tcp_stream stream;
  };
  asio::io_context ioc{1};
  std::map<std::string, std::unique_ptr<Connection>> connections;  // "host:port"

  // Runs one exchange on conn (connecting first when fresh); fills out.
  asio::awaitable<void> Exchange(const Url& url, Connection& conn, bool fresh,
                                 bhttp::request<bhttp::string_body>& req,
                                 const ClientOptions& options, Outcome& out) {
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    if (fresh) {
      auto endpoints = co_await Resolve(url, deadline, out);
      if (out.ec) co_return;
      conn.stream.expires_at(deadline);
      co_await conn.stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, out.ec));
      if (out.ec) {
        out.stage = "connect";
        co_return;
      }
      conn.stream.socket().set_option(tcp::no_delay(true), out.ec);
    }
    conn.stream.expires_at(deadline);
    co_await dothi::http::Exchange(conn.stream, req, options.max_body_bytes, out);
  }
};

KeepAliveClient::KeepAliveClient() : impl_(std::make_unique<Impl>()) {}
KeepAliveClient::~KeepAliveClient() = default;

std::size_t KeepAliveClient::open_connections() const { return impl_->connections.size(); }

Result<ClientResponse> KeepAliveClient::Send(Method method, std::string_view url_text,
                                             std::string body, const ClientOptions& options) {
  std::optional<Url> url = ParseUrl(url_text);
  if (!url) return Status::BadRequestData("unsupported url", url_text);
  if (url->https) return HttpSend(method, url_text, std::move(body), options);
  bhttp::verb verb = VerbFor(method);
  if (verb == bhttp::verb::unknown) return Status::BadRequestData("unsupported method");
  const std::string key = url->host + ":" + url->port;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto it = impl_->connections.find(key);
    const bool fresh = it == impl_->connections.end();
    if (fresh) it = impl_->connections.emplace(key, std::make_unique<Impl::Connection>(impl_->ioc)).first;
    Impl::Connection& conn = *it->second;
    // The body is kept for a second attempt.
    bhttp::request<bhttp::string_body> req =
        BuildRequest(verb, *url, method, attempt == 0 ? body : std::move(body), options, true);
    Outcome out;
    std::exception_ptr failure;
    impl_->ioc.restart();
    asio::co_spawn(impl_->ioc, impl_->Exchange(*url, conn, fresh, req, options, out),
                   [&failure](std::exception_ptr e) { failure = e; });
    impl_->ioc.run();
    const bool keep = !failure && !out.ec && [&] {
      for (const auto& [name, value] : out.response.headers) {
        if (EqualsIgnoreCase(name, "connection") && EqualsIgnoreCase(value, "close")) return false;
      }
      return true;
    }();
    if (!keep) impl_->connections.erase(key);
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        return Status::Unavailable("http request failed", std::string(url_text) + ": " + e.what());
      }
    }
    if (!out.ec) return std::move(out.response);
    // A reused connection the peer closed while idle fails at once on write or read: once
    // more on a fresh one. A fresh connection's failure is the answer.
    if (fresh || out.ec == beast::error::timeout) return FailureOf(url_text, out, options);
  }
  return Status::Unavailable("http request failed", url_text);
}

}  // namespace dothi::http
