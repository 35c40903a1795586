#include "app/demo_loader.h"

#include <spdlog/spdlog.h>

#include "api/ngsi_ld/entity_codec.h"
#include "api/ngsi_ld/ld_context.h"
#include "app/demo_city.h"

namespace dothi::app {

namespace {
constexpr std::size_t kDemoBatch = 500;  // entities per durable batch
}  // namespace

Status LoadDemoCity(service::EntityService& entities, std::size_t sensors) {
  if (entities.TenantExists(kDemoTenant)) {
    spdlog::info("demo tenant already loaded; leaving it as it is");
    return Status::OK();
  }
  DemoCityOptions options;
  options.sensors = sensors;
  std::vector<Json> city = GenerateDemoCity(options);
  const auto& context = *api::ngsi_ld::LdContext::Core();
  RequestContext ctx{kDemoTenant, "demo-load", Now(), /*finish_on=*/{}};
  std::vector<domain::Entity> batch;
  std::size_t loaded = 0;
  for (std::size_t i = 0; i < city.size(); ++i) {
    Result<domain::Entity> e =
        api::ngsi_ld::DecodeEntity(city[i], context, api::ngsi_ld::DecodeMode::kCreate, {});
    if (!e.ok()) return Status::Internal("demo city entity does not decode", e.status().message());
    batch.push_back(std::move(*e));
    if (batch.size() == kDemoBatch || i + 1 == city.size()) {
      Result<std::vector<service::BatchItemResult>> r =
          entities.BatchUpsert(ctx, std::move(batch), service::UpsertMode::kReplace);
      if (!r.ok()) return r.status();
      for (const auto& item : *r) {
        if (!item.status.ok()) return item.status;
      }
      loaded += r->size();
      batch.clear();
    }
  }
  spdlog::info("demo city loaded: {} entities in tenant \"{}\" (generated data)", loaded, kDemoTenant);
  return Status::OK();
}

}  // namespace dothi::app
