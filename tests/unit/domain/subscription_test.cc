#include "domain/subscription.h"

#include <gtest/gtest.h>

namespace dothi::domain {
namespace {

constexpr const char* kVocab = "https://example.org/";
std::string Iri(std::string_view name) { return kVocab + std::string(name); }

Json Prop(Json value) {
  Json arr = Json::MakeArray();
  arr.Push(Json::MakeObject({{"type", "Property"}, {"value", std::move(value)}}));
  return arr;
}

Entity Sensor(std::string id, double pm25, double no2 = 1) {
  Entity e;
  e.id = std::move(id);
  e.types = {Iri("AirQualityObserved")};
  e.attrs.Set(Iri("pm25"), Prop(pm25));
  e.attrs.Set(Iri("no2"), Prop(no2));
  return e;
}

Subscription Watching(std::vector<std::string> watched) {
  Subscription s;
  s.id = "urn:ngsi-ld:Subscription:1";
  EntitySelector sel;
  sel.type = Iri("AirQualityObserved");
  s.entities.push_back(sel);
  for (auto& w : watched) s.watched_attributes.push_back(Iri(w));
  return s;
}

TEST(SubscriptionTest, DefaultTriggersNotifyCreatedAndUpdatedAttributesNotDeletions) {
  const Subscription s = Watching({});
  const Entity a = Sensor("urn:x:1", 10);
  const Entity b = Sensor("urn:x:1", 20);
  EXPECT_EQ(s.TriggerFor(nullptr, &a), Trigger::kAttributeCreated);
  EXPECT_EQ(s.TriggerFor(&a, &b), Trigger::kAttributeUpdated);
  EXPECT_EQ(s.TriggerFor(&a, nullptr), std::nullopt);
  Entity fewer = a;
  fewer.attrs.Erase(Iri("no2"));
  EXPECT_EQ(s.TriggerFor(&a, &fewer), std::nullopt) << "attributeDeleted is not a default";
  Subscription all = s;
  all.triggers = {Trigger::kAttributeDeleted};
  EXPECT_EQ(all.TriggerFor(&a, &fewer), Trigger::kAttributeDeleted);
  EXPECT_EQ(all.TriggerFor(&a, &b), std::nullopt);
  EXPECT_EQ(all.TriggerFor(&a, nullptr), Trigger::kAttributeDeleted) << "deleting the entity";
}

TEST(SubscriptionTest, WatchedAttributesDecideWhichUpdatesNotify) {
  const Subscription s = Watching({"pm25"});
  const Entity a = Sensor("urn:x:1", 10, 1);
  const Entity no2_changed = Sensor("urn:x:1", 10, 2);
  const Entity pm25_changed = Sensor("urn:x:1", 11, 1);
  EXPECT_EQ(s.TriggerFor(&a, &no2_changed), std::nullopt);
  EXPECT_EQ(s.TriggerFor(&a, &pm25_changed), Trigger::kAttributeUpdated);
  EXPECT_EQ(s.TriggerFor(&a, &a), std::nullopt) << "nothing changed";
  Entity without_pm25 = Sensor("urn:x:2", 1);
  without_pm25.attrs.Erase(Iri("pm25"));
  EXPECT_EQ(s.TriggerFor(nullptr, &without_pm25), std::nullopt)
      << "a new entity without the watched attribute";
}

TEST(SubscriptionTest, EntityLevelTriggers) {
  Subscription s = Watching({});
  s.triggers = {Trigger::kEntityCreated, Trigger::kEntityUpdated, Trigger::kEntityDeleted};
  const Entity a = Sensor("urn:x:1", 10);
  const Entity b = Sensor("urn:x:1", 20);
  EXPECT_EQ(s.TriggerFor(nullptr, &a), Trigger::kEntityCreated);
  EXPECT_EQ(s.TriggerFor(&a, &b), Trigger::kEntityUpdated);
  EXPECT_EQ(s.TriggerFor(&a, nullptr), Trigger::kEntityDeleted);
  Entity rescoped = a;
  rescoped.scope = Json::MakeArray();
  rescoped.scope.Push("/Hue");
  EXPECT_EQ(s.TriggerFor(&a, &rescoped), Trigger::kEntityUpdated) << "a scope change updates it";
}

TEST(SubscriptionTest, SelectorsMatchTypeIdAndIdPattern) {
  Subscription s = Watching({});
  const Entity a = Sensor("urn:ngsi-ld:AirQualityObserved:hue-1", 10);
  Entity other_type = a;
  other_type.types = {Iri("WeatherObserved")};
  EXPECT_TRUE(s.TriggerFor(nullptr, &a).has_value());
  EXPECT_FALSE(s.TriggerFor(nullptr, &other_type).has_value());

  s.entities[0].id = "urn:ngsi-ld:AirQualityObserved:hue-2";
  EXPECT_FALSE(s.TriggerFor(nullptr, &a).has_value());
  s.entities[0].id.reset();
  Result<SafeRegex> re = SafeRegex::Compile("hue-[0-9]+$");
  ASSERT_TRUE(re.ok());
  s.entities[0].id_pattern = "hue-[0-9]+$";
  s.entities[0].id_regex = *re;
  EXPECT_TRUE(s.TriggerFor(nullptr, &a).has_value());
  const Entity hanoi = Sensor("urn:ngsi-ld:AirQualityObserved:hanoi-1", 10);
  EXPECT_FALSE(s.TriggerFor(nullptr, &hanoi).has_value());

  // Any of several selectors.
  EntitySelector weather;
  weather.type = Iri("WeatherObserved");
  s.entities.push_back(weather);
  EXPECT_TRUE(s.TriggerFor(nullptr, &other_type).has_value());
}

TEST(SubscriptionTest, QFiltersOnTheNewStateAndTheOldOneForDeletions) {
  Subscription s = Watching({});
  s.triggers = {Trigger::kAttributeUpdated, Trigger::kEntityDeleted};
  Result<QQuery> q = ParseQ("pm25>50");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(q->Resolve([](std::string_view t) { return Iri(t); }).ok());
  s.q = std::move(*q);
  const Entity low = Sensor("urn:x:1", 10);
  const Entity high = Sensor("urn:x:1", 60);
  EXPECT_EQ(s.TriggerFor(&low, &high), Trigger::kAttributeUpdated);
  EXPECT_EQ(s.TriggerFor(&high, &low), std::nullopt);
  EXPECT_EQ(s.TriggerFor(&high, nullptr), Trigger::kEntityDeleted);
  EXPECT_EQ(s.TriggerFor(&low, nullptr), std::nullopt);
}

TEST(SubscriptionTest, TimeIntervalSubscriptionsIgnoreChanges) {
  Subscription s = Watching({});
  s.time_interval = 60;
  const Entity a = Sensor("urn:x:1", 10);
  const Entity b = Sensor("urn:x:1", 20);
  EXPECT_EQ(s.TriggerFor(nullptr, &a), std::nullopt);
  EXPECT_EQ(s.TriggerFor(&a, &b), std::nullopt);
  EXPECT_TRUE(s.Selects(a));
}

TEST(SubscriptionTest, StatusFollowsIsActiveAndExpiry) {
  Subscription s = Watching({});
  const Timestamp now{1'800'000'000'000'000};
  EXPECT_EQ(s.StatusAt(now), "active");
  s.is_active = false;
  EXPECT_EQ(s.StatusAt(now), "paused");
  s.is_active = true;
  s.expires_at = Timestamp{now.micros + 1};
  EXPECT_EQ(s.StatusAt(now), "active");
  s.expires_at = now;
  EXPECT_EQ(s.StatusAt(now), "expired");
}

TEST(SubscriptionTest, TriggerNamesRoundTrip) {
  for (Trigger t : kAllTriggers) EXPECT_EQ(ParseTrigger(TriggerName(t)), t);
  EXPECT_EQ(ParseTrigger("entityChanged"), std::nullopt);
}

}  // namespace
}  // namespace dothi::domain
