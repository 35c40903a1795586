#include "service/open311_reports.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/json.h"
#include "domain/text_fold.h"
#include "geo/geometry.h"

namespace dothi::service {
namespace {

using domain::open311::RequestStatus;
using domain::open311::ServiceRequest;

constexpr std::string_view kPrivateKind = "open311.private";
constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// 128 random bits as 32 hex digits.
std::string NewToken() {
  static thread_local std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    std::uint32_t v = rd();
    for (int j = 0; j < 8; ++j, v >>= 4) out += kHex[v & 15];
  }
  return out;
}

Status CheckText(std::string_view field, const std::string& value, std::size_t max_bytes) {
  if (value.size() > max_bytes) {
    return Status::BadRequestData(std::string(field) + " is longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (!domain::IsCleanUtf8Text(value)) {
    return Status::BadRequestData(std::string(field) + " is not UTF-8 text");
  }
  return Status::OK();
}

Status CheckReporter(const Reporter& r, std::size_t max_bytes) {
  for (const auto& [name, value] : {std::pair<std::string_view, const std::string*>{"email", &r.email},
                                    {"phone", &r.phone},
                                    {"first_name", &r.first_name},
                                    {"last_name", &r.last_name},
                                    {"device_id", &r.device_id},
                                    {"account_id", &r.account_id}}) {
    DOTHI_RETURN_IF_ERROR(CheckText(name, *value, max_bytes));
  }
  if (!r.email.empty()) {
    const std::size_t at = r.email.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == r.email.size() ||
        r.email.find_first_of(" \t\r\n<>,;") != std::string::npos) {
      return Status::BadRequestData("email is not an email address", r.email);
    }
  }
  if (!r.phone.empty()) {
    int digits = 0;
    for (char c : r.phone) {
      if (c >= '0' && c <= '9') {
        ++digits;
      } else if (c != '+' && c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
        return Status::BadRequestData("phone has characters other than digits, +, -, ., spaces and brackets");
      }
    }
    if (digits < 3 || digits > 15) return Status::BadRequestData("phone needs 3 to 15 digits");
  }
  return Status::OK();
}

Status CheckUrl(const std::string& url, std::size_t max_bytes) {
  if (url.empty()) return Status::OK();
  DOTHI_RETURN_IF_ERROR(CheckText("media_url", url, max_bytes));
  if ((url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) ||
      url.find_first_of(" \t\r\n\"<>") != std::string::npos) {
    return Status::BadRequestData("media_url is not an http(s) URL", url);
  }
  return Status::OK();
}

// The name of the smallest administrative unit among the hits (a ward rather than its
// province), or "".
std::string WardOf(const PointLookup& at) {
  const LayerHit* best = nullptr;
  double best_area = 0;
  for (const LayerHit& hit : at.administrative) {
    const auto& g = hit.feature().geometry;
    if (!g) continue;
    const double area = geo::AreaSquareMeters(*g);
    if (best == nullptr || area < best_area) {
      best = &hit;
      best_area = area;
    }
  }
  if (best == nullptr) return {};
  if (const Json* name = best->Field("name"); name != nullptr && name->is_string()) return name->AsString();
  return best->feature().id;
}

bool StatusMatches(RequestStatus s, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  for (const std::string& w : wanted) {
    if (w == domain::open311::Open311Status(s) || w == domain::open311::StatusName(s)) return true;
  }
  return false;
}

}  // namespace

std::uint32_t Open311Reports::Tenant::ServiceId(const std::string& code) {
  auto [it, inserted] = service_ids.emplace(code, static_cast<std::uint32_t>(services.size()));
  if (inserted) services.push_back(code);
  return it->second;
}

Open311Reports::Open311Reports(EntityService& entities, storage::EntityStore& store,
                               const Open311Catalogues& catalogues, const PlanningService* planning,
                               Open311ReportOptions options)
    : entities_(entities), store_(store), catalogues_(catalogues), planning_(planning), options_(options) {}

std::string Open311Reports::PrivateKey(std::string_view tenant, std::uint64_t number) {
  std::string key(tenant);
  key += '\x1f';
  key += std::to_string(number);
  return key;
}

std::string Open311Reports::EncodePrivate(const Private& p) {
  Json o = Json::MakeObject({{"token", p.token}});
  const Reporter& r = p.reporter;
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"email", &r.email},
                                    {"phone", &r.phone},
                                    {"first_name", &r.first_name},
                                    {"last_name", &r.last_name},
                                    {"device_id", &r.device_id},
                                    {"account_id", &r.account_id}}) {
    if (!value->empty()) o.Set(name, *value);
  }
  std::string out;
  o.EncodeBinary(out);
  return out;
}

Open311Reports::Tenant& Open311Reports::TenantFor(const std::string& tenant) { return tenants_[tenant]; }

const Open311Reports::Tenant* Open311Reports::FindTenant(std::string_view tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? nullptr : &it->second;
}

void Open311Reports::IndexPut(Tenant& t, const ServiceRequest& r) {
  Row row;
  row.requested = r.requested.micros;
  row.number = r.number;
  row.service = t.ServiceId(r.service_code);
  row.status = r.status;
  if (r.lon && r.lat) {
    row.lon = static_cast<float>(*r.lon);
    row.lat = static_cast<float>(*r.lat);
    row.placed = true;
  }
  auto before = [](const Row& a, const Row& b) {
    return a.requested != b.requested ? a.requested < b.requested : a.number < b.number;
  };
  auto pos = std::upper_bound(t.rows.begin(), t.rows.end(), row, before);
  if (pos != t.rows.begin() && std::prev(pos)->number == row.number) {
    *std::prev(pos) = row;  // the same report again
  } else {
    t.rows.insert(pos, row);
  }
  t.next_number = std::max(t.next_number, r.number + 1);
}

Status Open311Reports::Load() {
  std::unique_lock lock(mu_);
  tenants_.clear();
  for (const auto& [tenant, count] : entities_.EntityCounts()) {
    RequestContext ctx;
    ctx.tenant = tenant;
    std::vector<ServiceRequest> found;
    entities_.ForEachOfType(ctx, domain::open311::sr::kType, [&](const domain::Entity& e) {
      Result<ServiceRequest> r = ServiceRequest::FromEntity(e);
      if (r.ok()) found.push_back(std::move(*r));
    });
    if (found.empty()) continue;
    Tenant& t = TenantFor(tenant);
    std::sort(found.begin(), found.end(), [](const ServiceRequest& a, const ServiceRequest& b) {
      return a.requested != b.requested ? a.requested < b.requested : a.number < b.number;
    });
    t.rows.reserve(found.size());
    for (const ServiceRequest& r : found) IndexPut(t, r);
  }
  return store_.ScanDocuments(kPrivateKind, [&](std::string_view key, std::string_view bytes) {
    const std::size_t sep = key.find('\x1f');
    if (sep == std::string_view::npos) return;
    std::uint64_t number = 0;
    try {
      number = std::stoull(std::string(key.substr(sep + 1)));
    } catch (const std::exception&) {
      return;
    }
    Result<Json> doc = Json::DecodeBinary(bytes);
    if (!doc.ok() || !doc->is_object()) return;
    auto text = [&](const char* name) {
      const Json* v = doc->Find(name);
      return v != nullptr && v->is_string() ? v->AsString() : std::string();
    };
    Tenant& t = TenantFor(std::string(key.substr(0, sep)));
    Private p;
    p.token = text("token");
    p.reporter = {text("email"), text("phone"), text("first_name"), text("last_name"), text("device_id"),
                  text("account_id")};
    if (!p.token.empty()) t.tokens[p.token] = number;
    t.privates[number] = std::move(p);
    // A number whose report was deleted is not given again.
    t.next_number = std::max(t.next_number, number + 1);
  });
}

std::vector<std::uint64_t> Open311Reports::NearbyOpen(const Tenant& t, const std::string& code, double lon,
                                                      double lat, Timestamp now) const {
  std::vector<std::uint64_t> out;
  auto it = t.service_ids.find(code);
  if (it == t.service_ids.end()) return out;
  const std::int64_t since = now.micros - options_.duplicate_days * kMicrosPerDay;
  for (auto row = t.rows.rbegin(); row != t.rows.rend() && row->requested >= since; ++row) {
    if (row->service != it->second || !row->placed) continue;
    if (domain::open311::Open311Status(row->status) != "open") continue;
    if (geo::HaversineMeters(lon, lat, row->lon, row->lat) <= options_.duplicate_radius_m) {
      out.push_back(row->number);
    }
  }
  return out;
}

Result<SubmitResult> Open311Reports::Submit(const RequestContext& ctx, Submission s, Timestamp now) {
  if (s.service_code.empty()) return Status::BadRequestData("service_code is required");
  Result<domain::open311::ServiceDefinition> service = catalogues_.Service(ctx, s.service_code);
  if (!service.ok()) {
    if (!catalogues_.For(ctx).ok()) return service.status();  // unknown jurisdiction: 404
    return Status::BadRequestData("service_code not found", s.service_code);
  }
  for (const auto& [code, value] : s.attributes) {
    DOTHI_RETURN_IF_ERROR(CheckText("attribute[" + code + "]", value, options_.max_field_bytes));
    DOTHI_RETURN_IF_ERROR(CheckText("attribute code", code, options_.max_field_bytes));
  }
  DOTHI_RETURN_IF_ERROR(domain::open311::CheckAttributes(*service, s.attributes));
  DOTHI_RETURN_IF_ERROR(CheckText("description", s.description, options_.max_description_bytes));
  DOTHI_RETURN_IF_ERROR(CheckText("address_string", s.address_string, options_.max_field_bytes));
  DOTHI_RETURN_IF_ERROR(CheckText("address_id", s.address_id, options_.max_field_bytes));
  DOTHI_RETURN_IF_ERROR(CheckUrl(s.media_url, options_.max_url_bytes));
  DOTHI_RETURN_IF_ERROR(CheckReporter(s.reporter, options_.max_field_bytes));
  if (!service->anonymous_allowed && (s.reporter.Anonymous() || (s.reporter.email.empty() && s.reporter.phone.empty()))) {
    return Status::BadRequestData("this service needs the reporter's name and an email or phone number",
                                  s.service_code);
  }

  ServiceRequest r;
  if (s.lat.has_value() != s.lon.has_value()) return Status::BadRequestData("lat and long go together");
  if (s.lat) {
    if (!std::isfinite(*s.lat) || !std::isfinite(*s.lon) || std::abs(*s.lat) > 90 || std::abs(*s.lon) > 180) {
      return Status::BadRequestData("lat/long out of range");
    }
    if (!InsideVietnam(*s.lon, *s.lat)) {
      return Status::BadRequestData("lat/long is outside the jurisdiction",
                                    "lat " + std::to_string(*s.lat) + ", long " + std::to_string(*s.lon));
    }
    if (planning_ != nullptr) {
      Result<PointLookup> at = planning_->AtPoint(ctx, *s.lon, *s.lat);
      if (at.ok()) {
        r.ward = WardOf(*at);
      } else if (at.status().code() != ErrorCode::kNotFound) {  // NotFound: no layers to check
        return Status::BadRequestData("lat/long is outside the jurisdiction", at.status().message());
      }
    }
    r.lat = s.lat;
    r.lon = s.lon;
  } else if (s.address_string.empty() && s.address_id.empty()) {
    return Status::BadRequestData("a location is required: lat and long, address_string or address_id");
  }

  std::shared_ptr<const domain::open311::WorkingCalendar> calendar = catalogues_.Calendar(ctx.tenant);
  r.service_code = service->code;
  r.service_name = service->name_vi;
  r.department = service->department;
  r.status = RequestStatus::kReceived;
  r.description = std::move(s.description);
  r.requested = now;
  r.updated = now;
  r.acknowledge_by = calendar->AddWorkingMinutes(now, std::int64_t{service->acknowledge_hours} * 60);
  r.expected = calendar->AddWorkingDays(now, service->resolve_days);
  r.address = std::move(s.address_string);
  r.address_id = std::move(s.address_id);
  r.media_url = std::move(s.media_url);
  r.attributes = std::move(s.attributes);
  r.transitions.push_back({RequestStatus::kReceived, RequestStatus::kReceived, now,
                           s.reporter.Anonymous() ? "citizen (anonymous)" : "citizen", "submitted"});

  SubmitResult out;
  Private priv;
  priv.token = NewToken();
  priv.reporter = std::move(s.reporter);
  {
    std::unique_lock lock(mu_);
    Tenant& t = TenantFor(ctx.tenant);
    r.number = t.next_number++;
    if (r.lon) out.possible_duplicates = NearbyOpen(t, r.service_code, *r.lon, *r.lat, now);
  }
  // The private part first: a crash between the two leaves a document without a report
  // (its number is skipped), never a report whose reporter is lost.
  DOTHI_RETURN_IF_ERROR(store_.PutDocument(kPrivateKind, PrivateKey(ctx.tenant, r.number), EncodePrivate(priv)));
  Status created = entities_.Create(ctx, r.ToEntity());
  if (!created.ok()) {
    (void)store_.DeleteDocument(kPrivateKind, PrivateKey(ctx.tenant, r.number));
    return created;
  }
  {
    std::unique_lock lock(mu_);
    Tenant& t = TenantFor(ctx.tenant);
    IndexPut(t, r);
    t.tokens[priv.token] = r.number;
    out.token = priv.token;
    t.privates[r.number] = std::move(priv);
  }
  out.request = std::move(r);
  return out;
}

Result<std::vector<ServiceRequest>> Open311Reports::Find(const RequestContext& ctx, const ReportFilter& f,
                                                         Timestamp now) const {
  auto catalogue = catalogues_.For(ctx);
  if (!catalogue.ok()) return catalogue.status();
  for (const std::string& st : f.statuses) {
    if (st != "open" && st != "closed" && !domain::open311::ParseStatus(st)) {
      return Status::BadRequestData("unknown status", st);
    }
  }
  const std::size_t page_size = f.page_size == 0 ? options_.max_results : f.page_size;
  if (page_size > options_.max_results) {
    return Status::BadRequestData("page_size above the maximum", std::to_string(options_.max_results));
  }
  if (f.page == 0) return Status::BadRequestData("page starts at 1");

  std::vector<std::uint64_t> numbers;
  if (!f.numbers.empty()) {
    if (f.numbers.size() > options_.max_results) {
      return Status::BadRequestData("more service_request_id than the maximum", std::to_string(options_.max_results));
    }
    numbers = f.numbers;
  } else {
    const std::int64_t span = options_.default_days * kMicrosPerDay;
    Timestamp end = f.end ? *f.end : (f.start ? Timestamp{f.start->micros + span} : now);
    Timestamp start = f.start ? *f.start : Timestamp{end.micros - span};
    if (end < start) return Status::BadRequestData("end_date is before start_date");
    if (end.micros - start.micros > span) {
      return Status::BadRequestData("start_date and end_date span more than " + std::to_string(options_.default_days) +
                                    " days");
    }
    std::shared_lock lock(mu_);
    const Tenant* t = FindTenant(ctx.tenant);
    if (t == nullptr) return std::vector<ServiceRequest>{};
    std::vector<char> service_ok(t->services.size(), f.service_codes.empty());
    for (const std::string& code : f.service_codes) {
      auto it = t->service_ids.find(code);
      if (it != t->service_ids.end()) service_ok[it->second] = 1;
    }
    // Rows with requested in [start, end], newest first.
    auto first = std::lower_bound(t->rows.begin(), t->rows.end(), start.micros,
                                  [](const Row& r, std::int64_t v) { return r.requested < v; });
    auto last = std::upper_bound(t->rows.begin(), t->rows.end(), end.micros,
                                 [](std::int64_t v, const Row& r) { return v < r.requested; });
    std::size_t skip = (f.page - 1) * page_size;
    for (auto it = last; it != first && numbers.size() < page_size;) {
      --it;
      if (!service_ok[it->service] || !StatusMatches(it->status, f.statuses)) continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      numbers.push_back(it->number);
    }
  }
  std::vector<ServiceRequest> out;
  out.reserve(numbers.size());
  for (std::uint64_t n : numbers) {
    Result<ServiceRequest> r = Get(ctx, n);
    if (r.ok()) out.push_back(std::move(*r));
  }
  return out;
}

Result<ServiceRequest> Open311Reports::Get(const RequestContext& ctx, std::uint64_t number) const {
  ServiceRequest probe;
  probe.number = number;
  Result<domain::Entity> e = entities_.Get(ctx, probe.EntityId());
  if (!e.ok()) {
    if (!catalogues_.For(ctx).ok()) return catalogues_.For(ctx).status();
    return Status::NotFound("service_request_id not found", std::to_string(number));
  }
  Result<ServiceRequest> r = ServiceRequest::FromEntity(*e);
  if (!r.ok()) return Status::NotFound("service_request_id not found", std::to_string(number));
  return r;
}

Result<std::uint64_t> Open311Reports::ByToken(const RequestContext& ctx, std::string_view token) const {
  std::shared_lock lock(mu_);
  const Tenant* t = FindTenant(ctx.tenant);
  if (t != nullptr) {
    auto it = t->tokens.find(std::string(token));
    if (it != t->tokens.end()) return it->second;
  }
  return Status::NotFound("token not found");
}

Result<Reporter> Open311Reports::ReporterOf(const RequestContext& ctx, std::uint64_t number) const {
  std::shared_lock lock(mu_);
  const Tenant* t = FindTenant(ctx.tenant);
  if (t != nullptr) {
    auto it = t->privates.find(number);
    if (it != t->privates.end()) return it->second.reporter;
  }
  return Status::NotFound("service_request_id not found", std::to_string(number));
}

}  // namespace dothi::service
