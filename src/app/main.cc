// dothi: the smart-city platform server. Subcommands: serve, version.
#include <signal.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#include <sys/auxv.h>
#endif
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <toml++/toml.h>

#include "app/config.h"
#include "app/import_command.h"
#include "app/malloc_tcache.h"
#include "app/server_app.h"
#include "app/simulator.h"

namespace {

constexpr const char* kVersion = "0.1.0";

// Binds one Config field to --flag and DOTHI_<NAME>.
template <typename T>
CLI::Option* Bind(CLI::App& cmd, const std::string& flag, T& field, const std::string& help) {
  std::string env = "DOTHI_";
  for (char c : flag) env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return cmd.add_option("--" + flag, field, help)->envname(env)->capture_default_str();
}

// The value of --config in argv, if any ("--config FILE" or "--config=FILE").
std::string ConfigFileArg(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) return argv[i + 1];
    if (std::strncmp(argv[i], "--config=", 9) == 0) return argv[i] + 9;
  }
  return {};
}

// Applies a TOML file's keys (the flag names, at the top level or under [serve]) as the
// defaults of the serve options, so that environment variables and flags still win.
bool ApplyConfigFile(CLI::App& serve, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::cerr << "config file " << path << ": " << e.description() << " (line "
              << e.source().begin.line << ")\n";
    return false;
  }
  const toml::table* sections[] = {&table, table["serve"].as_table()};
  for (const toml::table* t : sections) {
    if (t == nullptr) continue;
    for (const auto& [key, node] : *t) {
      if (t == &table && key.str() == "serve" && node.is_table()) continue;
      CLI::Option* opt = nullptr;
      try {
        opt = serve.get_option("--" + std::string(key.str()));
      } catch (const CLI::OptionNotFound&) {
        std::cerr << "config file " << path << ": unknown option " << key.str() << "\n";
        return false;
      }
      std::string value;
      if (const auto* s = node.as_string()) {
        value = s->get();
      } else if (const auto* i = node.as_integer()) {
        value = std::to_string(i->get());
      } else if (const auto* b = node.as_boolean()) {
        value = b->get() ? "true" : "false";
      } else if (const auto* a = node.as_array()) {
        for (const auto& item : *a) {
          if (!value.empty()) value += ',';
          if (const auto* s = item.as_string()) value += s->get();
        }
      } else {
        std::cerr << "config file " << path << ": unsupported value for " << key.str() << "\n";
        return false;
      }
      opt->default_val(value);
    }
  }
  return true;
}

#if defined(__GLIBC__)
// Executes this binary again with the same arguments and glibc's thread cache size added to
// GLIBC_TUNABLES, when app::TunablesToExecWith says to (the process keeps its id, its
// descriptors and the rest of its environment). Returns when there is nothing to do, and
// when the exec failed; serve then goes on as it is.
void ExecWithThreadCache(int tcache, char** argv) {
  const bool executed = std::getenv(dothi::app::kTcacheExecutedVar) != nullptr;
  unsetenv(dothi::app::kTcacheExecutedVar);  // not for processes this one starts
  const char* current = std::getenv("GLIBC_TUNABLES");
  const std::optional<std::string> tunables = dothi::app::TunablesToExecWith(
      tcache, current, executed, getauxval(AT_SECURE) != 0);
  if (!tunables) return;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return;
  self[n] = '\0';
  const std::optional<std::string> previous =
      current != nullptr ? std::optional<std::string>(current) : std::nullopt;
  setenv("GLIBC_TUNABLES", tunables->c_str(), 1);
  setenv(dothi::app::kTcacheExecutedVar, "1", 1);
  execv(self, argv);
  // Still here: go on without it, with the environment as it was.
  const int error = errno;
  unsetenv(dothi::app::kTcacheExecutedVar);
  if (previous) setenv("GLIBC_TUNABLES", previous->c_str(), 1);
  else unsetenv("GLIBC_TUNABLES");
  spdlog::warn("malloc-tcache: cannot execute {} again ({}); glibc's default thread cache",
               self, std::strerror(error));
}
#endif

int Serve(dothi::app::Config config, char** argv) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
#if defined(__GLIBC__)
  ExecWithThreadCache(config.malloc_tcache, argv);  // first: nothing is open or running yet
  if (config.malloc_arenas > 0) mallopt(M_ARENA_MAX, config.malloc_arenas);  // before any thread
#else
  (void)argv;
#endif
  // SIGINT/SIGTERM are taken by this thread with sigwait; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  dothi::app::ServerApp app(config);
  if (dothi::Status s = app.Start(); !s.ok()) {
    spdlog::error("start failed: {}", s.ToString());
    return 1;
  }
  std::printf("dothi %s serving on http://%s:%u\n", kVersion, config.address.c_str(), app.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: stopping (in-flight requests finish)", sig);
  app.Stop();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"dothi - open smart-city platform (NGSI-LD)"};
  cli.require_subcommand(1);
  dothi::app::Config config;

  CLI::App* serve = cli.add_subcommand("serve", "Run the HTTP server");
  std::string config_file;
  serve->add_option("--config", config_file, "TOML file with serve options (keys are the flag names)")
      ->envname("DOTHI_CONFIG");
  Bind(*serve, "address", config.address, "Address to listen on (0.0.0.0: every interface)");
  Bind(*serve, "port", config.port, "TCP port to listen on (0: any free port)");
  Bind(*serve, "data-dir", config.data_dir, "Directory of the embedded store");
  Bind(*serve, "io-threads", config.io_threads, "Threads running the HTTP event loop");
  Bind(*serve, "worker-threads", config.worker_threads, "Threads running queries and batch operations (single-entity writes need none while they commit)");
  Bind(*serve, "malloc-arenas", config.malloc_arenas, "glibc malloc arenas (0: glibc's default)");
  Bind(*serve, "malloc-tcache", config.malloc_tcache,
       "Freed blocks per size glibc caches in each thread, set through GLIBC_TUNABLES by starting the binary again once (0: glibc's default)")
      ->check(CLI::Range(0, 65535));
  Bind(*serve, "max-body-bytes", config.max_body_bytes, "Largest request body in bytes (413 beyond)");
  Bind(*serve, "max-header-bytes", config.max_header_bytes, "Largest request headers in bytes (431 beyond)");
  Bind(*serve, "request-timeout-ms", config.request_timeout_ms, "Time to read a request or write a response");
  Bind(*serve, "keep-alive-timeout-ms", config.keep_alive_timeout_ms, "Idle keep-alive connections close after this");
  Bind(*serve, "max-connections", config.max_connections, "Open connections beyond this are refused");
  Bind(*serve, "shutdown-grace-ms", config.shutdown_grace_ms, "Time in-flight requests get on SIGTERM");
  Bind(*serve, "max-page-size", config.max_page_size, "Largest page (limit) a query may ask for");
  Bind(*serve, "default-page-size", config.default_page_size, "Page size when a query gives no limit");
  Bind(*serve, "max-batch-entities", config.max_batch_entities, "Most entities in one batch operation");
  Bind(*serve, "max-geometry-vertices", config.max_geometry_vertices, "Most vertices in one geometry");
  Bind(*serve, "max-attributes", config.max_attributes, "Most attributes in one entity");
  Bind(*serve, "sync-full", config.sync_full, "fsync every commit (durable on power loss)");
  Bind(*serve, "trim-after-bytes", config.trim_after_bytes,
       "After this many bytes of request bodies, give free heap memory back to the system once no request is in flight (0: never)");
  Bind(*serve, "access-log", config.access_log, "Log one line per request");
  Bind(*serve, "log-level", config.log_level, "Log level: trace, debug, info, warn, error");
  Bind(*serve, "allow-remote-contexts", config.allow_remote_contexts, "Fetch remote JSON-LD @context URLs");
  Bind(*serve, "context-hosts", config.context_hosts, "Hosts remote @context may come from (empty: any)")
      ->delimiter(',');
  Bind(*serve, "max-context-bytes", config.max_context_bytes, "Largest remote @context document in bytes");
  Bind(*serve, "context-timeout-ms", config.context_timeout_ms, "Time to fetch one remote @context");
  Bind(*serve, "notification-timeout-ms", config.notification_timeout_ms,
       "Time a notification receiver has to answer");
  Bind(*serve, "max-notification-queue", config.max_notification_queue,
       "Notifications waiting to be sent at most (more are dropped and counted)");
  Bind(*serve, "mqtt-broker", config.mqtt_broker,
       "MQTT broker devices publish measures to, mqtt://host[:port] (empty: no ingestion)");
  Bind(*serve, "mqtt-client-id", config.mqtt_client_id, "Client id of dothi's MQTT session");
  Bind(*serve, "max-mqtt-payload-bytes", config.max_mqtt_payload_bytes,
       "Largest device message accepted, in bytes");
  Bind(*serve, "history", config.history,
       "Keep the temporal history of every attribute change (/ngsi-ld/v1/temporal)");
  Bind(*serve, "history-merge-rows", config.history_merge_rows,
       "History instances waiting for their index entries before a merge adds them")
      ->check(CLI::PositiveNumber);
  Bind(*serve, "history-merge-chunk", config.history_merge_chunk,
       "Most history instances one merge transaction indexes")
      ->check(CLI::PositiveNumber);
  Bind(*serve, "max-temporal-instances", config.max_temporal_instances,
       "Most instances per attribute in one temporal answer (more: 206 partial)");
  Bind(*serve, "max-temporal-read", config.max_temporal_read,
       "Most history instances one temporal request may read (more: 403 TooManyResults)");
  Bind(*serve, "history-retention-days", config.history_retention_days,
       "Days of history kept for every tenant (0: forever)");
  Bind(*serve, "history-retention", config.history_retention,
       "Per-tenant retention as tenant=days, comma-separated (_ is the default tenant)")
      ->delimiter(',');
  Bind(*serve, "retention-sweep-interval-s", config.retention_sweep_interval_s,
       "Seconds between history retention sweeps");
  Bind(*serve, "base-url", config.base_url, "Public base URL, used in hosted @context URLs");
  Bind(*serve, "ogc-tenant", config.ogc_tenant,
       "Tenant /ogc serves without an NGSILD-Tenant header (\"_\": the default tenant; empty: "
       "\"demo\" with --demo, else the default tenant)");
  Bind(*serve, "ogc-max-filter-bytes", config.ogc_max_filter_bytes,
       "Longest /ogc filter parameter accepted, in bytes (longer: 400)")
      ->check(CLI::PositiveNumber);
  Bind(*serve, "ogc-max-filter-nodes", config.ogc_max_filter_nodes,
       "Most operators and predicates in one /ogc filter")
      ->check(CLI::PositiveNumber);
  Bind(*serve, "ogc-max-filter-vertices", config.ogc_max_filter_vertices,
       "Most positions in the geometry literals of one /ogc filter")
      ->check(CLI::PositiveNumber);
  Bind(*serve, "tile-max-features", config.tile_max_features,
       "Most features in one vector tile (beyond it the largest are kept)")
      ->check(CLI::PositiveNumber);
  Bind(*serve, "tile-cache-bytes", config.tile_cache_bytes,
       "Bytes of gzip vector tiles of imported layers kept in memory (0: no cache)");
  Bind(*serve, "tile-max-age-s", config.tile_max_age_s, "Cache-Control max-age of layer tiles, in seconds");
  Bind(*serve, "open311-catalogue", config.open311_catalogue,
       "JSON file of Open311 jurisdictions: services, departments, deadlines, holidays (docs/open311.md)");
  Bind(*serve, "open311-api-keys", config.open311_api_keys,
       "Keys an Open311 client must send as api_key to POST requests, comma-separated (none: no key needed)")
      ->delimiter(',');
  Bind(*serve, "open311-admin-keys", config.open311_admin_keys,
       "Administrator keys for Open311 staff actions, comma-separated (none: staff actions are off)")
      ->delimiter(',');
  Bind(*serve, "open311-feedback-days", config.open311_feedback_days,
       "Days after a resolution in which the reporter may rate or reopen an Open311 report")
      ->check(CLI::NonNegativeNumber);
  Bind(*serve, "open311-duplicate-radius-m", config.open311_duplicate_radius_m,
       "Metres within which an open report of the same service is offered as a possible duplicate")
      ->check(CLI::NonNegativeNumber);
  Bind(*serve, "open311-duplicate-days", config.open311_duplicate_days,
       "Days back an open report is offered as a possible duplicate")
      ->check(CLI::NonNegativeNumber);
  Bind(*serve, "open311-escalation-interval-s", config.open311_escalation_interval_s,
       "Seconds between looks for Open311 reports past a deadline, whose escalation is recorded")
      ->check(CLI::PositiveNumber);
  Bind(*serve, "open311-max-media-bytes", config.open311_max_media_bytes,
       "Largest photo in an Open311 report or staff update, in bytes")
      ->check(CLI::PositiveNumber);
  Bind(*serve, "open311-max-description-bytes", config.open311_max_description_bytes,
       "Longest description of an Open311 report, in bytes")
      ->check(CLI::PositiveNumber);
  Bind(*serve, "demo-sensors", config.demo_sensors, "Sensor entities in the demo city");
  serve->add_flag("--demo", config.demo, "Load the generated demo city into tenant \"demo\"")
      ->envname("DOTHI_DEMO");

  cli.add_subcommand("version", "Print the version")->callback([] { std::cout << "dothi " << kVersion << "\n"; });

  dothi::app::SimulatorOptions sim;
  std::string sim_start, sim_storm;
  CLI::App* simulate = cli.add_subcommand(
      "simulate", "Stream seeded, generated sensor readings for the demo city to a running dothi");
  simulate->add_option("--url", sim.url, "dothi's HTTP address")->capture_default_str();
  simulate->add_option("--tenant", sim.tenant, "Tenant holding the demo city")->capture_default_str();
  simulate->add_option("--mqtt-broker", sim.mqtt_broker,
                       "Send over MQTT through this broker (mqtt://host[:port]) instead of HTTP; "
                       "dothi must ingest from it (serve --mqtt-broker)");
  simulate->add_option("--qos", sim.mqtt_qos, "MQTT QoS of the readings (0, 1, 2)")
      ->check(CLI::Range(0, 2))->capture_default_str();
  simulate->add_option("--seed", sim.seed, "Seed of the demo city (and of the readings)")->capture_default_str();
  simulate->add_option("--sensors", sim.sensors, "Sensors of the demo city (serve --demo-sensors)")
      ->capture_default_str();
  simulate->add_option("--rate", sim.rate, "Messages per second")->check(CLI::PositiveNumber)->capture_default_str();
  simulate->add_option("--duration", sim.duration_seconds, "Seconds to run")->check(CLI::PositiveNumber)
      ->capture_default_str();
  simulate->add_option("--speed", sim.speed, "Simulated seconds per second")->check(CLI::PositiveNumber)
      ->capture_default_str();
  simulate->add_option("--start", sim_start, "Simulated start time, ISO 8601 (default 2025-11-24T09:00+07:00)");
  simulate->add_option("--storm-start", sim_storm, "When the simulated rainstorm begins (default: start + 1 h)");

  dothi::app::ImportOptions imp;
  std::int64_t expected_version = -1;
  CLI::App* import = cli.add_subcommand(
      "import", "Import a GIS file (Shapefile, GeoPackage, GeoJSON, KML, DXF, CSV with WKT) as a layer");
  import->add_option("file", imp.file, "The file to import")->required();
  import->add_option("--data-dir", imp.data_dir, "Directory of the embedded store")
      ->envname("DOTHI_DATA_DIR")->capture_default_str();
  import->add_option("--tenant", imp.tenant, "Tenant (province or city) the layer belongs to; _ for the default tenant")
      ->required();
  import->add_option("--layer", imp.layer,
                     "Layer name: the collection id, lower-case ASCII letters, digits, '_' and '-'")
      ->required();
  import->add_option("--title", imp.title, "Display name (UTF-8), e.g. \"Quy hoạch phân khu 1/2000\"");
  import->add_option("--srs", imp.srs,
                     "CRS of the file's coordinates when its own is missing or wrong: "
                     "VN2000:<province> (TM-3 zone, e.g. VN2000:ha-noi), VN2000:<meridian> "
                     "(VN2000:105.75), VN2000 (geographic), EPSG:<code>, CRS84");
  import->add_option("--source-layer", imp.source_layer, "The file's layer, when it has several");
  import->add_option("--id-field", imp.id_field, "Attribute holding unique feature ids (default: the file's)");
  import->add_option("--encoding", imp.encoding,
                     "Attribute encoding of a Shapefile without .cpg (e.g. UTF-8, CP1258)");
  import->add_flag("--replace", imp.replace, "Replace the layer if it exists (atomically)");
  import->add_option("--expect-version", expected_version,
                     "Replace only if the layer is at this version (0: only if it does not exist)");
  import->add_option("--invalid", imp.invalid,
                     "Invalid geometries: repair (GEOS MakeValid) or refuse the import")
      ->check(CLI::IsMember({"repair", "refuse"}))->capture_default_str();
  import->add_option("--dissolve", imp.dissolve,
                     "Join the features that share this property's value into one (e.g. old "
                     "provinces into the 2025 ones)");
  import->add_option("--role", imp.role, "general, planning, parcel or administrative");
  import->add_option("--field", imp.fields,
                     "Planning field mapping FIELD=PROPERTY, repeatable (e.g. land_use=MA_DAT)");
  import->add_flag("!--no-progress", imp.progress, "No progress bar");

  std::string file = ConfigFileArg(argc, argv);
  if (file.empty()) {
    if (const char* env = std::getenv("DOTHI_CONFIG")) file = env;
  }
  if (!file.empty() && !ApplyConfigFile(*serve, file)) return 2;
  CLI11_PARSE(cli, argc, argv);
  if (serve->parsed()) return Serve(config, argv);
  if (import->parsed()) {
    if (expected_version >= 0) imp.expected_version = expected_version;
    return dothi::app::RunImport(imp, std::cout, std::cerr);
  }
  if (simulate->parsed()) {
    for (auto [text, target] : {std::pair{&sim_start, 0}, std::pair{&sim_storm, 1}}) {
      if (text->empty()) continue;
      std::optional<dothi::Timestamp> t = dothi::ParseIso8601(*text);
      if (!t) {
        std::cerr << "dothi simulate: not an ISO 8601 date-time: " << *text << "\n";
        return 2;
      }
      if (target == 0) sim.start = *t; else sim.storm_start = *t;
    }
    dothi::Status s = dothi::app::RunSimulation(sim, std::cout);
    if (!s.ok()) {
      std::cerr << "dothi simulate: " << s.ToString() << "\n";
      return 1;
    }
  }
  return 0;
}
