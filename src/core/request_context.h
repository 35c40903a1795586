#pragma once

#include <string>

#include "core/task_runner.h"
#include "core/time.h"

// RequestContext is the per-request state passed explicitly down every layer
// (never thread_local: coroutines share threads).
namespace dothi {

struct RequestContext {
  std::string tenant;      // NGSILD-Tenant; empty is the default tenant
  std::string request_id;  // echoed in logs and error bodies
  Timestamp received_at;   // when the request arrived; the write time of its changes
  // Runs a function later on the thread that serves this request (the HTTP server sets it
  // to the connection's I/O thread for asynchronous routes). Asynchronous writes finish
  // through it, so that what a request allocated is freed on the thread that allocated it
  // and not on the store's reporter thread. Empty: finish on whatever thread reports.
  TaskRunner finish_on;
};

}  // namespace dothi
