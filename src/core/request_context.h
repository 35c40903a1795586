#pragma once

#include <string>

#include "core/time.h"

// RequestContext is the per-request state passed explicitly down every layer
// (never thread_local: coroutines share threads).
namespace dothi {

// The tenant used when a request names none (NGSI-LD's default tenant).
inline constexpr const char* kDefaultTenant = "";

struct RequestContext {
  std::string tenant;      // NGSILD-Tenant; empty is the default tenant
  std::string request_id;  // echoed in logs and error bodies
  Timestamp received_at;   // when the request arrived; the write time of its changes
};

}  // namespace dothi
