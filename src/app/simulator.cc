#include "app/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <thread>

#include "app/demo_city.h"
#include "http/client.h"
#include "mqtt/publisher.h"

namespace dothi::app {
namespace {

constexpr std::int64_t kHour = 3600LL * 1000000;

// Daily shapes, one value per hour of the day (local time), linearly interpolated.
constexpr double kTraffic[24] = {0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.60, 0.95, 1.00, 0.75,
                                 0.60, 0.60, 0.65, 0.60, 0.60, 0.65, 0.80, 1.00, 0.95, 0.70,
                                 0.50, 0.40, 0.30, 0.20};
constexpr double kWarmth[24] = {0.20, 0.15, 0.10, 0.05, 0.00, 0.00, 0.05, 0.15, 0.30, 0.50,
                                0.70, 0.85, 0.95, 1.00, 1.00, 0.95, 0.80, 0.65, 0.50, 0.40,
                                0.35, 0.30, 0.25, 0.22};
constexpr double kOffice[24] = {0.10, 0.08, 0.08, 0.08, 0.08, 0.10, 0.20, 0.50, 0.85, 0.95,
                                0.95, 0.90, 0.80, 0.90, 0.95, 0.95, 0.85, 0.60, 0.40, 0.30,
                                0.25, 0.20, 0.15, 0.12};

double Curve(const double (&c)[24], double hour) {
  const int h = static_cast<int>(hour) % 24;
  const double f = hour - std::floor(hour);
  return c[h] + (c[(h + 1) % 24] - c[h]) * f;
}

double Round(double v, int decimals) {
  double scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  return std::round(v * scale) / scale;
}

// Rain-driven rise of a river gauge, in metres: up over 2 hours from the storm's start, then
// down over 4.
double Surge(Timestamp t, Timestamp storm) {
  const double h = static_cast<double>(t.micros - storm.micros) / kHour;
  if (h <= 0 || h >= 6) return 0;
  return h < 2 ? 1.6 * h / 2 : 1.6 * (6 - h) / 4;
}
bool Raining(Timestamp t, Timestamp storm) {
  return t.micros >= storm.micros && t.micros < storm.micros + 3 * kHour;
}

Json Measure(Json value, std::string_view unit, const std::string& at) {
  Json p = Json::MakeObject({{"type", "Property"}, {"value", std::move(value)}, {"observedAt", at}});
  if (!unit.empty()) p.Set("unitCode", std::string(unit));
  return p;
}

double ValueOf(const Json& entity, std::string_view attr, double fallback) {
  const Json* a = entity.Find(attr);
  const Json* v = a != nullptr ? a->Find("value") : nullptr;
  return v != nullptr && v->is_number() ? v->AsDouble() : fallback;
}

std::uint64_t Mix(std::uint64_t x) {  // SplitMix64 finaliser
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string DeviceName(std::size_t index) { return "sim-" + std::to_string(index); }
std::string DeviceKey(std::uint64_t seed, std::size_t index) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Mix(seed ^ (index * 0x100000001B3ULL))));
  return buf;
}

}  // namespace

double LocalHour(Timestamp t) {
  const std::int64_t local = t.micros + 7 * kHour;  // Asia/Ho_Chi_Minh, no daylight saving
  const std::int64_t day = 24 * kHour;
  const std::int64_t in_day = ((local % day) + day) % day;
  return static_cast<double>(in_day) / kHour;
}

std::vector<SimSensor> SimulatedSensors(std::uint64_t seed, std::size_t sensors) {
  DemoCityOptions o;
  o.seed = seed;
  o.sensors = sensors;
  std::vector<SimSensor> out;
  for (const Json& e : GenerateDemoCity(o)) {
    const Json* type = e.Find("type");
    const Json* id = e.Find("id");
    if (!type || !id || !type->is_string() || !id->is_string()) continue;
    if (std::find(kDemoCitySensorTypes.begin(), kDemoCitySensorTypes.end(), type->AsString()) ==
        kDemoCitySensorTypes.end()) {
      continue;
    }
    SimSensor s;
    s.id = id->AsString();
    s.type = type->AsString();
    s.base = 0.8 + 0.4 * static_cast<double>(Mix(seed ^ std::hash<std::string>{}(s.id)) >> 11) * 0x1.0p-53;
    if (s.type == "OffStreetParking") s.base = ValueOf(e, "totalSpotNumber", 100);
    if (s.type == "WasteContainer") s.state = ValueOf(e, "fillingLevel", 0.3);
    out.push_back(std::move(s));
  }
  return out;
}

Json SimulateReading(SimSensor& s, Timestamp t, Timestamp storm, double noise) {
  const double hour = LocalHour(t);
  const std::string at = FormatIso8601(t);
  const double traffic = Curve(kTraffic, hour);
  const double jitter = 0.9 + 0.2 * noise;  // ±10 %
  Json out = Json::MakeObject();
  if (s.type == "TrafficFlowObserved") {
    out.Set("intensity", Measure(static_cast<std::int64_t>(std::lround(s.base * 1800 * traffic * jitter)), "", at));
    out.Set("occupancy", Measure(Round(std::min(0.99, 0.05 + 0.8 * traffic * jitter), 2), "C62", at));
    out.Set("averageVehicleSpeed", Measure(Round(std::max(5.0, 45 - 33 * traffic * jitter), 1), "KMH", at));
  } else if (s.type == "AirQualityObserved") {
    const double washout = Raining(t, storm) ? 0.6 : 1.0;
    const double pm25 = s.base * (25 + 55 * traffic) * washout * jitter;
    out.Set("pm25", Measure(Round(pm25, 1), "GQ", at));
    out.Set("pm10", Measure(Round(pm25 * 1.4, 1), "GQ", at));
    out.Set("no2", Measure(Round(s.base * (15 + 45 * traffic) * jitter, 1), "GQ", at));
  } else if (s.type == "WaterObserved") {
    const double surge = Surge(t, storm);
    out.Set("height", Measure(Round(s.base * 0.8 + surge * jitter, 2), "MTR", at));
    out.Set("flow", Measure(Round(0.2 + 1.5 * surge * jitter, 3), "MQS", at));
  } else if (s.type == "WeatherObserved") {
    const bool rain = Raining(t, storm);
    out.Set("temperature", Measure(Round(17 + 7 * Curve(kWarmth, hour) - (rain ? 3 : 0) + noise, 1), "CEL", at));
    out.Set("precipitation", Measure(Round(rain ? 20 + 10 * noise : 0, 1), "MMT", at));
    out.Set("relativeHumidity", Measure(Round(rain ? 0.92 : 0.62 + 0.1 * noise, 2), "C62", at));
  } else if (s.type == "WasteContainer") {
    // Fills through the day (faster with more people about); the night round empties it.
    s.state = std::min(1.0, s.state + 0.004 * s.base * (0.5 + traffic));
    if (hour >= 21 && hour < 23 && s.state > 0.3) s.state = 0.05;
    out.Set("fillingLevel", Measure(Round(s.state, 2), "C62", at));
  } else if (s.type == "Streetlight") {
    const bool on = hour >= 18 || hour < 6;
    out.Set("powerState", Measure(std::string(on ? "on" : "off"), "", at));
    out.Set("illuminanceLevel", Measure(on ? Round(0.9 + 0.1 * noise, 2) : 0.0, "C62", at));
  } else if (s.type == "OffStreetParking") {
    const double occ = std::min(1.0, Curve(kOffice, hour) * jitter);
    const auto occupied = static_cast<std::int64_t>(std::lround(s.base * occ));
    out.Set("occupiedSpotNumber", Measure(occupied, "", at));
    out.Set("availableSpotNumber", Measure(static_cast<std::int64_t>(s.base) - occupied, "", at));
    out.Set("occupancy", Measure(Round(occ, 2), "C62", at));
  }
  return out;
}

Status RunSimulation(const SimulatorOptions& o, std::ostream& progress) {
  std::vector<SimSensor> sensors = SimulatedSensors(o.seed, o.sensors);
  if (sensors.empty()) return Status::InvalidRequest("no sensors to simulate");
  if (o.rate <= 0 || o.speed <= 0) return Status::InvalidRequest("rate and speed must be positive");
  const Timestamp storm = o.storm_start ? *o.storm_start : Timestamp{o.start.micros + kHour};
  const std::string base = o.url + "/ngsi-ld/v1";
  http::KeepAliveClient http;
  http::ClientOptions json;
  json.headers.emplace_back("Content-Type", "application/json");
  if (!o.tenant.empty()) json.headers.emplace_back("NGSILD-Tenant", o.tenant);

  const bool use_mqtt = !o.mqtt_broker.empty();
  std::string broker = o.mqtt_broker;
  if (!broker.empty() && broker.back() == '/') broker.pop_back();
  if (use_mqtt) {
    if (Result<mqtt::MqttUrl> b = mqtt::ParseBrokerUrl(broker); !b.ok()) return b.status();
    // One Device per sensor, naming the sensor it measures for, with its key.
    for (std::size_t from = 0; from < sensors.size(); from += 500) {
      Json batch = Json::MakeArray();
      for (std::size_t i = from; i < std::min(sensors.size(), from + 500); ++i) {
        batch.Push(Json::MakeObject(
            {{"id", "urn:ngsi-ld:Device:" + DeviceName(i)},
             {"type", "Device"},
             {"controlledAsset", Json::MakeObject({{"type", "Relationship"}, {"object", sensors[i].id}})},
             {"assetType", Json::MakeObject({{"type", "Property"}, {"value", sensors[i].type}})},
             {"deviceKey", Json::MakeObject({{"type", "Property"}, {"value", DeviceKey(o.seed, i)}})},
             {"dataProvider", Json::MakeObject({{"type", "Property"}, {"value", "dothi simulate (generated data)"}})}}));
      }
      Result<http::ClientResponse> r =
          http.Send(http::Method::kPost, base + "/entityOperations/upsert", batch.Dump(), json);
      if (!r.ok()) return r.status();
      if (r->status != 201 && r->status != 204) {
        return Status::Unavailable("registering the simulated devices failed",
                                   "HTTP " + std::to_string(r->status) + ": " + r->body);
      }
    }
  }
  mqtt::Publisher publisher;
  mqtt::PublishOptions po;
  po.qos = o.mqtt_qos;

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_seconds));
  std::uint64_t sent = 0, errors = 0;
  std::string last_error;
  auto next_report = t0 + std::chrono::seconds(1);
  std::uint64_t rng = Mix(o.seed);
  auto report = [&](Clock::time_point now) {
    const double secs = std::chrono::duration<double>(now - t0).count();
    const Timestamp sim{o.start.micros + static_cast<std::int64_t>(secs * o.speed * 1e6)};
    char line[256];
    std::snprintf(line, sizeof line,
                  "simulate: %.0f s, simulated %s (%.1f h local), %llu sent, %.1f msg/s, %llu errors",
                  secs, FormatIso8601(sim).c_str(), LocalHour(sim),
                  static_cast<unsigned long long>(sent), secs > 0 ? sent / secs : 0.0,
                  static_cast<unsigned long long>(errors));
    progress << line << (errors > 0 ? " (last: " + last_error + ")" : "") << std::endl;
  };
  for (std::uint64_t i = 0;; ++i) {
    const auto due = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(i / o.rate));
    if (due >= end) break;
    std::this_thread::sleep_until(due);  // pacing the load, not synchronising anything
    const auto now = Clock::now();
    if (now >= next_report) {
      report(now);
      next_report += std::chrono::seconds(1);
    }
    const std::size_t index = i % sensors.size();
    SimSensor& s = sensors[index];
    const double wall = std::chrono::duration<double>(now - t0).count();
    const Timestamp sim{o.start.micros + static_cast<std::int64_t>(wall * o.speed * 1e6)};
    rng = Mix(rng);
    Json reading = SimulateReading(s, sim, storm, static_cast<double>(rng >> 11) * 0x1.0p-53);
    Status st = Status::OK();
    if (use_mqtt) {
      Json msg = Json::MakeObject({{"key", DeviceKey(o.seed, index)}, {"ts", FormatIso8601(sim)}});
      for (const auto& [name, attr] : reading.AsObject()) msg.Set(name, *attr.Find("value"));
      st = publisher.Publish(broker + "/dothi/" + (o.tenant.empty() ? "_" : o.tenant) + "/" +
                                 DeviceName(index) + "/attrs",
                             msg.Dump(), po);
    } else {
      Result<http::ClientResponse> r =
          http.Send(http::Method::kPatch, base + "/entities/" + s.id + "/attrs", reading.Dump(), json);
      if (!r.ok()) {
        st = r.status();
      } else if (r->status != 204 && r->status != 207) {
        st = Status::Unavailable("HTTP " + std::to_string(r->status), r->body.substr(0, 200));
      }
    }
    if (st.ok()) {
      ++sent;
    } else {
      ++errors;
      last_error = st.ToString();
      if (sent == 0 && errors >= 10) {
        report(Clock::now());
        return Status::Unavailable("the target does not take the simulated readings", last_error);
      }
    }
  }
  report(Clock::now());
  return Status::OK();
}

}  // namespace dothi::app
