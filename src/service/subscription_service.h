#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "core/time.h"
#include "domain/entity.h"
#include "domain/subscription.h"
#include "service/entity_service.h"
#include "storage/entity_store.h"

// SubscriptionService keeps the NGSI-LD subscriptions of every tenant (create, read, list,
// replace, delete; persisted as store documents so they survive a restart), watches the
// entity changes EntityService commits, and turns those a subscription asks for into
// notifications. Notifications never slow down or fail a write: OnEntityChange only
// matches and queues (bounded; an overflow is counted and dropped), and sender threads
// deliver through a NotificationSink, retrying a failed delivery after each of
// retry_delays. Every delivery attempt updates the subscription's notification status.
// Tenant isolation lives here: every call is scoped to ctx.tenant.
// Thread-safe.
namespace dothi::service {

// Delivery counters of one subscription (notification.timesSent, ... in NGSI-LD).
struct NotificationStatus {
  std::uint64_t times_sent = 0;
  std::uint64_t times_failed = 0;
  std::optional<Timestamp> last_notification;
  std::optional<Timestamp> last_success;
  std::optional<Timestamp> last_failure;
  std::string last_failure_reason;
  bool ok = true;  // the last attempt succeeded (or none was made)
};

struct SubscriptionView {
  std::shared_ptr<const domain::Subscription> subscription;
  NotificationStatus status;
};

// One notification: what to render and where to send it.
struct Notification {
  std::string id;  // urn:ngsi-ld:Notification:...
  std::string tenant;
  std::shared_ptr<const domain::Subscription> subscription;
  std::optional<domain::Trigger> trigger;  // none for a periodic (timeInterval) notification
  std::vector<domain::Entity> entities;  // state after the change (before it, for a deletion)
  // The state before an update, when showChanges or an attribute deletion needs it.
  std::optional<domain::Entity> previous;
  bool entity_deleted = false;  // entities holds the last state of a deleted entity
  Timestamp notified_at;
};

// Renders and sends one notification, blocking until the receiver answered or the send
// failed (the API layer implements it over HTTP). Called from sender threads.
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  virtual Status Deliver(const Notification& n) = 0;
};

// Turns a subscription into stored bytes and back (the API layer implements it; the bytes
// are its own representation).
class SubscriptionCodec {
 public:
  virtual ~SubscriptionCodec() = default;
  virtual std::string Encode(const domain::Subscription& s) const = 0;
  virtual Result<domain::Subscription> Decode(std::string_view bytes) const = 0;
};

struct SubscriptionServiceOptions {
  std::size_t max_queue = 10000;            // queued notifications at most; more are dropped
  int sender_threads = 2;
  std::vector<std::chrono::milliseconds> retry_delays{std::chrono::milliseconds(500),
                                                      std::chrono::milliseconds(2000),
                                                      std::chrono::milliseconds(8000)};
  std::size_t max_subscriptions_per_tenant = 10000;
  // How often changed notification counters are written to the store (and at Stop).
  std::chrono::milliseconds status_flush_interval{5000};
  // Most entities in one periodic (timeInterval) notification.
  std::size_t max_periodic_entities = 1000;
  std::size_t max_page_size = 1000;
};

struct SubscriptionStats {
  std::uint64_t queued = 0;
  std::uint64_t delivered = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t dropped = 0;  // queue overflow
};

class SubscriptionService : public EntityChangeListener {
 public:
  // entities answers the periodic (timeInterval) notifications' queries.
  SubscriptionService(storage::EntityStore& store, const EntityService& entities,
                      const SubscriptionCodec& codec, NotificationSink& sink,
                      SubscriptionServiceOptions options);
  ~SubscriptionService() override;
  SubscriptionService(const SubscriptionService&) = delete;
  SubscriptionService& operator=(const SubscriptionService&) = delete;

  // Reads the stored subscriptions. Call once before Start.
  Status Load();
  // Starts the sender threads and the counter flusher; Stop ends them (queued
  // notifications are dropped) and writes the counters that changed.
  void Start();
  void Stop();
  // Writes the notification counters that changed since the last flush.
  Status FlushStatus();

  // kAlreadyExists when the id is taken in this tenant.
  Status Create(const RequestContext& ctx, domain::Subscription s);
  Result<SubscriptionView> Get(const RequestContext& ctx, std::string_view id) const;
  // One page in creation order; total is the count of all.
  Result<std::vector<SubscriptionView>> List(const RequestContext& ctx, std::size_t limit,
                                             std::size_t offset, std::size_t* total) const;
  // Replaces the definition (PATCH merged by the caller); the status counters stay.
  Status Replace(const RequestContext& ctx, domain::Subscription s);
  Status Delete(const RequestContext& ctx, std::string_view id);

  // EntityChangeListener: called by EntityService after each committed change.
  bool WatchesTenant(std::string_view tenant) const override;
  void OnEntityChange(std::string_view tenant, const domain::Entity* before,
                      const domain::Entity* after) override;

  SubscriptionStats Stats() const;

 private:
  struct Cell {  // one subscription
    std::shared_ptr<const domain::Subscription> subscription;
    mutable std::mutex mu;  // guards status and last_sent
    NotificationStatus status;
    std::optional<Timestamp> last_sent;  // for throttling
    bool status_dirty = false;           // status changed since the last flush
    std::optional<std::chrono::steady_clock::time_point> next_periodic;  // timeInterval only
    std::uint64_t order = 0;             // creation order, for listing
  };
  struct Tenant {
    std::map<std::string, std::shared_ptr<Cell>, std::less<>> by_id;
  };
  struct Job {
    Notification notification;
    std::shared_ptr<Cell> cell;
    std::size_t attempt = 0;
    std::chrono::steady_clock::time_point due;
  };

  static std::string DocKey(std::string_view tenant, std::string_view id);
  std::shared_ptr<Cell> FindCell(std::string_view tenant, std::string_view id) const;
  Status Persist(std::string_view tenant, const domain::Subscription& s);
  void Enqueue(Job job);
  void SenderLoop();
  // The timer thread: periodic notifications when due, counters every flush interval.
  void TimerLoop();
  // Queues the periodic notifications that are due; returns when the next one is.
  std::chrono::steady_clock::time_point RunPeriodic(std::chrono::steady_clock::time_point now);
  Notification NewNotification(std::string_view tenant,
                               std::shared_ptr<const domain::Subscription> sub, Timestamp now);
  static SubscriptionView ViewOf(const Cell& c);

  storage::EntityStore& store_;
  const EntityService& entities_;
  const SubscriptionCodec& codec_;
  NotificationSink& sink_;
  SubscriptionServiceOptions options_;

  // Serialises Create, Replace and Delete, which write to the store without holding mu_:
  // a store write completes on the store's reporter thread, which may be waiting for mu_
  // in OnEntityChange (holding mu_ across it would deadlock).
  std::mutex change_mu_;
  mutable std::shared_mutex mu_;  // guards tenants_ and next_order_; never held across store I/O
  std::map<std::string, Tenant, std::less<>> tenants_;
  std::uint64_t next_order_ = 0;
  std::atomic<std::size_t> watched_tenants_{0};  // tenants with subscriptions (fast check)

  mutable std::mutex queue_mu_;  // guards queue_, retries_, stopping_, stats_ counters below
  std::condition_variable queue_cv_;  // senders wait here
  std::condition_variable timer_cv_;  // the timer thread waits here (its own: a notify_one
                                      // for a new notification must reach a sender)
  std::deque<Job> queue_;
  std::multimap<std::chrono::steady_clock::time_point, Job> retries_;
  bool stopping_ = false;
  SubscriptionStats stats_;
  std::vector<std::thread> senders_;
  std::thread timer_;
  std::atomic<std::uint64_t> next_notification_{1};
};

}  // namespace dothi::service
