#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "service/layer_service.h"
#include "storage/feature_source.h"

// The generated planning data of the demo district (Hoàn Kiếm's box, app/demo_city.h),
// labelled as generated: wards, a street grid, zoning plan cells with planning fields
// (land-use codes of land-use-codes.md, density, FAR, storeys, plan and decision) and the
// cadastral parcels that tile each block (at least 20,000, each with map sheet, parcel
// number, area, ward and land use). Seeded and repeatable.
namespace dothi::app {

struct DemoPlanning {
  storage::SourceLayer wards;    // role administrative
  storage::SourceLayer roads;    // lines, general
  storage::SourceLayer zoning;   // role planning
  storage::SourceLayer parcels;  // role parcel
};

DemoPlanning GenerateDemoPlanning(std::uint64_t seed = 2025);

// Imports the layers above into tenant "demo" (layers "phuong", "duong", "quy-hoach",
// "thua-dat"), each only when the tenant does not have it yet.
Status LoadDemoPlanning(service::LayerService& layers, std::uint64_t seed = 2025);

}  // namespace dothi::app
