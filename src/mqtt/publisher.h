#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/status.h"
#include "mqtt/url.h"

// MQTT publishing for notifications (libmosquitto lives here and nowhere else). A Publisher
// keeps one connection per broker (host, port, credentials, protocol version) open between
// publishes and reconnects when the broker went away. Each publish waits for the broker:
// QoS 0 until the message is written, QoS 1 and 2 until the broker acknowledged it.
// Not thread-safe: one Publisher per thread.
namespace dothi::mqtt {

struct PublishOptions {
  int qos = 0;          // 0, 1 or 2
  bool mqtt5 = false;   // MQTT 5 instead of 3.1.1
  std::chrono::milliseconds timeout{5000};
};

class Publisher {
 public:
  Publisher();
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Publishes payload to the URL's topic. Unavailable with the reason when the broker cannot
  // be reached, refuses the connection or does not acknowledge in time.
  Status Publish(std::string_view url, std::string_view payload, const PublishOptions& options);

 private:
  struct Connection;
  std::map<std::string, std::unique_ptr<Connection>> connections_;
};

}  // namespace dothi::mqtt
