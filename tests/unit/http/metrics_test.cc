#include "http/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace dothi::http {
namespace {

TEST(MetricsTest, CountsRequestsAcrossThreads) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) m.RecordRequest("ngsi_ld.get_entity", Method::kGet, 200, 0.002);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.RequestCount("ngsi_ld.get_entity", Method::kGet, 200), 4000u);
  EXPECT_EQ(m.RequestCount("ngsi_ld.get_entity", Method::kGet, 404), 0u);
}

TEST(MetricsTest, KeepsLabelSetsApartWhenTheyAlternate) {
  // RecordRequest builds each key in one buffer per shard; a shorter key after a longer one
  // must not keep the longer one's tail.
  Metrics m;
  const std::string long_route = "ngsi_ld.partial_attr_update_with_a_long_name";
  m.RecordRequest(long_route, Method::kPatch, 204, 0.001);
  m.RecordRequest("h", Method::kGet, 200, 0.001);
  m.RecordRequest(long_route, Method::kPatch, 204, 0.001);
  m.RecordRequest(long_route, Method::kPatch, 4040, 0.001);
  EXPECT_EQ(m.RequestCount(long_route, Method::kPatch, 204), 2u);
  EXPECT_EQ(m.RequestCount(long_route, Method::kPatch, 4040), 1u);
  EXPECT_EQ(m.RequestCount("h", Method::kGet, 200), 1u);
  EXPECT_EQ(m.RequestCount("h", Method::kPatch, 204), 0u);
  EXPECT_NE(m.RenderPrometheus().find("dothi_http_request_duration_seconds_count{route=\"" +
                                      long_route + "\"} 3\n"),
            std::string::npos);
}

TEST(MetricsTest, RendersCounterAndHistogram) {
  Metrics m;
  m.RecordRequest("health", Method::kGet, 200, 0.0001);
  m.RecordRequest("health", Method::kGet, 200, 0.003);
  m.RecordRequest("health", Method::kGet, 503, 20.0);
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# HELP dothi_http_requests_total "), std::string::npos);
  EXPECT_NE(text.find("# TYPE dothi_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("dothi_http_requests_total{route=\"health\",method=\"GET\",status=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE dothi_http_request_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("dothi_http_request_duration_seconds_bucket{route=\"health\",le=\"0.0005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("dothi_http_request_duration_seconds_bucket{route=\"health\",le=\"0.005\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("dothi_http_request_duration_seconds_bucket{route=\"health\",le=\"10\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("dothi_http_request_duration_seconds_bucket{route=\"health\",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("dothi_http_request_duration_seconds_count{route=\"health\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("dothi_http_request_duration_seconds_sum{route=\"health\"} 20.0031\n"),
            std::string::npos);
}

TEST(MetricsTest, RendersGaugeCallbacksWithEscapedLabels) {
  Metrics m;
  m.AddGauge("dothi_entities", "Entities stored, per tenant.", [] {
    return std::vector<Metrics::Sample>{{{{"tenant", ""}}, 3},
                                        {{{"tenant", "ha\"noi\\x\ny"}}, 1.5}};
  });
  m.AddCounter("dothi_store_commits_total", "Commits.", [] {
    return std::vector<Metrics::Sample>{{{}, 7}};
  });
  std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE dothi_entities gauge\n"), std::string::npos);
  EXPECT_NE(text.find("dothi_entities{tenant=\"\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("dothi_entities{tenant=\"ha\\\"noi\\\\x\\ny\"} 1.5\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE dothi_store_commits_total counter\ndothi_store_commits_total 7\n"),
            std::string::npos);
}

TEST(MetricsTest, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace dothi::http
