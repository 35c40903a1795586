#pragma once

#include "http/metrics.h"
#include "http/router.h"
#include "service/entity_service.h"

// Operations endpoints: GET /health (JSON status) and GET /metrics (Prometheus text).
// Registers the entity and store gauges on the Metrics registry. Thread-safe.
namespace dothi::api::ops {

class OpsApi {
 public:
  OpsApi(service::EntityService& entities, http::Metrics& metrics);
  void RegisterRoutes(http::Router& router);

  // GET /health -> 200 {"status":"ok","version":...}
  http::Response Health(const RequestContext& ctx, http::Request& req);
  // GET /metrics -> 200 text/plain; version=0.0.4
  http::Response MetricsText(const RequestContext& ctx, http::Request& req);

 private:
  service::EntityService& entities_;
  http::Metrics& metrics_;
};

}  // namespace dothi::api::ops
