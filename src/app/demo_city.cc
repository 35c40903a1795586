#include "app/demo_city.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "core/check.h"

namespace dothi::app {
namespace {

// ---------------------------------------------------------------------------------------
// Deterministic randomness. xoshiro256** seeded by splitmix64, with our own uniform and
// normal draws: the std:: distributions differ between standard libraries.

std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// FNV-1a, to derive one independent stream per purpose from the seed.
std::uint64_t HashTag(std::string_view tag) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const char c : tag) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

class Rng {
 public:
  // One stream per (seed, tag): adding draws to one sensor type leaves the others unchanged.
  Rng(std::uint64_t seed, std::string_view tag) {
    std::uint64_t state = seed ^ HashTag(tag);
    for (auto& s : s_) s = SplitMix64(state);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

  // Uniform integer in [0, n), unbiased by rejection.
  std::uint64_t Below(std::uint64_t n) {
    DOTHI_DCHECK(n > 0);                      // an empty range is a programmer error
    const std::uint64_t limit = (0 - n) % n;  // 2^64 mod n draws would bias low values
    std::uint64_t r = Next();
    while (r < limit) r = Next();
    return r % n;
  }
  int Between(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  bool Chance(double p) { return Uniform() < p; }

  // Approximately normal (Irwin-Hall sum of 12 uniforms): only + and *, so bit-identical
  // everywhere, unlike Box-Muller's log/cos. Tails end at ±6 sigma.
  double Normal(double mean, double stddev) {
    double sum = 0.0;
    for (int i = 0; i < 12; ++i) sum += Uniform();
    return mean + stddev * (sum - 6.0);
  }

 private:
  static std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

double Clamp(double v, double lo, double hi) { return std::min(std::max(v, lo), hi); }

// Rounds to `decimals` places so that the text form is short and last-bit noise vanishes.
double Round(double v, int decimals) {
  double scale = 1.0;
  for (int i = 0; i < decimals; ++i) scale *= 10.0;
  return std::round(v * scale) / scale;
}

// ---------------------------------------------------------------------------------------
// Geography. GENERATED APPROXIMATIONS: the street names are real streets of Hoàn Kiếm, but
// every coordinate below was drawn by hand from memory of the map, to within some tens of
// metres at best. They are not surveyed data and must not be used as such.

struct LonLat {
  double lon;
  double lat;
};

constexpr double kMetresPerDegreeLat = 111'320.0;  // m per degree of latitude
constexpr double kMetresPerDegreeLon = 103'930.0;  // m per degree of longitude at 21.03° N
constexpr int kCoordinateDecimals = 6;             // degrees; 1e-6° is about 0.1 m

enum class RoadClass { kPrimary, kSecondary, kTertiary };

std::string_view RoadClassName(RoadClass c) {
  switch (c) {
    case RoadClass::kPrimary:
      return "primary";
    case RoadClass::kSecondary:
      return "secondary";
    case RoadClass::kTertiary:
      return "tertiary";
  }
  return "tertiary";
}

struct StreetSpec {
  std::string_view slug;            // id suffix, ASCII
  std::string_view name;            // Vietnamese, UTF-8
  std::string_view alternate_name;  // ASCII spelling
  RoadClass road_class;
  int lanes;                   // per direction, as the traffic sensors count them
  std::vector<LonLat> points;  // polyline, generated approximation
};

const std::vector<StreetSpec>& Streets() {
  using R = RoadClass;
  // clang-format off
  static const std::vector<StreetSpec> kStreets = {
      {"dinh-tien-hoang", "Đinh Tiên Hoàng", "Dinh Tien Hoang", R::kPrimary, 2,
       {{105.8517, 21.0333}, {105.8530, 21.0328}, {105.8543, 21.0318}, {105.8547, 21.0300},
        {105.8546, 21.0280}, {105.8543, 21.0262}, {105.8536, 21.0250}}},
      {"le-thai-to", "Lê Thái Tổ", "Le Thai To", R::kSecondary, 2,
       {{105.8512, 21.0324}, {105.8505, 21.0310}, {105.8502, 21.0290}, {105.8501, 21.0270},
        {105.8500, 21.0256}}},
      {"hang-khay", "Hàng Khay", "Hang Khay", R::kSecondary, 2,
       {{105.8498, 21.0254}, {105.8515, 21.0251}, {105.8536, 21.0250}}},
      {"trang-tien", "Tràng Tiền", "Trang Tien", R::kSecondary, 2,
       {{105.8536, 21.0250}, {105.8555, 21.0247}, {105.8577, 21.0244}, {105.8588, 21.0243}}},
      {"hang-bai", "Hàng Bài", "Hang Bai", R::kPrimary, 3,
       {{105.8530, 21.0249}, {105.8527, 21.0230}, {105.8524, 21.0210}, {105.8521, 21.0188}}},
      {"pho-hue", "Phố Huế", "Pho Hue", R::kPrimary, 3,
       {{105.8521, 21.0188}, {105.8519, 21.0172}, {105.8517, 21.0158}}},
      {"ba-trieu", "Bà Triệu", "Ba Trieu", R::kSecondary, 2,
       {{105.8498, 21.0254}, {105.8496, 21.0230}, {105.8494, 21.0205}, {105.8491, 21.0175},
        {105.8489, 21.0160}}},
      {"hai-ba-trung", "Hai Bà Trưng", "Hai Ba Trung", R::kPrimary, 3,
       {{105.8430, 21.0252}, {105.8460, 21.0248}, {105.8496, 21.0242}, {105.8527, 21.0236},
        {105.8560, 21.0231}, {105.8590, 21.0226}}},
      {"ly-thuong-kiet", "Lý Thường Kiệt", "Ly Thuong Kiet", R::kPrimary, 3,
       {{105.8425, 21.0238}, {105.8460, 21.0232}, {105.8495, 21.0224}, {105.8525, 21.0217},
        {105.8560, 21.0210}, {105.8585, 21.0205}}},
      {"tran-hung-dao", "Trần Hưng Đạo", "Tran Hung Dao", R::kPrimary, 4,
       {{105.8420, 21.0218}, {105.8455, 21.0212}, {105.8492, 21.0203}, {105.8522, 21.0195},
        {105.8560, 21.0187}, {105.8600, 21.0180}}},
      {"hang-dao", "Hàng Đào", "Hang Dao", R::kTertiary, 1,
       {{105.8517, 21.0333}, {105.8515, 21.0343}, {105.8513, 21.0352}}},
      {"hang-ngang", "Hàng Ngang", "Hang Ngang", R::kTertiary, 1,
       {{105.8513, 21.0352}, {105.8511, 21.0360}, {105.8510, 21.0366}}},
      {"hang-duong", "Hàng Đường", "Hang Duong", R::kTertiary, 1,
       {{105.8510, 21.0366}, {105.8508, 21.0376}, {105.8506, 21.0386}}},
      {"hang-bong", "Hàng Bông", "Hang Bong", R::kTertiary, 1,
       {{105.8492, 21.0312}, {105.8478, 21.0306}, {105.8462, 21.0300}, {105.8445, 21.0294},
        {105.8430, 21.0290}}},
      {"hang-gai", "Hàng Gai", "Hang Gai", R::kTertiary, 1,
       {{105.8514, 21.0328}, {105.8505, 21.0322}, {105.8492, 21.0312}}},
      {"trang-thi", "Tràng Thi", "Trang Thi", R::kSecondary, 2,
       {{105.8500, 21.0262}, {105.8480, 21.0264}, {105.8460, 21.0266}, {105.8440, 21.0268},
        {105.8425, 21.0270}}},
      {"quan-su", "Quán Sứ", "Quan Su", R::kSecondary, 2,
       {{105.8450, 21.0267}, {105.8452, 21.0245}, {105.8455, 21.0225}, {105.8456, 21.0211}}},
      {"phan-chu-trinh", "Phan Chu Trinh", "Phan Chu Trinh", R::kTertiary, 2,
       {{105.8566, 21.0246}, {105.8563, 21.0225}, {105.8560, 21.0205}, {105.8557, 21.0186}}},
      {"ngo-quyen", "Ngô Quyền", "Ngo Quyen", R::kSecondary, 2,
       {{105.8552, 21.0305}, {105.8554, 21.0280}, {105.8553, 21.0260}, {105.8551, 21.0235},
        {105.8548, 21.0210}, {105.8545, 21.0190}}},
      {"ly-thai-to", "Lý Thái Tổ", "Ly Thai To", R::kSecondary, 2,
       {{105.8546, 21.0292}, {105.8560, 21.0283}, {105.8575, 21.0272}, {105.8588, 21.0262}}},
      {"tran-quang-khai", "Trần Quang Khải", "Tran Quang Khai", R::kPrimary, 4,
       {{105.8562, 21.0375}, {105.8575, 21.0345}, {105.8588, 21.0310}, {105.8597, 21.0280},
        {105.8602, 21.0250}}},
      {"hang-bac", "Hàng Bạc", "Hang Bac", R::kTertiary, 1,
       {{105.8515, 21.0345}, {105.8528, 21.0344}, {105.8540, 21.0343}, {105.8552, 21.0342}}},
      {"hang-buom", "Hàng Buồm", "Hang Buom", R::kTertiary, 1,
       {{105.8511, 21.0363}, {105.8525, 21.0365}, {105.8540, 21.0367}}},
      {"luong-van-can", "Lương Văn Can", "Luong Van Can", R::kTertiary, 1,
       {{105.8506, 21.0323}, {105.8504, 21.0335}, {105.8502, 21.0348}}},
      {"hang-trong", "Hàng Trống", "Hang Trong", R::kTertiary, 1,
       {{105.8500, 21.0316}, {105.8497, 21.0300}, {105.8494, 21.0283}, {105.8492, 21.0265}}},
      {"nguyen-huu-huan", "Nguyễn Hữu Huân", "Nguyen Huu Huan", R::kTertiary, 2,
       {{105.8547, 21.0310}, {105.8548, 21.0325}, {105.8550, 21.0342}, {105.8550, 21.0360}}},
      {"hang-chieu", "Hàng Chiếu", "Hang Chieu", R::kTertiary, 1,
       {{105.8506, 21.0383}, {105.8520, 21.0385}, {105.8535, 21.0387}}},
      {"phung-hung", "Phùng Hưng", "Phung Hung", R::kTertiary, 2,
       {{105.8462, 21.0395}, {105.8460, 21.0370}, {105.8458, 21.0345}, {105.8456, 21.0320},
        {105.8454, 21.0298}}},
      {"cua-nam", "Cửa Nam", "Cua Nam", R::kTertiary, 2,
       {{105.8430, 21.0290}, {105.8428, 21.0280}, {105.8426, 21.0270}}},
      {"hang-ma", "Hàng Mã", "Hang Ma", R::kTertiary, 1,
       {{105.8506, 21.0378}, {105.8490, 21.0375}, {105.8475, 21.0372}, {105.8462, 21.0370}}},
      {"le-thanh-tong", "Lê Thánh Tông", "Le Thanh Tong", R::kSecondary, 2,
       {{105.8590, 21.0262}, {105.8588, 21.0240}, {105.8583, 21.0215}, {105.8578, 21.0190}}},
      {"tran-khanh-du", "Trần Khánh Dư", "Tran Khanh Du", R::kPrimary, 3,
       {{105.8603, 21.0250}, {105.8606, 21.0225}, {105.8605, 21.0200}, {105.8602, 21.0180}}},
      {"cau-go", "Cầu Gỗ", "Cau Go", R::kTertiary, 1,
       {{105.8520, 21.0332}, {105.8532, 21.0333}, {105.8545, 21.0334}}},
      {"hang-be", "Hàng Bè", "Hang Be", R::kTertiary, 1,
       {{105.8536, 21.0333}, {105.8537, 21.0343}}},
      {"nha-tho", "Nhà Thờ", "Nha Tho", R::kTertiary, 1,
       {{105.8497, 21.0290}, {105.8489, 21.0288}, {105.8482, 21.0288}}},
  };
  // clang-format on
  return kStreets;
}

// Simplified outline of the district (exterior ring, counter-clockwise, closed), drawn
// around the streets above. A generated approximation, not the legal boundary.
const std::vector<LonLat>& DistrictOutline() {
  static const std::vector<LonLat> kOutline = {
      {105.8412, 21.0162}, {105.8530, 21.0150}, {105.8612, 21.0170}, {105.8618, 21.0260},
      {105.8600, 21.0330}, {105.8578, 21.0392}, {105.8540, 21.0405}, {105.8470, 21.0410},
      {105.8445, 21.0405}, {105.8418, 21.0300}, {105.8412, 21.0162}};
  return kOutline;
}

double SegmentMetres(const LonLat& a, const LonLat& b) {
  const double dx = (b.lon - a.lon) * kMetresPerDegreeLon;
  const double dy = (b.lat - a.lat) * kMetresPerDegreeLat;
  return std::sqrt(dx * dx + dy * dy);  // sqrt is correctly rounded under IEEE 754
}

double PolylineMetres(const std::vector<LonLat>& points) {
  double total = 0.0;
  for (std::size_t i = 1; i < points.size(); ++i) total += SegmentMetres(points[i - 1], points[i]);
  return total;
}

// A spot beside a street: a point on the polyline moved sideways by offset_m metres
// (positive to the left of the drawing direction).
LonLat PointBeside(const std::vector<LonLat>& points, double along_m, double offset_m) {
  for (std::size_t i = 1; i < points.size(); ++i) {
    const LonLat& a = points[i - 1];
    const LonLat& b = points[i];
    const double len = SegmentMetres(a, b);
    if (along_m > len && i + 1 < points.size()) {
      along_m -= len;
      continue;
    }
    const double t = len > 0.0 ? Clamp(along_m / len, 0.0, 1.0) : 0.0;
    const double ux = len > 0.0 ? (b.lon - a.lon) * kMetresPerDegreeLon / len : 0.0;
    const double uy = len > 0.0 ? (b.lat - a.lat) * kMetresPerDegreeLat / len : 0.0;
    // Left normal of (ux, uy) is (-uy, ux).
    return LonLat{a.lon + (b.lon - a.lon) * t - uy * offset_m / kMetresPerDegreeLon,
                  a.lat + (b.lat - a.lat) * t + ux * offset_m / kMetresPerDegreeLat};
  }
  return points.front();
}

// Picks streets in proportion to length times a per-class weight.
class StreetPicker {
 public:
  StreetPicker(const std::vector<double>& lengths, double primary, double secondary,
               double tertiary) {
    const auto& streets = Streets();
    double total = 0.0;
    for (std::size_t i = 0; i < streets.size(); ++i) {
      const RoadClass c = streets[i].road_class;
      const double w = c == RoadClass::kPrimary     ? primary
                       : c == RoadClass::kSecondary ? secondary
                                                    : tertiary;
      total += lengths[i] * w;
      cumulative_.push_back(total);
    }
  }
  std::size_t Pick(Rng& rng) const {
    const double x = rng.Uniform() * cumulative_.back();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
    return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative_.begin()),
                                 cumulative_.size() - 1);
  }

 private:
  std::vector<double> cumulative_;
};

// ---------------------------------------------------------------------------------------
// NGSI-LD normalized attributes.

constexpr std::string_view kIdPrefix = "urn:ngsi-ld:";
constexpr std::string_view kIdArea = ":hoankiem:";

std::string EntityId(std::string_view type, std::string_view suffix) {
  std::string id;
  id.reserve(kIdPrefix.size() + type.size() + kIdArea.size() + suffix.size());
  id.append(kIdPrefix).append(type).append(kIdArea).append(suffix);
  return id;
}

std::string NumberedId(std::string_view type, std::size_t n) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%05zu", n);
  return EntityId(type, digits);
}

Json NewEntity(const std::string& id, std::string_view type) {
  Json e = Json::MakeObject();
  e.AsObject().reserve(20);
  e.AsObject().emplace_back("id", Json(id));
  e.AsObject().emplace_back("type", Json(type));
  return e;
}

// Keys are unique by construction, so append without Set's search.
void Add(Json& entity, std::string_view key, Json attribute) {
  entity.AsObject().emplace_back(std::string(key), std::move(attribute));
}

Json Property(Json value) {
  return Json::MakeObject({{"type", "Property"}, {"value", std::move(value)}});
}

Json Measured(Json value, std::string_view unit_code, const std::string& observed_at) {
  Json p = Json::MakeObject({{"type", "Property"}, {"value", std::move(value)}});
  if (!unit_code.empty()) p.AsObject().emplace_back("unitCode", Json(unit_code));
  p.AsObject().emplace_back("observedAt", Json(observed_at));
  return p;
}

// A fixed quantity with a unit (no observedAt: it is not a reading).
Json Quantity(Json value, std::string_view unit_code) {
  return Json::MakeObject(
      {{"type", "Property"}, {"value", std::move(value)}, {"unitCode", unit_code}});
}

Json DateTimeProperty(const std::string& iso) {
  return Property(Json::MakeObject({{"@type", "DateTime"}, {"@value", iso}}));
}

Json LanguageProperty(std::string_view vi, std::string_view en) {
  return Json::MakeObject(
      {{"type", "LanguageProperty"}, {"languageMap", Json::MakeObject({{"vi", vi}, {"en", en}})}});
}

Json Relationship(const std::string& object) {
  return Json::MakeObject({{"type", "Relationship"}, {"object", object}});
}

Json Position(const LonLat& p) {
  return Json(Json::Array{Json(Round(p.lon, kCoordinateDecimals)),
                          Json(Round(p.lat, kCoordinateDecimals))});
}

Json GeoProperty(std::string_view geometry_type, Json coordinates) {
  return Json::MakeObject({{"type", "GeoProperty"},
                           {"value", Json::MakeObject({{"type", geometry_type},
                                                       {"coordinates", std::move(coordinates)}})}});
}

Json PointLocation(const LonLat& p) { return GeoProperty("Point", Position(p)); }

Json LineCoordinates(const std::vector<LonLat>& points) {
  Json::Array line;
  line.reserve(points.size());
  for (const LonLat& p : points) line.push_back(Position(p));
  return Json(std::move(line));
}

Json Address(std::string_view street) {
  return Property(Json::MakeObject({{"streetAddress", street},
                                    {"addressLocality", "Hoàn Kiếm"},
                                    {"addressRegion", "Hà Nội"},
                                    {"addressCountry", "VN"}}));
}

void AddProvider(Json& entity) {
  Add(entity, "dataProvider", Property(Json(kDemoCityDataProvider)));
}

std::int64_t AsCount(double v) { return static_cast<std::int64_t>(std::llround(v)); }

// ---------------------------------------------------------------------------------------
// VN_AQI (Quyết định 1459/QĐ-TCMT), see /work/shared/reference/air-quality-and-warnings.md.
// Concentrations are treated as the hourly (NowCast) values.

constexpr int kAqiLevels = 8;
constexpr double kAqiIndex[kAqiLevels] = {0, 50, 100, 150, 200, 300, 400, 500};
constexpr double kBpPm25[kAqiLevels] = {0, 25, 50, 80, 150, 250, 350, 500};  // µg/m³
constexpr double kBpPm10[kAqiLevels] = {0, 50, 150, 250, 350, 420, 500, 600};
constexpr double kBpNo2[kAqiLevels] = {0, 100, 200, 700, 1200, 2350, 3100, 3850};
constexpr double kBpO3[kAqiLevels] = {0, 160, 200, 300, 400, 800, 1000, 1200};  // 1-hour
constexpr double kBpCo[kAqiLevels] = {0, 10000, 30000, 45000, 60000, 90000, 120000, 150000};
constexpr double kBpSo2[kAqiLevels] = {0, 125, 350, 550, 800, 1600, 2100, 2630};

double SubIndex(const double (&bp)[kAqiLevels], double c) {
  if (c <= 0.0) return 0.0;
  for (int i = 0; i + 1 < kAqiLevels; ++i) {
    if (c <= bp[i + 1]) {
      return (kAqiIndex[i + 1] - kAqiIndex[i]) / (bp[i + 1] - bp[i]) * (c - bp[i]) + kAqiIndex[i];
    }
  }
  return kAqiIndex[kAqiLevels - 1];  // above the last breakpoint: clamp to 500
}

struct AqiBand {
  int max_index;
  std::string_view vi;
  std::string_view en;
};
constexpr AqiBand kAqiBands[] = {{50, "Tốt", "Good"},          {100, "Trung bình", "Moderate"},
                                 {150, "Kém", "Poor"},         {200, "Xấu", "Bad"},
                                 {300, "Rất xấu", "Very bad"}, {500, "Nguy hại", "Hazardous"}};

const AqiBand& BandFor(int aqi) {
  for (const AqiBand& b : kAqiBands) {
    if (aqi <= b.max_index) return b;
  }
  return kAqiBands[std::size(kAqiBands) - 1];
}

// ---------------------------------------------------------------------------------------
// The city.

constexpr std::uint64_t kReadingWindowSeconds = 600;  // readings fall in the last 10 minutes
constexpr std::int64_t kTrafficPeriodSeconds = 900;   // a traffic count covers 15 minutes
constexpr std::int64_t kMicrosPerSecond = 1000000;
constexpr std::int64_t kSecondsPerHour = 3600;

// Share of each sensor type in kDemoCitySensorTypes order, per mille.
constexpr int kSharePerMille[7] = {180, 100, 80, 200, 360, 40, 40};

std::vector<std::size_t> SplitSensorCount(std::size_t total) {
  constexpr std::size_t kTypes = std::size(kSharePerMille);
  std::vector<std::size_t> counts(kTypes, 0);
  std::size_t left = total;
  if (total >= kTypes) {  // one of each first, so every type shows up
    for (auto& c : counts) c = 1;
    left -= kTypes;
  }
  std::size_t given = 0;
  std::vector<std::pair<std::size_t, std::size_t>> remainders;  // (remainder, type)
  for (std::size_t t = 0; t < kTypes; ++t) {
    const std::size_t scaled = left * static_cast<std::size_t>(kSharePerMille[t]);
    counts[t] += scaled / 1000;
    given += scaled / 1000;
    remainders.emplace_back(scaled % 1000, t);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; given < left; ++i, ++given) ++counts[remainders[i % kTypes].second];
  return counts;
}

// City-wide conditions of the evening, shared by all stations so neighbours agree.
struct Conditions {
  double pm25_background;  // µg/m³
  double temperature;      // °C
  double humidity;         // 0..1
  double wind_speed;       // m/s
  double wind_direction;   // degrees from north
  double pressure;         // hPa
  bool drizzle;
};

struct StreetState {
  double load;        // 0..1, how much traffic the street carries now
  double congestion;  // 0..1
};

class CityBuilder {
 public:
  explicit CityBuilder(const DemoCityOptions& options) : options_(options) {
    const auto& streets = Streets();
    for (const StreetSpec& s : streets) {
      lengths_.push_back(PolylineMetres(s.points));
      street_ids_.push_back(EntityId("Street", s.slug));
    }
    Rng rng(options.seed, "conditions");
    conditions_.pm25_background = Clamp(rng.Normal(58.0, 14.0), 30.0, 110.0);
    conditions_.temperature = Clamp(rng.Normal(21.5, 1.3), 18.0, 25.0);
    conditions_.humidity = rng.Uniform(0.62, 0.80);
    conditions_.wind_speed = rng.Uniform(0.8, 3.5);
    conditions_.wind_direction = Clamp(rng.Normal(45.0, 15.0), 0.0, 120.0);  // NE monsoon
    conditions_.pressure = rng.Uniform(1015.5, 1021.5);
    conditions_.drizzle = rng.Chance(0.15);  // late November is the dry season

    Rng street_rng(options.seed, "streets");
    for (const StreetSpec& s : streets) {
      const double base = s.road_class == RoadClass::kPrimary     ? 0.62
                          : s.road_class == RoadClass::kSecondary ? 0.5
                                                                  : 0.42;
      const double load = Clamp(street_rng.Normal(base + 0.2, 0.1), 0.2, 1.0);
      const double congestion = Clamp(street_rng.Normal(base, 0.15), 0.05, 0.95);
      street_state_.push_back({load, congestion});
    }
  }

  std::vector<Json> Build() {
    const std::vector<std::size_t> counts = SplitSensorCount(options_.sensors);
    std::vector<std::vector<Json>> sensors(kDemoCitySensorTypes.size());
    GenerateTraffic(counts[0], sensors[0]);
    GenerateAirQuality(counts[1], sensors[1]);
    GenerateWater(counts[2], sensors[2]);
    GenerateWaste(counts[3], sensors[3]);
    GenerateStreetlights(counts[4], sensors[4]);
    GenerateParkings(counts[5], sensors[5]);
    GenerateWeather(counts[6], sensors[6]);

    std::vector<Json> out;
    out.reserve(1 + Streets().size() * 2 + isles_.size() + options_.sensors);
    out.push_back(District());
    for (std::size_t i = 0; i < Streets().size(); ++i) out.push_back(Street(i));
    for (std::size_t i = 0; i < Streets().size(); ++i) {
      if (has_lights_.count(i) != 0) out.push_back(StreetlightGroup(i));
    }
    for (Json& isle : isles_) out.push_back(std::move(isle));
    for (auto& group : sensors) {
      for (Json& e : group) out.push_back(std::move(e));
    }
    return out;
  }

 private:
  struct Spot {
    std::size_t street;
    LonLat where;
  };

  Spot PickSpot(Rng& rng, const StreetPicker& picker, double min_offset_m, double max_offset_m) {
    const std::size_t street = picker.Pick(rng);
    const double along = rng.Uniform() * lengths_[street];
    const double side = rng.Chance(0.5) ? 1.0 : -1.0;
    const double offset = side * rng.Uniform(min_offset_m, max_offset_m);
    return {street, PointBeside(Streets()[street].points, along, offset)};
  }

  // An observation instant in the window before observed_at, in whole seconds.
  Timestamp ObservedAt(Rng& rng) const {
    const auto back = static_cast<std::int64_t>(rng.Below(kReadingWindowSeconds));
    return Timestamp{options_.observed_at.micros - back * kMicrosPerSecond};
  }

  static std::string Iso(Timestamp t, std::int64_t shift_seconds = 0) {
    return FormatIso8601(Timestamp{t.micros + shift_seconds * kMicrosPerSecond});
  }

  // Name of the n-th thing of a kind on a street, e.g. "Trạm quan trắc không khí Hàng Bài 2".
  std::string NthOnStreet(std::string_view kind, std::size_t street, std::size_t n,
                          bool ascii) const {
    const StreetSpec& s = Streets()[street];
    std::string name(kind);
    name.append(" ")
        .append(ascii ? s.alternate_name : s.name)
        .append(" ")
        .append(std::to_string(n));
    return name;
  }

  std::size_t NextOnStreet(std::string_view kind, std::size_t street) {
    return ++per_street_counters_[std::string(kind) + "/" + std::to_string(street)];
  }

  Json District() const {
    Json e = NewEntity(std::string(kDemoCityDistrictId), "District");
    Add(e, "name", Property("Quận Hoàn Kiếm"));
    Add(e, "alternateName", Property("Hoan Kiem District"));
    Add(e, "description",
        LanguageProperty(
            "Dữ liệu mô phỏng (không phải dữ liệu thật) cho khu vực quận Hoàn Kiếm cũ, Hà Nội, "
            "quanh hồ Hoàn Kiếm. Ranh giới và tọa độ đường phố là gần đúng.",
            "Generated demo data (not real data) for the area of the former Hoàn Kiếm district "
            "of Hà Nội, around Hoàn Kiếm Lake (the district level was abolished on 1 July "
            "2025). Boundary and street coordinates are approximations."));
    Add(e, "address",
        Property(Json::MakeObject({{"addressRegion", "Hà Nội"}, {"addressCountry", "VN"}})));
    Add(e, "location",
        GeoProperty("Polygon", Json(Json::Array{LineCoordinates(DistrictOutline())})));
    AddProvider(e);
    return e;
  }

  Json Street(std::size_t i) const {
    const StreetSpec& s = Streets()[i];
    Json e = NewEntity(street_ids_[i], "Street");
    Add(e, "name", Property(s.name));
    Add(e, "alternateName", Property(s.alternate_name));
    Add(e, "roadClass", Property(RoadClassName(s.road_class)));
    Add(e, "totalLaneNumber", Property(s.lanes * 2));
    Add(e, "length", Quantity(Round(lengths_[i], 0), "MTR"));
    Add(e, "location", GeoProperty("LineString", LineCoordinates(s.points)));
    Add(e, "refDistrict", Relationship(std::string(kDemoCityDistrictId)));
    AddProvider(e);
    return e;
  }

  std::string GroupId(std::size_t street) const {
    return EntityId("StreetlightGroup", Streets()[street].slug);
  }

  Json StreetlightGroup(std::size_t i) const {
    const StreetSpec& s = Streets()[i];
    Json e = NewEntity(GroupId(i), "StreetlightGroup");
    Add(e, "name", Property("Nhóm đèn đường " + std::string(s.name)));
    Add(e, "powerState", Property("on"));
    Add(e, "location", GeoProperty("LineString", LineCoordinates(s.points)));
    Add(e, "refStreet", Relationship(street_ids_[i]));
    AddProvider(e);
    return e;
  }

  void GenerateTraffic(std::size_t count, std::vector<Json>& out) {
    Rng rng(options_.seed, "TrafficFlowObserved");
    const StreetPicker picker(lengths_, 3.0, 2.0, 1.0);
    constexpr double kFreeFlowKmh[] = {40.0, 30.0, 20.0};  // primary, secondary, tertiary
    constexpr double kVehiclesPerLane15Min[] = {700.0, 550.0, 350.0};  // mostly motorbikes
    for (std::size_t n = 1; n <= count; ++n) {
      const Spot spot = PickSpot(rng, picker, 1.0, 4.0);
      const StreetSpec& s = Streets()[spot.street];
      const auto cls = static_cast<std::size_t>(s.road_class);
      const double c =
          Clamp(street_state_[spot.street].congestion + rng.Normal(0.0, 0.08), 0.02, 0.98);
      const double speed = Clamp(kFreeFlowKmh[cls] * (1.0 - 0.8 * c) + rng.Normal(0.0, 2.0), 3.0,
                                 kFreeFlowKmh[cls] + 5.0);
      const double occupancy = Clamp(0.08 + 0.75 * c + rng.Normal(0.0, 0.04), 0.01, 0.99);
      // Flow peaks at middling congestion and falls off in a jam.
      const double intensity = std::max(
          0.0, kVehiclesPerLane15Min[cls] * (0.3 + 2.2 * c * (1.0 - c)) + rng.Normal(0.0, 25.0));
      const Timestamp when = ObservedAt(rng);
      const std::string at = Iso(when);

      Json e = NewEntity(NumberedId("TrafficFlowObserved", n), "TrafficFlowObserved");
      Add(e, "location", PointLocation(spot.where));
      Add(e, "laneId", Property(rng.Between(1, s.lanes)));
      Add(e, "laneDirection", Property(rng.Chance(0.5) ? "forward" : "backward"));
      Add(e, "dateObserved", DateTimeProperty(at));
      Add(e, "dateObservedFrom", DateTimeProperty(Iso(when, -kTrafficPeriodSeconds)));
      Add(e, "dateObservedTo", DateTimeProperty(at));
      Add(e, "intensity", Measured(AsCount(intensity), "", at));
      Add(e, "occupancy", Measured(Round(occupancy, 2), "C62", at));
      Add(e, "averageVehicleSpeed", Measured(Round(speed, 1), "KMH", at));
      Add(e, "congested", Measured(speed < 12.0 || occupancy > 0.7, "", at));
      Add(e, "refStreet", Relationship(street_ids_[spot.street]));
      AddProvider(e);
      out.push_back(std::move(e));
    }
  }

  void GenerateAirQuality(std::size_t count, std::vector<Json>& out) {
    Rng rng(options_.seed, "AirQualityObserved");
    const StreetPicker picker(lengths_, 1.5, 1.2, 1.0);
    for (std::size_t n = 1; n <= count; ++n) {
      const Spot spot = PickSpot(rng, picker, 3.0, 10.0);
      const double load = street_state_[spot.street].load;
      const double pm25 =
          std::max(3.0, conditions_.pm25_background * (0.55 + 0.65 * load) + rng.Normal(0.0, 9.0));
      const double pm10 = pm25 * rng.Uniform(1.3, 1.75);
      const double no2 = std::max(3.0, 20.0 + 55.0 * load + rng.Normal(0.0, 8.0));
      const double o3 = std::max(2.0, rng.Normal(28.0, 8.0));  // low after sunset
      const double co = std::max(200.0, 700.0 + 1500.0 * load + rng.Normal(0.0, 150.0));
      const double so2 = std::max(1.0, rng.Normal(12.0, 4.0));
      const double t = conditions_.temperature + rng.Normal(0.0, 0.4);
      const double rh = Clamp(conditions_.humidity + rng.Normal(0.0, 0.02), 0.0, 1.0);
      const double sub =
          std::max({SubIndex(kBpPm25, Round(pm25, 1)), SubIndex(kBpPm10, Round(pm10, 1)),
                    SubIndex(kBpNo2, Round(no2, 1)), SubIndex(kBpO3, Round(o3, 1)),
                    SubIndex(kBpCo, Round(co, 0)), SubIndex(kBpSo2, Round(so2, 1))});
      const int aqi = static_cast<int>(std::floor(sub + 0.5));  // half away from zero (sub ≥ 0)
      const AqiBand& band = BandFor(aqi);
      const Timestamp when = ObservedAt(rng);
      const std::string at = Iso(when);
      const std::size_t nth = NextOnStreet("aq", spot.street);

      Json e = NewEntity(NumberedId("AirQualityObserved", n), "AirQualityObserved");
      Add(e, "name", Property(NthOnStreet("Trạm quan trắc không khí", spot.street, nth, false)));
      Add(e, "location", PointLocation(spot.where));
      Add(e, "address", Address(Streets()[spot.street].name));
      Add(e, "typeofLocation", Property("outdoor"));
      Add(e, "dateObserved", DateTimeProperty(at));
      Add(e, "pm25", Measured(Round(pm25, 1), "GQ", at));
      Add(e, "pm10", Measured(Round(pm10, 1), "GQ", at));
      Add(e, "no2", Measured(Round(no2, 1), "GQ", at));
      Add(e, "o3", Measured(Round(o3, 1), "GQ", at));
      Add(e, "co", Measured(Round(co, 0), "GQ", at));
      Add(e, "so2", Measured(Round(so2, 1), "GQ", at));
      Add(e, "temperature", Measured(Round(t, 1), "CEL", at));
      Add(e, "relativeHumidity", Measured(Round(rh, 2), "C62", at));
      Add(e, "airQualityIndex", Measured(aqi, "", at));
      Json level = LanguageProperty(band.vi, band.en);
      level.AsObject().emplace_back("observedAt", Json(at));
      Add(e, "airQualityLevel", std::move(level));
      Add(e, "refStreet", Relationship(street_ids_[spot.street]));
      AddProvider(e);
      out.push_back(std::move(e));
    }
  }

  void GenerateWater(std::size_t count, std::vector<Json>& out) {
    Rng rng(options_.seed, "WaterObserved");
    const StreetPicker picker(lengths_, 1.0, 1.0, 1.0);
    for (std::size_t n = 1; n <= count; ++n) {
      const Spot spot = PickSpot(rng, picker, 1.0, 3.0);  // drain inlets at the kerb
      const double wet = conditions_.drizzle ? 1.4 : 1.0;
      const double height = Clamp(rng.Normal(0.35, 0.12) * wet, 0.05, 1.2);
      const double flow = Clamp(rng.Normal(0.12, 0.06) * wet, 0.0, 0.8);
      const Timestamp when = ObservedAt(rng);
      const std::string at = Iso(when);

      Json e = NewEntity(NumberedId("WaterObserved", n), "WaterObserved");
      Add(e, "name",
          Property(NthOnStreet("Cống thoát nước", spot.street, NextOnStreet("water", spot.street),
                               false)));
      Add(e, "location", PointLocation(spot.where));
      Add(e, "dateObserved", DateTimeProperty(at));
      Add(e, "height", Measured(Round(height, 2), "MTR", at));
      Add(e, "flow", Measured(Round(flow, 3), "MQS", at));
      Add(e, "refStreet", Relationship(street_ids_[spot.street]));
      AddProvider(e);
      out.push_back(std::move(e));
    }
  }

  void GenerateWaste(std::size_t count, std::vector<Json>& out) {
    Rng rng(options_.seed, "WasteContainer");
    const StreetPicker picker(lengths_, 0.8, 1.0, 1.5);
    constexpr std::string_view kKinds[] = {"organic", "inorganic", "plastic", "paper"};
    constexpr std::string_view kStatuses[] = {"ok", "lidOpen", "dropped", "moved", "unknown"};
    constexpr double kStatusWeights[] = {0.92, 0.04, 0.015, 0.015, 0.01};
    constexpr double kMetresBetweenBins = 1.5;
    std::size_t n = 0;
    while (n < count) {
      const Spot spot = PickSpot(rng, picker, 2.0, 5.0);
      const std::size_t bins = std::min<std::size_t>(count - n, 1 + rng.Below(3));
      const std::string isle_id = NumberedId("WasteContainerIsle", isles_.size() + 1);
      const std::size_t nth = NextOnStreet("isle", spot.street);

      Json isle = NewEntity(isle_id, "WasteContainerIsle");
      Add(isle, "name", Property(NthOnStreet("Điểm thu gom rác", spot.street, nth, false)));
      Add(isle, "alternateName", Property(NthOnStreet("Waste point", spot.street, nth, true)));
      Add(isle, "location", PointLocation(spot.where));
      Add(isle, "refStreet", Relationship(street_ids_[spot.street]));
      AddProvider(isle);
      isles_.push_back(std::move(isle));

      const std::size_t first_kind = rng.Below(std::size(kKinds));
      for (std::size_t b = 0; b < bins; ++b) {
        ++n;
        const LonLat where{
            spot.where.lon + static_cast<double>(b) * kMetresBetweenBins / kMetresPerDegreeLon,
            spot.where.lat};
        const double fill = Clamp(rng.Normal(0.55, 0.22), 0.0, 1.0);
        double pick = rng.Uniform();
        std::size_t status = 0;
        while (status + 1 < std::size(kStatuses) && pick >= kStatusWeights[status]) {
          pick -= kStatusWeights[status];
          ++status;
        }
        const Timestamp when = ObservedAt(rng);
        const std::string at = Iso(when);
        const auto hours_since_emptying = static_cast<std::int64_t>(rng.Between(4, 40));

        Json e = NewEntity(NumberedId("WasteContainer", n), "WasteContainer");
        Add(e, "location", PointLocation(where));
        Add(e, "category", Property(Json(Json::Array{Json("fixed")})));
        Add(e, "storedWasteKind", Property(kKinds[(first_kind + b) % std::size(kKinds)]));
        Add(e, "storedWasteOrigin", Property("municipal"));
        Add(e, "fillingLevel", Measured(Round(fill, 2), "C62", at));
        Add(e, "status", Measured(kStatuses[status], "", at));
        Add(e, "dateLastEmptying",
            DateTimeProperty(Iso(when, -hours_since_emptying * kSecondsPerHour)));
        Add(e, "refWasteContainerIsle", Relationship(isle_id));
        Add(e, "refStreet", Relationship(street_ids_[spot.street]));
        AddProvider(e);
        out.push_back(std::move(e));
      }
    }
  }

  void GenerateStreetlights(std::size_t count, std::vector<Json>& out) {
    Rng rng(options_.seed, "Streetlight");
    const StreetPicker picker(lengths_, 1.0, 1.0, 1.0);
    constexpr double kLedWatts = 120.0;  // rated power of one lantern
    for (std::size_t n = 1; n <= count; ++n) {
      const Spot spot = PickSpot(rng, picker, 4.0, 8.0);
      has_lights_.insert(spot.street);
      std::string_view status = "ok";
      const double fault = rng.Uniform();
      if (fault < 0.02) {
        status = "defectiveLamp";
      } else if (fault < 0.03) {
        status = "brokenLantern";
      } else if (fault < 0.035) {
        status = "columnIssue";
      }
      std::string_view power = "on";
      double level = Round(rng.Uniform(0.7, 1.0), 2);
      if (status != "ok") {
        power = "off";
        level = 0.0;
      } else if (rng.Chance(0.08)) {
        power = "low";
        level = Round(rng.Uniform(0.3, 0.5), 2);
      }
      const double watts = power == "off" ? 0.0 : kLedWatts * level + rng.Normal(0.0, 2.0);
      const Timestamp when = ObservedAt(rng);
      const std::string at = Iso(when);

      Json e = NewEntity(NumberedId("Streetlight", n), "Streetlight");
      Add(e, "location", PointLocation(spot.where));
      Add(e, "locationCategory", Property("sidewalk"));
      Add(e, "lanternHeight", Property(Round(rng.Uniform(6.0, 10.0), 1)));
      Add(e, "controllingMethod", Property("group"));
      Add(e, "status", Measured(status, "", at));
      Add(e, "powerState", Measured(power, "", at));
      Add(e, "illuminanceLevel", Measured(level, "C62", at));
      Add(e, "powerConsumption", Measured(Round(std::max(0.0, watts), 1), "WTT", at));
      Add(e, "refStreetlightGroup", Relationship(GroupId(spot.street)));
      Add(e, "refStreet", Relationship(street_ids_[spot.street]));
      AddProvider(e);
      out.push_back(std::move(e));
    }
  }

  void GenerateParkings(std::size_t count, std::vector<Json>& out) {
    Rng rng(options_.seed, "OffStreetParking");
    const StreetPicker picker(lengths_, 1.5, 1.5, 1.0);
    for (std::size_t n = 1; n <= count; ++n) {
      const Spot spot = PickSpot(rng, picker, 15.0, 30.0);  // a yard behind the frontage
      const StreetSpec& s = Streets()[spot.street];
      const std::int64_t total = rng.Between(20, 250);
      const double wanted = Clamp(rng.Normal(0.75, 0.15), 0.0, 1.0);  // evening near the lake
      const std::int64_t occupied =
          std::min<std::int64_t>(total, AsCount(wanted * static_cast<double>(total)));
      const std::int64_t available = total - occupied;
      const Timestamp when = ObservedAt(rng);
      const std::string at = Iso(when);
      const std::size_t nth = NextOnStreet("parking", spot.street);
      const std::string name = NthOnStreet("Bãi đỗ xe", spot.street, nth, false);
      const std::string alt = NthOnStreet("Parking", spot.street, nth, true);

      Json e = NewEntity(NumberedId("OffStreetParking", n), "OffStreetParking");
      Add(e, "name", Property(name));
      Add(e, "alternateName", Property(alt));
      Add(e, "description",
          LanguageProperty(
              "Bãi đỗ xe máy và ô tô (dữ liệu mô phỏng) trên phố " + std::string(s.name),
              "Motorbike and car parking (generated data) on " + std::string(s.alternate_name) +
                  " street"));
      Add(e, "location", PointLocation(spot.where));
      Add(e, "address", Address(s.name));
      Add(e, "category", Property(Json(Json::Array{Json("public"), Json("feeCharged")})));
      Add(e, "allowedVehicleType", Property(Json(Json::Array{Json("motorcycle"), Json("car")})));
      Add(e, "status", Measured(Json(Json::Array{Json(available == 0 ? "full" : "open")}), "", at));
      Add(e, "totalSpotNumber", Property(total));
      Add(e, "availableSpotNumber", Measured(available, "", at));
      Add(e, "occupiedSpotNumber", Measured(occupied, "", at));
      Add(e, "occupancy",
          Measured(Round(static_cast<double>(occupied) / static_cast<double>(total), 3), "C62",
                   at));
      Add(e, "refStreet", Relationship(street_ids_[spot.street]));
      AddProvider(e);
      out.push_back(std::move(e));
    }
  }

  void GenerateWeather(std::size_t count, std::vector<Json>& out) {
    Rng rng(options_.seed, "WeatherObserved");
    const StreetPicker picker(lengths_, 1.0, 1.0, 1.0);
    for (std::size_t n = 1; n <= count; ++n) {
      const Spot spot = PickSpot(rng, picker, 3.0, 10.0);
      const double t = conditions_.temperature + rng.Normal(0.0, 0.35);
      const double rh = Clamp(conditions_.humidity + rng.Normal(0.0, 0.02), 0.0, 1.0);
      const double rain = conditions_.drizzle ? Clamp(rng.Normal(0.4, 0.2), 0.0, 2.0) : 0.0;
      const double wind = Clamp(conditions_.wind_speed + rng.Normal(0.0, 0.4), 0.0, 15.0);
      double direction = Round(conditions_.wind_direction + rng.Normal(0.0, 10.0), 0);
      if (direction < 0.0) direction += 360.0;
      if (direction >= 360.0) direction -= 360.0;
      const double pressure = conditions_.pressure + rng.Normal(0.0, 0.3);
      const Timestamp when = ObservedAt(rng);
      const std::string at = Iso(when);

      Json e = NewEntity(NumberedId("WeatherObserved", n), "WeatherObserved");
      Add(e, "name",
          Property(NthOnStreet("Trạm khí tượng", spot.street, NextOnStreet("weather", spot.street),
                               false)));
      Add(e, "location", PointLocation(spot.where));
      Add(e, "address", Address(Streets()[spot.street].name));
      Add(e, "dateObserved", DateTimeProperty(at));
      Add(e, "temperature", Measured(Round(t, 1), "CEL", at));
      Add(e, "relativeHumidity", Measured(Round(rh, 2), "C62", at));
      Add(e, "precipitation", Measured(Round(rain, 1), "MMT", at));
      Add(e, "windSpeed", Measured(Round(wind, 1), "MTS", at));
      Add(e, "windDirection", Measured(Round(direction, 0), "DD", at));
      Add(e, "atmosphericPressure", Measured(Round(pressure, 1), "A97", at));
      Add(e, "refStreet", Relationship(street_ids_[spot.street]));
      AddProvider(e);
      out.push_back(std::move(e));
    }
  }

  const DemoCityOptions& options_;
  Conditions conditions_{};
  std::vector<double> lengths_;
  std::vector<std::string> street_ids_;
  std::vector<StreetState> street_state_;
  std::set<std::size_t> has_lights_;
  std::vector<Json> isles_;
  std::map<std::string, std::size_t> per_street_counters_;
};

}  // namespace

std::vector<Json> GenerateDemoCity(const DemoCityOptions& options) {
  return CityBuilder(options).Build();
}

}  // namespace dothi::app
