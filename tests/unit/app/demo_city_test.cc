#include "app/demo_city.h"  // first: proves the header is self-contained

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace dothi::app {
namespace {

bool IsSensorType(std::string_view type) {
  return std::find(kDemoCitySensorTypes.begin(), kDemoCitySensorTypes.end(), type) !=
         kDemoCitySensorTypes.end();
}

const std::string& TypeOf(const Json& entity) { return entity.Find("type")->AsString(); }
const std::string& IdOf(const Json& entity) { return entity.Find("id")->AsString(); }

// The value of a Property attribute, or nullptr.
const Json* ValueOf(const Json& entity, std::string_view attribute) {
  const Json* a = entity.Find(attribute);
  return a == nullptr ? nullptr : a->Find("value");
}

double NumberOf(const Json& entity, std::string_view attribute) {
  const Json* v = ValueOf(entity, attribute);
  EXPECT_NE(v, nullptr) << IdOf(entity) << " lacks " << attribute;
  if (v == nullptr || !v->is_number()) {
    ADD_FAILURE() << IdOf(entity) << "." << attribute << " is not a number";
    return 0.0;
  }
  return v->AsDouble();
}

// Calls f(lon, lat) for every position in a GeoJSON coordinates array of any depth.
template <typename F>
void ForEachPosition(const Json& coordinates, F&& f) {
  const Json::Array& a = coordinates.AsArray();
  if (!a.empty() && a[0].is_number()) {
    ASSERT_EQ(a.size(), 2u);
    f(a[0].AsDouble(), a[1].AsDouble());
    return;
  }
  for (const Json& inner : a) ForEachPosition(inner, f);
}

// Ray casting against a closed ring of [lon, lat] positions.
bool InsideRing(const Json::Array& ring, double lon, double lat) {
  bool inside = false;
  for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    const double xi = ring[i].AsArray()[0].AsDouble(), yi = ring[i].AsArray()[1].AsDouble();
    const double xj = ring[j].AsArray()[0].AsDouble(), yj = ring[j].AsArray()[1].AsDouble();
    if ((yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

class DemoCityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { city_ = new std::vector<Json>(GenerateDemoCity({})); }
  static void TearDownTestSuite() {
    delete city_;
    city_ = nullptr;
  }
  static const std::vector<Json>& City() { return *city_; }

  static std::vector<Json>* city_;
};

std::vector<Json>* DemoCityTest::city_ = nullptr;

TEST_F(DemoCityTest, DefaultCityHasAtLeast5000SensorsOfAllSevenTypesInProportion) {
  std::map<std::string, std::size_t> per_type;
  std::size_t sensors = 0;
  for (const Json& e : City()) {
    if (!IsSensorType(TypeOf(e))) continue;
    ++per_type[TypeOf(e)];
    ++sensors;
  }
  EXPECT_EQ(sensors, DemoCityOptions{}.sensors);
  EXPECT_GE(sensors, 5000u);
  for (std::string_view type : kDemoCitySensorTypes) {
    const std::size_t n = per_type[std::string(type)];
    EXPECT_GE(n * 100, sensors * 2) << type << " has only " << n;  // at least 2 %
    EXPECT_LE(n * 100, sensors * 50) << type << " has " << n;      // at most half
  }
}

TEST_F(DemoCityTest, HasDistrictStreetsAndStreetlightGroups) {
  std::map<std::string, std::size_t> per_type;
  for (const Json& e : City()) ++per_type[TypeOf(e)];
  EXPECT_EQ(per_type["District"], 1u);
  EXPECT_GE(per_type["Street"], 30u);
  EXPECT_GE(per_type["StreetlightGroup"], 1u);
  EXPECT_GE(per_type["WasteContainerIsle"], 1u);

  const Json& district = City().front();
  EXPECT_EQ(IdOf(district), kDemoCityDistrictId);
  EXPECT_EQ(ValueOf(district, "name")->AsString(), "Quận Hoàn Kiếm");
  const Json* description = district.Find("description");
  ASSERT_NE(description, nullptr);
  EXPECT_EQ(description->Find("type")->AsString(), "LanguageProperty");
  EXPECT_TRUE(description->Find("languageMap")->Contains("vi"));
  EXPECT_TRUE(description->Find("languageMap")->Contains("en"));
}

TEST_F(DemoCityTest, StreetsCarryVietnameseAndAsciiNames) {
  bool found = false;
  for (const Json& e : City()) {
    if (TypeOf(e) != "Street") continue;
    const std::string& alternate = ValueOf(e, "alternateName")->AsString();
    EXPECT_TRUE(std::all_of(alternate.begin(), alternate.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x80;
    })) << alternate;
    EXPECT_EQ(ValueOf(e, "location")->Find("type")->AsString(), "LineString");
    if (ValueOf(e, "name")->AsString() == "Đinh Tiên Hoàng") found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(DemoCityTest, IdsAreUniqueUrns) {
  std::set<std::string> ids;
  for (const Json& e : City()) {
    const std::string& id = IdOf(e);
    EXPECT_EQ(id.rfind("urn:ngsi-ld:" + TypeOf(e) + ":hoankiem:", 0), 0u) << id;
    EXPECT_TRUE(ids.insert(id).second) << "duplicate id " << id;
  }
}

TEST_F(DemoCityTest, EveryRelationshipPointsToAnEntityInTheOutput) {
  std::map<std::string, std::string> type_of_id;
  for (const Json& e : City()) type_of_id[IdOf(e)] = TypeOf(e);
  std::size_t relationships = 0;
  for (const Json& e : City()) {
    for (const auto& [name, attribute] : e.AsObject()) {
      if (!attribute.is_object()) continue;
      const Json* type = attribute.Find("type");
      if (type == nullptr || type->AsString() != "Relationship") continue;
      ++relationships;
      const Json* object = attribute.Find("object");
      ASSERT_NE(object, nullptr) << IdOf(e) << "." << name;
      EXPECT_EQ(type_of_id.count(object->AsString()), 1u)
          << IdOf(e) << "." << name << " -> " << object->AsString();
    }
    if (IsSensorType(TypeOf(e))) {
      const Json* street = e.Find("refStreet");
      ASSERT_NE(street, nullptr) << IdOf(e);
      EXPECT_EQ(type_of_id[street->Find("object")->AsString()], "Street") << IdOf(e);
    }
  }
  EXPECT_GT(relationships, City().size());
}

TEST_F(DemoCityTest, AttributesAreNormalized) {
  for (const Json& e : City()) {
    for (const auto& [name, attribute] : e.AsObject()) {
      if (name == "id" || name == "type") continue;
      ASSERT_TRUE(attribute.is_object()) << IdOf(e) << "." << name;
      const std::string& kind = attribute.Find("type")->AsString();
      if (kind == "Property" || kind == "GeoProperty") {
        EXPECT_TRUE(attribute.Contains("value")) << IdOf(e) << "." << name;
      } else if (kind == "Relationship") {
        EXPECT_TRUE(attribute.Contains("object")) << IdOf(e) << "." << name;
      } else if (kind == "LanguageProperty") {
        EXPECT_TRUE(attribute.Contains("languageMap")) << IdOf(e) << "." << name;
      } else {
        ADD_FAILURE() << IdOf(e) << "." << name << " has type " << kind;
      }
    }
  }
}

TEST_F(DemoCityTest, EveryEntityIsLabelledAsGenerated) {
  for (const Json& e : City()) {
    const Json* provider = ValueOf(e, "dataProvider");
    ASSERT_NE(provider, nullptr) << IdOf(e);
    EXPECT_EQ(provider->AsString(), kDemoCityDataProvider);
  }
}

TEST_F(DemoCityTest, EveryLocationLiesInsideTheDistrict) {
  const Json::Array& outline =
      ValueOf(City().front(), "location")->Find("coordinates")->AsArray()[0].AsArray();
  for (const Json& e : City()) {
    const Json* location = e.Find("location");
    ASSERT_NE(location, nullptr) << IdOf(e);
    EXPECT_EQ(location->Find("type")->AsString(), "GeoProperty");
    const Json& geometry = *location->Find("value");
    ForEachPosition(*geometry.Find("coordinates"), [&](double lon, double lat) {
      EXPECT_TRUE(kDemoCityBounds.Contains(lon, lat)) << IdOf(e) << " at " << lon << "," << lat;
    });
    if (geometry.Find("type")->AsString() == "Point") {
      const Json::Array& p = geometry.Find("coordinates")->AsArray();
      EXPECT_TRUE(InsideRing(outline, p[0].AsDouble(), p[1].AsDouble())) << IdOf(e);
    }
  }
}

TEST_F(DemoCityTest, SameSeedGivesIdenticalOutput) {
  const std::vector<Json> again = GenerateDemoCity({});
  ASSERT_EQ(again.size(), City().size());
  for (std::size_t i = 0; i < again.size(); ++i) {
    ASSERT_EQ(again[i].Dump(), City()[i].Dump()) << "entity " << i;
  }
}

TEST_F(DemoCityTest, DifferentSeedGivesDifferentOutput) {
  DemoCityOptions options;
  options.seed = 7;
  const std::vector<Json> other = GenerateDemoCity(options);
  std::string a, b;
  for (const Json& e : City()) e.AppendTo(a);
  for (const Json& e : other) e.AppendTo(b);
  EXPECT_NE(a, b);
}

TEST_F(DemoCityTest, ValuesStayWithinPhysicalRanges) {
  for (const Json& e : City()) {
    const std::string& type = TypeOf(e);
    if (type == "WasteContainer") {
      const double fill = NumberOf(e, "fillingLevel");
      EXPECT_GE(fill, 0.0);
      EXPECT_LE(fill, 1.0);
    } else if (type == "OffStreetParking") {
      const double total = NumberOf(e, "totalSpotNumber");
      const double available = NumberOf(e, "availableSpotNumber");
      EXPECT_GT(total, 0.0);
      EXPECT_GE(available, 0.0);
      EXPECT_LE(available, total) << IdOf(e);
      EXPECT_EQ(available + NumberOf(e, "occupiedSpotNumber"), total) << IdOf(e);
    } else if (type == "AirQualityObserved") {
      for (std::string_view pollutant : {"pm25", "pm10", "no2", "o3", "co", "so2"}) {
        EXPECT_GE(NumberOf(e, pollutant), 0.0) << IdOf(e) << "." << pollutant;
      }
      EXPECT_LE(NumberOf(e, "pm25"), NumberOf(e, "pm10")) << IdOf(e);
      const double aqi = NumberOf(e, "airQualityIndex");
      EXPECT_GE(aqi, 0.0);
      EXPECT_LE(aqi, 500.0);
      EXPECT_GE(NumberOf(e, "temperature"), 10.0);
      EXPECT_LE(NumberOf(e, "temperature"), 35.0);
    } else if (type == "WeatherObserved") {
      EXPECT_GE(NumberOf(e, "temperature"), 10.0);
      EXPECT_LE(NumberOf(e, "temperature"), 35.0);
      EXPECT_GE(NumberOf(e, "relativeHumidity"), 0.0);
      EXPECT_LE(NumberOf(e, "relativeHumidity"), 1.0);
      EXPECT_GE(NumberOf(e, "precipitation"), 0.0);
      EXPECT_GE(NumberOf(e, "windSpeed"), 0.0);
      EXPECT_GE(NumberOf(e, "windDirection"), 0.0);
      EXPECT_LT(NumberOf(e, "windDirection"), 360.0);
      EXPECT_GT(NumberOf(e, "atmosphericPressure"), 950.0);
      EXPECT_LT(NumberOf(e, "atmosphericPressure"), 1050.0);
    } else if (type == "TrafficFlowObserved") {
      EXPECT_GE(NumberOf(e, "intensity"), 0.0);
      EXPECT_GE(NumberOf(e, "occupancy"), 0.0);
      EXPECT_LE(NumberOf(e, "occupancy"), 1.0);
      EXPECT_GT(NumberOf(e, "averageVehicleSpeed"), 0.0);
      EXPECT_LT(NumberOf(e, "averageVehicleSpeed"), 80.0);
      EXPECT_TRUE(ValueOf(e, "congested")->is_bool());
    } else if (type == "Streetlight") {
      const double level = NumberOf(e, "illuminanceLevel");
      EXPECT_GE(level, 0.0);
      EXPECT_LE(level, 1.0);
      const std::string& power = ValueOf(e, "powerState")->AsString();
      EXPECT_TRUE(power == "on" || power == "off" || power == "low") << power;
      EXPECT_EQ(power == "off", level == 0.0) << IdOf(e);
    } else if (type == "WaterObserved") {
      EXPECT_GE(NumberOf(e, "height"), 0.0);
      EXPECT_GE(NumberOf(e, "flow"), 0.0);
    }
  }
}

TEST_F(DemoCityTest, AirQualityLevelMatchesVnAqiBand) {
  for (const Json& e : City()) {
    if (TypeOf(e) != "AirQualityObserved") continue;
    const double aqi = NumberOf(e, "airQualityIndex");
    const std::string expected = aqi <= 50    ? "Good"
                                 : aqi <= 100 ? "Moderate"
                                 : aqi <= 150 ? "Poor"
                                 : aqi <= 200 ? "Bad"
                                 : aqi <= 300 ? "Very bad"
                                              : "Hazardous";
    EXPECT_EQ(e.Find("airQualityLevel")->Find("languageMap")->Find("en")->AsString(), expected)
        << IdOf(e);
    // The station index is the maximum of the sub-indices, so at least PM2.5's (25 → 50).
    if (NumberOf(e, "pm25") > 25.0) {
      EXPECT_GT(aqi, 50.0) << IdOf(e);
    }
  }
}

TEST_F(DemoCityTest, MeasuredValuesCarryObservedAt) {
  for (const Json& e : City()) {
    if (!IsSensorType(TypeOf(e))) continue;
    std::size_t observed = 0;
    for (const auto& [name, attribute] : e.AsObject()) {
      if (attribute.is_object() && attribute.Contains("observedAt")) ++observed;
    }
    EXPECT_GE(observed, 2u) << IdOf(e);
  }
}

TEST(DemoCitySizeTest, SensorCountFollowsTheOption) {
  for (std::size_t wanted : {0u, 3u, 7u, 100u, 1234u}) {
    DemoCityOptions options;
    options.sensors = wanted;
    std::set<std::string> types;
    std::size_t sensors = 0;
    for (const Json& e : GenerateDemoCity(options)) {
      if (!IsSensorType(TypeOf(e))) continue;
      ++sensors;
      types.insert(TypeOf(e));
    }
    EXPECT_EQ(sensors, wanted);
    if (wanted >= kDemoCitySensorTypes.size()) {
      EXPECT_EQ(types.size(), kDemoCitySensorTypes.size()) << wanted;
    }
  }
}

}  // namespace
}  // namespace dothi::app
