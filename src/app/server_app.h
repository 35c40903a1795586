#pragma once

#include <memory>

#include "app/config.h"
#include "core/status.h"

// ServerApp is the composition root of `dothi serve`: it opens the SQLite store, rebuilds
// the in-memory indexes, builds the services, the APIs and the router, and runs the HTTP
// server. Start() then Stop() from one thread; Stop() undoes Start() in reverse order.
namespace dothi::app {

class ServerApp {
 public:
  explicit ServerApp(Config config);
  ~ServerApp();
  ServerApp(const ServerApp&) = delete;
  ServerApp& operator=(const ServerApp&) = delete;

  Status Start();
  // The port the server listens on (after Start).
  std::uint16_t port() const;
  void Stop();

 private:
  struct Parts;
  Config config_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace dothi::app
