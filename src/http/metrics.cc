#include "http/metrics.h"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "core/check.h"

namespace dothi::http {
namespace {

constexpr char kRequestsName[] = "dothi_http_requests_total";
constexpr char kDurationName[] = "dothi_http_request_duration_seconds";
constexpr std::size_t kBucketCount = Metrics::kDurationBuckets.size();

struct Histogram {
  std::array<std::uint64_t, kBucketCount + 1> buckets{};  // non-cumulative; last is +Inf
  double sum = 0;
  std::uint64_t count = 0;
};

// Counter key: route, method and status joined by '\x1f' (never in a route name), built
// in key (cleared first) so that a caller can keep one buffer.
void AppendCounterKey(std::string& key, std::string_view route, Method method, int status) {
  key.clear();
  key.append(route);
  key.push_back('\x1f');
  key.append(MethodName(method));
  key.push_back('\x1f');
  char digits[16];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), status);
  key.append(digits, end);
}

std::string CounterKey(std::string_view route, Method method, int status) {
  std::string key;
  AppendCounterKey(key, route, method, status);
  return key;
}

// Hash and equality that look std::string keys up by string_view, without a copy.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
};
using KeyEqual = std::equal_to<>;

std::tuple<std::string_view, std::string_view, std::string_view> SplitKey(std::string_view key) {
  std::size_t a = key.find('\x1f');
  std::size_t b = key.find('\x1f', a + 1);
  return {key.substr(0, a), key.substr(a + 1, b - a - 1), key.substr(b + 1)};
}

void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::general);
  out.append(buf, r.ptr);
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += EscapeHelp(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void AppendLabels(std::string& out, const Metrics::Labels& labels) {
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += EscapeLabelValue(v);
    out += '"';
  }
  out += '}';
}

bool ValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

}  // namespace

struct Metrics::Shard {
  std::mutex mu;
  std::unordered_map<std::string, std::uint64_t, KeyHash, KeyEqual> requests;
  std::unordered_map<std::string, Histogram, KeyHash, KeyEqual> durations;
  std::string key;  // RecordRequest's counter key, built here under mu (no allocation)
};

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Metrics::Metrics() {
  shards_.reserve(kShards);
  for (std::size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
}

Metrics::~Metrics() = default;

Metrics::Shard& Metrics::LocalShard() {
  std::size_t h = std::hash<std::thread::id>{}(std::this_thread::get_id());
  return *shards_[(h ^ (h >> 17)) % kShards];
}

void Metrics::RecordRequest(std::string_view route, Method method, int status, double seconds) {
  std::size_t bucket = 0;
  while (bucket < kBucketCount && seconds > kDurationBuckets[bucket]) ++bucket;
  Shard& shard = LocalShard();
  std::lock_guard lock(shard.mu);
  // Found without allocating after a label set's first request.
  AppendCounterKey(shard.key, route, method, status);
  auto counter = shard.requests.find(std::string_view(shard.key));
  if (counter == shard.requests.end()) counter = shard.requests.emplace(shard.key, 0).first;
  ++counter->second;
  auto histogram = shard.durations.find(route);
  if (histogram == shard.durations.end()) {
    histogram = shard.durations.emplace(std::string(route), Histogram{}).first;
  }
  Histogram& h = histogram->second;
  ++h.buckets[bucket];
  h.sum += seconds;
  ++h.count;
}

void Metrics::AddFamily(std::string name, std::string help, const char* type, Collector collect) {
  DOTHI_CHECK(ValidMetricName(name));  // names are constants in code
  std::lock_guard lock(families_mu_);
  for (const Family& f : families_) DOTHI_CHECK(f.name != name);  // registered twice
  families_.push_back(Family{std::move(name), std::move(help), type, std::move(collect)});
}

void Metrics::AddGauge(std::string name, std::string help, Collector collect) {
  AddFamily(std::move(name), std::move(help), "gauge", std::move(collect));
}

void Metrics::AddCounter(std::string name, std::string help, Collector collect) {
  AddFamily(std::move(name), std::move(help), "counter", std::move(collect));
}

std::uint64_t Metrics::RequestCount(std::string_view route, Method method, int status) const {
  std::string key = CounterKey(route, method, status);
  std::uint64_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    auto it = shard->requests.find(key);
    if (it != shard->requests.end()) total += it->second;
  }
  return total;
}

std::string Metrics::RenderPrometheus() const {
  std::map<std::string, std::uint64_t> requests;
  std::map<std::string, Histogram> durations;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    for (const auto& [k, v] : shard->requests) requests[k] += v;
    for (const auto& [route, h] : shard->durations) {
      Histogram& total = durations[route];
      for (std::size_t i = 0; i < h.buckets.size(); ++i) total.buckets[i] += h.buckets[i];
      total.sum += h.sum;
      total.count += h.count;
    }
  }

  std::string out;
  AppendHeader(out, kRequestsName, "HTTP requests served, by route, method and status.",
               "counter");
  for (const auto& [key, n] : requests) {
    auto [route, method, status] = SplitKey(key);
    out += kRequestsName;
    AppendLabels(out, {{"route", std::string(route)},
                       {"method", std::string(method)},
                       {"status", std::string(status)}});
    out += ' ';
    out += std::to_string(n);
    out += '\n';
  }

  AppendHeader(out, kDurationName, "Time from request header read to response ready, in seconds.",
               "histogram");
  for (const auto& [route, h] : durations) {
    std::string route_label = "route=\"" + EscapeLabelValue(route) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= kBucketCount; ++i) {
      cumulative += h.buckets[i];
      out += kDurationName;
      out += "_bucket{";
      out += route_label;
      out += ",le=\"";
      if (i < kBucketCount) {
        AppendDouble(out, kDurationBuckets[i]);
      } else {
        out += "+Inf";
      }
      out += "\"} ";
      out += std::to_string(cumulative);
      out += '\n';
    }
    out += kDurationName;
    out += "_sum{" + route_label + "} ";
    AppendDouble(out, h.sum);
    out += '\n';
    out += kDurationName;
    out += "_count{" + route_label + "} ";
    out += std::to_string(h.count);
    out += '\n';
  }

  std::vector<Family> families;
  {
    std::lock_guard lock(families_mu_);
    families = families_;
  }
  for (const Family& f : families) {
    AppendHeader(out, f.name, f.help, f.type);
    for (const auto& [labels, value] : f.collect()) {
      out += f.name;
      AppendLabels(out, labels);
      out += ' ';
      AppendDouble(out, value);
      out += '\n';
    }
  }
  return out;
}

}  // namespace dothi::http
