// Fuzzes the CRS names taken from the network (/planning/v1/lookup?srs=) and the province
// finder: ParseImportSrs without free PROJ definitions, and the transform it leads to
// (EPSG codes go to PROJ's database), then a conversion of a fixed position.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "geo/crs.h"
#include "geo/vn2000_provinces.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)dothi::geo::FindVn2000Province(text);
  std::string note;
  dothi::Result<dothi::geo::Crs> crs = dothi::geo::ParseImportSrs(text, &note, false);
  if (!crs.ok()) return 0;
  if (crs->kind == dothi::geo::Crs::Kind::kProj && crs->definition.substr(0, 5) != "EPSG:") {
    __builtin_trap();  // only names may come from the network
  }
  auto t = dothi::geo::CrsTransform::Make(*crs);
  if (!t.ok()) return 0;
  double x = 588415.1, y = 2326366.5;
  (void)(*t)->GisOrderToCrs84(x, y);
  return 0;
}
