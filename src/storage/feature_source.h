#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/result.h"

// What a GIS file holds, as read before any conversion: features with their geometry in the
// file's own coordinates (GIS axis order: easting or longitude first) and the CRS the file
// declares. The importer (service/layer_service) converts, validates and stores them.
namespace dothi::storage {

struct SourceFeature {
  std::string id;
  Json geometry;  // {"type": ..., "coordinates": ...} in source coordinates, or null
  Json properties = Json::MakeObject();
};

// The CRS a file declares (.prj, GeoPackage srs, ...).
struct SourceCrs {
  bool present = false;
  int epsg = 0;          // its EPSG code when it has or matches one, else 0
  std::string wkt;       // WKT2 as GDAL exports it
  bool vn2000 = false;   // its datum is VN-2000
  bool geographic = false;
  bool transverse_mercator = false;  // projected with Transverse Mercator: parameters below
  double lon_0 = 0, k_0 = 1, x_0 = 0, y_0 = 0;
};

struct SourceLayer {
  std::string driver;      // GDAL's short name: "ESRI Shapefile", "GPKG", "DXF", ...
  std::string layer_name;  // the layer read from the file
  SourceCrs crs;
  std::vector<SourceFeature> features;
  // Features whose geometry cannot be stored (a collection mixing points, lines and
  // polygons, an empty geometry of a type we do not keep), by id, with the reason.
  std::vector<std::pair<std::string, std::string>> unreadable;
};

struct SourceReadOptions {
  std::string layer;     // the file's layer to read; "" when it has only one
  std::string id_field;  // the attribute giving feature ids; "" for the file's own ids
  std::string encoding;  // the attribute encoding of a Shapefile without .cpg ("" = GDAL's guess)
  // Called now and then with features read so far and the total (0 when unknown).
  std::function<void(std::size_t done, std::size_t total)> progress;
};

}  // namespace dothi::storage
