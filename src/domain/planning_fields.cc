#include "domain/planning_fields.h"

namespace dothi::domain {

const std::vector<PlanningField>& ZoningFields() {
  static const std::vector<PlanningField> all = {
      {"zone_code", "Mã ô quy hoạch", "Zone code"},
      {"land_use", "Chức năng sử dụng đất", "Land use"},
      {"building_density", "Mật độ xây dựng (%)", "Building density (%)"},
      {"land_use_coefficient", "Hệ số sử dụng đất", "Land-use coefficient (floor-area ratio)"},
      {"floors_min", "Tầng cao tối thiểu", "Minimum storeys"},
      {"floors_max", "Tầng cao tối đa", "Maximum storeys"},
      {"plan_name", "Đồ án quy hoạch", "Plan"},
      {"decision_number", "Quyết định phê duyệt số", "Approving decision number"},
      {"decision_date", "Ngày phê duyệt", "Approval date"},
      {"commune", "Phường, xã", "Ward or commune"},
      {"name", "Tên", "Name"},
  };
  return all;
}

const std::vector<PlanningField>& ParcelFields() {
  static const std::vector<PlanningField> all = {
      {"map_sheet", "Tờ bản đồ số", "Map sheet"},
      {"parcel_number", "Thửa đất số", "Parcel number"},
      {"area", "Diện tích (m²)", "Area (m²)"},
      {"commune", "Phường, xã", "Ward or commune"},
      {"land_use", "Loại đất", "Land-use type"},
      {"address", "Địa chỉ", "Address"},
  };
  return all;
}

const std::vector<PlanningField>& AdministrativeFields() {
  static const std::vector<PlanningField> all = {{"name", "Tên", "Name"}};
  return all;
}

const PlanningField* FindPlanningField(std::string_view name) {
  for (const auto* list : {&ZoningFields(), &ParcelFields(), &AdministrativeFields()}) {
    for (const PlanningField& f : *list) {
      if (f.name == name) return &f;
    }
  }
  return nullptr;
}

}  // namespace dothi::domain
