#include "app/open311_config.h"

#include <fstream>
#include <sstream>

#include "api/common/json_parse.h"

namespace dothi::app {
namespace {

using domain::open311::LocalDate;
using domain::open311::ServiceAttribute;
using domain::open311::ServiceDefinition;
using domain::open311::WorkingCalendar;

// Reads members of one JSON object, remembering the first problem with its path.
class Fields {
 public:
  Fields(const Json& o, std::string path, std::string* problem) : o_(o), path_(std::move(path)), problem_(problem) {
    if (!o.is_object()) Fail("", "an object");
  }
  std::string Text(std::string_view key, bool required = false) {
    const Json* v = o_.is_object() ? o_.Find(key) : nullptr;
    if (v == nullptr) {
      if (required) Fail(key, "required");
      return {};
    }
    if (!v->is_string()) Fail(key, "a string");
    return v->is_string() ? v->AsString() : std::string();
  }
  int Int(std::string_view key, int fallback) {
    const Json* v = o_.is_object() ? o_.Find(key) : nullptr;
    if (v == nullptr) return fallback;
    if (!v->is_int()) {
      Fail(key, "an integer");
      return fallback;
    }
    return static_cast<int>(v->AsInt());
  }
  bool Bool(std::string_view key, bool fallback) {
    const Json* v = o_.is_object() ? o_.Find(key) : nullptr;
    if (v == nullptr) return fallback;
    if (!v->is_bool()) Fail(key, "true or false");
    return v->is_bool() ? v->AsBool() : fallback;
  }
  const Json::Array& Array(std::string_view key) {
    static const Json::Array kEmpty;
    const Json* v = o_.is_object() ? o_.Find(key) : nullptr;
    if (v == nullptr) return kEmpty;
    if (!v->is_array()) {
      Fail(key, "an array");
      return kEmpty;
    }
    return v->AsArray();
  }
  const Json* Object(std::string_view key) {
    const Json* v = o_.is_object() ? o_.Find(key) : nullptr;
    if (v != nullptr && !v->is_object()) Fail(key, "an object");
    return v != nullptr && v->is_object() ? v : nullptr;
  }
  void Fail(std::string_view key, std::string_view what) {
    if (problem_->empty()) *problem_ = path_ + (key.empty() ? "" : "." + std::string(key)) + ": " + std::string(what);
  }
  std::string Path(std::string_view key) const { return path_ + "." + std::string(key); }

 private:
  const Json& o_;
  std::string path_;
  std::string* problem_;
};

std::optional<int> Minute(const Json& v) {
  if (!v.is_string() || v.AsString().size() != 5 || v.AsString()[2] != ':') return std::nullopt;
  const std::string& s = v.AsString();
  if (!std::isdigit(s[0]) || !std::isdigit(s[1]) || !std::isdigit(s[3]) || !std::isdigit(s[4])) return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

ServiceDefinition ReadService(const Json& j, const std::string& path, std::string* problem) {
  Fields f(j, path, problem);
  ServiceDefinition s;
  s.code = f.Text("code", true);
  s.name_vi = f.Text("name_vi", true);
  s.name_en = f.Text("name_en");
  if (s.name_en.empty()) s.name_en = s.name_vi;
  s.description_vi = f.Text("description_vi");
  s.description_en = f.Text("description_en");
  s.group = f.Text("group");
  for (const Json& k : f.Array("keywords")) {
    if (k.is_string()) s.keywords.push_back(k.AsString());
    else f.Fail("keywords", "strings");
  }
  s.department = f.Text("department", true);
  s.acknowledge_hours = f.Int("acknowledge_hours", s.acknowledge_hours);
  s.resolve_days = f.Int("resolve_days", s.resolve_days);
  s.anonymous_allowed = f.Bool("anonymous_allowed", s.anonymous_allowed);
  int order = 0;
  for (const Json& a : f.Array("attributes")) {
    Fields af(a, f.Path("attributes") + "[" + std::to_string(order) + "]", problem);
    ServiceAttribute attr;
    attr.code = af.Text("code", true);
    const std::string type = af.Text("datatype", true);
    if (auto d = domain::open311::ParseDatatype(type)) attr.datatype = *d;
    else af.Fail("datatype", "string, number, datetime, text, singlevaluelist or multivaluelist");
    attr.required = af.Bool("required", false);
    attr.variable = af.Bool("variable", true);
    attr.description = af.Text("description", true);
    attr.datatype_description = af.Text("datatype_description");
    attr.order = af.Int("order", ++order);
    for (const Json& v : af.Array("values")) {
      Fields vf(v, af.Path("values"), problem);
      attr.values.push_back({vf.Text("key", true), vf.Text("name", true)});
    }
    s.attributes.push_back(std::move(attr));
  }
  return s;
}

Result<WorkingCalendar> ReadCalendar(const Json& j, const std::string& path, std::string* problem) {
  Fields f(j, path, problem);
  WorkingCalendar::Options o;
  o.utc_offset_minutes = f.Int("utc_offset_minutes", o.utc_offset_minutes);
  for (const char* key : {"holidays", "working_days"}) {
    for (const Json& d : f.Array(key)) {
      std::optional<LocalDate> date = d.is_string() ? LocalDate::Parse(d.AsString()) : std::nullopt;
      if (!date) {
        f.Fail(key, "dates as YYYY-MM-DD");
        continue;
      }
      (std::string_view(key) == "holidays" ? o.holidays : o.working_days).insert(*date);
    }
  }
  if (const Json::Array& periods = f.Array("periods"); !periods.empty()) {
    o.periods.clear();
    for (const Json& p : periods) {
      std::optional<int> a = p.is_array() && p.size() == 2 ? Minute(p.AsArray()[0]) : std::nullopt;
      std::optional<int> b = p.is_array() && p.size() == 2 ? Minute(p.AsArray()[1]) : std::nullopt;
      if (!a || !b) {
        f.Fail("periods", "pairs of \"HH:MM\"");
        continue;
      }
      o.periods.push_back({*a, *b});
    }
  }
  if (!problem->empty()) return Status::InvalidRequest(*problem);
  return WorkingCalendar::Make(std::move(o));
}

}  // namespace

Status ParseOpen311Config(std::string_view text, service::Open311Catalogues& catalogues) {
  Result<Json> doc = api::ParseJson(text);
  if (!doc.ok()) return doc.status();
  std::string problem;
  Fields root(*doc, "$", &problem);
  const Json* jurisdictions = root.Object("jurisdictions");
  if (jurisdictions == nullptr && problem.empty()) root.Fail("jurisdictions", "required");
  if (!problem.empty()) return Status::InvalidRequest(problem);
  for (const auto& [tenant, j] : jurisdictions->AsObject()) {
    const std::string path = "$.jurisdictions." + tenant;
    Fields f(j, path, &problem);
    std::vector<ServiceDefinition> services;
    std::size_t i = 0;
    for (const Json& s : f.Array("services")) services.push_back(ReadService(s, path + ".services[" + std::to_string(i++) + "]", &problem));
    std::optional<WorkingCalendar> calendar;
    if (const Json* c = f.Object("calendar")) {
      Result<WorkingCalendar> cal = ReadCalendar(*c, path + ".calendar", &problem);
      if (!cal.ok()) return Status::InvalidRequest(path + ".calendar", cal.status().message());
      calendar = std::move(*cal);
    }
    if (!problem.empty()) return Status::InvalidRequest(problem);
    if (Status s = catalogues.Put(tenant, std::move(services)); !s.ok()) {
      return Status::InvalidRequest(path, s.message());
    }
    if (calendar) catalogues.PutCalendar(tenant, std::move(*calendar));
  }
  return Status::OK();
}

Status LoadOpen311Config(const std::string& path, service::Open311Catalogues& catalogues) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidRequest("cannot read the Open311 catalogue file", path);
  std::ostringstream text;
  text << in.rdbuf();
  Status s = ParseOpen311Config(text.str(), catalogues);
  if (!s.ok()) return Status::InvalidRequest("Open311 catalogue file " + path, s.message());
  return s;
}

}  // namespace dothi::app
