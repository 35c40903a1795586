#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// Config is everything `dothi serve` can be told, with a default and a sentence for each
// field. Values come from (later wins) the defaults, a TOML file (--config), DOTHI_*
// environment variables and command-line flags; app/cli.cc binds them. Plain struct.
namespace dothi::app {

struct Config {
  // Address to listen on; 0.0.0.0 for every interface, 127.0.0.1 for loopback only.
  std::string address = "0.0.0.0";
  // TCP port to listen on; 0 picks a free port (printed at start-up).
  std::uint16_t port = 8080;
  // Directory of the embedded store (created if missing).
  std::string data_dir = "./data";
  // Threads running the HTTP event loop.
  int io_threads = 2;
  // Threads running request handlers: queries, batch operations (which wait for their
  // durable commit) and discovery. Single-entity writes do not hold one while they commit.
  // Few threads also mean few malloc arenas: 8 instead of 64 kept RSS after a bulk load of
  // 1M entities at 992 instead of 1,145 MiB here, at the same load rate.
  int worker_threads = 8;
  // glibc malloc arenas (0: glibc's default of 8 per core). Few arenas keep the heap of
  // many request threads compact (4 arenas: ~200 MiB less RSS after a bulk load of 1M
  // entities) but made geo+q queries in that process about 1.7x slower here.
  int malloc_arenas = 0;
  // Freed blocks glibc keeps per size class in each thread's cache (its default is 7).
  // Requests in flight free their blocks together when their group commit reports, which
  // overflows 7 at once. 64 took 2.4% of the user-space instructions of a durable update
  // away (bench/instructions.sh: 100.2k -> 97.8k) and left RSS after loading 1M entities
  // within the noise (942 against 933 MiB); 256 saved no more and added 42 MiB there.
  // glibc reads it only from GLIBC_TUNABLES at start, so `serve` executes its own binary
  // again once with it added (main.cc); 0: leave glibc's default.
  int malloc_tcache = 64;
  // Largest request body, in bytes; larger bodies get 413.
  std::size_t max_body_bytes = std::size_t{8} << 20;
  // Largest request line and headers, in bytes; larger get 431.
  std::size_t max_header_bytes = std::size_t{16} << 10;
  // Time to read one request or write one response, in milliseconds.
  int request_timeout_ms = 30000;
  // Idle keep-alive connections close after this many milliseconds.
  int keep_alive_timeout_ms = 60000;
  // Open connections beyond this are refused.
  std::size_t max_connections = 10000;
  // Time in-flight requests get to finish on SIGTERM, in milliseconds.
  int shutdown_grace_ms = 10000;
  // Largest page (limit) a query may ask for.
  std::size_t max_page_size = 1000;
  // Page size when a query gives no limit.
  std::size_t default_page_size = 20;
  // Most entities in one batch operation.
  std::size_t max_batch_entities = 1000;
  // Most vertices in one geometry (GeoProperty value or geoQ).
  std::size_t max_geometry_vertices = 100000;
  // Most attributes in one entity.
  std::size_t max_attributes = 1000;
  // fsync every commit (durable on power loss); off still survives a process crash.
  bool sync_full = true;
  // After this many bytes of request bodies, free heap memory goes back to the system at
  // the next moment no request is in flight (glibc malloc_trim); 0: never.
  std::size_t trim_after_bytes = std::size_t{64} << 20;
  // Log one line per request.
  bool access_log = true;
  // Log level: trace, debug, info, warn, error.
  std::string log_level = "info";
  // Fetch remote JSON-LD @context URLs (off: only built-in and hosted contexts work).
  bool allow_remote_contexts = false;
  // Hosts remote contexts may be fetched from; empty means any host when allowed.
  std::vector<std::string> context_hosts;
  // Largest remote @context document, in bytes.
  std::size_t max_context_bytes = std::size_t{1} << 20;
  // Time allowed to fetch one remote @context, in milliseconds.
  int context_timeout_ms = 5000;
  // Time a notification receiver has to answer one notification, in milliseconds.
  int notification_timeout_ms = 5000;
  // Notifications waiting to be sent at most; more are dropped (and counted in /metrics).
  std::size_t max_notification_queue = 10000;
  // MQTT broker devices publish to (mqtt://[user[:password]@]host[:port]); empty: no ingestion.
  std::string mqtt_broker;
  // Client id of dothi's persistent session on that broker.
  std::string mqtt_client_id = "dothi-ingest";
  // Largest device message accepted, in bytes.
  std::size_t max_mqtt_payload_bytes = 64 * 1024;
  // Keep the temporal history: every attribute change is also stored as an instance
  // (GET /ngsi-ld/v1/temporal/...), in the same transaction as the change.
  bool history = true;
  // History instances of existing series wait unindexed until this many are waiting, then
  // are merged into their month tables (more: fewer index pages written per instance, more
  // rows for a read to look up one by one).
  std::size_t history_merge_rows = 65536;
  // Most instances moved by one merge transaction (writes wait for one at most).
  std::size_t history_merge_chunk = 4096;
  // Most instances a temporal answer gives per attribute; more makes it partial (206).
  std::size_t max_temporal_instances = 10000;
  // Most history instances one temporal request may read (aggregations read their whole
  // window); more is 403 TooManyResults.
  std::size_t max_temporal_read = 5'000'000;
  // Days of history kept for every tenant (0: forever), unless history_retention names it.
  std::int64_t history_retention_days = 0;
  // Per-tenant retention as "tenant=days" ("_" is the default tenant), e.g. "demo=30".
  std::vector<std::string> history_retention;
  // Seconds between retention sweeps (each deletes in short transactions of its own).
  int retention_sweep_interval_s = 3600;
  // Public base URL of this server, used in hosted @context URLs; empty means
  // http://localhost:<port>.
  std::string base_url;
  // Tenant whose data /ogc serves to requests without an NGSILD-Tenant header: "_" is the
  // default tenant; empty means "demo" with --demo and the default tenant otherwise.
  std::string ogc_tenant;
  // Longest /ogc filter parameter accepted (cql2-text or cql2-json), in bytes; longer is 400.
  std::size_t ogc_max_filter_bytes = std::size_t{16} << 10;
  // Most operators and predicates in one /ogc filter.
  std::size_t ogc_max_filter_nodes = 1024;
  // Most positions in the geometry literals of one /ogc filter.
  std::size_t ogc_max_filter_vertices = 10000;
  // Most features in one vector tile, over all its layers; beyond it the largest are kept.
  std::size_t tile_max_features = 50'000;
  // Bytes of gzip-compressed vector tiles of imported layers kept in memory (0: no cache).
  // Tiles of NGSI-LD entity types are never cached.
  std::size_t tile_cache_bytes = std::size_t{64} << 20;
  // Cache-Control max-age of layer tiles, in seconds (entity-type tiles: no-cache).
  int tile_max_age_s = 60;
  // Open311 jurisdictions (services, departments, deadlines, working calendar) from a JSON
  // file (docs/open311.md); empty: none besides the demo's.
  std::string open311_catalogue;
  // Keys an Open311 client must send as api_key to POST requests (empty: none needed).
  // Secrets: never logged.
  std::vector<std::string> open311_api_keys;
  // Administrator keys for Open311 staff actions (status updates, comments, erasing personal
  // data, reading the reporter); none: staff actions are off. Secrets: never logged.
  std::vector<std::string> open311_admin_keys;
  // Days after a resolution in which the reporter may rate or reopen the report.
  int open311_feedback_days = 14;
  // A new Open311 report this close (metres) to an open one of the same service, made in
  // the last open311_duplicate_days days, is offered as a possible duplicate.
  double open311_duplicate_radius_m = 50;
  int open311_duplicate_days = 7;
  // Seconds between looks for Open311 reports that went past a deadline (their escalation
  // is recorded so that subscriptions and the operations centre hear of it).
  int open311_escalation_interval_s = 60;
  // Largest photo in an Open311 report or staff update, in bytes (max_body_bytes applies
  // to the whole request too).
  std::size_t open311_max_media_bytes = std::size_t{6} << 20;
  // Longest description of an Open311 report, in bytes.
  std::size_t open311_max_description_bytes = 4000;
  // Load the generated demo city into tenant "demo" at start-up (when it is empty).
  bool demo = false;
  // Sensor entities the demo city gets.
  std::size_t demo_sensors = 6000;
};

}  // namespace dothi::app
