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
  // kVn2000Tm3 is any VN-2000 Transverse Mercator: the TM-3 zones above (k = 0.9999), and
  // for imports any other meridian or scale a .prj gives (epsg 0 then). kProj is any other
  // CRS PROJ knows (definition: "EPSG:32648", WKT or a PROJ string), reached through PROJ's
  // own operation search, with axes in GIS order (easting or longitude first); for imports
  // only, never offered by the APIs.
  enum class Kind { kCrs84, kWgs84LatLon, kWebMercator, kVn2000Geographic, kVn2000Tm3, kProj };
  Kind kind = Kind::kCrs84;
  int epsg = 0;        // 0 for CRS84 and for CRSs without an EPSG code here
  double lon_0 = 0.0;  // central meridian of a VN-2000 TM (degrees)
  double k_0 = 0.9999;     // its scale factor
  double x_0 = 500000.0;   // its false easting (m)
  double y_0 = 0.0;        // its false northing (m)
  std::string definition;  // kProj only

  // The OGC URI: http://www.opengis.net/def/crs/OGC/1.3/CRS84 or
  // http://www.opengis.net/def/crs/EPSG/0/<code>.
  std::string Uri() const;
  // True for CRSs whose first axis is latitude (EPSG:4326, EPSG:4756).
  bool LatitudeFirst() const { return kind == Kind::kWgs84LatLon || kind == Kind::kVn2000Geographic; }
  // For people: "EPSG:9210", "CRS84", "VN-2000 TM lon_0=105.6 k=0.9999 x_0=500000", or the
  // definition.
  std::string Name() const;
  friend bool operator==(const Crs& a, const Crs& b) {
    return a.kind == b.kind && a.epsg == b.epsg && a.lon_0 == b.lon_0 && a.k_0 == b.k_0 &&
           a.x_0 == b.x_0 && a.y_0 == b.y_0 && a.definition == b.definition;
  }
};

// Every CRS above, CRS84 first.
const std::vector<Crs>& SupportedCrs();

// A CRS named by its OGC URI (http or https), "EPSG:<code>", "[EPSG:<code>]" or "CRS84"/"OGC:CRS84".
// Errors: InvalidRequest for text that names no CRS, BadRequestData for a CRS we do not offer.
Result<Crs> ParseCrs(std::string_view text);

// The VN-2000 TM-3 zone (EPSG CRS) of a central meridian in degrees, or BadRequestData.
Result<Crs> Vn2000Tm3Zone(double lon_0);

// A VN-2000 Transverse Mercator with these parameters: the EPSG TM-3 zone when they are
// one's (k 0.9999, false easting 500 000 m, no false northing), else an unnamed one.
Crs Vn2000TransverseMercator(double lon_0, double k_0, double x_0, double y_0);

// The CRS of a file to import, as `dothi import --srs` takes it:
//   "VN2000" (EPSG:4756), "VN2000:<province>" (the province's TM-3 zone: slug, ISO code or
//   name, see vn2000_provinces.h), "VN2000:<meridian>" ("VN2000:105.75", or 105°45' as
//   "105d45"), "CRS84" / "WGS84", "EPSG:<code>" (ours when we have it, else PROJ's), or
//   any other text PROJ reads as a CRS.
// Errors: InvalidRequest naming what is wrong. note gets a warning for whoever imports
// (a 2025 province spanning several meridians), else is cleared.
// allow_definitions: also any text PROJ reads (a WKT or PROJ string). Off for input from
// the network, where only the names above are taken.
Result<Crs> ParseImportSrs(std::string_view text, std::string* note = nullptr,
                           bool allow_definitions = true);

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
  // (x, y) in GIS order (longitude or easting first, as Shapefile, GeoPackage and DXF
  // store them) -> (lon, lat) in CRS84.
  Status GisOrderToCrs84(double& x, double& y) const;
  // A GeoJSON geometry (CRS84) with every position converted; other members kept.
  Result<Json> GeometryFromCrs84(const Json& geometry) const;

 private:
  struct Impl;
  CrsTransform(Crs crs, std::unique_ptr<Impl> impl);
  Crs crs_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dothi::geo
