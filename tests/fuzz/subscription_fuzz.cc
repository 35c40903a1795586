// libFuzzer target: NGSI-LD subscription bodies. The input is parsed as JSON and read as a
// new subscription and as a PATCH of a valid one: none of it may crash, hang or trip a
// sanitizer. What is accepted must render and read back to the same rendering; a
// difference traps.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "api/common/json_parse.h"
#include "api/ngsi_ld/ld_context.h"
#include "api/ngsi_ld/subscription_codec.h"

using namespace dothi;
using namespace dothi::api::ngsi_ld;

namespace {

Json Render(const domain::Subscription& s) {
  return RenderSubscription({std::make_shared<const domain::Subscription>(s), {}},
                            *LdContext::Core(), Timestamp{0});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<Json> json = api::ParseJson(text);
  if (!json.ok()) return 0;
  const LdContext& context = *LdContext::Core();
  SubscriptionLimits limits;
  limits.geometry.max_vertices = 1000;
  Result<domain::Subscription> s =
      ApplySubscriptionBody(domain::Subscription{}, *json, context, Json(), true, limits);
  if (s.ok()) {
    const Json out = Render(*s);
    Result<domain::Subscription> back =
        ApplySubscriptionBody(domain::Subscription{}, out, context, Json(), true, limits);
    if (!back.ok() || !(Render(*back) == out)) __builtin_trap();
  }
  static const Result<domain::Subscription> base = ApplySubscriptionBody(
      domain::Subscription{},
      *api::ParseJson(R"({"type": "Subscription", "watchedAttributes": ["a"],
                          "notification": {"endpoint": {"uri": "http://a/"}}})"),
      context, Json(), true, limits);
  if (!base.ok()) __builtin_trap();
  (void)ApplySubscriptionBody(*base, *json, context, Json(), false, limits);
  return 0;
}
