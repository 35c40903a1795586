#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "service/open311_catalogue.h"

// The Open311 configuration file (--open311-catalogue FILE, JSON; docs/open311.md): per
// jurisdiction (tenant), its services with their departments, deadlines and attribute
// definitions, and its working calendar (holidays, make-up working days, office hours,
// UTC offset). Read at start; a jurisdiction it names replaces the demo's.
namespace dothi::app {

// Errors: InvalidRequest naming the file and what is wrong (unreadable, not JSON, a field
// of the wrong type, an invalid date, period or catalogue).
Status LoadOpen311Config(const std::string& path, service::Open311Catalogues& catalogues);
// The same from the file's text.
Status ParseOpen311Config(std::string_view text, service::Open311Catalogues& catalogues);

}  // namespace dothi::app
