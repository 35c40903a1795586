#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "http/metrics.h"
#include "http/router.h"

// Server is the HTTP/1.1 listener: one acceptor and one C++20 coroutine per connection on
// an io_context run by io_threads threads. Each request is read under size and time limits,
// converted to http::Request, given a request id and a RequestContext, dispatched through
// the Router on a worker pool (handlers may block on storage; routes marked run_inline run on
// the I/O thread; asynchronous routes start on the I/O thread and the session resumes when
// they respond, from whatever thread), and answered with keep-alive per HTTP/1.1. Beast
// stays inside server.cc.
//
// Threading: Start and Stop are called from one controlling thread; the Router must not be
// changed while the server runs. Router and Metrics must outlive the Server.
namespace dothi::http {

struct ServerOptions {
  // Address to listen on; "0.0.0.0" is every IPv4 interface, "127.0.0.1" loopback only.
  std::string address = "0.0.0.0";
  // TCP port; 0 picks an ephemeral port, reported by Server::port() after Start.
  std::uint16_t port = 8080;
  // Threads running the I/O event loop (accept, read, write, inline handlers).
  int io_threads = 2;
  // Threads running handlers, which may block on storage.
  int worker_threads = 16;
  // Largest request body accepted, in bytes. Larger bodies get 413.
  std::size_t max_body_bytes = std::size_t{1} << 20;
  // Largest request line plus header fields, in bytes. Larger headers get 431.
  std::size_t max_header_bytes = std::size_t{16} << 10;
  // Time allowed to read one request (after its first byte) and to write its response.
  std::chrono::milliseconds request_timeout{30'000};
  // Time an idle keep-alive connection may wait for its next request before it is closed.
  // Both timeouts are enforced within a quarter of the shorter one (one lazy timer per
  // connection, not one timer operation per read and write).
  std::chrono::milliseconds keep_alive_timeout{60'000};
  // Open connections beyond this are closed right after accept.
  std::size_t max_connections = 10'000;
  // Time Stop() lets in-flight requests finish before their connections are cut.
  std::chrono::milliseconds shutdown_grace{10'000};
  // Log one key=value line per request at info level (never headers or bodies).
  bool access_log = true;
  // Once this many bytes of request bodies have come in, the next moment no request is in
  // flight runs on_idle once, on a worker thread: the app gives freed heap memory back to
  // the system then (a burst of batch writes leaves a lot of it behind). 0 or no on_idle:
  // never.
  std::size_t idle_after_body_bytes = 0;
  std::function<void()> on_idle;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, Metrics& metrics);
  ~Server();  // Stop()s if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Unavailable when the address cannot be bound.
  Status Start();
  // The bound port (the ephemeral one when options.port was 0); 0 before Start.
  std::uint16_t port() const;
  // Graceful stop: stops accepting, closes idle connections, lets in-flight requests finish
  // (answering them with Connection: close) for up to shutdown_grace, then cuts the rest,
  // waits for running handlers to return and joins all threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The fixed body of the last-resort 500 answer (the http layer has no JSON library).
std::string InternalErrorBody(std::string_view request_id);

}  // namespace dothi::http
