#include "app/server_app.h"

#include <malloc.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <thread>

#include <spdlog/spdlog.h>

#include <filesystem>

#include "api/ngsi_ld/context_registry.h"
#include "api/ngsi_ld/device_ingest.h"
#include "api/ngsi_ld/ngsi_ld_api.h"
#include "api/ngsi_ld/notification_sink.h"
#include "api/ngsi_ld/subscription_codec.h"
#include "api/ogc_features/ogc_api.h"
#include "api/ops/ops_api.h"
#include "app/demo_loader.h"
#include "app/demo_planning.h"
#include "app/demo_open311.h"
#include "app/open311_config.h"
#include "api/open311/open311_api.h"
#include "service/open311_catalogue.h"
#include "service/open311_reports.h"
#include "storage/fs/file_media_store.h"
#include "http/client.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "mqtt/publisher.h"
#include "mqtt/subscriber.h"
#include "service/entity_service.h"
#include "service/feature_service.h"
#include "service/layer_service.h"
#include "service/planning_service.h"
#include "api/planning/planning_api.h"
#include "api/tiles/tiles_api.h"
#include "service/tile_service.h"
#include "storage/sqlite/sqlite_layer_store.h"
#include "service/subscription_service.h"
#include "service/temporal_service.h"
#include "storage/sqlite/sqlite_entity_store.h"

namespace dothi::app {

namespace {
constexpr std::string_view kContextDocKind = "jsonld_context";  // store documents kind
}  // namespace

// Runs a task every interval on a thread of its own until destroyed (the layer store
// watcher, the Open311 escalations).
class Ticker {
 public:
  Ticker(std::chrono::milliseconds interval, std::function<void()> task)
      : interval_(interval), task_(std::move(task)), thread_([this] { Run(); }) {}
  ~Ticker() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      task_();
      lock.lock();
    }
  }

  std::chrono::milliseconds interval_;
  std::function<void()> task_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

struct ServerApp::Parts {
  std::unique_ptr<storage::sqlite::SqliteEntityStore> store;
  std::unique_ptr<storage::sqlite::SqliteLayerStore> layer_store;
  std::unique_ptr<service::LayerService> layers;
  // Before the watcher, whose thread calls the layers' change listener (the tile cache).
  std::unique_ptr<service::TileService> tiles;
  std::unique_ptr<Ticker> layer_watcher;  // reloads layers another process (`dothi import`) replaced
  std::unique_ptr<Ticker> open311_escalations;
  std::unique_ptr<service::EntityService> entities;
  std::unique_ptr<api::ngsi_ld::ContextRegistry> contexts;
  std::unique_ptr<api::ngsi_ld::StoredSubscriptionCodec> subscription_codec;
  std::unique_ptr<api::ngsi_ld::HttpNotificationSink> notification_sink;
  std::unique_ptr<service::SubscriptionService> subscriptions;
  std::unique_ptr<service::TemporalService> temporal;
  std::unique_ptr<api::ngsi_ld::NgsiLdApi> ngsi_ld;
  std::unique_ptr<api::ngsi_ld::DeviceIngest> ingest;
  std::unique_ptr<mqtt::Subscriber> mqtt_in;
  http::Metrics metrics;
  std::unique_ptr<api::ops::OpsApi> ops;
  std::unique_ptr<service::FeatureService> features;
  std::unique_ptr<api::ogc::OgcApi> ogc;
  std::unique_ptr<api::tiles::TilesApi> tiles_api;
  std::unique_ptr<service::PlanningService> planning;
  std::unique_ptr<api::planning::PlanningApi> planning_api;
  std::unique_ptr<service::Open311Catalogues> open311_catalogues;
  std::unique_ptr<storage::fs::FileMediaStore> media;
  std::unique_ptr<service::Open311Reports> open311_reports;
  std::unique_ptr<api::open311::Open311Api> open311;
  http::Router router;
  std::unique_ptr<http::Server> server;
};

ServerApp::ServerApp(Config config) : config_(std::move(config)) {}

ServerApp::~ServerApp() { Stop(); }

Status ServerApp::Start() {
  parts_ = std::make_unique<Parts>();
  Parts& p = *parts_;

  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return Status::Unavailable("cannot create data directory", config_.data_dir + ": " + ec.message());

  storage::sqlite::SqliteOptions so;
  so.path = (std::filesystem::path(config_.data_dir) / "dothi.db").string();
  so.synchronous_full = config_.sync_full;
  so.history_merge_rows = config_.history_merge_rows;
  so.history_merge_chunk = config_.history_merge_chunk;
  p.store = std::make_unique<storage::sqlite::SqliteEntityStore>(so);
  DOTHI_RETURN_IF_ERROR(p.store->Open());

  service::EntityServiceOptions eo;
  eo.max_page_size = config_.max_page_size;
  eo.default_page_size = config_.default_page_size;
  eo.max_batch_entities = config_.max_batch_entities;
  eo.record_history = config_.history;
  p.entities = std::make_unique<service::EntityService>(*p.store, eo);
  const auto load_start = std::chrono::steady_clock::now();
  DOTHI_RETURN_IF_ERROR(p.entities->Load());
  std::size_t total = 0;
  for (const auto& [tenant, n] : p.entities->EntityCounts()) total += n;
  spdlog::info("loaded {} entities from {} in {} ms", total, so.path,
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - load_start).count());

  api::ngsi_ld::ContextOptions co;
  co.allow_remote = config_.allow_remote_contexts;
  co.allowed_hosts = config_.context_hosts;
  co.max_bytes = config_.max_context_bytes;
  co.timeout = std::chrono::milliseconds(config_.context_timeout_ms);
  co.base_url = !config_.base_url.empty() ? config_.base_url
                                           : "http://localhost:" + std::to_string(config_.port);
  api::ngsi_ld::ContextFetcher fetcher = [co](std::string_view url) -> Result<std::string> {
    http::ClientOptions opts;
    opts.timeout = co.timeout;
    opts.max_body_bytes = co.max_bytes;
    opts.headers.emplace_back("Accept", "application/ld+json, application/json");
    Result<http::ClientResponse> r = http::HttpGet(url, opts);
    if (!r.ok()) return Status::LdContextNotAvailable("cannot fetch @context", r.status().message());
    if (r->status != 200) {
      return Status::LdContextNotAvailable("cannot fetch @context",
                                           std::string(url) + " answered " + std::to_string(r->status));
    }
    return std::move(r->body);
  };
  storage::EntityStore* store = p.store.get();
  api::ngsi_ld::ContextPersistence persistence;
  persistence.persist = [store](std::string_view id, std::string_view bytes) {
    return store->PutDocument(kContextDocKind, id, bytes);
  };
  persistence.remove = [store](std::string_view id) { return store->DeleteDocument(kContextDocKind, id); };
  p.contexts = std::make_unique<api::ngsi_ld::ContextRegistry>(co, fetcher, persistence);
  Status load_ctx;
  DOTHI_RETURN_IF_ERROR(p.store->ScanDocuments(kContextDocKind, [&](std::string_view id, std::string_view bytes) {
    Status s = p.contexts->LoadHosted(id, bytes);
    if (!s.ok()) spdlog::warn("skipping stored @context {}: {}", id, s.message());
  }));

  if (config_.demo) DOTHI_RETURN_IF_ERROR(LoadDemoCity(*p.entities, config_.demo_sensors));

  // Subscriptions: read after the hosted contexts they may name; they hear every change
  // committed from here on.
  api::ngsi_ld::SubscriptionLimits sl;
  sl.geometry.max_vertices = config_.max_geometry_vertices;
  p.subscription_codec = std::make_unique<api::ngsi_ld::StoredSubscriptionCodec>(*p.contexts, sl);
  api::ngsi_ld::HttpSinkOptions hs;
  hs.timeout = std::chrono::milliseconds(config_.notification_timeout_ms);
  p.notification_sink = std::make_unique<api::ngsi_ld::HttpNotificationSink>(*p.contexts, hs);
  service::SubscriptionServiceOptions sso;
  sso.max_queue = config_.max_notification_queue;
  sso.max_page_size = config_.max_page_size;
  p.subscriptions = std::make_unique<service::SubscriptionService>(
      *p.store, *p.entities, *p.subscription_codec, *p.notification_sink, sso);
  DOTHI_RETURN_IF_ERROR(p.subscriptions->Load());
  p.entities->SetChangeListener(p.subscriptions.get());
  p.subscriptions->Start();

  api::ngsi_ld::NgsiLdOptions no;
  no.limits.geometry.max_vertices = config_.max_geometry_vertices;
  no.limits.max_attributes = config_.max_attributes;
  p.ngsi_ld = std::make_unique<api::ngsi_ld::NgsiLdApi>(*p.entities, *p.contexts, no);
  p.ngsi_ld->SetSubscriptions(p.subscriptions.get(), sl);
  service::TemporalServiceOptions to;
  to.max_instances = config_.max_temporal_instances;
  to.max_read_instances = config_.max_temporal_read;
  to.max_page_size = config_.max_page_size;
  to.default_retention_days = config_.history_retention_days;
  for (const std::string& item : config_.history_retention) {
    const std::size_t eq = item.find('=');
    std::int64_t days = -1;
    if (eq != std::string::npos) {
      try {
        days = std::stoll(item.substr(eq + 1));
      } catch (const std::exception&) {
        days = -1;
      }
    }
    if (eq == std::string::npos || eq == 0 || days < 0) {
      return Status::InvalidRequest("history-retention items are tenant=days", item);
    }
    const std::string tenant = item.substr(0, eq);
    to.retention_days.emplace_back(tenant == "_" ? std::string() : tenant, days);
  }
  p.temporal = std::make_unique<service::TemporalService>(*p.store, to);
  if (config_.history) {
    DOTHI_RETURN_IF_ERROR(p.temporal->Backfill(*p.store));
  } else {
    // What this run changes goes unrecorded: the next start with history catches up.
    DOTHI_RETURN_IF_ERROR(p.store->MarkNeedsBackfill());
  }
  p.temporal->StartRetention(std::chrono::seconds(std::max(1, config_.retention_sweep_interval_s)));
  p.ngsi_ld->SetTemporal(p.temporal.get());
  p.ops = std::make_unique<api::ops::OpsApi>(*p.entities, p.metrics);
  auto layer_store = storage::sqlite::SqliteLayerStore::Open(
      (std::filesystem::path(config_.data_dir) / "layers.db").string());
  if (!layer_store.ok()) return layer_store.status();
  p.layer_store = std::move(*layer_store);
  p.layers = std::make_unique<service::LayerService>(*p.layer_store);
  DOTHI_RETURN_IF_ERROR(p.layers->Refresh());
  if (config_.demo) DOTHI_RETURN_IF_ERROR(LoadDemoPlanning(*p.layers));
  service::LayerService* layers = p.layers.get();
  p.layer_watcher = std::make_unique<Ticker>(std::chrono::seconds(1), [layers] {
    if (Status s = layers->RefreshIfChanged(); !s.ok()) spdlog::warn("cannot reload layers: {}", s.ToString());
  });
  p.features = std::make_unique<service::FeatureService>(*p.entities, *p.layers);
  api::ogc::OgcOptions oo;
  oo.default_tenant = config_.ogc_tenant == "_" ? std::string()
                      : !config_.ogc_tenant.empty() ? config_.ogc_tenant
                      : config_.demo ? std::string(kDemoTenant) : std::string();
  oo.base_url = config_.base_url;
  while (!oo.base_url.empty() && oo.base_url.back() == '/') oo.base_url.pop_back();
  oo.filter_limits.max_text_length = config_.ogc_max_filter_bytes;
  oo.filter_limits.max_nodes = config_.ogc_max_filter_nodes;
  oo.filter_limits.max_vertices = config_.ogc_max_filter_vertices;
  oo.extension = api::tiles::TilesApi::Extension();
  p.ogc = std::make_unique<api::ogc::OgcApi>(*p.features, oo);
  service::TileServiceOptions tso;
  tso.max_features = config_.tile_max_features;
  tso.cache_bytes = config_.tile_cache_bytes;
  p.tiles = std::make_unique<service::TileService>(*p.entities, *p.layers, *p.features, tso);
  service::TileService* tiles = p.tiles.get();
  p.layers->SetChangeListener(
      [tiles](const std::string& tenant, const std::string& name) { tiles->OnLayerChanged(tenant, name); });
  api::tiles::TilesOptions to_tiles;
  to_tiles.default_tenant = oo.default_tenant;
  to_tiles.base_url = oo.base_url;
  to_tiles.max_age_s = config_.tile_max_age_s;
  p.tiles_api = std::make_unique<api::tiles::TilesApi>(*p.tiles, *p.features, to_tiles);
  p.metrics.AddCounter("dothi_tile_cache_total", "Vector tile cache lookups and drops by outcome", [tiles] {
    const service::TileCache::Stats st = tiles->CacheStats();
    return std::vector<http::Metrics::Sample>{{{{"outcome", "hit"}}, double(st.hits)},
                                              {{{"outcome", "miss"}}, double(st.misses)},
                                              {{{"outcome", "evicted"}}, double(st.evictions)},
                                              {{{"outcome", "invalidated"}}, double(st.invalidations)}};
  });
  p.metrics.AddGauge("dothi_tile_cache_bytes", "Bytes held by the vector tile cache", [tiles] {
    return std::vector<http::Metrics::Sample>{{{}, double(tiles->CacheStats().bytes)}};
  });
  p.planning = std::make_unique<service::PlanningService>(*p.layers);
  api::planning::PlanningOptions po;
  po.default_tenant = oo.default_tenant;
  p.planning_api = std::make_unique<api::planning::PlanningApi>(*p.planning, po);
  p.open311_catalogues = std::make_unique<service::Open311Catalogues>();
  if (config_.demo) {
    DOTHI_RETURN_IF_ERROR(p.open311_catalogues->Put(kDemoTenant, DemoOpen311Services()));
    p.open311_catalogues->PutCalendar(kDemoTenant, DemoOpen311Calendar());
  }
  if (!config_.open311_catalogue.empty()) {
    DOTHI_RETURN_IF_ERROR(LoadOpen311Config(config_.open311_catalogue, *p.open311_catalogues));
  }
  service::Open311ReportOptions ro;
  ro.duplicate_radius_m = config_.open311_duplicate_radius_m;
  ro.duplicate_days = config_.open311_duplicate_days;
  ro.max_description_bytes = config_.open311_max_description_bytes;
  ro.feedback_days = config_.open311_feedback_days;
  auto media = storage::fs::FileMediaStore::Open((std::filesystem::path(config_.data_dir) / "media").string());
  if (!media.ok()) return media.status();
  p.media = std::move(*media);
  p.open311_reports = std::make_unique<service::Open311Reports>(*p.entities, *p.store, *p.open311_catalogues,
                                                                p.planning.get(), p.media.get(), ro);
  DOTHI_RETURN_IF_ERROR(p.open311_reports->Load());
  service::Open311Reports* reports = p.open311_reports.get();
  p.open311_escalations = std::make_unique<Ticker>(
      std::chrono::milliseconds(std::int64_t{std::max(1, config_.open311_escalation_interval_s)} * 1000), [reports] {
        Result<std::size_t> raised = reports->RecordEscalations(Now());
        if (!raised.ok()) spdlog::warn("cannot record Open311 escalations: {}", raised.status().ToString());
        else if (*raised > 0) spdlog::info("Open311: {} overdue reports escalated", *raised);
      });
  api::open311::Open311Options o3;
  o3.default_tenant = oo.default_tenant;
  o3.client_api_keys = config_.open311_api_keys;
  o3.admin_api_keys = config_.open311_admin_keys;
  o3.max_media_bytes = config_.open311_max_media_bytes;
  o3.base_url = oo.base_url;
  p.open311 = std::make_unique<api::open311::Open311Api>(*p.open311_catalogues, *p.open311_reports, o3);
  storage::sqlite::SqliteEntityStore* sqlite = p.store.get();
  p.metrics.AddCounter("dothi_store_commits_total", "Durable commits acknowledged by the store", [sqlite] {
    return std::vector<http::Metrics::Sample>{{{}, double(sqlite->Stats().commits)}};
  });
  p.metrics.AddCounter("dothi_store_transactions_total", "Store transactions (group commits)", [sqlite] {
    return std::vector<http::Metrics::Sample>{{{}, double(sqlite->Stats().transactions)}};
  });
  p.metrics.AddCounter("dothi_store_commit_seconds_total", "Time spent in store transactions", [sqlite] {
    return std::vector<http::Metrics::Sample>{{{}, double(sqlite->Stats().commit_micros_sum) / 1e6}};
  });
  p.metrics.AddCounter("dothi_store_wal_checkpoints_total",
                       "Checkpoints that copied the whole write-ahead log into the database file", [sqlite] {
                         return std::vector<http::Metrics::Sample>{{{}, double(sqlite->Stats().checkpoints)}};
                       });
  p.metrics.AddGauge("dothi_store_wal_pages", "Pages in the write-ahead log after the last commit", [sqlite] {
    return std::vector<http::Metrics::Sample>{{{}, double(sqlite->Stats().wal_pages)}};
  });
  p.metrics.AddGauge("dothi_history_waiting_instances",
                     "History instances waiting for their month index entries", [sqlite] {
                       return std::vector<http::Metrics::Sample>{{{}, double(sqlite->MergeStats().waiting)}};
                     });
  p.metrics.AddCounter("dothi_history_merged_instances_total",
                       "History instances merged into their month tables", [sqlite] {
                         return std::vector<http::Metrics::Sample>{{{}, double(sqlite->MergeStats().merged)}};
                       });
  p.metrics.AddCounter("dothi_history_merge_seconds_total", "Time spent in history merge transactions",
                       [sqlite] {
                         return std::vector<http::Metrics::Sample>{
                             {{}, double(sqlite->MergeStats().merge_micros) / 1e6}};
                       });
  service::SubscriptionService* subs = p.subscriptions.get();
  p.metrics.AddCounter("dothi_notifications_total", "Notifications by outcome: queued, delivered, failed (attempts), dropped (queue full)", [subs] {
    const service::SubscriptionStats st = subs->Stats();
    return std::vector<http::Metrics::Sample>{{{{"outcome", "queued"}}, double(st.queued)},
                                              {{{"outcome", "delivered"}}, double(st.delivered)},
                                              {{{"outcome", "failed"}}, double(st.failed_attempts)},
                                              {{{"outcome", "dropped"}}, double(st.dropped)}};
  });
  if (!config_.mqtt_broker.empty()) {
    Result<mqtt::MqttUrl> broker = mqtt::ParseBrokerUrl(config_.mqtt_broker);
    if (!broker.ok()) return broker.status();
    api::ngsi_ld::IngestOptions io;
    io.max_payload_bytes = config_.max_mqtt_payload_bytes;
    io.limits = no.limits;
    p.ingest = std::make_unique<api::ngsi_ld::DeviceIngest>(*p.entities, io);
    mqtt::SubscriberOptions mo;
    mo.host = broker->host;
    mo.port = broker->port;
    mo.username = broker->username;
    mo.password = broker->password;
    mo.client_id = config_.mqtt_client_id;
    api::ngsi_ld::DeviceIngest* ingest = p.ingest.get();
    p.mqtt_in = std::make_unique<mqtt::Subscriber>(
        mo, [ingest](std::string_view topic, std::string_view payload) { ingest->OnMessage(topic, payload); });
    DOTHI_RETURN_IF_ERROR(p.mqtt_in->Start());
    mqtt::Subscriber* in = p.mqtt_in.get();
    p.metrics.AddCounter("dothi_mqtt_messages_total", "Device messages by outcome", [ingest] {
      const api::ngsi_ld::IngestStats st = ingest->Stats();
      return std::vector<http::Metrics::Sample>{
          {{{"outcome", "received"}}, double(st.received)},
          {{{"outcome", "written"}}, double(st.written)},
          {{{"outcome", "unknown_device"}}, double(st.unknown_device)},
          {{{"outcome", "rejected_key"}}, double(st.rejected_key)},
          {{{"outcome", "malformed"}}, double(st.malformed)},
          {{{"outcome", "oversized"}}, double(st.oversized)},
          {{{"outcome", "failed"}}, double(st.failed)}};
    });
    p.metrics.AddCounter("dothi_mqtt_connects_total", "Connections made to the MQTT broker", [in] {
      return std::vector<http::Metrics::Sample>{{{}, double(in->connects())}};
    });
  }
  p.ops->RegisterRoutes(p.router);
  p.ngsi_ld->RegisterRoutes(p.router);
  p.ogc->RegisterRoutes(p.router);
  p.tiles_api->RegisterRoutes(p.router);
  p.planning_api->RegisterRoutes(p.router);
  p.open311->RegisterRoutes(p.router);

  http::ServerOptions ho;
  ho.address = config_.address;
  ho.port = config_.port;
  ho.io_threads = config_.io_threads;
  ho.worker_threads = config_.worker_threads;
  ho.max_body_bytes = config_.max_body_bytes;
  ho.max_header_bytes = config_.max_header_bytes;
  ho.request_timeout = std::chrono::milliseconds(config_.request_timeout_ms);
  ho.keep_alive_timeout = std::chrono::milliseconds(config_.keep_alive_timeout_ms);
  ho.max_connections = config_.max_connections;
  ho.shutdown_grace = std::chrono::milliseconds(config_.shutdown_grace_ms);
  ho.access_log = config_.access_log;
  ho.idle_after_body_bytes = config_.trim_after_bytes;
  ho.on_idle = [] {
    // Batch loads free much of what they allocated, scattered over the heaps; glibc keeps
    // it until asked (about 90 MiB after loading 1M entities, docs/benchmarks.md).
    const auto start = std::chrono::steady_clock::now();
    malloc_trim(0);
    spdlog::debug("free heap memory given back to the system in {} ms",
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start).count());
  };
  p.server = std::make_unique<http::Server>(ho, p.router, p.metrics);
  DOTHI_RETURN_IF_ERROR(p.server->Start());
  if (config_.base_url.empty() && config_.port == 0) {
    p.contexts->SetBaseUrl("http://localhost:" + std::to_string(p.server->port()));
  }
  spdlog::info("dothi listening on http://{}:{}", config_.address, p.server->port());
  return Status::OK();
}

std::uint16_t ServerApp::port() const { return parts_ && parts_->server ? parts_->server->port() : 0; }

void ServerApp::Stop() {
  if (!parts_) return;
  if (parts_->server) parts_->server->Stop();  // in-flight requests finish first
  parts_->server.reset();
  if (parts_->mqtt_in) parts_->mqtt_in->Stop();  // no new device messages
  if (parts_->subscriptions) parts_->subscriptions->Stop();  // queued notifications are dropped
  if (parts_->temporal) parts_->temporal->Stop();  // a sweep in progress ends after its step
  parts_->layer_watcher.reset();
  parts_->open311_escalations.reset();  // before the store closes
  if (parts_->store) parts_->store->Close();  // drains pending commits, checkpoints
  parts_.reset();
}

}  // namespace dothi::app
