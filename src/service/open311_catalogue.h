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

// The Open311 service catalogue of each jurisdiction (tenant): what citizens may report
// there, who handles it and the deadlines. Set at start from configuration (and the demo
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

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::vector<domain::open311::ServiceDefinition>>, std::less<>>
      by_tenant_;
};

}  // namespace dothi::service
