#include "domain/open311/service_catalogue.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "core/time.h"

namespace dothi::domain::open311 {
namespace {

constexpr std::pair<AttributeDatatype, std::string_view> kNames[] = {
    {AttributeDatatype::kString, "string"},
    {AttributeDatatype::kNumber, "number"},
    {AttributeDatatype::kDatetime, "datetime"},
    {AttributeDatatype::kText, "text"},
    {AttributeDatatype::kSingleValueList, "singlevaluelist"},
    {AttributeDatatype::kMultiValueList, "multivaluelist"},
};

bool IsList(AttributeDatatype d) {
  return d == AttributeDatatype::kSingleValueList || d == AttributeDatatype::kMultiValueList;
}

}  // namespace

std::string_view DatatypeName(AttributeDatatype d) {
  for (const auto& [type, name] : kNames) {
    if (type == d) return name;
  }
  return "string";
}

std::optional<AttributeDatatype> ParseDatatype(std::string_view name) {
  for (const auto& [type, n] : kNames) {
    if (n == name) return type;
  }
  return std::nullopt;
}

Status CheckAttributes(const ServiceDefinition& service,
                       const std::vector<std::pair<std::string, std::string>>& answers) {
  std::map<std::string, int> count;
  for (const auto& answer : answers) {
    // Named references, not a structured binding: clang 14 cannot capture those in lambdas.
    const std::string& code = answer.first;
    const std::string& value = answer.second;
    auto it = std::find_if(service.attributes.begin(), service.attributes.end(),
                           [&](const ServiceAttribute& a) { return a.code == code; });
    if (it == service.attributes.end() || !it->variable) {
      return Status::BadRequestData("the service has no such attribute", code);
    }
    const ServiceAttribute& a = *it;
    ++count[code];
    switch (a.datatype) {
      case AttributeDatatype::kNumber: {
        double d = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), d);
        if (value.empty() || ec != std::errc() || end != value.data() + value.size() || !std::isfinite(d)) {
          return Status::BadRequestData("attribute " + code + " is a number", value);
        }
        break;
      }
      case AttributeDatatype::kDatetime:
        if (!ParseIso8601(value)) {
          return Status::BadRequestData("attribute " + code + " is an ISO 8601 date-time", value);
        }
        break;
      case AttributeDatatype::kSingleValueList:
      case AttributeDatatype::kMultiValueList: {
        const bool known = std::any_of(a.values.begin(), a.values.end(),
                                       [&](const AttributeValue& v) { return v.key == value; });
        if (!known) return Status::BadRequestData("attribute " + code + " has no such value", value);
        if (a.datatype == AttributeDatatype::kSingleValueList && count[code] > 1) {
          return Status::BadRequestData("attribute " + code + " takes one value");
        }
        break;
      }
      case AttributeDatatype::kString:
      case AttributeDatatype::kText:
        if (a.datatype == AttributeDatatype::kString && value.size() > 1000) {
          return Status::BadRequestData("attribute " + code + " is at most 1000 bytes");
        }
        break;
    }
  }
  for (const ServiceAttribute& a : service.attributes) {
    if (a.variable && a.required && count[a.code] == 0) {
      return Status::BadRequestData("attribute " + a.code + " is required", a.description);
    }
  }
  return Status::OK();
}

Status ValidateCatalogue(const std::vector<ServiceDefinition>& services) {
  std::set<std::string> codes;
  for (const ServiceDefinition& s : services) {
    if (s.code.empty() || !codes.insert(s.code).second) {
      return Status::InvalidRequest("service codes are unique and not empty", s.code);
    }
    if (s.name_vi.empty() && s.name_en.empty()) return Status::InvalidRequest("a service has a name", s.code);
    if (s.acknowledge_hours < 1 || s.resolve_days < 1) {
      return Status::InvalidRequest("deadlines are at least 1 working hour / day", s.code);
    }
    std::set<std::string> attrs;
    for (const ServiceAttribute& a : s.attributes) {
      if (a.code.empty() || !attrs.insert(a.code).second) {
        return Status::InvalidRequest("attribute codes are unique within a service", s.code + "/" + a.code);
      }
      if (IsList(a.datatype) && a.values.empty()) {
        return Status::InvalidRequest("a list attribute has values", s.code + "/" + a.code);
      }
    }
  }
  return Status::OK();
}

}  // namespace dothi::domain::open311
