#include "mqtt/publisher.h"

#include <mosquitto.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>

#include <unistd.h>

namespace dothi::mqtt {
namespace {

void InitLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

std::string ClientId() {
  static std::atomic<std::uint64_t> next{1};
  char buf[64];
  std::snprintf(buf, sizeof buf, "dothi-%d-%llu", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(next.fetch_add(1)));
  return buf;
}

}  // namespace

struct Publisher::Connection {
  mosquitto* mosq = nullptr;
  bool connected = false;
  int connack = -1;             // CONNACK reason, -1 until it came
  std::set<int> acknowledged;   // message ids the broker acknowledged (QoS > 0)
  ~Connection() {
    if (mosq != nullptr) {
      mosquitto_disconnect(mosq);
      mosquitto_destroy(mosq);
    }
  }
};

Publisher::Publisher() { InitLibrary(); }
Publisher::~Publisher() = default;

Status Publisher::Publish(std::string_view url_text, std::string_view payload,
                          const PublishOptions& options) {
  Result<MqttUrl> url = ParseMqttUrl(url_text);
  if (!url.ok()) return url.status();
  const std::string key = url->host + ":" + std::to_string(url->port) + "\n" + url->username +
                          "\n" + url->password + (options.mqtt5 ? "\n5" : "\n3");
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<long long>(0, std::min<long long>(left.count(), 100)));
  };
  auto fail = [&](std::string_view stage, int rc) {
    connections_.erase(key);  // reconnect next time
    return Status::Unavailable("mqtt publish failed",
                               std::string(stage) + ": " + mosquitto_strerror(rc) + " (" +
                                   url->host + ":" + std::to_string(url->port) + ")");
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto it = connections_.find(key);
    const bool fresh = it == connections_.end();
    if (fresh) {
      auto conn = std::make_unique<Connection>();
      conn->mosq = mosquitto_new(ClientId().c_str(), true, conn.get());
      if (conn->mosq == nullptr) return Status::Unavailable("mqtt client could not be created");
      if (options.mqtt5) mosquitto_int_option(conn->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
      if (!url->username.empty()) {
        mosquitto_username_pw_set(conn->mosq, url->username.c_str(),
                                  url->password.empty() ? nullptr : url->password.c_str());
      }
      mosquitto_connect_callback_set(conn->mosq, [](mosquitto*, void* self, int rc) {
        auto* c = static_cast<Connection*>(self);
        c->connack = rc;
        c->connected = rc == 0;
      });
      mosquitto_publish_callback_set(conn->mosq, [](mosquitto*, void* self, int mid) {
        static_cast<Connection*>(self)->acknowledged.insert(mid);
      });
      int rc = mosquitto_connect(conn->mosq, url->host.c_str(), url->port, 60);
      if (rc != MOSQ_ERR_SUCCESS) return fail("connect", rc);
      while (conn->connack < 0 && std::chrono::steady_clock::now() < deadline) {
        rc = mosquitto_loop(conn->mosq, remaining_ms(), 1);
        if (rc != MOSQ_ERR_SUCCESS) return fail("connect", rc);
      }
      if (!conn->connected) {
        return Status::Unavailable("mqtt broker refused the connection",
                                   conn->connack < 0 ? "no CONNACK in time"
                                                     : mosquitto_connack_string(conn->connack));
      }
      it = connections_.emplace(key, std::move(conn)).first;
    }
    Connection& conn = *it->second;
    int mid = 0;
    int rc = mosquitto_publish(conn.mosq, &mid, url->topic.c_str(), static_cast<int>(payload.size()),
                               payload.data(), options.qos, false);
    if (rc == MOSQ_ERR_SUCCESS) {
      // Write it out (QoS 0) or wait for PUBACK / PUBCOMP (QoS 1, 2).
      do {
        rc = mosquitto_loop(conn.mosq, remaining_ms(), 1);
        if (rc != MOSQ_ERR_SUCCESS) break;
        if (options.qos == 0 && !mosquitto_want_write(conn.mosq)) return Status::OK();
        if (options.qos > 0 && conn.acknowledged.erase(mid) > 0) return Status::OK();
      } while (std::chrono::steady_clock::now() < deadline);
      if (rc == MOSQ_ERR_SUCCESS) return fail("publish", MOSQ_ERR_TIMEOUT);
    }
    // A kept connection the broker dropped meanwhile: once more on a fresh one.
    connections_.erase(key);
    if (fresh) return fail("publish", rc);
  }
  return Status::Unavailable("mqtt publish failed", url_text);
}

}  // namespace dothi::mqtt
