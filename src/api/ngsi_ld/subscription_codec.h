#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "api/ngsi_ld/context_registry.h"
#include "api/ngsi_ld/ld_context.h"
#include "core/json.h"
#include "core/result.h"
#include "core/time.h"
#include "domain/subscription.h"
#include "geo/geometry.h"
#include "service/subscription_service.h"

// NGSI-LD Subscription bodies (v1.8 clause 5.2.12) to and from domain::Subscription.
namespace dothi::api::ngsi_ld {

struct SubscriptionLimits {
  geo::GeometryLimits geometry;
  std::size_t max_entities = 100;            // members of "entities"
  std::size_t max_attributes = 100;          // watchedAttributes, notification.attributes
  std::size_t max_receiver_info = 32;
  double min_time_interval = 1.0;            // seconds; shorter timeInterval is refused
};

// Applies the members of a subscription body (create: onto a default Subscription; PATCH:
// onto the current one) and checks the result. Names are expanded with context;
// context_value (the body's @context or the Link header URL, null for the core) is kept to
// compact notifications unless the body names a jsonldContext. Errors: BadRequestData with
// the member at fault; Unsupported for what dothi does not do yet (MQTT endpoints).
Result<domain::Subscription> ApplySubscriptionBody(domain::Subscription base, const Json& body,
                                                   const LdContext& context,
                                                   const Json& context_value, bool create,
                                                   const SubscriptionLimits& limits);

// A subscription as the API shows it, names compacted with context, with its status and
// notification counters at now.
Json RenderSubscription(const service::SubscriptionView& view, const LdContext& context,
                        Timestamp now);

// The stored form: the body as created (compacted with the subscription's own @context)
// and that @context; read back through the registry.
class StoredSubscriptionCodec : public service::SubscriptionCodec {
 public:
  StoredSubscriptionCodec(ContextRegistry& contexts, SubscriptionLimits limits)
      : contexts_(contexts), limits_(limits) {}
  std::string Encode(const domain::Subscription& s) const override;
  Result<domain::Subscription> Decode(std::string_view bytes) const override;

 private:
  ContextRegistry& contexts_;
  SubscriptionLimits limits_;
};

}  // namespace dothi::api::ngsi_ld
