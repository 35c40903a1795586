#include "api/ops/ops_api.h"

#include "core/json.h"
#include "http/status_mapping.h"

namespace dothi::api::ops {

OpsApi::OpsApi(service::EntityService& entities, http::Metrics& metrics)
    : entities_(entities), metrics_(metrics) {
  metrics_.AddGauge("dothi_entities", "NGSI-LD entities stored, per tenant", [this] {
    std::vector<http::Metrics::Sample> out;
    for (const auto& [tenant, n] : entities_.EntityCounts()) {
      out.push_back({{{"tenant", tenant.empty() ? "default" : tenant}}, static_cast<double>(n)});
    }
    return out;
  });
}

void OpsApi::RegisterRoutes(http::Router& router) {
  router.Add(http::Method::kGet, "/health", "ops.health",
             [this](const RequestContext& ctx, http::Request& req) { return Health(ctx, req); });
  router.Add(http::Method::kGet, "/metrics", "ops.metrics",
             [this](const RequestContext& ctx, http::Request& req) { return MetricsText(ctx, req); });
  auto render = [](const RequestContext&, const http::Request&, const Status& s) {
    http::Response r;
    r.status = http::HttpStatusFor(s.code());
    r.SetHeader("Content-Type", "application/json");
    r.body = Json::MakeObject({{"error", ErrorCodeName(s.code())}, {"detail", s.message()}}).Dump();
    return r;
  };
  router.SetErrorRenderer("/", render);
}

http::Response OpsApi::Health(const RequestContext&, http::Request&) {
  http::Response r;
  r.SetHeader("Content-Type", "application/json");
  r.body = Json::MakeObject({{"status", "ok"}}).Dump();
  return r;
}

http::Response OpsApi::MetricsText(const RequestContext&, http::Request&) {
  http::Response r;
  r.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  r.body = metrics_.RenderPrometheus();
  return r;
}

}  // namespace dothi::api::ops
