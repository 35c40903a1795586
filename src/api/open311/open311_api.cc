#include "api/open311/open311_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

#include "api/common/markup.h"
#include "api/common/ogc_base_url.h"
#include "http/multipart.h"
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
  char buf[kIso8601BufferSize];
  FormatIso8601(Timestamp{t.micros + std::int64_t{offset_minutes} * 60'000'000}, buf);
  std::string s(buf, 19);  // without milliseconds and the Z
  const int a = std::abs(offset_minutes) % (100 * 60);
  s += offset_minutes < 0 ? '-' : '+';
  for (int v : {a / 60, a % 60}) {
    s += static_cast<char>('0' + v / 10);
    s += static_cast<char>('0' + v % 10);
    if (s.size() == 22) s += ':';
  }
  return s;
}

std::optional<double> ParseDouble(const std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// An ISO 8601 date-time parameter. A "+hh:mm" offset sent without percent-encoding arrives
// as " hh:mm" (a form's '+' is a space): read it as the client meant.
std::optional<Timestamp> ParseDate(const std::string& text) {
  std::optional<Timestamp> t = ParseIso8601(text);
  if (t || text.find(' ') == std::string::npos) return t;
  std::string fixed = text;
  std::replace(fixed.begin(), fixed.end(), ' ', '+');
  return ParseIso8601(fixed);
}

// start_date and end_date of a query. Errors: BadRequestData naming the bad one.
Status ReadDates(const http::Request& req, std::optional<Timestamp>* start, std::optional<Timestamp>* end) {
  for (auto [name, slot] : {std::pair{"start_date", start}, {"end_date", end}}) {
    if (const std::string* text = req.Query(name)) {
      *slot = ParseDate(*text);
      if (!*slot) return Status::BadRequestData(std::string(name) + " is not an ISO 8601 date-time", *text);
    }
  }
  return Status::OK();
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

// The comma-separated service_request_id list of a query, appended to out. Errors:
// BadRequestData naming an id that is not a number.
Status ReadIds(const http::Request& req, std::vector<std::uint64_t>* out) {
  if (const std::string* ids = req.Query("service_request_id")) {
    for (const std::string& id : SplitList(*ids)) {
      std::optional<std::uint64_t> n = ParseNumber(id);
      if (!n) return Status::BadRequestData("service_request_id is not a number", id);
      out->push_back(*n);
    }
  }
  return Status::OK();
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
// original_open: for a merged duplicate, whether its original is open (it follows it).
// A stored media_url: uploaded photos have a path, made absolute with base.
std::string MediaUrl(const std::string& url, std::string_view base) {
  return !url.empty() && url.front() == '/' ? std::string(base) + url : url;
}

Json RequestRecord(const ServiceRequest& r, const ServiceDefinition* def, bool en, Timestamp now, int offset,
                   std::string_view base, std::optional<bool> original_open = std::nullopt) {
  const bool open = original_open.value_or(domain::open311::Open311Status(r.status) == "open");
  const int escalation = domain::open311::EscalationLevel(r, now);
  std::string name = def != nullptr ? (en ? def->name_en : def->name_vi) : r.service_name;
  Json o = Json::MakeObject({
      {"service_request_id", std::to_string(r.number)},
      {"status", open ? "open" : "closed"},
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
      {"media_url", MediaUrl(r.media_url, base)},
      {"detailed_status", std::string(domain::open311::StatusName(r.status))},
      {"detailed_status_label",
       std::string(en ? domain::open311::StatusLabelEn(r.status) : domain::open311::StatusLabelVi(r.status))},
      {"ward", r.ward},
      {"acknowledge_by", LocalTime(r.acknowledge_by, offset)},
      {"overdue", escalation > 0},
      {"escalation_level", escalation},
  });
  if (r.acknowledged_at) o.Set("acknowledged_datetime", LocalTime(*r.acknowledged_at, offset));
  if (r.resolved_at) o.Set("resolved_datetime", LocalTime(*r.resolved_at, offset));
  if (r.duplicate_of) o.Set("duplicate_of", std::to_string(*r.duplicate_of));
  if (r.rating) o.Set("rating", *r.rating);
  return o;
}

struct Form {
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<domain::media::CleanImage> photo;
};

// Query parameters and the body's fields: application/x-www-form-urlencoded, or
// multipart/form-data with at most one file (a photo: JPEG, PNG or WebP by its bytes, at
// most max_media_bytes, its metadata removed). Errors: UnsupportedMediaType (another body
// type, a file that is not such an image), InvalidRequest (malformed multipart),
// PayloadTooLarge (photo), BadRequestData (two files, a malformed image).
Result<Form> ReadForm(const http::Request& req, std::size_t max_media_bytes) {
  Form form;
  form.params = req.query;
  if (req.method != http::Method::kPost) return form;
  const std::string* type = req.Header("Content-Type");
  if (type == nullptr || type->rfind("application/x-www-form-urlencoded", 0) == 0) {
    for (auto& p : http::ParseQueryString(req.body)) form.params.push_back(std::move(p));
    return form;
  }
  Result<std::string> boundary = http::MultipartBoundary(*type);
  if (!boundary.ok()) {
    if (boundary.status().code() == ErrorCode::kUnsupportedMediaType) {
      return Status::UnsupportedMediaType("this takes application/x-www-form-urlencoded or multipart/form-data", *type);
    }
    return boundary.status();
  }
  auto parts = http::ParseMultipart(req.body, *boundary);
  if (!parts.ok()) return parts.status();
  for (const http::MultipartPart& part : *parts) {
    if (!part.filename) {
      form.params.emplace_back(part.name, std::string(part.data));
      continue;
    }
    if (part.data.empty()) continue;  // an empty file input
    if (form.photo) return Status::BadRequestData("one photo per request");
    if (part.data.size() > max_media_bytes) {
      return Status::PayloadTooLarge("photo too large", "limit " + std::to_string(max_media_bytes) + " bytes");
    }
    Result<domain::media::CleanImage> photo = domain::media::SanitizeImage(part.data);
    if (!photo.ok()) return photo.status();
    form.photo = std::move(*photo);
  }
  return form;
}

const std::string* Param(const std::vector<std::pair<std::string, std::string>>& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return &v;
  }
  return nullptr;
}

Json StatsRecord(const service::ReportStats& s, std::string_view group) {
  auto opt = [](const std::optional<double>& v) { return v ? Json(std::round(*v * 100) / 100) : Json(); };
  Json by_status = Json::MakeObject();
  for (const auto& [k, n] : s.by_status) by_status.Set(k, static_cast<std::int64_t>(n));
  auto share = [](std::size_t part, std::size_t whole) {
    return whole == 0 ? Json() : Json(std::round(1000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 1000);
  };
  return Json::MakeObject({{"group", std::string(group)},
                           {"key", s.key},
                           {"total", static_cast<std::int64_t>(s.total)},
                           {"by_status", std::move(by_status)},
                           {"acknowledged", static_cast<std::int64_t>(s.acknowledged)},
                           {"acknowledged_on_time_share", share(s.acknowledged_on_time, s.acknowledged)},
                           {"acknowledge_hours_median", opt(s.acknowledge_hours_median)},
                           {"acknowledge_hours_p90", opt(s.acknowledge_hours_p90)},
                           {"resolved", static_cast<std::int64_t>(s.resolved)},
                           {"resolved_on_time_share", share(s.resolved_on_time, s.resolved)},
                           {"resolve_hours_median", opt(s.resolve_hours_median)},
                           {"resolve_hours_p90", opt(s.resolve_hours_p90)},
                           {"overdue", static_cast<std::int64_t>(s.overdue)},
                           {"ratings", static_cast<std::int64_t>(s.ratings)},
                           {"satisfaction_mean", opt(s.satisfaction_mean)}});
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
    if (segment.rfind("requests.", 0) == 0) return Requests(ctx, req);
    if (segment.rfind("servicerequestupdates.", 0) == 0) return UpdatesList(ctx, req);
    if (segment.rfind("statistics.", 0) == 0) return Statistics(ctx, req);
    return Services(ctx, req);
  });
  router.Add(M::kPost, "/open311/v2/{services}", "open311.post_request", bind(&Open311Api::PostRequest));
  router.Add(M::kGet, "/open311/v2/services/{service}", "open311.service", bind(&Open311Api::Definition));
  router.Add(M::kGet, "/open311/v2/requests/{id}", "open311.request", bind(&Open311Api::OneRequest));
  router.Add(M::kGet, "/open311/v2/tokens/{token}", "open311.token", bind(&Open311Api::Token));
  router.Add(M::kGet, "/open311/v2/media/{name}", "open311.media", bind(&Open311Api::Media));
  router.Add(M::kPost, "/open311/v2/requests/{id}/{action}", "open311.request_action", bind(&Open311Api::RequestAction));
  router.Add(M::kGet, "/open311/v2/requests/{id}/{action}", "open311.reporter", bind(&Open311Api::Reporter));
  router.SetErrorRenderer("/open311", [](const RequestContext&, const http::Request& req, const Status& s) {
    return Error(req.path.size() >= 4 && req.path.compare(req.path.size() - 4, 4, ".xml") == 0 ? Format::kXml
                                                                                                : Format::kJson,
                 s);
  });
}

RequestContext Open311Api::TenantContext(const RequestContext& ctx, const http::Request& req,
                                         const std::vector<std::pair<std::string, std::string>>* params) const {
  RequestContext out = ctx;
  const std::string* j = params != nullptr ? Param(*params, "jurisdiction_id") : req.Query("jurisdiction_id");
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
  if (req.PathParam("services").rfind("servicerequestupdates.", 0) == 0) return PostUpdate(ctx, req);
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
  Result<Form> form = ReadForm(req, options_.max_media_bytes);
  if (!form.ok()) return Error(*f, form.status());
  std::vector<std::pair<std::string, std::string>>& params = form->params;
  const RequestContext tctx = TenantContext(ctx, req, &params);
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
  s.photo = std::move(form->photo);
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
  if (Status ids = ReadIds(req, &filter.numbers); !ids.ok()) return Error(*f, ids);
  if (const std::string* codes = req.Query("service_code")) filter.service_codes = SplitList(*codes);
  if (const std::string* st = req.Query("status")) filter.statuses = SplitList(*st);
  if (const std::string* w = req.Query("ward")) filter.ward = *w;
  if (const std::string* o = req.Query("overdue")) {
    if (*o != "true" && *o != "false") return Error(*f, Status::BadRequestData("overdue is true or false", *o));
    filter.overdue_only = *o == "true";
  }
  if (const std::string* agency = req.Query("agency_responsible")) {
    // The department's services (within any service_code given).
    auto catalogue = catalogues_.For(TenantContext(ctx, req));
    if (!catalogue.ok()) return Error(*f, catalogue.status());
    std::vector<std::string> codes;
    for (const ServiceDefinition& d : **catalogue) {
      const bool asked = filter.service_codes.empty() ||
                         std::find(filter.service_codes.begin(), filter.service_codes.end(), d.code) != filter.service_codes.end();
      if (d.department == *agency && asked) codes.push_back(d.code);
    }
    if (codes.empty()) codes.push_back(std::string(1, '\0'));  // no service: nothing matches
    filter.service_codes = std::move(codes);
  }
  if (Status dates = ReadDates(req, &filter.start, &filter.end); !dates.ok()) return Error(*f, dates);
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
    records.push_back(RequestRecord(r, def, en, now, offset, BaseUrl(options_.base_url, req), OriginalOpen(tctx, r)));
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
  return Records(*f, "service_requests", "request",
                 {RequestRecord(*r, def, English(req), Now(), offset, BaseUrl(options_.base_url, req),
                                OriginalOpen(tctx, *r))});
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

std::optional<bool> Open311Api::OriginalOpen(const RequestContext& ctx, const ServiceRequest& r) const {
  if (!r.duplicate_of) return std::nullopt;
  Result<ServiceRequest> original = reports_.Get(ctx, *r.duplicate_of);
  if (!original.ok()) return std::nullopt;
  return domain::open311::Open311Status(original->status) == "open";
}

Status Open311Api::CheckAdmin(const std::vector<std::pair<std::string, std::string>>& params) const {
  const std::string* key = Param(params, "api_key");
  if (options_.admin_api_keys.empty()) return Status::Forbidden("staff actions are off: no administrator key is configured");
  if (key == nullptr || key->empty()) return Status::Unauthorized("staff actions need the administrator api_key");
  for (const std::string& k : options_.admin_api_keys) {
    if (k == *key) return Status::OK();
  }
  return Status::Forbidden("api_key is not an administrator key");
}

http::Response Open311Api::PostUpdate(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = ResourceFormat(req, "services", "servicerequestupdates");
  if (!f.ok()) return Error(Format::kJson, f.status());
  Result<Form> form = ReadForm(req, options_.max_media_bytes);
  if (!form.ok()) return Error(*f, form.status());
  const auto* params = &form->params;
  if (Status s = CheckAdmin(*params); !s.ok()) return Error(*f, s);
  service::StaffUpdate u;
  u.photo = std::move(form->photo);
  const std::string* id = Param(*params, "service_request_id");
  std::optional<std::uint64_t> n = id ? ParseNumber(*id) : std::nullopt;
  if (!n) return Error(*f, Status::BadRequestData("service_request_id is required (a number)"));
  u.number = *n;
  if (const std::string* st = Param(*params, "status"); st != nullptr && !st->empty()) {
    u.status = domain::open311::ParseStatus(*st);
    if (!u.status) return Error(*f, Status::BadRequestData("unknown status", *st));
  }
  if (const std::string* d = Param(*params, "duplicate_of"); d != nullptr && !d->empty()) {
    u.duplicate_of = ParseNumber(*d);
    if (!u.duplicate_of) return Error(*f, Status::BadRequestData("duplicate_of is not a number", *d));
  }
  if (const std::string* v = Param(*params, "by")) u.by = *v;
  if (const std::string* v = Param(*params, "description")) u.description = *v;
  if (const std::string* v = Param(*params, "media_url")) u.media_url = *v;
  const RequestContext tctx = TenantContext(ctx, req, params);
  Result<domain::open311::RequestUpdate> done = reports_.Update(tctx, std::move(u), Now());
  if (!done.ok()) return Error(*f, done.status());
  const int offset = catalogues_.Calendar(tctx.tenant)->options().utc_offset_minutes;
  return Records(*f, "service_request_updates", "request_update",
                 {Json::MakeObject({{"update_id", std::to_string(done->id)},
                                    {"service_request_id", std::to_string(*n)},
                                    {"detailed_status", std::string(domain::open311::StatusName(done->status))},
                                    {"updated_datetime", LocalTime(done->at, offset)}})},
                 201);
}

http::Response Open311Api::UpdatesList(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = ResourceFormat(req, "services", "servicerequestupdates");
  if (!f.ok()) return Error(Format::kJson, f.status());
  std::optional<Timestamp> start, end;
  if (Status dates = ReadDates(req, &start, &end); !dates.ok()) return Error(*f, dates);
  std::vector<std::uint64_t> numbers;
  if (Status ids = ReadIds(req, &numbers); !ids.ok()) return Error(*f, ids);
  const RequestContext tctx = TenantContext(ctx, req);
  auto found = reports_.Updates(tctx, start, end, numbers, Now());
  if (!found.ok()) return Error(*f, found.status());
  const int offset = catalogues_.Calendar(tctx.tenant)->options().utc_offset_minutes;
  std::vector<Json> records;
  for (const service::ReportUpdateRow& row : *found) {
    const auto& u = row.update;
    records.push_back(Json::MakeObject({{"update_id", std::to_string(u.id)},
                                        {"service_request_id", std::to_string(row.number)},
                                        {"status", std::string(domain::open311::Open311Status(u.status))},
                                        {"detailed_status", std::string(domain::open311::StatusName(u.status))},
                                        {"updated_datetime", LocalTime(u.at, offset)},
                                        {"description", u.description},
                                        {"media_url", MediaUrl(u.media_url, BaseUrl(options_.base_url, req))},
                                        {"by", u.by}}));
  }
  return Records(*f, "service_request_updates", "request_update", records);
}

http::Response Open311Api::RequestAction(const RequestContext& ctx, http::Request& req) const {
  std::string action(req.PathParam("action"));
  Result<Format> f = SplitFormat(action);
  if (!f.ok()) return Error(Format::kJson, f.status());
  std::optional<std::uint64_t> n = ParseNumber(req.PathParam("id"));
  if (!n) return Error(*f, Status::NotFound("service_request_id not found", req.PathParam("id")));
  Result<Form> form = ReadForm(req, 0);
  if (!form.ok()) return Error(*f, form.status());
  const auto* params = &form->params;
  const RequestContext tctx = TenantContext(ctx, req, params);
  const std::string* token = Param(*params, "token");
  if (action == "feedback") {
    service::Feedback fb;
    fb.number = *n;
    fb.token = token != nullptr ? *token : std::string();
    if (const std::string* rating = Param(*params, "rating"); rating != nullptr && !rating->empty()) {
      std::optional<std::uint64_t> v = ParseNumber(*rating);
      if (!v || *v < 1 || *v > 5) return Error(*f, Status::BadRequestData("rating is 1 to 5", *rating));
      fb.rating = static_cast<int>(*v);
    }
    if (const std::string* reopen = Param(*params, "reopen")) fb.reopen = *reopen == "true" || *reopen == "1";
    if (const std::string* comment = Param(*params, "comment")) fb.comment = *comment;
    Result<ServiceRequest> r = reports_.GiveFeedback(tctx, std::move(fb), Now());
    if (!r.ok()) return Error(*f, r.status());
    const int offset = catalogues_.Calendar(tctx.tenant)->options().utc_offset_minutes;
    Result<ServiceDefinition> d = catalogues_.Service(tctx, r->service_code);
    return Records(*f, "service_requests", "request",
                   {RequestRecord(*r, d.ok() ? &*d : nullptr, English(req), Now(), offset,
                                  BaseUrl(options_.base_url, req))});
  }
  if (action == "erase") {
    std::string proof;
    if (token == nullptr || token->empty()) {
      if (Status s = CheckAdmin(*params); !s.ok()) return Error(*f, s);
    } else {
      proof = *token;
    }
    if (Status s = reports_.ErasePersonalData(tctx, *n, proof); !s.ok()) return Error(*f, s);
    return Records(*f, "service_requests", "request",
                   {Json::MakeObject({{"service_request_id", std::to_string(*n)}, {"personal_data", "erased"}})});
  }
  return Error(*f, Status::NotFound("no such action", action));
}

http::Response Open311Api::Reporter(const RequestContext& ctx, http::Request& req) const {
  std::string action(req.PathParam("action"));
  Result<Format> f = SplitFormat(action);
  if (!f.ok() || action != "reporter") return Error(f.ok() ? *f : Format::kJson, Status::NotFound("no such resource", req.path));
  if (Status s = CheckAdmin(req.query); !s.ok()) return Error(*f, s);
  std::optional<std::uint64_t> n = ParseNumber(req.PathParam("id"));
  if (!n) return Error(*f, Status::NotFound("service_request_id not found", req.PathParam("id")));
  Result<service::Reporter> r = reports_.ReporterOf(TenantContext(ctx, req), *n);
  if (!r.ok()) return Error(*f, r.status());
  return Records(*f, "reporters", "reporter",
                 {Json::MakeObject({{"service_request_id", std::to_string(*n)},
                                    {"email", r->email},
                                    {"phone", r->phone},
                                    {"first_name", r->first_name},
                                    {"last_name", r->last_name},
                                    {"device_id", r->device_id},
                                    {"account_id", r->account_id}})});
}

http::Response Open311Api::Statistics(const RequestContext& ctx, http::Request& req) const {
  Result<Format> f = ResourceFormat(req, "services", "statistics");
  if (!f.ok()) return Error(Format::kJson, f.status());
  std::optional<Timestamp> start, end;
  if (Status dates = ReadDates(req, &start, &end); !dates.ok()) return Error(*f, dates);
  std::vector<std::string> services;
  if (const std::string* codes = req.Query("service_code")) services = SplitList(*codes);
  service::StatsGroup group = service::StatsGroup::kNone;
  std::string group_name = "all";
  if (const std::string* g = req.Query("group_by")) {
    if (*g == "service") group = service::StatsGroup::kService;
    else if (*g == "department") group = service::StatsGroup::kDepartment;
    else if (*g == "ward") group = service::StatsGroup::kWard;
    else return Error(*f, Status::BadRequestData("group_by is service, department or ward", *g));
    group_name = *g;
  }
  auto stats = reports_.Statistics(TenantContext(ctx, req), start, end, services, group, Now());
  if (!stats.ok()) return Error(*f, stats.status());
  std::vector<Json> records;
  for (std::size_t i = 0; i < stats->size(); ++i) records.push_back(StatsRecord((*stats)[i], i == 0 ? "all" : group_name));
  return Records(*f, "statistics", "group", records);
}

http::Response Open311Api::Media(const RequestContext&, http::Request& req) const {
  const std::string name(req.PathParam("name"));
  const std::size_t dot = name.rfind('.');
  const std::string ext = dot == std::string::npos ? std::string() : name.substr(dot + 1);
  std::string_view mime;
  for (auto t : {domain::media::ImageType::kJpeg, domain::media::ImageType::kPng, domain::media::ImageType::kWebp}) {
    if (ext == domain::media::ImageExtension(t)) mime = domain::media::ImageMime(t);
  }
  Result<std::optional<std::string>> bytes =
      mime.empty() ? Result<std::optional<std::string>>(std::optional<std::string>()) : reports_.Media(name);
  if (!bytes.ok()) return Error(Format::kJson, bytes.status());
  if (!*bytes) return Error(Format::kJson, Status::NotFound("no such photo", name));
  http::Response r;
  r.SetHeader("Content-Type", std::string(mime));
  r.SetHeader("Cache-Control", "public, max-age=31536000, immutable");
  r.SetHeader("X-Content-Type-Options", "nosniff");
  r.body = std::move(**bytes);
  return r;
}

}  // namespace dothi::api::open311
