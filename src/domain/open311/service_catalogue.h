#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

// The services a city offers its citizens (Open311 GeoReport v2 "services" and their
// "service definitions"), with the department each routes to and its deadlines.
// Configuration per tenant; plain values.
namespace dothi::domain::open311 {

enum class AttributeDatatype { kString, kNumber, kDatetime, kText, kSingleValueList, kMultiValueList };
std::string_view DatatypeName(AttributeDatatype d);  // Open311's spelling: "singlevaluelist"
std::optional<AttributeDatatype> ParseDatatype(std::string_view name);

struct AttributeValue {
  std::string key;   // what a client sends
  std::string name;  // what people read
};

// One attribute of a service definition (Open311 "attributes").
struct ServiceAttribute {
  std::string code;
  AttributeDatatype datatype = AttributeDatatype::kString;
  bool variable = true;  // false: informational only, nothing to answer
  bool required = false;
  std::string description;  // the question, as shown
  std::string datatype_description;
  int order = 0;
  std::vector<AttributeValue> values;  // for the list types
};

struct ServiceDefinition {
  std::string code;                 // service_code
  std::string name_vi, name_en;     // service_name in each language
  std::string description_vi, description_en;
  std::string group;                // Open311 "group"
  std::vector<std::string> keywords;
  bool metadata() const { return !attributes.empty(); }
  std::vector<ServiceAttribute> attributes;
  std::string department;           // who handles it
  int acknowledge_hours = 8;        // working hours to acknowledge
  int resolve_days = 5;             // working days to resolve
  bool anonymous_allowed = true;    // false: a report needs an email or a phone number to answer
};

// Checks one submission's attribute[code] values against the definition: every required
// attribute answered, numbers are numbers, datetimes ISO 8601, list values among the keys,
// a single-value list answered once, no unknown codes.
// Errors: BadRequestData naming the attribute.
Status CheckAttributes(const ServiceDefinition& service,
                       const std::vector<std::pair<std::string, std::string>>& answers);

// Errors: InvalidRequest naming what is wrong (empty or repeated codes, a list type
// without values, deadlines below 1).
Status ValidateCatalogue(const std::vector<ServiceDefinition>& services);

}  // namespace dothi::domain::open311
