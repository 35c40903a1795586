#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/request.h"

// Metrics is a small Prometheus registry: the HTTP request counter and latency histogram
// that the server records, plus callback gauges and counters that other layers register
// (entities per tenant, store commit latency). Thread-safe: RecordRequest runs on many
// threads at once and takes only an uncontended per-thread-shard lock; RenderPrometheus
// merges the shards and calls the callbacks (which must themselves be thread-safe).
namespace dothi::http {

class Metrics {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  using Sample = std::pair<Labels, double>;
  // Called at each scrape; returns one sample per label set.
  using Collector = std::function<std::vector<Sample>()>;

  // Upper bounds of the request-duration histogram buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 14> kDurationBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Counts one request in dothi_http_requests_total{route,method,status} and its duration in
  // dothi_http_request_duration_seconds{route}.
  void RecordRequest(std::string_view route, Method method, int status, double seconds);

  // Registers a gauge family read at scrape time. name must be a valid metric name and
  // unique in this registry.
  void AddGauge(std::string name, std::string help, Collector collect);
  // Same, for a monotonically increasing value kept elsewhere (TYPE counter).
  void AddCounter(std::string name, std::string help, Collector collect);

  // All metrics in the Prometheus text exposition format 0.0.4.
  std::string RenderPrometheus() const;

  // Current value of dothi_http_requests_total for one label set (tests and diagnostics).
  std::uint64_t RequestCount(std::string_view route, Method method, int status) const;

 private:
  struct Shard;
  struct Family {
    std::string name;
    std::string help;
    const char* type;
    Collector collect;
  };

  Shard& LocalShard();
  void AddFamily(std::string name, std::string help, const char* type, Collector collect);

  static constexpr std::size_t kShards = 32;  // threads hash onto shards; collisions are fine
  std::vector<std::unique_ptr<Shard>> shards_;
  mutable std::mutex families_mu_;
  std::vector<Family> families_;
};

// The Prometheus text format's escaping of a label value (backslash, quote, newline).
std::string EscapeLabelValue(std::string_view v);

}  // namespace dothi::http
