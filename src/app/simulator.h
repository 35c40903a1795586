#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "core/time.h"

// `dothi simulate`: seeded, repeatable sensor traffic for the demo city, sent to a running
// dothi over HTTP (PATCH .../attrs) or MQTT (device messages, after registering one Device
// per sensor). GENERATED DATA. The models run on a simulated clock (local time of Hà Nội,
// UTC+7) that moves `speed` times faster than the wall clock:
//   TrafficFlowObserved  intensity / occupancy / speed follow rush hours (7-9 h, 17-19 h)
//   AirQualityObserved   pm25, pm10, no2 with a daily cycle that follows the traffic
//   WaterObserved        height and flow rise with a rainstorm (storm_start for 3 hours)
//   WeatherObserved      temperature cycle, precipitation during the storm
//   WasteContainer       fillingLevel grows through the day; emptied at the night round
//   Streetlight          powerState on from 18 h to 6 h, illuminanceLevel
//   OffStreetParking     occupancy follows office hours
namespace dothi::app {

struct SimulatorOptions {
  std::string url = "http://127.0.0.1:8080";  // dothi's HTTP address
  std::string tenant = "demo";
  std::string mqtt_broker;                    // mqtt://host:port: send over MQTT instead
  int mqtt_qos = 0;
  std::uint64_t seed = 20251;                 // the demo city's seed (the same sensors)
  std::size_t sensors = 6000;                 // the demo city's sensor count
  double rate = 100;                          // messages per second
  double duration_seconds = 60;               // wall-clock time to run
  double speed = 60;                          // simulated seconds per wall-clock second
  Timestamp start{1763949600LL * 1000000};    // 2025-11-24T09:00+07:00 (02:00Z)
  std::optional<Timestamp> storm_start;       // default: start + 1 simulated hour
};

struct SimSensor {
  std::string id;     // entity id
  std::string type;   // one of kDemoCitySensorTypes
  double base = 1;    // a per-sensor scale (capacity, typical level)
  double state = 0;   // what the model carries between readings (a filling level)
};

// The sensors of the demo city generated with these options, with their bases.
std::vector<SimSensor> SimulatedSensors(std::uint64_t seed, std::size_t sensors);

// Local hour of day (0-24, fractional) in Hà Nội.
double LocalHour(Timestamp t);
// The measures of one sensor at simulated time t as NGSI-LD attribute fragments
// ({"intensity": {"type": "Property", "value": ..., "observedAt": ...}, ...}); updates
// sensor.state. noise is in [0, 1); the same inputs give the same output.
Json SimulateReading(SimSensor& sensor, Timestamp t, Timestamp storm_start, double noise);

// Runs the simulation; prints one progress line per second to progress. Errors: the
// target cannot be reached at all, or the Device registration failed (MQTT).
Status RunSimulation(const SimulatorOptions& options, std::ostream& progress);

}  // namespace dothi::app
