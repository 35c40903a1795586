#pragma once

#include <chrono>

#include "api/ngsi_ld/context_registry.h"
#include "service/subscription_service.h"

// Delivers NGSI-LD notifications over HTTP(S): renders the Notification body (clause 5.3.1)
// with the subscription's @context and format, and POSTs it to the endpoint with the
// endpoint's accept media type, its receiverInfo headers and the NGSILD-Tenant header.
// A receiver answering anything but 2xx, or not answering within timeout, is a failure.
// Each sender thread keeps one connection per http:// receiver open between notifications.
namespace dothi::api::ngsi_ld {

struct HttpSinkOptions {
  std::chrono::milliseconds timeout{5000};
};

class HttpNotificationSink : public service::NotificationSink {
 public:
  HttpNotificationSink(ContextRegistry& contexts, HttpSinkOptions options)
      : contexts_(contexts), options_(options) {}
  Status Deliver(const service::Notification& n) override;

 private:
  ContextRegistry& contexts_;
  HttpSinkOptions options_;
};

}  // namespace dothi::api::ngsi_ld
