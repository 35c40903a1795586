#include "mqtt/url.h"

#include <charconv>

namespace dothi::mqtt {

Result<MqttUrl> ParseMqttUrl(std::string_view url) {
  constexpr std::string_view kScheme = "mqtt://";
  if (url.substr(0, kScheme.size()) != kScheme) return Status::BadRequestData("not an mqtt:// URL", url);
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return Status::BadRequestData("mqtt URL without a topic", url);
  std::string_view authority = rest.substr(0, slash);
  MqttUrl out;
  out.topic = std::string(rest.substr(slash + 1));
  if (out.topic.empty() || out.topic.find_first_of("+#") != std::string::npos) {
    return Status::BadRequestData("mqtt topic must be a non-empty topic name without wildcards", url);
  }
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view creds = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const std::size_t colon = creds.find(':');
    out.username = std::string(creds.substr(0, colon));
    if (colon != std::string_view::npos) out.password = std::string(creds.substr(colon + 1));
  }
  std::string_view host = authority;
  std::size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {  // [IPv6 literal][:port]
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::BadRequestData("mqtt URL with a bad host", url);
    colon = close + 1 < authority.size() && authority[close + 1] == ':' ? close + 1 : std::string_view::npos;
    host = authority.substr(0, close + 1);
  }
  if (colon != std::string_view::npos) {
    if (host.front() != '[') host = authority.substr(0, colon);
    std::string_view port = authority.substr(colon + 1);
    int p = 0;
    auto r = std::from_chars(port.data(), port.data() + port.size(), p);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || p <= 0 || p > 65535) {
      return Status::BadRequestData("mqtt URL with a bad port", url);
    }
    out.port = p;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return Status::BadRequestData("mqtt URL without a host", url);
  out.host = std::string(host);
  return out;
}

Result<MqttUrl> ParseBrokerUrl(std::string_view url) {
  std::string with_topic(url);
  if (!with_topic.empty() && with_topic.back() == '/') with_topic.pop_back();
  if (with_topic.find('/', std::string_view("mqtt://").size()) != std::string::npos) {
    return Status::BadRequestData("a broker URL has no topic", url);
  }
  Result<MqttUrl> u = ParseMqttUrl(with_topic + "/_");
  if (!u.ok()) return Status::BadRequestData("not a broker URL (mqtt://host[:port])", url);
  u->topic.clear();
  return u;
}

}  // namespace dothi::mqtt
