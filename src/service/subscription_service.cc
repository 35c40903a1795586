#include "service/subscription_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <set>

namespace dothi::service {
namespace {

constexpr std::string_view kDocKind = "ngsi-ld-subscription";
constexpr std::string_view kStatusDocKind = "ngsi-ld-subscription-status";

Json TimeOrNull(const std::optional<Timestamp>& t) { return t ? Json(t->micros) : Json(); }
std::optional<Timestamp> TimeOf(const Json* j) {
  if (j == nullptr || !j->is_int()) return std::nullopt;
  return Timestamp{j->AsInt()};
}

std::string EncodeStatus(const NotificationStatus& st) {
  Json j = Json::MakeObject({{"timesSent", static_cast<std::int64_t>(st.times_sent)},
                             {"timesFailed", static_cast<std::int64_t>(st.times_failed)},
                             {"lastNotification", TimeOrNull(st.last_notification)},
                             {"lastSuccess", TimeOrNull(st.last_success)},
                             {"lastFailure", TimeOrNull(st.last_failure)},
                             {"ok", st.ok}});
  std::string bytes;
  j.EncodeBinary(bytes);
  return bytes;
}

std::optional<NotificationStatus> DecodeStatus(std::string_view bytes) {
  Result<Json> j = Json::DecodeBinary(bytes);
  if (!j.ok() || !j->is_object()) return std::nullopt;
  const Json* sent = j->Find("timesSent");
  const Json* failed = j->Find("timesFailed");
  const Json* ok = j->Find("ok");
  if (!sent || !failed || !ok || !sent->is_int() || !failed->is_int() || !ok->is_bool()) {
    return std::nullopt;
  }
  NotificationStatus st;
  st.times_sent = static_cast<std::uint64_t>(sent->AsInt());
  st.times_failed = static_cast<std::uint64_t>(failed->AsInt());
  st.last_notification = TimeOf(j->Find("lastNotification"));
  st.last_success = TimeOf(j->Find("lastSuccess"));
  st.last_failure = TimeOf(j->Find("lastFailure"));
  st.ok = ok->AsBool();
  return st;
}
constexpr char kKeySeparator = '\t';  // neither tenant names nor URIs contain a tab

}  // namespace

SubscriptionService::SubscriptionService(storage::EntityStore& store,
                                         const EntityService& entities,
                                         const SubscriptionCodec& codec, NotificationSink& sink,
                                         SubscriptionServiceOptions options)
    : store_(store), entities_(entities), codec_(codec), sink_(sink), options_(std::move(options)) {}

SubscriptionService::~SubscriptionService() { Stop(); }

std::string SubscriptionService::DocKey(std::string_view tenant, std::string_view id) {
  std::string key(tenant);
  key += kKeySeparator;
  key += id;
  return key;
}

Status SubscriptionService::Load() {
  std::unique_lock lock(mu_);
  std::size_t loaded = 0, broken = 0;
  Status s = store_.ScanDocuments(kDocKind, [&](std::string_view key, std::string_view bytes) {
    const std::size_t sep = key.find(kKeySeparator);
    Result<domain::Subscription> sub = codec_.Decode(bytes);
    if (sep == std::string_view::npos || !sub.ok()) {
      ++broken;
      spdlog::error("stored subscription {} cannot be read: {}", key,
                    sub.ok() ? "bad key" : sub.status().ToString());
      return;
    }
    auto cell = std::make_shared<Cell>();
    cell->subscription = std::make_shared<const domain::Subscription>(std::move(*sub));
    Tenant& t = tenants_[std::string(key.substr(0, sep))];
    if (t.by_id.empty()) watched_tenants_.fetch_add(1);
    t.by_id[cell->subscription->id] = std::move(cell);
    ++loaded;
  });
  if (!s.ok()) return s;
  s = store_.ScanDocuments(kStatusDocKind, [&](std::string_view key, std::string_view bytes) {
    const std::size_t sep = key.find(kKeySeparator);
    if (sep == std::string_view::npos) return;
    auto t = tenants_.find(key.substr(0, sep));
    if (t == tenants_.end()) return;
    auto it = t->second.by_id.find(key.substr(sep + 1));
    std::optional<NotificationStatus> st = DecodeStatus(bytes);
    if (it != t->second.by_id.end() && st) it->second->status = std::move(*st);
  });
  if (!s.ok()) return s;
  // Creation order is not stored: after a restart, subscriptions list in id order, and new
  // ones after them.
  for (auto& [name, t] : tenants_) {
    for (auto& [id, cell] : t.by_id) cell->order = next_order_++;
  }
  if (loaded > 0 || broken > 0) spdlog::info("subscriptions loaded: {} ({} unreadable)", loaded, broken);
  return Status::OK();
}

void SubscriptionService::Start() {
  std::lock_guard lock(queue_mu_);
  if (!senders_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < std::max(1, options_.sender_threads); ++i) {
    senders_.emplace_back([this] { SenderLoop(); });
  }
  timer_ = std::thread([this] { TimerLoop(); });
}

void SubscriptionService::TimerLoop() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_flush = Clock::now() + options_.status_flush_interval;
  Clock::time_point next_periodic = Clock::now();
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    timer_cv_.wait_until(lock, std::min(next_flush, next_periodic));
    if (stopping_) break;
    lock.unlock();
    const Clock::time_point now = Clock::now();
    if (now >= next_periodic) next_periodic = RunPeriodic(now);
    if (now >= next_flush) {
      if (Status s = FlushStatus(); !s.ok()) {
        spdlog::warn("notification counters not saved: {}", s.ToString());
      }
      next_flush = now + options_.status_flush_interval;
    }
    lock.lock();
  }
}

Notification SubscriptionService::NewNotification(std::string_view tenant,
                                                  std::shared_ptr<const domain::Subscription> sub,
                                                  Timestamp now) {
  Notification n;
  char nid[64];
  std::snprintf(nid, sizeof nid, "urn:ngsi-ld:Notification:%016llx%08llx",
                static_cast<unsigned long long>(now.micros),
                static_cast<unsigned long long>(next_notification_.fetch_add(1)));
  n.id = nid;
  n.tenant = std::string(tenant);
  n.subscription = std::move(sub);
  n.notified_at = now;
  return n;
}

std::chrono::steady_clock::time_point SubscriptionService::RunPeriodic(
    std::chrono::steady_clock::time_point now) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point next = now + std::chrono::seconds(1);  // look again at least this often
  struct Due {
    std::string tenant;
    std::shared_ptr<Cell> cell;
    std::shared_ptr<const domain::Subscription> sub;
  };
  std::vector<Due> due;
  const Timestamp wall = Now();
  {
    std::shared_lock lock(mu_);
    for (const auto& [tenant, t] : tenants_) {
      for (const auto& [id, cell] : t.by_id) {
        std::lock_guard cell_lock(cell->mu);
        const auto& sub = cell->subscription;
        if (!sub->time_interval) continue;
        const auto interval = std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(*sub->time_interval));
        if (!cell->next_periodic) cell->next_periodic = now + interval;  // first one after one interval
        if (*cell->next_periodic <= now) {
          cell->next_periodic = now + interval;
          if (sub->StatusAt(wall) == "active") due.push_back({tenant, cell, sub});
        }
        next = std::min(next, *cell->next_periodic);
      }
    }
  }
  for (Due& d : due) {
    // The matching entities, from the service's reads (the subscription's tenant only).
    const RequestContext ctx{d.tenant, "subscription " + d.sub->id, wall, /*finish_on=*/{}};
    Notification n = NewNotification(d.tenant, d.sub, wall);
    std::vector<EntityQuery> queries;
    if (d.sub->entities.empty()) queries.emplace_back();
    for (const domain::EntitySelector& sel : d.sub->entities) {
      EntityQuery q;
      if (sel.type_query) {
        q.types = sel.type_query;
      } else {
        Result<domain::TypeQuery> type = domain::ParseTypeQuery("t");  // one name: its IRI
        if (!type.ok() || !type->Resolve([&sel](std::string_view) { return sel.type; }).ok()) continue;
        q.types = std::move(*type);
      }
      if (sel.id) q.ids.push_back(*sel.id);
      q.id_pattern = sel.id_pattern;
      queries.push_back(std::move(q));
    }
    std::set<std::string> seen;
    for (EntityQuery& q : queries) {
      q.q = d.sub->q;
      q.geo = d.sub->geo_q;
      q.scope = d.sub->scope_q;
      q.limit = options_.max_periodic_entities;
      Result<QueryResult> r = entities_.Query(ctx, q);
      if (!r.ok()) continue;  // e.g. the tenant holds nothing yet
      for (domain::Entity& e : r->entities) {
        if (n.entities.size() >= options_.max_periodic_entities) break;
        if (seen.insert(e.id).second) n.entities.push_back(std::move(e));
      }
    }
    if (n.entities.empty()) continue;  // nothing to report this time
    Job job;
    job.notification = std::move(n);
    job.cell = d.cell;
    Enqueue(std::move(job));
  }
  return next;
}

Status SubscriptionService::FlushStatus() {
  std::vector<std::pair<std::string, std::string>> writes;  // key, bytes
  {
    std::shared_lock lock(mu_);
    for (const auto& [tenant, t] : tenants_) {
      for (const auto& [id, cell] : t.by_id) {
        std::lock_guard cell_lock(cell->mu);
        if (!cell->status_dirty) continue;
        cell->status_dirty = false;
        writes.emplace_back(DocKey(tenant, id), EncodeStatus(cell->status));
      }
    }
  }
  for (const auto& [key, bytes] : writes) {
    DOTHI_RETURN_IF_ERROR(store_.PutDocument(kStatusDocKind, key, bytes));
  }
  return Status::OK();
}

void SubscriptionService::Stop() {
  std::vector<std::thread> senders;
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
    senders.swap(senders_);
  }
  queue_cv_.notify_all();
  timer_cv_.notify_all();
  for (auto& t : senders) t.join();
  if (timer_.joinable()) timer_.join();
  {
    std::lock_guard lock(queue_mu_);
    queue_.clear();
    retries_.clear();
  }
  if (Status s = FlushStatus(); !s.ok()) spdlog::warn("notification counters not saved: {}", s.ToString());
}

Status SubscriptionService::Persist(std::string_view tenant, const domain::Subscription& s) {
  return store_.PutDocument(kDocKind, DocKey(tenant, s.id), codec_.Encode(s));
}

Status SubscriptionService::Create(const RequestContext& ctx, domain::Subscription s) {
  std::lock_guard change(change_mu_);
  {
    std::shared_lock lock(mu_);
    auto t = tenants_.find(ctx.tenant);
    if (t != tenants_.end()) {
      if (t->second.by_id.count(s.id)) return Status::AlreadyExists("subscription already exists", s.id);
      if (t->second.by_id.size() >= options_.max_subscriptions_per_tenant) {
        return Status::InvalidRequest("too many subscriptions in this tenant",
                                      "limit " + std::to_string(options_.max_subscriptions_per_tenant));
      }
    }
  }
  DOTHI_RETURN_IF_ERROR(Persist(ctx.tenant, s));  // without mu_ (see change_mu_)
  auto cell = std::make_shared<Cell>();
  std::string id = s.id;
  cell->subscription = std::make_shared<const domain::Subscription>(std::move(s));
  std::unique_lock lock(mu_);
  cell->order = next_order_++;
  Tenant& t = tenants_[ctx.tenant];
  if (t.by_id.empty()) watched_tenants_.fetch_add(1);
  t.by_id.emplace(std::move(id), std::move(cell));
  return Status::OK();
}

SubscriptionView SubscriptionService::ViewOf(const Cell& c) {
  std::lock_guard lock(c.mu);
  return SubscriptionView{c.subscription, c.status};
}

Result<SubscriptionView> SubscriptionService::Get(const RequestContext& ctx,
                                                  std::string_view id) const {
  std::shared_lock lock(mu_);
  auto t = tenants_.find(ctx.tenant);
  if (t == tenants_.end()) return Status::NotFound("subscription not found", std::string(id));
  auto it = t->second.by_id.find(id);
  if (it == t->second.by_id.end()) return Status::NotFound("subscription not found", std::string(id));
  return ViewOf(*it->second);
}

Result<std::vector<SubscriptionView>> SubscriptionService::List(const RequestContext& ctx,
                                                                std::size_t limit,
                                                                std::size_t offset,
                                                                std::size_t* total) const {
  if (limit > options_.max_page_size) {
    return Status::TooManyResults("limit too large",
                                  "at most " + std::to_string(options_.max_page_size));
  }
  std::vector<const Cell*> cells;
  std::shared_lock lock(mu_);
  auto t = tenants_.find(ctx.tenant);
  if (t != tenants_.end()) {
    for (const auto& [id, cell] : t->second.by_id) cells.push_back(cell.get());
  }
  std::sort(cells.begin(), cells.end(), [](const Cell* a, const Cell* b) { return a->order < b->order; });
  if (total != nullptr) *total = cells.size();
  std::vector<SubscriptionView> out;
  for (std::size_t i = offset; i < cells.size() && out.size() < limit; ++i) {
    out.push_back(ViewOf(*cells[i]));
  }
  return out;
}

std::shared_ptr<SubscriptionService::Cell> SubscriptionService::FindCell(std::string_view tenant,
                                                                          std::string_view id) const {
  std::shared_lock lock(mu_);
  auto t = tenants_.find(tenant);
  if (t == tenants_.end()) return nullptr;
  auto it = t->second.by_id.find(id);
  return it == t->second.by_id.end() ? nullptr : it->second;
}

Status SubscriptionService::Replace(const RequestContext& ctx, domain::Subscription s) {
  std::lock_guard change(change_mu_);  // the cell found stays in place until we are done
  std::shared_ptr<Cell> cell = FindCell(ctx.tenant, s.id);
  if (cell == nullptr) return Status::NotFound("subscription not found", s.id);
  DOTHI_RETURN_IF_ERROR(Persist(ctx.tenant, s));  // without mu_ (see change_mu_)
  std::lock_guard cell_lock(cell->mu);
  cell->subscription = std::make_shared<const domain::Subscription>(std::move(s));
  return Status::OK();
}

Status SubscriptionService::Delete(const RequestContext& ctx, std::string_view id) {
  std::lock_guard change(change_mu_);
  if (FindCell(ctx.tenant, id) == nullptr) return Status::NotFound("subscription not found", std::string(id));
  DOTHI_RETURN_IF_ERROR(store_.DeleteDocument(kDocKind, DocKey(ctx.tenant, id)));
  (void)store_.DeleteDocument(kStatusDocKind, DocKey(ctx.tenant, id));  // may not exist
  std::unique_lock lock(mu_);
  auto t = tenants_.find(ctx.tenant);
  if (t == tenants_.end()) return Status::OK();
  t->second.by_id.erase(std::string(id));
  if (t->second.by_id.empty()) watched_tenants_.fetch_sub(1);
  return Status::OK();
}

bool SubscriptionService::WatchesTenant(std::string_view tenant) const {
  if (watched_tenants_.load(std::memory_order_relaxed) == 0) return false;
  std::shared_lock lock(mu_);
  auto t = tenants_.find(tenant);
  return t != tenants_.end() && !t->second.by_id.empty();
}

void SubscriptionService::OnEntityChange(std::string_view tenant, const domain::Entity* before,
                                         const domain::Entity* after) {
  const Timestamp now = Now();
  std::vector<Job> jobs;
  {
    std::shared_lock lock(mu_);
    auto t = tenants_.find(tenant);
    if (t == tenants_.end()) return;
    for (const auto& [id, cell] : t->second.by_id) {
      std::shared_ptr<const domain::Subscription> sub;
      {
        std::lock_guard cell_lock(cell->mu);
        sub = cell->subscription;
      }
      if (sub->StatusAt(now) != "active") continue;
      std::optional<domain::Trigger> trigger = sub->TriggerFor(before, after);
      if (!trigger) continue;
      {
        std::lock_guard cell_lock(cell->mu);
        if (sub->throttling && cell->last_sent &&
            static_cast<double>(now.micros - cell->last_sent->micros) < *sub->throttling * 1e6) {
          continue;  // within the throttling period: not notified
        }
        cell->last_sent = now;
      }
      Job job;
      job.notification = NewNotification(tenant, sub, now);
      job.notification.trigger = *trigger;
      job.notification.entities.push_back(after != nullptr ? *after : *before);
      if (before != nullptr && after != nullptr &&
          (sub->notification.show_changes || *trigger == domain::Trigger::kAttributeDeleted)) {
        job.notification.previous = *before;
      }
      job.notification.entity_deleted = after == nullptr;
      job.cell = cell;
      jobs.push_back(std::move(job));
    }
  }
  for (Job& job : jobs) Enqueue(std::move(job));
}

void SubscriptionService::Enqueue(Job job) {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_ || queue_.size() + retries_.size() >= options_.max_queue) {
      ++stats_.dropped;
      return;
    }
    ++stats_.queued;
    job.due = std::chrono::steady_clock::now();
    queue_.push_back(std::move(job));
  }
  queue_cv_.notify_one();
}

void SubscriptionService::SenderLoop() {
  std::unique_lock lock(queue_mu_);
  while (true) {
    if (stopping_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!retries_.empty() && retries_.begin()->first <= now) {
      queue_.push_back(std::move(retries_.begin()->second));
      retries_.erase(retries_.begin());
    }
    if (queue_.empty()) {
      if (retries_.empty()) {
        queue_cv_.wait(lock);
      } else {
        queue_cv_.wait_until(lock, retries_.begin()->first);
      }
      continue;
    }
    Job job = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();

    Status s = sink_.Deliver(job.notification);
    const Timestamp at = Now();
    {
      std::lock_guard cell_lock(job.cell->mu);
      NotificationStatus& st = job.cell->status;
      job.cell->status_dirty = true;
      st.last_notification = at;
      if (s.ok()) {
        ++st.times_sent;
        st.last_success = at;
        st.ok = true;
      } else {
        ++st.times_failed;
        st.last_failure = at;
        st.last_failure_reason = s.ToString();
        st.ok = false;
      }
    }
    lock.lock();
    if (s.ok()) {
      ++stats_.delivered;
    } else {
      ++stats_.failed_attempts;
      if (job.attempt < options_.retry_delays.size()) {
        const auto due = std::chrono::steady_clock::now() + options_.retry_delays[job.attempt];
        ++job.attempt;
        retries_.emplace(due, std::move(job));
      } else {
        spdlog::warn("notification {} for subscription {} given up after {} attempts: {}",
                     job.notification.id, job.notification.subscription->id, job.attempt + 1,
                     s.ToString());
      }
    }
  }
}

SubscriptionStats SubscriptionService::Stats() const {
  std::lock_guard lock(queue_mu_);
  return stats_;
}

}  // namespace dothi::service
