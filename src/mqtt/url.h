#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

// mqtt:// URLs: notification endpoints (with a topic) and broker addresses. No libmosquitto
// here, so parsers and fuzz targets can use it alone.
namespace dothi::mqtt {

struct MqttUrl {
  std::string host;
  int port = 1883;
  std::string topic;     // may contain '/'
  std::string username;  // from user[:password]@ (may be empty)
  std::string password;
};

// mqtt://[user[:password]@]host[:port]/topic. BadRequestData when it is not one, or when
// the topic is empty or has a wildcard (+, #).
Result<MqttUrl> ParseMqttUrl(std::string_view url);
// A broker address: mqtt://[user[:password]@]host[:port] (a trailing "/" allowed; no topic).
Result<MqttUrl> ParseBrokerUrl(std::string_view url);

}  // namespace dothi::mqtt
