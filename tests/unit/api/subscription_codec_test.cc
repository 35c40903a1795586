#include "api/ngsi_ld/subscription_codec.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include "api/common/json_parse.h"

namespace dothi::api::ngsi_ld {
namespace {

std::string Default(std::string_view term) { return std::string(kDefaultVocab) + std::string(term); }

Json Parse(std::string_view text) {
  Result<Json> j = ParseJson(text);
  EXPECT_TRUE(j.ok()) << text;
  return j.ok() ? *j : Json();
}

Result<domain::Subscription> Create(std::string_view text) {
  return ApplySubscriptionBody(domain::Subscription{}, Parse(text), *LdContext::Core(), Json(),
                               true, {});
}

constexpr std::string_view kGood = R"({
  "id": "urn:ngsi-ld:Subscription:1", "type": "Subscription", "subscriptionName": "Ngập úng",
  "entities": [{"type": "WaterObserved", "idPattern": "^urn:ngsi-ld:WaterObserved:hue"}],
  "watchedAttributes": ["waterLevel"], "q": "waterLevel>1.5",
  "geoQ": {"georel": "near;maxDistance==2000", "geometry": "Point", "coordinates": [107.58, 16.46]},
  "notificationTrigger": ["attributeUpdated", "entityDeleted"], "throttling": 5,
  "expiresAt": "2030-01-01T00:00:00Z", "lang": "vi",
  "notification": {"attributes": ["waterLevel"], "format": "concise", "sysAttrs": true,
    "endpoint": {"uri": "https://ops.hue.gov.vn/notify", "accept": "application/ld+json",
                 "receiverInfo": [{"key": "Authorization", "value": "Bearer x"}]}}})";

TEST(SubscriptionCodecTest, ReadsEveryMemberExpandedAndRendersItBack) {
  Result<domain::Subscription> s = Create(kGood);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id, "urn:ngsi-ld:Subscription:1");
  EXPECT_EQ(s->name, "Ngập úng");
  ASSERT_EQ(s->entities.size(), 1u);
  EXPECT_EQ(s->entities[0].type, Default("WaterObserved"));
  EXPECT_TRUE(s->entities[0].id_regex.has_value());
  EXPECT_EQ(s->watched_attributes, std::vector<std::string>{Default("waterLevel")});
  EXPECT_TRUE(s->q.has_value());
  EXPECT_TRUE(s->geo_q.has_value());
  EXPECT_EQ(s->triggers, (std::vector<domain::Trigger>{domain::Trigger::kAttributeUpdated,
                                                       domain::Trigger::kEntityDeleted}));
  EXPECT_EQ(s->throttling, 5);
  EXPECT_EQ(s->notification.format, domain::NotificationFormat::kConcise);
  EXPECT_TRUE(s->notification.sys_attrs);
  EXPECT_EQ(s->notification.accept, "application/ld+json");
  EXPECT_EQ(s->notification.attributes, std::vector<std::string>{Default("waterLevel")});
  ASSERT_EQ(s->notification.receiver_info.size(), 1u);

  service::SubscriptionView view{std::make_shared<const domain::Subscription>(*s), {}};
  EXPECT_EQ(RenderSubscription(view, *LdContext::Core(), Timestamp{0}).Find("notification")->Find("timesSent"),
            nullptr) << "no delivery members before an attempt";
  view.status.times_sent = 3;
  view.status.last_notification = Timestamp{1};
  const Json out = RenderSubscription(view, *LdContext::Core(), Timestamp{0});
  ASSERT_NE(out.Find("notification")->Find("timesSent"), nullptr);
  EXPECT_EQ(out.Find("watchedAttributes")->AsArray().at(0).AsString(), "waterLevel");
  EXPECT_EQ(out.Find("entities")->AsArray().at(0).Find("type")->AsString(), "WaterObserved");
  EXPECT_EQ(out.Find("status")->AsString(), "active");
  EXPECT_EQ(out.Find("notification")->Find("timesSent")->AsInt(), 3);
  EXPECT_EQ(out.Find("notification")->Find("format")->AsString(), "concise");
  EXPECT_EQ(out.Find("q")->AsString(), "waterLevel>1.5");

  // Read back, the rendering gives the same subscription.
  Result<domain::Subscription> again = ApplySubscriptionBody(
      domain::Subscription{}, out, *LdContext::Core(), Json(), true, {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const Json out2 = RenderSubscription({std::make_shared<const domain::Subscription>(*again), view.status},
                                       *LdContext::Core(), Timestamp{0});
  EXPECT_EQ(out2, out);
}

TEST(SubscriptionCodecTest, RefusesWhatIsNotASubscription) {
  const char* bad[] = {
      R"([])",
      R"({"type": "Subscription", "entities": [{"type": "T"}]})",  // no notification
      R"({"type": "Sub", "entities": [{"type": "T"}], "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "entities": [], "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "entities": [{"id": "urn:a:1"}], "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "entities": [{"type": "T", "id": "not a uri"}], "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": [], "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "q": "a>>1", "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "scopeQ": "no-slash", "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "geoQ": {"georel": "near", "geometry": "Point"}, "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notificationTrigger": ["x"], "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "isActive": "yes", "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "expiresAt": "tomorrow", "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "throttling": 0, "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"format": "xml", "endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "ftp://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "https://user:secret@a/n"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "http://a/", "accept": "text/csv"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "http://a/", "receiverInfo": [{"key": "X-A\r\nX-B", "value": "1"}]}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "http://a/", "receiverInfo": [{"key": "X-A", "value": "1\r\nX-B: 2"}]}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "timeInterval": 60, "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "mqtt://broker:1883/"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "mqtt://broker:1883/a/#"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "mqtt://broker:99999/t"}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "mqtt://b/t", "notifierInfo": [{"key": "MQTT-QoS", "value": "3"}]}}})",
      R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "mqtt://b/t", "notifierInfo": [{"key": "MQTT-Version", "value": "mqtt4"}]}}})",
      R"({"type": "Subscription", "entities": [{"type": "T"}], "timeInterval": 60, "throttling": 5, "notification": {"endpoint": {"uri": "http://a/"}}})",
      R"({"type": "Subscription", "entities": [{"type": "T"}], "timeInterval": 0.01, "notification": {"endpoint": {"uri": "http://a/"}}})",
  };
  for (const char* text : bad) {
    Result<domain::Subscription> s = Create(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.status().code(), ErrorCode::kBadRequestData) << text << " " << s.status().ToString();
  }
}

TEST(SubscriptionCodecTest, NamesWhatIsNotSupportedYet) {
  for (const char* text : {
           R"({"type": "Subscription", "watchedAttributes": ["a"], "notification": {"endpoint": {"uri": "mqtts://broker:8883/t"}}})",
       }) {
    Result<domain::Subscription> s = Create(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.status().code(), ErrorCode::kUnsupported) << text;
  }
}

TEST(SubscriptionCodecTest, APatchChangesOnlyWhatItNamesAndKeepsTheId) {
  Result<domain::Subscription> s = Create(kGood);
  ASSERT_TRUE(s.ok());
  Result<domain::Subscription> patched = ApplySubscriptionBody(
      *s, Parse(R"({"isActive": false, "notification": {"format": "keyValues"}})"),
      *LdContext::Core(), Json(), false, {});
  ASSERT_TRUE(patched.ok()) << patched.status().ToString();
  EXPECT_FALSE(patched->is_active);
  EXPECT_EQ(patched->notification.format, domain::NotificationFormat::kKeyValues);
  EXPECT_EQ(patched->notification.uri, "https://ops.hue.gov.vn/notify") << "endpoint kept";
  EXPECT_EQ(patched->q_text, s->q_text);
  EXPECT_FALSE(ApplySubscriptionBody(*s, Parse(R"({"id": "urn:other:1"})"), *LdContext::Core(),
                                     Json(), false, {}).ok());
}

TEST(SubscriptionCodecTest, StoredFormReadsBackWithItsOwnContext) {
  ContextRegistry registry(ContextOptions{});
  const Json context = Parse(R"({"muc_nuoc": "https://hue.gov.vn/ns#waterLevel"})");
  Result<std::shared_ptr<const LdContext>> ld = registry.Resolve(context);
  ASSERT_TRUE(ld.ok());
  Result<domain::Subscription> s = ApplySubscriptionBody(
      domain::Subscription{},
      Parse(R"({"type": "Subscription", "watchedAttributes": ["muc_nuoc"], "q": "muc_nuoc>2",
                "notification": {"endpoint": {"uri": "http://a/"}}})"),
      **ld, context, true, {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  s->created_at = Timestamp{1'000'000};
  s->modified_at = Timestamp{2'000'000};
  StoredSubscriptionCodec codec(registry, {});
  Result<domain::Subscription> back = codec.Decode(codec.Encode(*s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, s->id);
  EXPECT_EQ(back->watched_attributes, std::vector<std::string>{"https://hue.gov.vn/ns#waterLevel"});
  EXPECT_EQ(back->q_text, "muc_nuoc>2");
  EXPECT_TRUE(back->q.has_value());
  EXPECT_EQ(back->context, context);
  EXPECT_EQ(back->created_at.micros, 1'000'000);
  EXPECT_EQ(back->modified_at.micros, 2'000'000);
  EXPECT_FALSE(codec.Decode("not stored bytes").ok());
}

}  // namespace
}  // namespace dothi::api::ngsi_ld
