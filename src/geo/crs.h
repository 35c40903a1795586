#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "core/status.h"

// The coordinate reference systems dothi converts to and from, and the conversions. Data is
// stored in OGC CRS84 (WGS 84 longitude, latitude); every other CRS is reached from it:
//   - EPSG:4326, WGS 84 with the EPSG axis order (latitude, longitude);
//   - EPSG:3857, Web Mercator (easting, northing in metres);
//   - EPSG:4756, VN-2000 geographic (latitude, longitude);
//   - the VN-2000 TM-3 zones (EPSG 5896-5899 and 9205-9218; easting, northing in metres;
//     k = 0.9999, false easting 500 000 m, central meridian per zone).
// VN-2000 <-> WGS 84 is the 7-parameter shift of QĐ 05/2007/QĐ-BTNMT read as EPSG:6960 does
// (Coordinate Frame rotations), written as an explicit PROJ pipeline so that PROJ never
// picks another operation (such as EPSG:5194 in the Mekong delta). See
// ../shared/reference/vn2000.md.
namespace dothi::geo {

struct Crs {
  enum class Kind { kCrs84, kWgs84LatLon, kWebMercator, kVn2000Geographic, kVn2000Tm3 };
  Kind kind = Kind::kCrs84;
  int epsg = 0;        // 0 for CRS84
  double lon_0 = 0.0;  // central meridian of a TM-3 zone (degrees)

  // The OGC URI: http://www.opengis.net/def/crs/OGC/1.3/CRS84 or
  // http://www.opengis.net/def/crs/EPSG/0/<code>.
  std::string Uri() const;
  // True for CRSs whose first axis is latitude (EPSG:4326, EPSG:4756).
  bool LatitudeFirst() const { return kind == Kind::kWgs84LatLon || kind == Kind::kVn2000Geographic; }
  friend bool operator==(const Crs& a, const Crs& b) { return a.kind == b.kind && a.epsg == b.epsg; }
};

// Every CRS above, CRS84 first.
const std::vector<Crs>& SupportedCrs();

// A CRS named by its OGC URI (http or https), "EPSG:<code>", "[EPSG:<code>]" or "CRS84"/"OGC:CRS84".
// Errors: InvalidRequest for text that names no CRS, BadRequestData for a CRS we do not offer.
Result<Crs> ParseCrs(std::string_view text);

// The VN-2000 TM-3 zone (EPSG CRS) of a central meridian in degrees, or BadRequestData.
Result<Crs> Vn2000Tm3Zone(double lon_0);

// Converts positions between CRS84 and one other CRS. Owns a PROJ context: one object per
// thread at a time (not safe for concurrent use); cheap to make (no database lookups).
class CrsTransform {
 public:
  // Errors: Internal when PROJ refuses the pipeline (a broken installation).
  static Result<std::unique_ptr<CrsTransform>> Make(const Crs& crs);
  ~CrsTransform();
  CrsTransform(const CrsTransform&) = delete;
  CrsTransform& operator=(const CrsTransform&) = delete;

  const Crs& crs() const { return crs_; }
  // (lon, lat) in CRS84 -> the CRS's axis order. Errors: BadRequestData when the position
  // cannot be converted (outside the projection's domain).
  Status FromCrs84(double& x, double& y) const;
  // The CRS's axis order -> (lon, lat) in CRS84.
  Status ToCrs84(double& x, double& y) const;
  // A GeoJSON geometry (CRS84) with every position converted; other members kept.
  Result<Json> GeometryFromCrs84(const Json& geometry) const;

 private:
  struct Impl;
  CrsTransform(Crs crs, std::unique_ptr<Impl> impl);
  Crs crs_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dothi::geo
