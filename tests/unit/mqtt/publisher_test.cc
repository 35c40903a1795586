#include "mqtt/publisher.h"  // and mqtt/url.h

#include <gtest/gtest.h>

namespace dothi::mqtt {
namespace {

TEST(MqttUrlTest, ReadsHostPortTopicAndCredentials) {
  Result<MqttUrl> u = ParseMqttUrl("mqtt://ops:s3cret@broker.hue.gov.vn:1884/dothi/hue/alerts");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->host, "broker.hue.gov.vn");
  EXPECT_EQ(u->port, 1884);
  EXPECT_EQ(u->topic, "dothi/hue/alerts");
  EXPECT_EQ(u->username, "ops");
  EXPECT_EQ(u->password, "s3cret");
  Result<MqttUrl> plain = ParseMqttUrl("mqtt://127.0.0.1/t");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 1883);
  EXPECT_TRUE(plain->username.empty());
  Result<MqttUrl> v6 = ParseMqttUrl("mqtt://[::1]:1883/t");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
}

TEST(MqttUrlTest, RefusesWhatIsNotAPublishableUrl) {
  for (const char* bad : {"http://a/t", "mqtt://", "mqtt://host", "mqtt://host/", "mqtt://:1883/t",
                          "mqtt://host:0/t", "mqtt://host:70000/t", "mqtt://host:x/t",
                          "mqtt://host/a/+/b", "mqtt://host/a/#"}) {
    EXPECT_FALSE(ParseMqttUrl(bad).ok()) << bad;
  }
}

TEST(MqttUrlTest, BrokerUrlsHaveNoTopic) {
  Result<MqttUrl> b = ParseBrokerUrl("mqtt://user:pw@10.0.0.5:1884");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->host, "10.0.0.5");
  EXPECT_EQ(b->port, 1884);
  EXPECT_EQ(b->username, "user");
  EXPECT_TRUE(b->topic.empty());
  EXPECT_TRUE(ParseBrokerUrl("mqtt://localhost/").ok());
  for (const char* bad : {"mqtt://host/topic", "http://host", "mqtt://", "mqtt://host:x"}) {
    EXPECT_FALSE(ParseBrokerUrl(bad).ok()) << bad;
  }
}

TEST(MqttPublisherTest, ReportsABrokerThatIsNotThere) {
  Publisher p;
  PublishOptions o;
  o.timeout = std::chrono::milliseconds(2000);
  Status s = p.Publish("mqtt://127.0.0.1:1/t", "{}", o);  // port 1: refused
  EXPECT_EQ(s.code(), ErrorCode::kUnavailable) << s.ToString();
}

}  // namespace
}  // namespace dothi::mqtt
