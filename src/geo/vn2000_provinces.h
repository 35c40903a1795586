#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

// The VN-2000 TM-3 central meridian (kinh tuyến trục) of each province, after
// ../shared/reference/vn2000.md §5 (TT 973/2001, as EPSG lists the zones) and §6 (the 34
// units of 2025). A zoning plan or a cadastral sheet keeps the meridian of the province it
// was made for, so the 63 pre-2025 provinces are the keys; the 2025 units that kept an old
// name resolve to that province, and TP. Huế to Thừa Thiên Huế.
namespace dothi::geo {

struct Vn2000Province {
  const char* iso;   // ISO 3166-2 code of the pre-2025 province ("VN-HN")
  const char* name;  // Vietnamese name (UTF-8)
  const char* slug;  // ASCII, lower case, '-' between words ("ha-noi")
  double lon_0;      // central meridian, degrees
  int epsg;          // the EPSG TM-3 CRS of that meridian
};

const std::vector<Vn2000Province>& Vn2000Provinces();

struct Vn2000ProvinceMatch {
  const Vn2000Province* province = nullptr;
  // For a 2025 unit whose territory spans several meridians: the pre-2025 provinces inside
  // it with theirs ("Tây Ninh 105°30′, Long An 105°45′"), to warn whoever imports; else "".
  std::string other_meridians;
};

// A province by slug ("ha-noi", "tp-ho-chi-minh"; spaces and '_' read as '-', ASCII case
// ignored), ISO code ("VN-HN") or exact Vietnamese name ("Hà Nội").
// Errors: InvalidRequest naming the text.
Result<Vn2000ProvinceMatch> FindVn2000Province(std::string_view text);

}  // namespace dothi::geo
