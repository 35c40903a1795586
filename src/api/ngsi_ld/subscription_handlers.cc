// /ngsi-ld/v1/subscriptions (ETSI GS CIM 009 v1.8 clause 5.8).
#include "api/ngsi_ld/errors.h"
#include "api/ngsi_ld/ngsi_ld_api.h"
#include "api/ngsi_ld/query_params.h"
#include "api/ngsi_ld/request_support.h"

namespace dothi::api::ngsi_ld {

using http::Request;
using http::Response;

namespace {

// The {subscriptionId} path parameter, checked to be a URI.
Result<std::string> SubscriptionIdParam(const Request& req) {
  std::string id(req.PathParam("subscriptionId"));
  if (!domain::IsValidUri(id)) return Status::BadRequestData("subscription id is not a URI", id);
  return id;
}

// The @context value a body came with: its "@context" member, or the Link header's URL,
// or null (the core context).
Result<Json> ContextValueOf(const Request& req, const Json& body) {
  if (const Json* c = body.Find("@context")) return *c;
  Result<std::optional<std::string>> url = LinkContextUrl(req);
  if (!url.ok()) return url.status();
  return *url ? Json(**url) : Json();
}

Status CheckNotExpired(const domain::Subscription& s, Timestamp now) {
  if (s.expires_at && s.expires_at->micros <= now.micros) {
    return Status::BadRequestData("expiresAt is in the past", FormatIso8601(*s.expires_at));
  }
  return Status::OK();
}

}  // namespace

Response NgsiLdApi::CreateSubscription(const RequestContext& ctx, Request& req) {
  Result<JsonLdBody> body = ReadBody(contexts_, req, false);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<Json> context_value = ContextValueOf(req, body->body);
  if (!context_value.ok()) return ProblemResponse(ctx, context_value.status());
  Result<domain::Subscription> s = ApplySubscriptionBody(
      domain::Subscription{}, body->body, *body->context, *context_value, true, subscription_limits_);
  if (!s.ok()) return ProblemResponse(ctx, s.status());
  const Timestamp now = Now();
  if (Status st = CheckNotExpired(*s, now); !st.ok()) return ProblemResponse(ctx, st);
  // Notifications are compacted with this context: it must resolve now (a jsonldContext
  // nobody serves is 503 LdContextNotAvailable, ETSI 028_07_02).
  if (Result<std::shared_ptr<const LdContext>> c = contexts_.Resolve(s->context); !c.ok()) {
    return ProblemResponse(ctx, c.status());
  }
  s->created_at = now;
  s->modified_at = now;
  const std::string id = s->id;
  if (Status st = subscriptions_->Create(ctx, std::move(*s)); !st.ok()) {
    return ProblemResponse(ctx, st);
  }
  Response r;
  r.status = 201;
  r.SetHeader("Location", "/ngsi-ld/v1/subscriptions/" + id);
  return r;
}

Response NgsiLdApi::ListSubscriptions(const RequestContext& ctx, Request& req) {
  Result<MediaType> media = NegotiateAccept(req, false);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  service::EntityQuery paging;
  QueryParamLimits limits;
  limits.default_limit = entities_.options().default_page_size;
  if (Status st = ReadPaging(req, limits, paging); !st.ok()) return ProblemResponse(ctx, st);
  std::size_t total = 0;
  Result<std::vector<service::SubscriptionView>> page =
      subscriptions_->List(ctx, paging.limit, paging.offset, &total);
  if (!page.ok()) return ProblemResponse(ctx, page.status());
  const Timestamp now = Now();
  Json out = Json::MakeArray();
  for (const auto& view : *page) {
    Json rendered = RenderSubscription(view, **context, now);
    if (*media == MediaType::kLdJson) rendered.Set("@context", (*context)->source());
    out.Push(std::move(rendered));
  }
  Response r = JsonResponse(200, out, *media, **context);
  if (paging.count) r.SetHeader("NGSILD-Results-Count", std::to_string(total));
  // prev / next pages, as the ETSI suite checks them (031_02): the request's parameters
  // with another offset.
  auto page_link = [&](std::size_t offset, std::string_view rel) {
    std::string url = req.path;
    while (url.size() > 1 && url.back() == '/') url.pop_back();  // "subscriptions/" (031_02)
    url += "?";
    for (const auto& [k, v] : req.query) {
      if (k == "offset") continue;
      url += http::PercentEncode(k) + "=" + http::PercentEncode(v) + "&";
    }
    url += "offset=" + std::to_string(offset);
    return "<" + url + ">;rel=\"" + std::string(rel) + "\";type=\"" +
           (*media == MediaType::kLdJson ? "application/ld+json" : "application/json") + "\"";
  };
  std::vector<std::string> links;
  if (paging.offset > 0 && paging.limit > 0) {
    links.push_back(page_link(paging.offset > paging.limit ? paging.offset - paging.limit : 0, "prev"));
  }
  if (paging.limit > 0 && paging.offset + paging.limit < total) {
    links.push_back(page_link(paging.offset + paging.limit, "next"));
  }
  for (const std::string& link : links) {
    const std::string* existing = r.Header("Link");
    r.SetHeader("Link", existing ? *existing + ", " + link : link);
  }
  return r;
}

Response NgsiLdApi::RetrieveSubscription(const RequestContext& ctx, Request& req) {
  Result<std::string> id = SubscriptionIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<MediaType> media = NegotiateAccept(req, false);
  if (!media.ok()) return ProblemResponse(ctx, media.status());
  Result<std::shared_ptr<const LdContext>> context = ContextFromLink(contexts_, req);
  if (!context.ok()) return ProblemResponse(ctx, context.status());
  Result<service::SubscriptionView> view = subscriptions_->Get(ctx, *id);
  if (!view.ok()) return ProblemResponse(ctx, view.status());
  Json rendered = RenderSubscription(*view, **context, Now());
  if (*media == MediaType::kLdJson) rendered.Set("@context", (*context)->source());
  return JsonResponse(200, rendered, *media, **context);
}

Response NgsiLdApi::UpdateSubscription(const RequestContext& ctx, Request& req) {
  Result<std::string> id = SubscriptionIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  Result<JsonLdBody> body = ReadBody(contexts_, req, true);
  if (!body.ok()) return ProblemResponse(ctx, body.status());
  Result<service::SubscriptionView> current = subscriptions_->Get(ctx, *id);
  if (!current.ok()) return ProblemResponse(ctx, current.status());
  const domain::Subscription& was = *current->subscription;
  Result<domain::Subscription> s = ApplySubscriptionBody(was, body->body, *body->context,
                                                         was.context, false, subscription_limits_);
  if (!s.ok()) return ProblemResponse(ctx, s.status());
  const Timestamp now = Now();
  if (body->body.Find("expiresAt") != nullptr) {
    if (Status st = CheckNotExpired(*s, now); !st.ok()) return ProblemResponse(ctx, st);
  }
  if (Result<std::shared_ptr<const LdContext>> c = contexts_.Resolve(s->context); !c.ok()) {
    return ProblemResponse(ctx, c.status());
  }
  s->modified_at = now;
  if (Status st = subscriptions_->Replace(ctx, std::move(*s)); !st.ok()) {
    return ProblemResponse(ctx, st);
  }
  return NoContent();
}

Response NgsiLdApi::DeleteSubscription(const RequestContext& ctx, Request& req) {
  Result<std::string> id = SubscriptionIdParam(req);
  if (!id.ok()) return ProblemResponse(ctx, id.status());
  if (Status st = subscriptions_->Delete(ctx, *id); !st.ok()) return ProblemResponse(ctx, st);
  return NoContent();
}

}  // namespace dothi::api::ngsi_ld
