#include "geo/crs.h"

#include <proj.h>

#include <charconv>
#include <cmath>
#include <string>
#include <utility>

#include "geo/vn2000_provinces.h"

namespace dothi::geo {
namespace {

Crs MakeCrs(Crs::Kind kind, int epsg, double lon_0) {
  Crs c;
  c.kind = kind;
  c.epsg = epsg;
  c.lon_0 = lon_0;
  return c;
}

// The OGC CRS URIs without their scheme (http:// is written, https:// is read too).
constexpr std::string_view kCrs84Path = "www.opengis.net/def/crs/OGC/1.3/CRS84";
constexpr std::string_view kEpsgPathPrefix = "www.opengis.net/def/crs/EPSG/0/";

// VN-2000 -> WGS 84, QĐ 05/2007/QĐ-BTNMT, as EPSG:6960 registers it (Coordinate Frame).
constexpr const char* kVn2000Helmert =
    "+proj=helmert +x=-191.90441429 +y=-39.30318279 +z=-111.45032835 +rx=-0.00928836 "
    "+ry=0.01975479 +rz=-0.00427372 +s=0.252906278 +convention=coordinate_frame";

// The TM-3 zones of VN-2000 in EPSG v10.076 (code, central meridian).
constexpr std::pair<int, double> kTm3Zones[] = {
    {5896, 102.00}, {9205, 103.00}, {9206, 104.00}, {9207, 104.50}, {9208, 104.75},
    {5897, 105.00}, {9209, 105.50}, {9210, 105.75}, {9211, 106.00}, {9212, 106.25},
    {9213, 106.50}, {9214, 107.00}, {9215, 107.25}, {9216, 107.50}, {5899, 107.75},
    {5898, 108.00}, {9217, 108.25}, {9218, 108.50},
};

std::vector<Crs> MakeSupported() {
  std::vector<Crs> out = {
      MakeCrs(Crs::Kind::kCrs84, 0, 0),
      MakeCrs(Crs::Kind::kWgs84LatLon, 4326, 0),
      MakeCrs(Crs::Kind::kWebMercator, 3857, 0),
      MakeCrs(Crs::Kind::kVn2000Geographic, 4756, 0),
  };
  for (const auto& [code, lon_0] : kTm3Zones) out.push_back(MakeCrs(Crs::Kind::kVn2000Tm3, code, lon_0));
  return out;
}

std::string NumberText(double d) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  (void)ec;
  return std::string(buf, end);
}

// CRS84 (degrees) -> the CRS, as one PROJ pipeline run forward.
std::string PipelineFor(const Crs& crs) {
  const std::string to_vn2000_cart =
      " +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=push +v_3"
      " +step +proj=cart +ellps=WGS84 +step +inv " +
      std::string(kVn2000Helmert) + " +step +inv +proj=cart +ellps=WGS84 +step +proj=pop +v_3";
  switch (crs.kind) {
    case Crs::Kind::kCrs84: return "+proj=noop";
    case Crs::Kind::kWgs84LatLon: return "+proj=axisswap +order=2,1";
    case Crs::Kind::kWebMercator:
      return "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad"
             " +step +proj=webmerc +ellps=WGS84";
    case Crs::Kind::kVn2000Geographic:
      return "+proj=pipeline" + to_vn2000_cart +
             " +step +proj=unitconvert +xy_in=rad +xy_out=deg +step +proj=axisswap +order=2,1";
    case Crs::Kind::kVn2000Tm3:
      return "+proj=pipeline" + to_vn2000_cart + " +step +proj=tmerc +lat_0=0 +lon_0=" +
             NumberText(crs.lon_0) + " +k=" + NumberText(crs.k_0) + " +x_0=" +
             NumberText(crs.x_0) + " +y_0=" + NumberText(crs.y_0) + " +ellps=WGS84";
    case Crs::Kind::kProj: break;  // not a pipeline of ours (see CrsTransform::Make)
  }
  return "+proj=noop";
}

bool ParseInt(std::string_view s, int& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// Converts every position under a GeoJSON "coordinates" value in place.
Status ConvertPositions(Json& coords, const CrsTransform& t, int depth) {
  if (depth > 6 || !coords.is_array()) return Status::BadRequestData("invalid coordinates");
  Json::Array& a = coords.AsArray();
  if (!a.empty() && a.front().is_number()) {
    if (a.size() < 2 || !a[1].is_number()) return Status::BadRequestData("invalid position");
    double x = a[0].AsDouble(), y = a[1].AsDouble();
    if (Status s = t.FromCrs84(x, y); !s.ok()) return s;
    a[0] = Json(x);
    a[1] = Json(y);
    return Status::OK();
  }
  for (Json& c : a) {
    if (Status s = ConvertPositions(c, t, depth + 1); !s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace

std::string Crs::Name() const {
  switch (kind) {
    case Kind::kCrs84: return "CRS84";
    case Kind::kProj: return definition;
    case Kind::kVn2000Tm3:
      if (epsg == 0) {
        return "VN-2000 TM lon_0=" + NumberText(lon_0) + " k=" + NumberText(k_0) +
               " x_0=" + NumberText(x_0) + " y_0=" + NumberText(y_0);
      }
      [[fallthrough]];
    default: return "EPSG:" + std::to_string(epsg);
  }
}

std::string Crs::Uri() const {
  if (kind == Kind::kCrs84) return "http://" + std::string(kCrs84Path);
  return "http://" + std::string(kEpsgPathPrefix) + std::to_string(epsg);
}

const std::vector<Crs>& SupportedCrs() {
  static const std::vector<Crs> all = MakeSupported();
  return all;
}

Result<Crs> ParseCrs(std::string_view text) {
  std::string_view s = text;
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.substr(0, 8) == "https://") s.remove_prefix(8);
  else if (s.substr(0, 7) == "http://") s.remove_prefix(7);
  if (s == kCrs84Path || s == "CRS84" || s == "OGC:CRS84") return SupportedCrs().front();
  std::string_view digits;
  if (s.substr(0, kEpsgPathPrefix.size()) == kEpsgPathPrefix) {
    digits = s.substr(kEpsgPathPrefix.size());
  } else if (s.substr(0, 5) == "EPSG:") {
    digits = s.substr(5);
  } else {
    return Status::InvalidRequest("not a CRS URI", text);
  }
  int code = 0;
  if (!ParseInt(digits, code)) return Status::InvalidRequest("not a CRS URI", text);
  for (const Crs& c : SupportedCrs()) {
    if (c.epsg == code && c.kind != Crs::Kind::kCrs84) return c;
  }
  return Status::BadRequestData("CRS not supported", text);
}

Result<Crs> Vn2000Tm3Zone(double lon_0) {
  for (const auto& [code, zone] : kTm3Zones) {
    if (std::fabs(zone - lon_0) < 1e-9) return MakeCrs(Crs::Kind::kVn2000Tm3, code, zone);
  }
  return Status::BadRequestData("no VN-2000 TM-3 zone has this central meridian",
                                std::to_string(lon_0));
}

Crs Vn2000TransverseMercator(double lon_0, double k_0, double x_0, double y_0) {
  if (std::fabs(k_0 - 0.9999) < 1e-12 && x_0 == 500000.0 && y_0 == 0.0) {
    if (Result<Crs> zone = Vn2000Tm3Zone(lon_0); zone.ok()) return *zone;
  }
  Crs c = MakeCrs(Crs::Kind::kVn2000Tm3, 0, lon_0);
  c.k_0 = k_0;
  c.x_0 = x_0;
  c.y_0 = y_0;
  return c;
}

namespace {
// "105.75", "105d45", "105d45'" or "105°45′" -> degrees; false when it is none of these.
bool ParseMeridian(std::string_view s, double& out) {
  auto number = [](std::string_view t, double& v) {
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return !t.empty() && ec == std::errc() && end == t.data() + t.size();
  };
  if (number(s, out)) return out >= 100.0 && out <= 112.0;
  for (std::string_view sep : {"d", "\xC2\xB0"}) {  // 'd' or the degree sign
    std::size_t p = s.find(sep);
    if (p == std::string_view::npos) continue;
    std::string_view deg = s.substr(0, p), min = s.substr(p + sep.size());
    for (std::string_view tail : {"'", "\xE2\x80\xB2"}) {  // ' or the prime sign
      if (min.size() >= tail.size() && min.substr(min.size() - tail.size()) == tail) {
        min.remove_suffix(tail.size());
      }
    }
    double d = 0, m = 0;
    if (!number(deg, d) || !number(min, m) || m < 0 || m >= 60) return false;
    out = d + m / 60.0;
    return out >= 100.0 && out <= 112.0;
  }
  return false;
}
}  // namespace

Result<Crs> ParseImportSrs(std::string_view text, std::string* note, bool allow_definitions) {
  if (note != nullptr) note->clear();
  if (text.empty()) return Status::InvalidRequest("empty --srs");
  if (text == "CRS84" || text == "OGC:CRS84" || text == "WGS84") return SupportedCrs().front();
  if (text == "VN2000" || text == "VN-2000") return ParseCrs("EPSG:4756");
  for (std::string_view prefix : {"VN2000:", "VN-2000:"}) {
    if (text.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = text.substr(prefix.size());
    double lon_0 = 0;
    if (ParseMeridian(rest, lon_0)) return Vn2000TransverseMercator(lon_0, 0.9999, 500000.0, 0.0);
    Result<Vn2000ProvinceMatch> m = FindVn2000Province(rest);
    if (!m.ok()) return m.status();
    if (note != nullptr && !m->other_meridians.empty()) {
      *note = std::string(m->province->name) + " uses " + Vn2000TransverseMercator(m->province->lon_0, 0.9999, 500000.0, 0.0).Name() +
              "; its 2025 province also holds land of other meridians (" + m->other_meridians +
              "): data made for those needs their own VN2000:<province>";
    }
    return Vn2000TransverseMercator(m->province->lon_0, 0.9999, 500000.0, 0.0);
  }
  if (text.substr(0, 5) == "EPSG:") {
    Result<Crs> ours = ParseCrs(text);
    if (ours.ok()) return ours;
    int code = 0;
    if (!ParseInt(text.substr(5), code)) return Status::InvalidRequest("not an EPSG code", text);
  }
  if (!allow_definitions && text.substr(0, 5) != "EPSG:") {
    return Status::InvalidRequest("not a CRS name (VN2000:<province>, VN2000:<meridian>, EPSG:<code>, CRS84)",
                                  text);
  }
  if (text.size() > 64 * 1024) return Status::InvalidRequest("CRS definition too long");
  Crs c = MakeCrs(Crs::Kind::kProj, 0, 0);
  c.definition = std::string(text);
  if (text.substr(0, 5) == "EPSG:") ParseInt(text.substr(5), c.epsg);
  // Checked by CrsTransform::Make, which the caller runs next.
  return c;
}

struct CrsTransform::Impl {
  PJ_CONTEXT* ctx = nullptr;
  PJ* pj = nullptr;
  ~Impl() {
    if (pj != nullptr) proj_destroy(pj);
    if (ctx != nullptr) proj_context_destroy(ctx);
  }
};

CrsTransform::CrsTransform(Crs crs, std::unique_ptr<Impl> impl)
    : crs_(crs), impl_(std::move(impl)) {}

CrsTransform::~CrsTransform() = default;

Result<std::unique_ptr<CrsTransform>> CrsTransform::Make(const Crs& crs) {
  auto impl = std::make_unique<Impl>();
  impl->ctx = proj_context_create();
  if (impl->ctx == nullptr) return Status::Internal("cannot create a PROJ context");
  proj_log_level(impl->ctx, PJ_LOG_NONE);
  if (crs.kind == Crs::Kind::kProj) {
    PJ* op = proj_create_crs_to_crs(impl->ctx, "OGC:CRS84", crs.definition.c_str(), nullptr);
    if (op == nullptr) {
      return Status::InvalidRequest("PROJ does not know this CRS", crs.definition);
    }
    impl->pj = proj_normalize_for_visualization(impl->ctx, op);
    proj_destroy(op);
    if (impl->pj == nullptr) return Status::InvalidRequest("PROJ cannot use this CRS", crs.definition);
    return std::unique_ptr<CrsTransform>(new CrsTransform(crs, std::move(impl)));
  }
  const std::string pipeline = PipelineFor(crs);
  impl->pj = proj_create(impl->ctx, pipeline.c_str());
  if (impl->pj == nullptr) {
    return Status::Internal("PROJ refused a pipeline",
                            proj_context_errno_string(impl->ctx, proj_context_errno(impl->ctx)));
  }
  return std::unique_ptr<CrsTransform>(new CrsTransform(crs, std::move(impl)));
}

namespace {
Status Run(PJ* pj, PJ_DIRECTION dir, double& x, double& y) {
  PJ_COORD c = proj_coord(x, y, 0, 0);
  proj_errno_reset(pj);
  PJ_COORD r = proj_trans(pj, dir, c);
  if (proj_errno(pj) != 0 || !std::isfinite(r.xy.x) || !std::isfinite(r.xy.y)) {
    proj_errno_reset(pj);
    return Status::BadRequestData("coordinates outside the CRS's domain");
  }
  x = r.xy.x;
  y = r.xy.y;
  return Status::OK();
}
}  // namespace

Status CrsTransform::FromCrs84(double& x, double& y) const {
  if (crs_.kind == Crs::Kind::kCrs84) return Status::OK();
  return Run(impl_->pj, PJ_FWD, x, y);
}

Status CrsTransform::ToCrs84(double& x, double& y) const {
  if (crs_.kind == Crs::Kind::kCrs84) return Status::OK();
  return Run(impl_->pj, PJ_INV, x, y);
}

Status CrsTransform::GisOrderToCrs84(double& x, double& y) const {
  if (crs_.LatitudeFirst()) std::swap(x, y);
  return ToCrs84(x, y);
}

Result<Json> CrsTransform::GeometryFromCrs84(const Json& geometry) const {
  Json out = geometry;
  if (crs_.kind == Crs::Kind::kCrs84 || !out.is_object()) return out;
  if (Json* geometries = out.Find("geometries")) {
    if (!geometries->is_array()) return Status::BadRequestData("invalid geometry collection");
    for (Json& g : geometries->AsArray()) {
      Result<Json> converted = GeometryFromCrs84(g);
      if (!converted.ok()) return converted.status();
      g = std::move(*converted);
    }
    return out;
  }
  Json* coords = out.Find("coordinates");
  if (coords == nullptr) return Status::BadRequestData("geometry without coordinates");
  if (Status s = ConvertPositions(*coords, *this, 0); !s.ok()) return s;
  return out;
}

}  // namespace dothi::geo
