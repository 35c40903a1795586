#pragma once

#include <vector>

#include "domain/open311/service_catalogue.h"
#include "domain/open311/working_calendar.h"

// The Open311 services the demo tenant offers: what Vietnamese cities' citizen apps take
// (drainage and flooding, streetlights, waste, roads and pavements, trees, traffic signals,
// noise, illegal construction), names and questions in Vietnamese and English, each routed
// to a department of the district with its deadlines. Generated for the demo.
namespace dothi::app {

std::vector<domain::open311::ServiceDefinition> DemoOpen311Services();

// The demo jurisdiction's working calendar: Vietnam's week and office hours with 2026's
// public holidays (New Year, the Tết week, Hùng Kings' day observed, 30 April, 1 May,
// National Day) as example dates; a real jurisdiction sets the year's holidays as the
// government decides them (--open311-catalogue).
domain::open311::WorkingCalendar DemoOpen311Calendar();

}  // namespace dothi::app
