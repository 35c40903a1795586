#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

struct mosquitto;
struct mosquitto_message;

// Device ingestion's MQTT side: a Subscriber keeps a persistent session (fixed client id,
// clean session off) with one broker, subscribes to a topic filter with QoS 1 and calls the
// handler for every message, on libmosquitto's own network thread. It reconnects by itself
// after the broker went away (backoff up to 30 s), and with QoS 1 the broker keeps what was
// published meanwhile. Start once, Stop once (also from the destructor).
namespace dothi::mqtt {

struct SubscriberOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string username;  // empty: anonymous
  std::string password;
  std::string client_id = "dothi-ingest";
  std::string topic_filter = "dothi/+/+/attrs";
  int keepalive_seconds = 30;
};

class Subscriber {
 public:
  using Handler = std::function<void(std::string_view topic, std::string_view payload)>;
  Subscriber(SubscriberOptions options, Handler handler);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Starts connecting (in the background: an unreachable broker is retried, not an error).
  // Errors: Unavailable when the client cannot be created.
  Status Start();
  void Stop();
  bool connected() const { return connected_.load(); }
  std::uint64_t connects() const { return connects_.load(); }  // successful (re)connections

 private:
  static void OnConnect(mosquitto* m, void* self, int rc);
  static void OnDisconnect(mosquitto* m, void* self, int rc);
  static void OnMessage(mosquitto* m, void* self, const mosquitto_message* msg);

  SubscriberOptions options_;
  Handler handler_;
  mosquitto* mosq_ = nullptr;
  bool started_ = false;
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> connects_{0};
};

}  // namespace dothi::mqtt
