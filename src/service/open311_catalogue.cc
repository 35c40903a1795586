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

void Open311Catalogues::PutCalendar(const std::string& tenant, domain::open311::WorkingCalendar calendar) {
  auto shared = std::make_shared<const domain::open311::WorkingCalendar>(std::move(calendar));
  std::lock_guard lock(mu_);
  calendars_[tenant] = std::move(shared);
}

std::shared_ptr<const domain::open311::WorkingCalendar> Open311Catalogues::Calendar(std::string_view tenant) const {
  std::lock_guard lock(mu_);
  auto it = calendars_.find(tenant);
  if (it != calendars_.end()) return it->second;
  if (!default_calendar_) {
    default_calendar_ = std::make_shared<const domain::open311::WorkingCalendar>(
        *domain::open311::WorkingCalendar::Make(domain::open311::WorkingCalendar::Options{}));
  }
  return default_calendar_;
}

}  // namespace dothi::service
