#pragma once

#include <string_view>

// Vietnamese land-use codes (mã loại đất) with their names, after
// ../shared/reference/land-use-codes.md §2: the cadastral and statistics codes of Thông tư
// 08/2024/TT-BTNMT and the legacy ones still found in existing data, plus CXX (đất cây
// xanh), the green-space symbol of zoning plans.
namespace dothi::domain {

struct LandUseCode {
  std::string_view code;
  std::string_view vi;
  std::string_view en;
};

// The code's names, or nullptr for a code not in the table (it is kept as it is).
const LandUseCode* FindLandUse(std::string_view code);

}  // namespace dothi::domain
