#pragma once

#include <cstddef>

#include "core/status.h"
#include "service/entity_service.h"

// Loads the generated demo city (app/demo_city.h) into tenant "demo" through the same
// decoding and service path as the API, unless the tenant already holds entities.
namespace dothi::app {

inline constexpr const char* kDemoTenant = "demo";

Status LoadDemoCity(service::EntityService& entities, std::size_t sensors);

}  // namespace dothi::app
