#pragma once

#include <string_view>
#include <vector>

// The fields a planning lookup answers with, and their labels. A planning layer maps them
// to its own attributes (domain::LayerInfo::fields); the values come from the approved plan.
namespace dothi::domain {

struct PlanningField {
  std::string_view name;  // "land_use"
  std::string_view vi;    // "Chức năng sử dụng đất"
  std::string_view en;    // "Land use"
};

// Fields of a zoning (planning) layer, in display order.
const std::vector<PlanningField>& ZoningFields();
// Fields of a parcel layer, in display order.
const std::vector<PlanningField>& ParcelFields();
// Fields of an administrative layer.
const std::vector<PlanningField>& AdministrativeFields();
// Any of them by name, or nullptr.
const PlanningField* FindPlanningField(std::string_view name);

}  // namespace dothi::domain
