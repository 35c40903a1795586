#include "api/open311/open311_api.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "api/common/markup.h"
#include "core/json.h"
#include "http/status_mapping.h"

namespace dothi::api::open311 {
namespace {

using domain::open311::RequestStatus;
using domain::open311::ServiceDefinition;
using domain::open311::ServiceRequest;

enum class Format { kJson, kXml };

// <name>value</name>
void Element(std::string& out, std::string_view name, std::string_view value) {
  out += '<';
  out += name;
  out += '>';
  out += EscapeMarkup(value);
  out += "</";
  out += name;
  out += '>';
}

// A Json value as XML: scalars as text, null as an empty element, arrays as one child
// element per item named child.
void XmlValue(std::string& out, std::string_view name, const Json& v, std::string_view child = "item") {
  out += '<';
  out += name;
  out += '>';
  switch (v.type()) {
    case Json::Type::kNull: break;
    case Json::Type::kString: out += EscapeMarkup(v.AsString()); break;
    case Json::Type::kArray:
      for (const Json& item : v.AsArray()) XmlValue(out, child, item);
      break;
    case Json::Type::kObject:
      for (const auto& [k, m] : v.AsObject()) XmlValue(out, k, m);
      break;
    default: out += v.Dump(); break;
  }
  out += "</";
  out += name;
  out += '>';
}

http::Response Body(Format f, std::string body, int status = 200) {
  http::Response r;
  r.status = status;
  r.SetHeader("Content-Type", f == Format::kJson ? "application/json; charset=utf-8" : "text/xml; charset=utf-8");
  r.body = std::move(body);
  return r;
}

http::Response Error(Format f, const Status& s) {
  const int status = http::HttpStatusFor(s.code());
  if (f == Format::kJson) {
    Json e = Json::MakeArray();
    e.Push(Json::MakeObject({{"code", status}, {"description", s.message()}}));
    return Body(f, e.Dump(), status);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error>";
  Element(out, "code", std::to_string(status));
  Element(out, "description", s.message());
  out += "</error></errors>";
  return Body(f, std::move(out), status);
}

// Records (JSON objects) as Open311 answers: a JSON array, or
// <?xml ...?><root><element>...</element>...</root>.
http::Response Records(Format f, std::string_view root, std::string_view element, const std::vector<Json>& records,
                       int status = 200) {
  if (f == Format::kJson) {
    std::string out = "[";
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (i > 0) out += ',';
      records[i].AppendTo(out);
    }
    out += ']';
    return Body(f, std::move(out), status);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><";
  out += root;
  out += '>';
  for (const Json& r : records) {
    out += '<';
    out += element;
    out += '>';
    for (const auto& [k, v] : r.AsObject()) XmlValue(out, k, v, k == "possible_duplicates" ? "service_request_id" : "item");
    out += "</";
    out += element;
    out += '>';
  }
  out += "</";
  out += root;
  out += '>';
  return Body(f, std::move(out), status);
}

// The format of a last path segment ("services.xml", "thoat-nuoc.json"); strips it.
Result<Format> SplitFormat(std::string& segment) {
  for (auto [suffix, f] : {std::pair{std::string_view(".json"), Format::kJson}, {".xml", Format::kXml}}) {
    if (segment.size() > suffix.size() && segment.compare(segment.size() - suffix.size(), suffix.size(), suffix) == 0) {
      segment.resize(segment.size() - suffix.size());
      return f;
    }
  }
  return Status::NotFound("the path ends in .json or .xml");
}

bool English(const http::Request& req) {
  if (const std::string* lang = req.Query("lang")) return lang->rfind("en", 0) == 0;
  const std::string* accept = req.Header("Accept-Language");
  return accept != nullptr && accept->rfind("en", 0) == 0;
}

std::string Keywords(const ServiceDefinition& s) {
  std::string out;
  for (const auto& k : s.keywords) out += (out.empty() ? "" : ",") + k;
  return out;
}

// "2026-11-24T15:30:00+07:00": an instant in the jurisdiction's local time.
std::string LocalTime(Timestamp t, int offset_minutes) {
  std::string s = FormatIso8601(Timestamp{t.micros + std::int64_t{offset_minutes} * 60'000'000});
  s.resize(19);  // drop milliseconds and the Z
  const int a = std::abs(offset_minutes);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', (a / 60) % 100, a % 60);
  return s + buf;
}

std::optional<double> ParseDouble(const std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::uint64_t> ParseNumber(std::string_view text) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

std::string Notice(const ServiceRequest& r, bool en, int offset) {
  if (en) {
    return "To be acknowledged by " + LocalTime(r.acknowledge_by, offset) + " and resolved by " +
           LocalTime(r.expected, offset) + ".";
  }
  return "Hạn xác nhận: " + LocalTime(r.acknowledge_by, offset) + "; hạn xử lý xong: " + LocalTime(r.expected, offset) +
         ".";
}

// One report as Open311's GET requests gives it, with dothi's extensions after the
// standard fields (docs/open311.md). No personal data.
Json RequestRecord(const ServiceRequest& r, const ServiceDefinition* def, bool en, Timestamp now, int offset) {
  const bool open = domain::open311::Open311Status(r.status) == "open";
  const bool overdue = open && (now > r.expected || (r.status == RequestStatus::kReceived && now > r.acknowledge_by));
  std::string name = def != nullptr ? (en ? def->name_en : def->name_vi) : r.service_name;
  Json o = Json::MakeObject({
      {"service_request_id", std::to_string(r.number)},
      {"status", std::string(domain::open311::Open311Status(r.status))},
      {"status_notes", r.status_notes},
      {"service_name", std::move(name)},
      {"service_code", r.service_code},
      {"description", r.description},
      {"agency_responsible", r.department},
      {"service_notice", open ? Notice(r, en, offset) : std::string()},
      {"requested_datetime", LocalTime(r.requested, offset)},
      {"updated_datetime", LocalTime(r.updated, offset)},
      {"expected_datetime", LocalTime(r.expected, offset)},
      {"address", r.address},
      {"address_id", r.address_id},
      {"zipcode", ""},
      {"lat", r.lat ? Json(*r.lat) : Json()},
      {"long", r.lon ? Json(*r.lon) : Json()},
      {"media_url", r.media_url},
      {"detailed_status", std::string(domain::open311::StatusName(r.status))},
      {"detailed_status_label",
       std::string(en ? domain::open311::StatusLabelEn(r.status) : domain::open311::StatusLabelVi(r.status))},
      {"ward", r.ward},
      {"acknowledge_by", LocalTime(r.acknowledge_by, offset)},
      {"overdue", overdue},
  });
  if (r.acknowledged_at) o.Set("acknowledged_datetime", LocalTime(*r.acknowledged_at, offset));
  if (r.resolved_at) o.Set("resolved_datetime", LocalTime(*r.resolved_at, offset));
  if (r.duplicate_of) o.Set("duplicate_of", std::to_string(*r.duplicate_of));
  if (r.rating) o.Set("rating", *r.rating);
  return o;
}

// The format from the last path segment, which must name resource (e.g. "requests.xml").
Result<Format> ResourceFormat(const http::Request& req, std::string_view param, std::string_view resource) {
  std::string segment(req.PathParam(param));
  Result<Format> f = SplitFormat(segment);
  if (!f.ok() || segment != resource) return Status::NotFound("no such resource", req.path);
  return f;
}

}  // namespace

Open311Api::Open311Api(service::Open311Catalogues& catalogues, service::Open311Reports& reports,
                       Open311Options options)
    : catalogues_(catalogues), reports_(reports), options_(std::move(options)) {}

void Open311Api::RegisterRoutes(http::Router& router) {
  using M = http::Method;
  auto bind = [this](http::Response (Open311Api::*fn)(const RequestContext&, http::Request&) const) {
    return [this, fn](const RequestContext& ctx, http::Request& req) { return (this->*fn)(ctx, req); };
  };
  router.Add(M::kGet, "/open311/v2/{services}", "open311.list", [this](const RequestContext& ctx, http::Request& req) {
    const std::string_view segment = req.PathParam("services");
    return segment.rfind("requests.", 0) == 0 ? Requests(ctx, req) : Services(ctx, req);
  });
  router.Add(M::kPost, "/open311/v2/{services}", "open311.post_request", bind(&Open311Api::PostRequest));
  router.Add(M::kGet, "/open311/v2/services/{service}", "open311.service", bind(&Open311Api::Definition));
  router.Add(M::kGet, "/open311/v2/requests/{id}", "open311.request", bind(&Open311Api::OneRequest));
  router.Add(M::kGet, "/open311/v2/tokens/{token}", "open311.token", bind(&Open311Api::Token));
  router.SetErrorRenderer("/open311", [](const RequestContext&, const http::Request& req, const Status& s) {
    return Error(req.path.size() >= 4 && req.path.compare(req.path.size() - 4, 4, ".xml") == 0 ? Format::kXml
                                                                                                : Format::kJson,
                 s);
  });
}

RequestContext Open311Api::TenantContext(const RequestContext& ctx, const http::Request& req) const {
  RequestContext out = ctx;
  const std::string* j = req.Query("jurisdiction_id");
  if (j == nullptr && req.method == http::Method::kPost) {
    for (const auto& [k, v] : http::ParseQueryString(req.body)) {
      if (k == "jurisdiction_id") {
        out.tenant = v;
        return out;
      }
    }
  }
  out.tenant = j != nullptr ? *j : options_.default_tenant;
  return out;
}

http::Response Open311Api::Services(const RequestContext& ctx, http::Request& req) const {
  std::string segment(req.PathParam("services"));
  Result<Format> f = SplitFormat(segment);
  if (!f.ok() || segment != "services") return Error(f.ok() ? *f : Format::kJson, Status::NotFound("no such resource", req.path));
  auto all = catalogues_.For(TenantContext(ctx, req));
  if (!all.ok()) return Error(*f, all.status());
  const bool en = English(req);
  if (*f == Format::kJson) {
    Json out = Json::MakeArray();
    for (const domain::open311::ServiceDefinition& s : **all) {
      out.Push(Json::MakeObject({{"service_code", s.code},
                                 {"service_name", en ? s.name_en : s.name_vi},
                                 {"description", en ? s.description_en : s.description_vi},
                                 {"metadata", s.metadata()},
                                 {"type", "realtime"},
                                 {"keywords", Keywords(s)},
                                 {"group", s.group}}));
    }
    return Body(*f, out.Dump());
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><services>";
  for (const domain::open311::ServiceDefinition& s : **all) {
    out += "<service>";
    Element(out, "service_code", s.code);
    Element(out, "service_name", en ? s.name_en : s.name_vi);
    Element(out, "description", en ? s.description_en : s.description_vi);
    Element(out, "metadata", s.metadata() ? "true" : "false");
    Element(out, "type", "realtime");
    Element(out, "keywords", Keywords(s));
    Element(out, "group", s.group);
    out += "</service>";
  }
  out += "</services>";
  return Body(*f, std::move(out));
}

http::Response Open311Api::Definition(const RequestContext& ctx, http::Request& req) const {
  std::string code(req.PathParam("service"));
  Result<Format> f = SplitFormat(code);
  if (!f.ok()) return Error(Format::kJson, f.status());
  Result<domain::open311::ServiceDefinition> s = catalogues_.Service(TenantContext(ctx, req), code);
  if (!s.ok()) return Error(*f, s.status());
  if (*f == Format::kJson) {
    Json attrs = Json::MakeArray();
    for (const auto& a : s->attributes) {
      Json values = Json::MakeArray();
      for (const auto& v : a.values) values.Push(Json::MakeObject({{"key", v.key}, {"name", v.name}}));
      attrs.Push(Json::MakeObject({{"variable", a.variable},
                                   {"code", a.code},
                                   {"datatype", std::string(domain::open311::DatatypeName(a.datatype))},
                                   {"required", a.required},
                                   {"datatype_description", a.datatype_description},
                                   {"order", a.order},
                                   {"description", a.description},
                                   {"values", std::move(values)}}));
    }
    return Body(*f, Json::MakeObject({{"service_code", s->code}, {"attributes", std::move(attrs)}}).Dump());
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_definition>";
  Element(out, "service_code", s->code);
  out += "<attributes>";
  for (const auto& a : s->attributes) {
    out += "<attribute>";
    Element(out, "variable", a.variable ? "true" : "false");
    Element(out, "code", a.code);
    Element(out, "datatype", domain::open311::DatatypeName(a.datatype));
    Element(out, "required", a.required ? "true" : "false");
    Element(out, "datatype_description", a.datatype_description);
    Element(out, "order", std::to_string(a.order));
    Element(out, "description", a.description);
    out += "<values>";
    for (const auto& v : a.values) {
      out += "<value>";
      Element(out, "key", v.key);
      Element(out, "name", v.name);
      out += "</value>";
    }
    out += "</values></attribute>";
  }
  out += "</attributes></service_definition>";
  return Body(*f, std::move(out));
}

http::Response Open311Api::PostRequest(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = ResourceFormat(req, "services", "requests");
  if (!f.ok()) {
    std::string segment(req.PathParam("services"));
    Result<Format> sf = SplitFormat(segment);
    if (sf.ok() && segment == "services") {
      http::Response r = Error(*sf, Status::MethodNotAllowed("services is read-only"));
      r.SetHeader("Allow", "GET, HEAD");
      return r;
    }
    return Error(Format::kJson, f.status());
  }
  const std::string* type = req.Header("Content-Type");
  if (type != nullptr && type->rfind("application/x-www-form-urlencoded", 0) != 0) {
    return Error(*f, Status::UnsupportedMediaType("POST requests takes application/x-www-form-urlencoded", *type));
  }
  std::vector<std::pair<std::string, std::string>> params = req.query;
  for (auto& p : http::ParseQueryString(req.body)) params.push_back(std::move(p));

  const RequestContext tctx = TenantContext(ctx, req);
  if (!options_.client_api_keys.empty()) {
    bool known = false;
    for (const auto& [k, v] : params) {
      if (k != "api_key") continue;
      for (const std::string& key : options_.client_api_keys) known = known || key == v;
    }
    if (!known) return Error(*f, Status::Forbidden("api_key missing or not valid"));
  }

  service::Submission s;
  std::optional<std::string> lat, lon;
  for (auto& [k, v] : params) {
    auto first = [&](std::string& field) {
      if (field.empty()) field = std::move(v);
    };
    if (k == "service_code") first(s.service_code);
    else if (k == "lat") lat = lat ? lat : std::optional<std::string>(v);
    else if (k == "long") lon = lon ? lon : std::optional<std::string>(v);
    else if (k == "address_string") first(s.address_string);
    else if (k == "address_id") first(s.address_id);
    else if (k == "email") first(s.reporter.email);
    else if (k == "device_id") first(s.reporter.device_id);
    else if (k == "account_id") first(s.reporter.account_id);
    else if (k == "first_name") first(s.reporter.first_name);
    else if (k == "last_name") first(s.reporter.last_name);
    else if (k == "phone") first(s.reporter.phone);
    else if (k == "description") first(s.description);
    else if (k == "media_url") first(s.media_url);
    else if (k.rfind("attribute[", 0) == 0) {
      // attribute[code] or attribute[code][] (a multivaluelist answer, once per value)
      std::string code = k.substr(10);
      if (code.size() >= 3 && code.compare(code.size() - 3, 3, "][]") == 0) {
        code.resize(code.size() - 3);
      } else if (!code.empty() && code.back() == ']') {
        code.pop_back();
      } else {
        return Error(*f, Status::BadRequestData("malformed attribute parameter", k));
      }
      s.attributes.emplace_back(std::move(code), std::move(v));
    }
  }
  if (lat || lon) {
    std::optional<double> la = lat ? ParseDouble(*lat) : std::nullopt;
    std::optional<double> lo = lon ? ParseDouble(*lon) : std::nullopt;
    if (!la || !lo) return Error(*f, Status::BadRequestData("lat and long must both be decimal degrees"));
    s.lat = la;
    s.lon = lo;
  }
  Result<service::SubmitResult> r = reports_.Submit(tctx, std::move(s), Now());
  if (!r.ok()) return Error(*f, r.status());
  const bool en = English(req);
  Json dups = Json::MakeArray();
  for (std::uint64_t n : r->possible_duplicates) dups.Push(std::to_string(n));
  const int offset = catalogues_.Calendar(tctx.tenant)->options().utc_offset_minutes;
  Json record = Json::MakeObject({{"service_request_id", std::to_string(r->request.number)},
                                  {"token", r->token},
                                  {"service_notice", Notice(r->request, en, offset)},
                                  {"account_id", Json()},
                                  {"possible_duplicates", std::move(dups)}});
  return Records(*f, "service_requests", "request", {std::move(record)}, 201);
}

http::Response Open311Api::Requests(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = ResourceFormat(req, "services", "requests");
  if (!f.ok()) return Error(Format::kJson, f.status());
  const RequestContext tctx = TenantContext(ctx, req);
  service::ReportFilter filter;
  if (const std::string* ids = req.Query("service_request_id")) {
    for (const std::string& id : SplitList(*ids)) {
      std::optional<std::uint64_t> n = ParseNumber(id);
      if (!n) return Error(*f, Status::BadRequestData("service_request_id is not a number", id));
      filter.numbers.push_back(*n);
    }
  }
  if (const std::string* codes = req.Query("service_code")) filter.service_codes = SplitList(*codes);
  if (const std::string* st = req.Query("status")) filter.statuses = SplitList(*st);
  for (auto [name, slot] : {std::pair{"start_date", &filter.start}, {"end_date", &filter.end}}) {
    if (const std::string* text = req.Query(name)) {
      *slot = ParseIso8601(*text);
      if (!*slot) return Error(*f, Status::BadRequestData(std::string(name) + " is not an ISO 8601 date-time", *text));
    }
  }
  for (auto [name, slot] : {std::pair{"page", &filter.page}, {"page_size", &filter.page_size}}) {
    if (const std::string* text = req.Query(name)) {
      std::optional<std::uint64_t> n = ParseNumber(*text);
      if (!n || *n == 0) return Error(*f, Status::BadRequestData(std::string(name) + " is a whole number from 1", *text));
      *slot = *n;
    }
  }
  const Timestamp now = Now();
  auto found = reports_.Find(tctx, filter, now);
  if (!found.ok()) return Error(*f, found.status());
  auto catalogue = catalogues_.For(tctx);
  const bool en = English(req);
  const int offset = catalogues_.Calendar(tctx.tenant)->options().utc_offset_minutes;
  std::vector<Json> records;
  records.reserve(found->size());
  for (const ServiceRequest& r : *found) {
    const ServiceDefinition* def = nullptr;
    if (catalogue.ok()) {
      for (const ServiceDefinition& d : **catalogue) def = d.code == r.service_code ? &d : def;
    }
    records.push_back(RequestRecord(r, def, en, now, offset));
  }
  return Records(*f, "service_requests", "request", records);
}

http::Response Open311Api::OneRequest(const RequestContext& ctx, http::Request& req) const {
  std::string id(req.PathParam("id"));
  Result<Format> f = SplitFormat(id);
  if (!f.ok()) return Error(Format::kJson, f.status());
  std::optional<std::uint64_t> n = ParseNumber(id);
  if (!n) return Error(*f, Status::NotFound("service_request_id not found", id));
  const RequestContext tctx = TenantContext(ctx, req);
  Result<ServiceRequest> r = reports_.Get(tctx, *n);
  if (!r.ok()) return Error(*f, r.status());
  const ServiceDefinition* def = nullptr;
  Result<ServiceDefinition> d = catalogues_.Service(tctx, r->service_code);
  if (d.ok()) def = &*d;
  const int offset = catalogues_.Calendar(tctx.tenant)->options().utc_offset_minutes;
  return Records(*f, "service_requests", "request", {RequestRecord(*r, def, English(req), Now(), offset)});
}

http::Response Open311Api::Token(const RequestContext& ctx, http::Request& req) const {
  std::string token(req.PathParam("token"));
  Result<Format> f = SplitFormat(token);
  if (!f.ok()) return Error(Format::kJson, f.status());
  Result<std::uint64_t> n = reports_.ByToken(TenantContext(ctx, req), token);
  if (!n.ok()) return Error(*f, n.status());
  return Records(*f, "service_requests", "request",
                 {Json::MakeObject({{"service_request_id", std::to_string(*n)}, {"token", token}})});
}

}  // namespace dothi::api::open311
