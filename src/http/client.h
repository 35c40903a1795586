#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http/request.h"

// A minimal outbound HTTP/1.1 client for http:// and https:// URLs: one request per
// connection, no redirects followed, no connection reuse. Used to fetch remote JSON-LD
// @contexts and to send notifications. For https the peer's certificate chain is checked
// against the system CA store and its name against the URL host. Each call is independent
// and blocks the calling thread (run it on a worker, never on an I/O thread); safe to call
// from many threads at once.
namespace dothi::http {

struct ClientOptions {
  // Deadline for the whole exchange: resolve, connect, TLS handshake, write and read.
  std::chrono::milliseconds timeout{10'000};
  // Largest response body accepted, in bytes; larger ones fail with Unavailable.
  std::size_t max_body_bytes = std::size_t{4} << 20;
  // Extra request headers (Accept, Content-Type, ...). Host, Content-Length are set here.
  Headers headers;
  // https only: verify the certificate chain and host name. Off only for tests and labs.
  bool verify_peer = true;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;

  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
};

// GET url. Any HTTP status counts as success; the caller reads ClientResponse::status.
// Errors: BadRequestData for a URL that is not http(s)://host[:port][/path]; Unavailable
// with the reason (resolve, connect, TLS, timeout, body too large) for everything else.
Result<ClientResponse> HttpGet(std::string_view url, const ClientOptions& options = {});

// Same, with any method and a request body (POST for notifications).
Result<ClientResponse> HttpSend(Method method, std::string_view url, std::string body,
                                const ClientOptions& options = {});

// A client that keeps one connection per http:// host:port open between calls (HTTP/1.1
// keep-alive), for a thread that sends many requests to few receivers (notifications).
// A reused connection the peer has closed meanwhile is reopened once, transparently.
// https:// URLs go through HttpSend (one connection per call). Not thread-safe: one per
// thread. Same errors as HttpSend.
class KeepAliveClient {
 public:
  KeepAliveClient();
  ~KeepAliveClient();
  KeepAliveClient(const KeepAliveClient&) = delete;
  KeepAliveClient& operator=(const KeepAliveClient&) = delete;

  Result<ClientResponse> Send(Method method, std::string_view url, std::string body,
                              const ClientOptions& options = {});
  // Connections currently open (for tests).
  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dothi::http
