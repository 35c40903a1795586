#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/time.h"

// GenerateDemoCity builds dothi's demo city: the Hoàn Kiếm area of Hà Nội as NGSI-LD
// entities in the normalized representation with compact attribute names (as a client
// POSTs them with no @context of its own). Street names are real; their polylines are
// hand-drawn approximations, not surveyed data. Every sensor and reading is generated and
// says so in its `dataProvider` Property.
//
// Output: one District, the Street entities, a StreetlightGroup per street that has
// streetlights, the WasteContainerIsle entities, then the sensors of the seven Smart Data
// Models types in kDemoCitySensorTypes order. Every sensor has a `refStreet` Relationship;
// every Relationship names an entity of the same output.
//
// The output depends only on the options: the same options give the same Dump() text on
// every IEEE-754 machine (own PRNG, no <random> distributions, no libm transcendentals, all
// numbers rounded to fixed decimals). Pure functions: safe to call from several threads.
namespace dothi::app {

struct DemoCityOptions {
  // Seed of the generator's PRNG; the same seed always yields the same city.
  std::uint64_t seed = 20251;
  // Number of sensor entities spread over the seven sensor types (the district, streets,
  // streetlight groups and waste container isles come on top). From 7 up every type is present.
  std::size_t sensors = 6000;
  // End of the observation window: each reading's observedAt falls in the 10 minutes before
  // it. Default 2025-11-24T11:00:00Z, 18:00 in Hà Nội on a late-November Monday.
  Timestamp observed_at{1763982000LL * 1000000};
};

// Axis-aligned box in WGS 84 degrees.
struct DemoCityBounds {
  double min_lon;
  double min_lat;
  double max_lon;
  double max_lat;
  bool Contains(double lon, double lat) const {
    return lon >= min_lon && lon <= max_lon && lat >= min_lat && lat <= max_lat;
  }
};

// Every location of the generated city (district polygon, streets, sensors) lies in this box.
inline constexpr DemoCityBounds kDemoCityBounds{105.8400, 21.0140, 105.8630, 21.0420};

// The sensor entity types, in output order (FIWARE Smart Data Models names).
inline constexpr std::array<std::string_view, 7> kDemoCitySensorTypes = {
    "TrafficFlowObserved", "AirQualityObserved", "WaterObserved",  "WasteContainer",
    "Streetlight",         "OffStreetParking",   "WeatherObserved"};

// Value of the `dataProvider` Property on every generated entity.
inline constexpr std::string_view kDemoCityDataProvider = "dothi demo generator (generated data)";

// Id of the District entity; Streets point to it with `refDistrict`.
inline constexpr std::string_view kDemoCityDistrictId = "urn:ngsi-ld:District:hoankiem:hoan-kiem";

// Generates the demo city described above. Takes well under a second for 6,000 sensors.
std::vector<Json> GenerateDemoCity(const DemoCityOptions& options);

}  // namespace dothi::app
