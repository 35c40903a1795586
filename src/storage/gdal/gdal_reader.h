#pragma once

#include <string>

#include "core/result.h"
#include "storage/feature_source.h"

// Reads one layer of a GIS file through GDAL/OGR: Shapefile (its .prj and .cpg honoured),
// GeoPackage, GeoJSON, KML, DXF, CSV with a WKT column (named wkt, geometry, geom or
// the_geom) or lon/lat columns, and anything else GDAL opens read-only. Curves are
// linearised, Z and M dropped. Thread-safe (one GDAL dataset per call).
namespace dothi::storage::gdal {

// Errors: InvalidRequest for a file GDAL cannot open or read (its message in the detail), a
// missing or ambiguous layer (the file's layer names in the detail), a duplicate or empty
// id in id_field, or an id_field the layer does not have.
Result<SourceLayer> ReadGisFile(const std::string& path, const SourceReadOptions& options);

}  // namespace dothi::storage::gdal
