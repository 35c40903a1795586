#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "domain/open311/service_catalogue.h"
#include "domain/open311/working_calendar.h"

// The Open311 service catalogue of each jurisdiction (tenant): what citizens may report
// there, who handles it and the deadlines, and the working calendar the deadlines count on. Set at start from configuration (and the demo
// set under --demo); read by every Open311 request. Safe from any thread.
namespace dothi::service {

class Open311Catalogues {
 public:
  // Replaces ctx.tenant's catalogue. Errors: InvalidRequest (domain::open311::ValidateCatalogue).
  Status Put(const std::string& tenant, std::vector<domain::open311::ServiceDefinition> services);
  // ctx.tenant's catalogue. Errors: NotFound for a jurisdiction without one.
  Result<std::shared_ptr<const std::vector<domain::open311::ServiceDefinition>>> For(
      const RequestContext& ctx) const;
  // One service of ctx.tenant. Errors: NotFound (jurisdiction or service).
  Result<domain::open311::ServiceDefinition> Service(const RequestContext& ctx,
                                                     std::string_view code) const;
  // The working calendar of a tenant's deadlines: the one set, else Vietnam's default week
  // (Monday to Friday, 08:00-12:00 and 13:00-17:00 UTC+7) with no holidays.
  void PutCalendar(const std::string& tenant, domain::open311::WorkingCalendar calendar);
  std::shared_ptr<const domain::open311::WorkingCalendar> Calendar(std::string_view tenant) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::vector<domain::open311::ServiceDefinition>>, std::less<>>
      by_tenant_;
  std::map<std::string, std::shared_ptr<const domain::open311::WorkingCalendar>, std::less<>> calendars_;
  mutable std::shared_ptr<const domain::open311::WorkingCalendar> default_calendar_;
};

}  // namespace dothi::service
