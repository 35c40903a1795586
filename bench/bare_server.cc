// bare_server: the benchmark baseline. A bare Boost.Beast HTTP/1.1 server on one I/O thread
// with C++20 coroutines that answers 204 to every request (reading and dropping any body)
// and keeps connections alive; also the webhook receiver of bench/notifications.sh.
// Whatever dothi's server does per request is measured against this ceiling.
//
//   g++ -std=c++20 -O2 bench/bare_server.cc -o /tmp/bare_server -lpthread
//   /tmp/bare_server 8090 &  wrk -t1 -c32 -d10s http://127.0.0.1:8090/
#include <utility>  // before asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <cstdio>
#include <cstdlib>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

asio::awaitable<void> Session(tcp::socket socket) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    bhttp::request<bhttp::string_body> req;  // a body is read and dropped (webhook baseline)
    co_await bhttp::async_read(socket, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    bhttp::response<bhttp::empty_body> res{bhttp::status::no_content, req.version()};
    res.keep_alive(req.keep_alive());
    co_await bhttp::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !req.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> Listen(tcp::acceptor acceptor) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) continue;
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(acceptor.get_executor(), Session(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  asio::io_context ioc(1);
  tcp::acceptor acceptor(ioc, tcp::endpoint(tcp::v4(), port));
  asio::co_spawn(ioc, Listen(std::move(acceptor)), asio::detached);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });
  std::printf("bare_server listening on %u\n", static_cast<unsigned>(port));
  std::fflush(stdout);
  ioc.run();
  return 0;
}
