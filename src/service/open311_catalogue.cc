#include "service/open311_catalogue.h"

#include <algorithm>

namespace dothi::service {

Status Open311Catalogues::Put(const std::string& tenant,
                              std::vector<domain::open311::ServiceDefinition> services) {
  DOTHI_RETURN_IF_ERROR(domain::open311::ValidateCatalogue(services));
  auto shared = std::make_shared<const std::vector<domain::open311::ServiceDefinition>>(std::move(services));
  std::lock_guard lock(mu_);
  by_tenant_[tenant] = std::move(shared);
  return Status::OK();
}

Result<std::shared_ptr<const std::vector<domain::open311::ServiceDefinition>>> Open311Catalogues::For(
    const RequestContext& ctx) const {
  std::lock_guard lock(mu_);
  auto it = by_tenant_.find(ctx.tenant);
  if (it == by_tenant_.end()) return Status::NotFound("jurisdiction_id not found", ctx.tenant);
  return it->second;
}

Result<domain::open311::ServiceDefinition> Open311Catalogues::Service(const RequestContext& ctx,
                                                                      std::string_view code) const {
  auto all = For(ctx);
  if (!all.ok()) return all.status();
  for (const auto& s : **all) {
    if (s.code == code) return s;
  }
  return Status::NotFound("service_code not found", code);
}

}  // namespace dothi::service
