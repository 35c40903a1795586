#include "service/subscription_service.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "fakes/memory_entity_store.h"
#include "service/entity_service.h"

namespace dothi::service {
namespace {

using domain::Entity;
using domain::Subscription;

std::string Iri(std::string_view name) { return "https://example.org/" + std::string(name); }

Json Prop(Json value) {
  Json arr = Json::MakeArray();
  arr.Push(Json::MakeObject({{"type", "Property"}, {"value", std::move(value)}}));
  return arr;
}

Entity Sensor(std::string id, double pm25) {
  Entity e;
  e.id = std::move(id);
  e.types = {Iri("Sensor")};
  e.attrs.Set(Iri("pm25"), Prop(pm25));
  return e;
}

Subscription Sub(std::string id) {
  Subscription s;
  s.id = std::move(id);
  domain::EntitySelector sel;
  sel.type = Iri("Sensor");
  s.entities.push_back(sel);
  s.notification.uri = "http://127.0.0.1:1/notify";
  return s;
}

RequestContext Ctx(std::string tenant) { return RequestContext{std::move(tenant), "t", Now(), /*finish_on=*/{}}; }

// Stores a subscription as its id and keeps the value aside (the real codec is the API's).
class FakeCodec : public SubscriptionCodec {
 public:
  std::string Encode(const Subscription& s) const override {
    std::lock_guard lock(mu_);
    kept_[s.id] = s;
    return s.id;
  }
  Result<Subscription> Decode(std::string_view bytes) const override {
    std::lock_guard lock(mu_);
    auto it = kept_.find(std::string(bytes));
    if (it == kept_.end()) return Status::Internal("unknown");
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  mutable std::map<std::string, Subscription> kept_;
};

// Records deliveries; fails the first `failures` of them. WaitFor blocks until n attempts.
class FakeSink : public NotificationSink {
 public:
  explicit FakeSink(int failures = 0) : failures_(failures) {}
  Status Deliver(const Notification& n) override {
    std::lock_guard lock(mu_);
    attempts_.push_back(n);
    cv_.notify_all();
    if (failures_ > 0) {
      --failures_;
      return Status::Unavailable("receiver down");
    }
    return Status::OK();
  }
  std::vector<Notification> WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(20), [&] { return attempts_.size() >= n; }))
        << "only " << attempts_.size() << " of " << n << " deliveries";
    return attempts_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Notification> attempts_;
  int failures_;
};

// The subscription's view once pred holds (its status is written right after a delivery
// attempt returns); fails the test after 20 s.
template <class Pred>
SubscriptionView WaitStatus(SubscriptionService& subs, std::string_view tenant,
                            std::string_view id, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    Result<SubscriptionView> v = subs.Get(Ctx(std::string(tenant)), id);
    if (v.ok() && pred(v->status)) return *v;
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "status never reached";
      return v.ok() ? *v : SubscriptionView{};
    }
    std::this_thread::yield();
  }
}

struct Fixture {
  explicit Fixture(int failures = 0, SubscriptionServiceOptions o = {}) : sink(failures) {
    EXPECT_TRUE(store.Open().ok());
    EXPECT_TRUE(entities.Load().ok());
    o.sender_threads = 1;
    o.retry_delays = {std::chrono::milliseconds(1), std::chrono::milliseconds(1)};
    subs = std::make_unique<SubscriptionService>(store, entities, codec, sink, o);
    EXPECT_TRUE(subs->Load().ok());
    entities.SetChangeListener(subs.get());
  }
  testing::MemoryEntityStore store;
  FakeCodec codec;
  FakeSink sink;
  EntityService entities{store, {}};
  std::unique_ptr<SubscriptionService> subs;
};

// Like the SQLite store: commit callbacks and document-write completions all run in order
// on one reporter thread, which the test can hold closed.
class ReporterStore : public storage::EntityStore {
 public:
  ReporterStore() : reporter_([this] { Run(); }) {}
  ~ReporterStore() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      open_gate_ = true;
    }
    cv_.notify_all();
    reporter_.join();
  }
  void SetGate(bool open) {
    {
      std::lock_guard lock(mu_);
      open_gate_ = open;
    }
    cv_.notify_all();
  }
  void WaitForDocumentWrite() {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(20), [&] { return document_writes_ > 0; }));
  }
  Status Open() override { return inner_.Open(); }
  void CommitAsync(std::vector<storage::EntityWrite> writes, CommitCallback done) override {
    Status s = inner_.Commit(std::move(writes));
    Queue([done = std::move(done), s] { done(s); });
  }
  Result<std::optional<std::string>> Get(std::string_view t, std::string_view id) override { return inner_.Get(t, id); }
  Status ScanAll(const ScanFn& fn) override { return inner_.ScanAll(fn); }
  Status PutDocument(std::string_view kind, std::string_view key, std::string_view bytes) override {
    Status s = inner_.PutDocument(kind, key, bytes);
    std::promise<void> done;
    Queue([&done] { done.set_value(); });
    {
      std::lock_guard lock(mu_);
      ++document_writes_;
    }
    cv_.notify_all();
    done.get_future().wait();  // as SubmitAndWait: until the reporter got to it
    return s;
  }
  Status DeleteDocument(std::string_view kind, std::string_view key) override { return inner_.DeleteDocument(kind, key); }
  Status ScanDocuments(std::string_view kind, const DocFn& fn) override { return inner_.ScanDocuments(kind, fn); }
  storage::StoreStats Stats() const override { return {}; }
  void Close() override { inner_.Close(); }

 private:
  void Queue(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(fn));
    }
    cv_.notify_all();
  }
  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || (open_gate_ && !queue_.empty()); });
      if (queue_.empty()) return;
      std::function<void()> fn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }
  testing::MemoryEntityStore inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool open_gate_ = true;
  bool stop_ = false;
  int document_writes_ = 0;
  std::thread reporter_;
};

// A subscription written while an entity's commit callback waits in the store's reporter
// queue ahead of it: the callback tells the subscription service about the change, so the
// service must not hold its lock while it waits for the store (that deadlocked).
TEST(SubscriptionServiceTest, CreatingASubscriptionDoesNotBlockCommitCallbacks) {
  ReporterStore store;
  ASSERT_TRUE(store.Open().ok());
  EntityService entities(store, {});
  ASSERT_TRUE(entities.Load().ok());
  FakeCodec codec;
  FakeSink sink;
  SubscriptionService subs(store, entities, codec, sink, {});
  ASSERT_TRUE(subs.Load().ok());
  entities.SetChangeListener(&subs);
  ASSERT_TRUE(subs.Create(Ctx("hue"), Sub("urn:s:0")).ok());  // the tenant is watched

  store.SetGate(false);
  std::promise<Status> written;
  const RequestContext ctx = Ctx("hue");
  entities.CreateAsync(ctx, Sensor("urn:x:1", 1), [&written](Status s) { written.set_value(s); });
  auto created = std::async(std::launch::async, [&] { return subs.Create(Ctx("hue"), Sub("urn:s:1")); });
  store.WaitForDocumentWrite();  // the create waits behind the entity's callback now
  store.SetGate(true);
  ASSERT_EQ(created.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "deadlock";
  EXPECT_TRUE(created.get().ok());
  auto w = written.get_future();
  ASSERT_EQ(w.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(w.get().ok());
  EXPECT_EQ(subs.Stats().queued, 1u) << "the change was matched against urn:s:0";
}

TEST(SubscriptionServiceTest, CrudIsScopedToTheTenant) {
  Fixture f;
  ASSERT_TRUE(f.subs->Create(Ctx("hue"), Sub("urn:s:1")).ok());
  EXPECT_EQ(f.subs->Create(Ctx("hue"), Sub("urn:s:1")).code(), ErrorCode::kAlreadyExists);
  ASSERT_TRUE(f.subs->Create(Ctx("danang"), Sub("urn:s:1")).ok()) << "same id, other tenant";
  EXPECT_TRUE(f.subs->Get(Ctx("hue"), "urn:s:1").ok());
  EXPECT_EQ(f.subs->Get(Ctx(""), "urn:s:1").status().code(), ErrorCode::kNotFound);
  std::size_t total = 0;
  Result<std::vector<SubscriptionView>> page = f.subs->List(Ctx(""), 10, 0, &total);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(total, 0u);
  ASSERT_TRUE(f.subs->Create(Ctx("hue"), Sub("urn:s:2")).ok());
  page = f.subs->List(Ctx("hue"), 1, 1, &total);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(total, 2u);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(page->front().subscription->id, "urn:s:2") << "creation order";

  EXPECT_EQ(f.subs->Delete(Ctx("danang"), "urn:s:2").code(), ErrorCode::kNotFound);
  ASSERT_TRUE(f.subs->Delete(Ctx("hue"), "urn:s:1").ok());
  EXPECT_EQ(f.subs->Get(Ctx("hue"), "urn:s:1").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(f.subs->Get(Ctx("danang"), "urn:s:1").ok());
  Subscription changed = Sub("urn:s:9");
  EXPECT_EQ(f.subs->Replace(Ctx("hue"), changed).code(), ErrorCode::kNotFound);
}

TEST(SubscriptionServiceTest, ReloadsWhatWasStored) {
  Fixture f;
  ASSERT_TRUE(f.subs->Create(Ctx("hue"), Sub("urn:s:1")).ok());
  ASSERT_TRUE(f.subs->Create(Ctx("hue"), Sub("urn:s:2")).ok());
  ASSERT_TRUE(f.subs->Delete(Ctx("hue"), "urn:s:2").ok());
  SubscriptionService again(f.store, f.entities, f.codec, f.sink, {});
  ASSERT_TRUE(again.Load().ok());
  EXPECT_TRUE(again.Get(Ctx("hue"), "urn:s:1").ok());
  EXPECT_EQ(again.Get(Ctx("hue"), "urn:s:2").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(again.WatchesTenant("hue"));
  EXPECT_FALSE(again.WatchesTenant("danang"));
}

TEST(SubscriptionServiceTest, CommittedChangesOfTheTenantAreDelivered) {
  Fixture f;
  f.subs->Start();
  ASSERT_TRUE(f.subs->Create(Ctx("hue"), Sub("urn:s:1")).ok());
  ASSERT_TRUE(f.entities.Create(Ctx("danang"), Sensor("urn:x:0", 1)).ok());  // other tenant
  ASSERT_TRUE(f.entities.Create(Ctx("hue"), Sensor("urn:x:1", 5)).ok());
  ASSERT_TRUE(f.entities.UpdateAttrs(Ctx("hue"), "urn:x:1",
                                     Json::MakeObject({{Iri("pm25"), Prop(7)}})).ok());
  std::vector<Notification> got = f.sink.WaitFor(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].tenant, "hue");
  EXPECT_EQ(got[0].trigger, domain::Trigger::kAttributeCreated);
  EXPECT_EQ(got[0].entities.at(0).id, "urn:x:1");
  EXPECT_EQ(got[1].trigger, domain::Trigger::kAttributeUpdated);
  const Json* pm25 = got[1].entities.at(0).attrs.Find(Iri("pm25"));
  ASSERT_NE(pm25, nullptr);
  EXPECT_EQ(pm25->AsArray().at(0).Find("value")->AsDouble(), 7);
  EXPECT_NE(got[0].id, got[1].id);
  const SubscriptionView v = WaitStatus(*f.subs, "hue", "urn:s:1",
                                       [](const NotificationStatus& s) { return s.times_sent == 2; });
  EXPECT_EQ(v.status.times_failed, 0u);
}

TEST(SubscriptionServiceTest, FailedDeliveriesAreRetriedAndCounted) {
  Fixture f(/*failures=*/2);
  f.subs->Start();
  ASSERT_TRUE(f.subs->Create(Ctx(""), Sub("urn:s:1")).ok());
  ASSERT_TRUE(f.entities.Create(Ctx(""), Sensor("urn:x:1", 5)).ok());
  std::vector<Notification> got = f.sink.WaitFor(3);  // 2 failures, then the success
  EXPECT_EQ(got[0].id, got[2].id) << "a retry sends the same notification";
  const SubscriptionView v =
      WaitStatus(*f.subs, "", "urn:s:1", [](const NotificationStatus& s) { return s.times_sent == 1; });
  EXPECT_EQ(v.status.times_failed, 2u);
  EXPECT_TRUE(v.status.ok);
  EXPECT_TRUE(v.status.last_failure.has_value());
  EXPECT_TRUE(v.status.last_success.has_value());
  EXPECT_EQ(f.subs->Stats().failed_attempts, 2u);
}

TEST(SubscriptionServiceTest, GivesUpAfterTheLastRetry) {
  Fixture f(/*failures=*/100);
  f.subs->Start();
  ASSERT_TRUE(f.subs->Create(Ctx(""), Sub("urn:s:1")).ok());
  ASSERT_TRUE(f.entities.Create(Ctx(""), Sensor("urn:x:1", 5)).ok());
  f.sink.WaitFor(3);  // the first attempt and two retries
  const SubscriptionView v =
      WaitStatus(*f.subs, "", "urn:s:1", [](const NotificationStatus& s) { return s.times_failed == 3; });
  EXPECT_FALSE(v.status.ok);
  EXPECT_EQ(v.status.times_sent, 0u);
}

TEST(SubscriptionServiceTest, AFullQueueDropsAndCountsWithoutFailingTheWrite) {
  SubscriptionServiceOptions o;
  o.max_queue = 2;
  Fixture f(0, o);  // not started: nothing leaves the queue
  ASSERT_TRUE(f.subs->Create(Ctx(""), Sub("urn:s:1")).ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(f.entities.Create(Ctx(""), Sensor("urn:x:" + std::to_string(i), i)).ok());
  }
  const SubscriptionStats st = f.subs->Stats();
  EXPECT_EQ(st.queued, 2u);
  EXPECT_EQ(st.dropped, 3u);
}

TEST(SubscriptionServiceTest, PausedExpiredAndThrottledSubscriptionsAreNotQueued) {
  Fixture f;  // not started: Stats().queued counts what matched
  Subscription paused = Sub("urn:s:paused");
  paused.is_active = false;
  Subscription expired = Sub("urn:s:expired");
  expired.expires_at = Timestamp{Now().micros - 1};
  Subscription throttled = Sub("urn:s:throttled");
  throttled.throttling = 3600;
  ASSERT_TRUE(f.subs->Create(Ctx(""), paused).ok());
  ASSERT_TRUE(f.subs->Create(Ctx(""), expired).ok());
  ASSERT_TRUE(f.subs->Create(Ctx(""), throttled).ok());
  ASSERT_TRUE(f.entities.Create(Ctx(""), Sensor("urn:x:1", 1)).ok());
  ASSERT_TRUE(f.entities.Create(Ctx(""), Sensor("urn:x:2", 1)).ok());
  EXPECT_EQ(f.subs->Stats().queued, 1u) << "only the throttled one, once";
}

TEST(SubscriptionServiceTest, ReplaceKeepsTheCounters) {
  Fixture f;
  f.subs->Start();
  ASSERT_TRUE(f.subs->Create(Ctx(""), Sub("urn:s:1")).ok());
  ASSERT_TRUE(f.entities.Create(Ctx(""), Sensor("urn:x:1", 1)).ok());
  f.sink.WaitFor(1);
  WaitStatus(*f.subs, "", "urn:s:1", [](const NotificationStatus& s) { return s.times_sent == 1; });
  Subscription changed = Sub("urn:s:1");
  changed.description = "đổi";
  ASSERT_TRUE(f.subs->Replace(Ctx(""), changed).ok());
  Result<SubscriptionView> v = f.subs->Get(Ctx(""), "urn:s:1");
  EXPECT_EQ(v->subscription->description, "đổi");
  EXPECT_EQ(v->status.times_sent, 1u);
}

TEST(SubscriptionServiceTest, TimeIntervalSubscriptionsNotifyEveryMatchPeriodicallyOnly) {
  Fixture f;
  ASSERT_TRUE(f.entities.Create(Ctx("hue"), Sensor("urn:x:1", 1)).ok());
  ASSERT_TRUE(f.entities.Create(Ctx("hue"), Sensor("urn:x:2", 2)).ok());
  Subscription periodic = Sub("urn:s:periodic");
  periodic.time_interval = 0.02;
  ASSERT_TRUE(f.subs->Create(Ctx("hue"), periodic).ok());
  ASSERT_TRUE(f.entities.Create(Ctx("hue"), Sensor("urn:x:3", 3)).ok());
  EXPECT_EQ(f.subs->Stats().queued, 0u) << "a change does not trigger it";
  f.subs->Start();
  std::vector<Notification> got = f.sink.WaitFor(2);
  for (const Notification& n : std::vector<Notification>(got.begin(), got.begin() + 2)) {
    EXPECT_FALSE(n.trigger.has_value());
    std::set<std::string> ids;
    for (const Entity& e : n.entities) ids.insert(e.id);
    EXPECT_EQ(ids, (std::set<std::string>{"urn:x:1", "urn:x:2", "urn:x:3"}));
  }
  EXPECT_NE(got[0].id, got[1].id);
}

TEST(SubscriptionServiceTest, CountersSurviveAStopAndReload) {
  Fixture f(/*failures=*/1);
  f.subs->Start();
  ASSERT_TRUE(f.subs->Create(Ctx("hue"), Sub("urn:s:1")).ok());
  ASSERT_TRUE(f.entities.Create(Ctx("hue"), Sensor("urn:x:1", 1)).ok());
  f.sink.WaitFor(2);  // one failure, one success
  WaitStatus(*f.subs, "hue", "urn:s:1", [](const NotificationStatus& s) { return s.times_sent == 1; });
  f.subs->Stop();  // writes the counters
  SubscriptionService again(f.store, f.entities, f.codec, f.sink, {});
  ASSERT_TRUE(again.Load().ok());
  Result<SubscriptionView> v = again.Get(Ctx("hue"), "urn:s:1");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->status.times_sent, 1u);
  EXPECT_EQ(v->status.times_failed, 1u);
  EXPECT_TRUE(v->status.ok);
  EXPECT_TRUE(v->status.last_failure.has_value());
  // A deleted subscription takes its counters with it.
  ASSERT_TRUE(again.Delete(Ctx("hue"), "urn:s:1").ok());
  ASSERT_TRUE(again.Create(Ctx("hue"), Sub("urn:s:1")).ok());
  SubscriptionService third(f.store, f.entities, f.codec, f.sink, {});
  ASSERT_TRUE(third.Load().ok());
  EXPECT_EQ(third.Get(Ctx("hue"), "urn:s:1")->status.times_sent, 0u);
}

}  // namespace
}  // namespace dothi::service
