#pragma once

#include <string>

#include "core/time.h"

// RequestContext is the per-request state passed explicitly down every layer
// (never thread_local: coroutines share threads).
namespace dothi {

struct RequestContext {
  std::string tenant;      // NGSILD-Tenant; empty is the default tenant
  std::string request_id;  // echoed in logs and error bodies
  Timestamp received_at;   // when the request arrived; the write time of its changes
};

}  // namespace dothi
