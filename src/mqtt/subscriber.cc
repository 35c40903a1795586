#include "mqtt/subscriber.h"

#include <mosquitto.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace dothi::mqtt {

Subscriber::Subscriber(SubscriberOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

Subscriber::~Subscriber() { Stop(); }

void Subscriber::OnConnect(mosquitto* m, void* self, int rc) {
  auto* s = static_cast<Subscriber*>(self);
  if (rc != 0) {
    spdlog::warn("mqtt ingest: broker refused the connection: {}", mosquitto_connack_string(rc));
    return;
  }
  s->connected_ = true;
  s->connects_.fetch_add(1);
  // Subscribed again on every connection; with a persistent session the broker also
  // delivers what it kept for us while we were away.
  int mid = 0;
  const int src = mosquitto_subscribe(m, &mid, s->options_.topic_filter.c_str(), 1);
  if (src != MOSQ_ERR_SUCCESS) {
    spdlog::warn("mqtt ingest: cannot subscribe to {}: {}", s->options_.topic_filter, mosquitto_strerror(src));
  }
  spdlog::info("mqtt ingest: connected to {}:{}, subscribed to {}", s->options_.host,
               s->options_.port, s->options_.topic_filter);
}

void Subscriber::OnDisconnect(mosquitto*, void* self, int rc) {
  auto* s = static_cast<Subscriber*>(self);
  s->connected_ = false;
  if (rc != 0) spdlog::warn("mqtt ingest: connection to the broker lost; reconnecting");
}

void Subscriber::OnMessage(mosquitto*, void* self, const mosquitto_message* msg) {
  auto* s = static_cast<Subscriber*>(self);
  if (msg == nullptr || msg->topic == nullptr) return;
  s->handler_(msg->topic, std::string_view(static_cast<const char*>(msg->payload),
                                           static_cast<std::size_t>(std::max(0, msg->payloadlen))));
}

Status Subscriber::Start() {
  if (started_) return Status::OK();
  mosq_ = mosquitto_new(options_.client_id.c_str(), /*clean_session=*/false, this);
  if (mosq_ == nullptr) return Status::Unavailable("mqtt ingest: client could not be created");
  if (!options_.username.empty()) {
    mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                              options_.password.empty() ? nullptr : options_.password.c_str());
  }
  mosquitto_connect_callback_set(mosq_, &Subscriber::OnConnect);
  mosquitto_disconnect_callback_set(mosq_, &Subscriber::OnDisconnect);
  mosquitto_message_callback_set(mosq_, &Subscriber::OnMessage);
  mosquitto_reconnect_delay_set(mosq_, 1, 30, true);
  // connect_async + loop_start: an unreachable broker is retried by the loop thread.
  int rc = mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port, options_.keepalive_seconds);
  if (rc != MOSQ_ERR_SUCCESS) {
    spdlog::warn("mqtt ingest: {}:{} not reachable yet ({}); retrying", options_.host,
                 options_.port, mosquitto_strerror(rc));
  }
  rc = mosquitto_loop_start(mosq_);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
    return Status::Unavailable("mqtt ingest: network thread could not start", mosquitto_strerror(rc));
  }
  started_ = true;
  return Status::OK();
}

void Subscriber::Stop() {
  if (mosq_ == nullptr) return;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, /*force=*/false);
  mosquitto_destroy(mosq_);
  mosq_ = nullptr;
  started_ = false;
  connected_ = false;
}

}  // namespace dothi::mqtt
