#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

// `dothi import FILE --tenant T --layer NAME [--srs ...]`: reads a GIS file through GDAL and
// stores it as a layer of the embedded store in --data-dir, all or nothing. A server running
// on the same data directory picks the new version up within a second.
namespace dothi::app {

struct ImportOptions {
  std::string file;
  std::string data_dir = "./data";
  std::string tenant;
  std::string layer;
  std::string title;
  std::string srs;           // see geo::ParseImportSrs; "" = the file's own CRS
  std::string source_layer;  // the file's layer, when it has several
  std::string id_field;      // attribute holding feature ids ("" = the file's ids)
  std::string encoding;      // Shapefile attribute encoding when there is no .cpg
  bool replace = false;
  std::optional<std::int64_t> expected_version;
  std::string invalid = "repair";  // or "refuse"
  std::string dissolve;            // property whose equal values become one feature
  std::string role;                // general | planning | parcel | administrative
  std::vector<std::string> fields;  // "land_use=MA_DAT"
  bool progress = true;             // a progress bar on stderr when it is a terminal
};

// Returns the process exit code: 0 imported, 1 refused or failed (the reason on err).
int RunImport(const ImportOptions& options, std::ostream& out, std::ostream& err);

}  // namespace dothi::app
