#include "app/simulator.h"

#include <gtest/gtest.h>

#include <set>

namespace dothi::app {
namespace {

// 2025-11-24 at a local (UTC+7) hour.
Timestamp At(double local_hour) {
  const std::int64_t midnight_local_utc = 1763917200LL;  // 2025-11-24T00:00+07:00
  return Timestamp{(midnight_local_utc + static_cast<std::int64_t>(local_hour * 3600)) * 1000000};
}

double Value(const Json& reading, std::string_view attr) {
  const Json* a = reading.Find(attr);
  EXPECT_NE(a, nullptr) << attr;
  return a != nullptr ? a->Find("value")->AsDouble() : 0;
}

SimSensor Sensor(std::string type, double base = 1, double state = 0) {
  SimSensor s;
  s.id = "urn:ngsi-ld:" + type + ":t";
  s.type = std::move(type);
  s.base = base;
  s.state = state;
  return s;
}

TEST(SimulatorTest, LocalTimeIsHanoi) {
  EXPECT_DOUBLE_EQ(LocalHour(Timestamp{1763949600LL * 1000000}), 9.0);  // 02:00Z
  EXPECT_DOUBLE_EQ(LocalHour(At(23.5)), 23.5);
}

TEST(SimulatorTest, TrafficHasRushHours) {
  SimSensor s = Sensor("TrafficFlowObserved");
  const Timestamp storm = At(30);
  const double night = Value(SimulateReading(s, At(3), storm, 0.5), "intensity");
  const double morning = Value(SimulateReading(s, At(8), storm, 0.5), "intensity");
  const double noon = Value(SimulateReading(s, At(12.5), storm, 0.5), "intensity");
  const double evening = Value(SimulateReading(s, At(17.5), storm, 0.5), "intensity");
  EXPECT_GT(morning, 3 * night);
  EXPECT_GT(morning, noon);
  EXPECT_GT(evening, noon);
  EXPECT_LT(Value(SimulateReading(s, At(8), storm, 0.5), "averageVehicleSpeed"),
            Value(SimulateReading(s, At(3), storm, 0.5), "averageVehicleSpeed"));
}

TEST(SimulatorTest, WaterRisesWithTheStormAndFallsBack) {
  SimSensor s = Sensor("WaterObserved");
  const Timestamp storm = At(10);
  const double before = Value(SimulateReading(s, At(9), storm, 0.5), "height");
  const double peak = Value(SimulateReading(s, At(12), storm, 0.5), "height");
  const double after = Value(SimulateReading(s, At(17), storm, 0.5), "height");
  EXPECT_GT(peak, before + 1.0);
  EXPECT_DOUBLE_EQ(after, before);
  SimSensor w = Sensor("WeatherObserved");
  EXPECT_GT(Value(SimulateReading(w, At(11), storm, 0.5), "precipitation"), 0);
  EXPECT_EQ(Value(SimulateReading(w, At(14), storm, 0.5), "precipitation"), 0);
}

TEST(SimulatorTest, WasteFillsAndIsEmptiedAtNight) {
  SimSensor s = Sensor("WasteContainer", 1, 0.4);
  const Timestamp storm = At(30);
  const double first = Value(SimulateReading(s, At(12), storm, 0.5), "fillingLevel");
  const double later = Value(SimulateReading(s, At(12.1), storm, 0.5), "fillingLevel");
  EXPECT_GT(later, first);
  EXPECT_LE(Value(SimulateReading(s, At(21.5), storm, 0.5), "fillingLevel"), 0.05);
}

TEST(SimulatorTest, StreetlightsFollowTheSchedule) {
  SimSensor s = Sensor("Streetlight");
  const Timestamp storm = At(30);
  EXPECT_EQ(SimulateReading(s, At(20), storm, 0.5).Find("powerState")->Find("value")->AsString(), "on");
  EXPECT_EQ(SimulateReading(s, At(12), storm, 0.5).Find("powerState")->Find("value")->AsString(), "off");
  EXPECT_EQ(SimulateReading(s, At(5.5), storm, 0.5).Find("powerState")->Find("value")->AsString(), "on");
}

TEST(SimulatorTest, ParkingFillsInOfficeHoursAndAddsUp) {
  SimSensor s = Sensor("OffStreetParking", 200);
  const Timestamp storm = At(30);
  const Json day = SimulateReading(s, At(10), storm, 0.5);
  const Json night = SimulateReading(s, At(2), storm, 0.5);
  EXPECT_GT(Value(day, "occupiedSpotNumber"), Value(night, "occupiedSpotNumber"));
  EXPECT_EQ(Value(day, "occupiedSpotNumber") + Value(day, "availableSpotNumber"), 200);
}

TEST(SimulatorTest, ReadingsAreRepeatableAndTheSensorsAreTheDemoCitys) {
  SimSensor a = Sensor("AirQualityObserved", 1.1);
  SimSensor b = Sensor("AirQualityObserved", 1.1);
  EXPECT_EQ(SimulateReading(a, At(8), At(30), 0.25), SimulateReading(b, At(8), At(30), 0.25));
  const std::vector<SimSensor> sensors = SimulatedSensors(20251, 70);
  EXPECT_EQ(sensors.size(), 70u);
  std::set<std::string> types;
  for (const SimSensor& s : sensors) types.insert(s.type);
  EXPECT_EQ(types.size(), 7u);
  const std::vector<SimSensor> again = SimulatedSensors(20251, 70);
  for (std::size_t i = 0; i < sensors.size(); ++i) {
    EXPECT_EQ(sensors[i].id, again[i].id);
    EXPECT_EQ(sensors[i].base, again[i].base);
  }
}

}  // namespace
}  // namespace dothi::app
