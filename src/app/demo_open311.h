#pragma once

#include <vector>

#include "domain/open311/service_catalogue.h"

// The Open311 services the demo tenant offers: what Vietnamese cities' citizen apps take
// (drainage and flooding, streetlights, waste, roads and pavements, trees, traffic signals,
// noise, illegal construction), names and questions in Vietnamese and English, each routed
// to a department of the district with its deadlines. Generated for the demo.
namespace dothi::app {

std::vector<domain::open311::ServiceDefinition> DemoOpen311Services();

}  // namespace dothi::app
