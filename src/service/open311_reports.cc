#include "service/open311_reports.h"

#include <algorithm>
#include <cmath>
#include <future>
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

// The duplicate search's cell (0.001 degrees) of a longitude (offset 180) or latitude (90).
std::int64_t CellOf(double degrees, double offset) {
  return static_cast<std::int64_t>(std::floor((degrees + offset) * 1000));
}

}  // namespace

template <typename T, typename R>
static bool StatusMatches(const T& t, const R& row, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  const std::string_view open = t.Open(row) ? "open" : "closed";
  for (const std::string& w : wanted) {
    if (w == open || w == domain::open311::StatusName(row.status)) return true;
  }
  return false;
}

std::uint32_t Open311Reports::Tenant::Intern(const std::string& name) {
  auto [it, inserted] = name_ids.emplace(name, static_cast<std::uint32_t>(names.size()));
  if (inserted) names.push_back(name);
  return it->second;
}

const Open311Reports::Row* Open311Reports::Tenant::Find(std::uint64_t number) const {
  auto it = requested_of.find(number);
  if (it == requested_of.end()) return nullptr;
  auto pos = std::lower_bound(rows.begin(), rows.end(), std::pair{it->second, number}, [](const Row& r, const auto& key) {
    return r.requested != key.first ? r.requested < key.first : r.number < key.second;
  });
  return pos != rows.end() && pos->number == number ? &*pos : nullptr;
}

bool Open311Reports::Tenant::Open(const Row& row) const {
  if (row.duplicate_of != 0) {
    const Row* original = Find(row.duplicate_of);
    if (original != nullptr && original->duplicate_of == 0) return Open(*original);
  }
  return domain::open311::Open311Status(row.status) == "open";
}

Open311Reports::Open311Reports(EntityService& entities, storage::EntityStore& store,
                               const Open311Catalogues& catalogues, const PlanningService* planning,
                               storage::MediaStore* media, Open311ReportOptions options)
    : entities_(entities),
      store_(store),
      catalogues_(catalogues),
      planning_(planning),
      media_(media),
      options_(options) {}

Result<std::optional<std::string>> Open311Reports::Media(std::string_view name) const {
  if (media_ == nullptr) return std::optional<std::string>();
  return media_->Get(name);
}

Result<std::string> Open311Reports::StorePhoto(const domain::media::CleanImage& photo) {
  if (media_ == nullptr) return Status::BadRequestData("photo uploads are off");
  std::string name = NewToken() + "." + std::string(domain::media::ImageExtension(photo.type));
  DOTHI_RETURN_IF_ERROR(media_->Put(name, photo.bytes));
  return std::string(kMediaPath) + name;
}

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
  row.acknowledge_by = r.acknowledge_by.micros;
  row.expected = r.expected.micros;
  row.acknowledged = r.acknowledged_at ? r.acknowledged_at->micros : 0;
  row.resolved = r.resolved_at ? r.resolved_at->micros : 0;
  row.duplicate_of = r.duplicate_of.value_or(0);
  row.service = t.Intern(r.service_code);
  row.ward = t.Intern(r.ward);
  row.status = r.status;
  row.rating = static_cast<std::int8_t>(r.rating.value_or(0));
  row.escalation = static_cast<std::int8_t>(r.escalation);
  if (r.lon && r.lat) {
    row.lon = *r.lon;
    row.lat = *r.lat;
    row.placed = true;
  }
  auto before = [](const Row& a, const Row& b) {
    return a.requested != b.requested ? a.requested < b.requested : a.number < b.number;
  };
  if (const Row* old = t.Find(r.number); old != nullptr && old->requested != row.requested) {
    t.rows.erase(t.rows.begin() + (old - t.rows.data()));  // requested changed (a write through NGSI-LD)
  }
  auto pos = std::lower_bound(t.rows.begin(), t.rows.end(), row, before);
  if (pos != t.rows.end() && pos->number == row.number && pos->requested == row.requested) {
    *pos = row;  // the same report, changed
  } else {
    t.rows.insert(pos, row);
  }
  t.requested_of[r.number] = row.requested;
  t.next_number = std::max(t.next_number, r.number + 1);
  if (row.placed) {
    auto& cell = t.cells[CellKey(row.service, CellOf(*r.lon, 180), CellOf(*r.lat, 90))];
    const std::pair<std::int64_t, std::uint64_t> entry{row.requested, row.number};
    auto at = std::lower_bound(cell.begin(), cell.end(), entry);
    if (at == cell.end() || *at != entry) cell.insert(at, entry);
  }
  for (const auto& u : r.updates) t.next_update = std::max(t.next_update, u.id + 1);
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
    for (const ServiceRequest& r : found) {
      IndexPut(t, r);
      for (const auto& u : r.updates) t.updates.emplace_back(u.at.micros, r.number);
    }
    std::sort(t.updates.begin(), t.updates.end());
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

std::uint64_t Open311Reports::CellKey(std::uint32_t service, std::int64_t cx, std::int64_t cy) {
  return (std::uint64_t{service} << 40) | (static_cast<std::uint64_t>(cx) << 20) | static_cast<std::uint64_t>(cy);
}

std::vector<std::uint64_t> Open311Reports::NearbyOpen(const Tenant& t, const std::string& code, double lon,
                                                      double lat, Timestamp now) const {
  std::vector<std::pair<std::int64_t, std::uint64_t>> found;
  auto it = t.name_ids.find(code);
  if (it == t.name_ids.end() || options_.duplicate_radius_m <= 0) return {};
  const std::int64_t since = now.micros - options_.duplicate_days * kMicrosPerDay;
  const double dlat = options_.duplicate_radius_m / 111'000.0;
  const double dlon = dlat / std::max(0.01, std::cos(lat * M_PI / 180));
  for (std::int64_t cx = CellOf(lon - dlon, 180); cx <= CellOf(lon + dlon, 180); ++cx) {
    for (std::int64_t cy = CellOf(lat - dlat, 90); cy <= CellOf(lat + dlat, 90); ++cy) {
      auto cell = t.cells.find(CellKey(it->second, cx, cy));
      if (cell == t.cells.end()) continue;
      auto first = std::lower_bound(cell->second.begin(), cell->second.end(), std::pair{since, std::uint64_t{0}});
      for (auto e = first; e != cell->second.end(); ++e) {
        const Row* row = t.Find(e->second);
        if (row == nullptr || row->requested < since || row->service != it->second || !row->placed) continue;
        if (row->duplicate_of != 0 || !t.Open(*row)) continue;
        if (geo::HaversineMeters(lon, lat, row->lon, row->lat) <= options_.duplicate_radius_m) {
          found.emplace_back(row->requested, row->number);
        }
      }
    }
  }
  std::sort(found.rbegin(), found.rend());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  std::vector<std::uint64_t> out;
  for (const auto& f : found) out.push_back(f.second);
  return out;
}

Result<SubmitResult> Open311Reports::Submit(const RequestContext& ctx, Submission s, Timestamp now) {
  now.micros -= now.micros % 1000;  // the entity keeps milliseconds
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
  if (s.photo && media_ == nullptr) return Status::BadRequestData("photo uploads are off");
  DOTHI_RETURN_IF_ERROR(CheckReporter(s.reporter, options_.max_field_bytes));
  if (!service->anonymous_allowed && s.reporter.email.empty() && s.reporter.phone.empty()) {
    return Status::BadRequestData("this service needs the reporter's email or phone number", s.service_code);
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
  // Never due to be resolved before it is due to be acknowledged (a short working day).
  r.expected = std::max(calendar->AddWorkingDays(now, service->resolve_days), r.acknowledge_by);
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
  // The photo and the private part first: a crash in between leaves a file or a document
  // without a report (its number is skipped), never a report whose photo or reporter is lost.
  if (s.photo) {
    Result<std::string> url = StorePhoto(*s.photo);
    if (!url.ok()) return url.status();
    r.media_url = *url;
  }
  auto undo_photo = [&] {
    if (s.photo && media_ != nullptr) (void)media_->Delete(r.media_url.substr(kMediaPath.size()));
  };
  // Both writes are queued at once, the document first (the store keeps their order), so
  // they usually share one group commit.
  auto put_done = std::make_shared<std::promise<Status>>();
  std::future<Status> put = put_done->get_future();
  store_.PutDocumentAsync(kPrivateKind, PrivateKey(ctx.tenant, r.number), EncodePrivate(priv),
                          [put_done](Status st) { put_done->set_value(std::move(st)); });
  auto create_done = std::make_shared<std::promise<Status>>();
  std::future<Status> created = create_done->get_future();
  entities_.CreateAsync(ctx, r.ToEntity(), [create_done](Status st) { create_done->set_value(std::move(st)); });
  const Status put_status = put.get();
  const Status create_status = created.get();
  if (!put_status.ok() || !create_status.ok()) {
    if (create_status.ok()) (void)entities_.Delete(ctx, r.EntityId());
    if (put_status.ok()) (void)store_.DeleteDocument(kPrivateKind, PrivateKey(ctx.tenant, r.number));
    undo_photo();
    return put_status.ok() ? create_status : put_status;
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
    auto window = Window(f.start, f.end, now, true);
    if (!window.ok()) return window.status();
    const auto [start, end] = *window;
    std::shared_lock lock(mu_);
    const Tenant* t = FindTenant(ctx.tenant);
    if (t == nullptr) return std::vector<ServiceRequest>{};
    std::vector<char> service_ok(t->names.size(), f.service_codes.empty());
    for (const std::string& code : f.service_codes) {
      auto it = t->name_ids.find(code);
      if (it != t->name_ids.end()) service_ok[it->second] = 1;
    }
    // Rows with requested in [start, end], newest first.
    auto first = std::lower_bound(t->rows.begin(), t->rows.end(), start.micros,
                                  [](const Row& r, std::int64_t v) { return r.requested < v; });
    auto last = std::upper_bound(t->rows.begin(), t->rows.end(), end.micros,
                                 [](std::int64_t v, const Row& r) { return v < r.requested; });
    std::optional<std::uint32_t> ward;
    if (f.ward) {
      auto w = t->name_ids.find(*f.ward);
      if (w == t->name_ids.end()) return std::vector<ServiceRequest>{};
      ward = w->second;
    }
    std::size_t skip = (f.page - 1) * page_size;
    for (auto it = last; it != first && numbers.size() < page_size;) {
      --it;
      if (!service_ok[it->service] || !StatusMatches(*t, *it, f.statuses)) continue;
      if (ward && it->ward != *ward) continue;
      if (f.overdue_only && (it->duplicate_of != 0 || !t->Open(*it) ||
                             now.micros <= (it->status == RequestStatus::kReceived ? it->acknowledge_by : it->expected))) {
        continue;
      }
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

Result<std::pair<Timestamp, Timestamp>> Open311Reports::Window(std::optional<Timestamp> start,
                                                              std::optional<Timestamp> end, Timestamp now,
                                                              bool limit_span) const {
  const std::int64_t span = options_.default_days * kMicrosPerDay;
  const Timestamp to = end ? *end : (start ? Timestamp{start->micros + span} : now);
  const Timestamp from = start ? *start : Timestamp{to.micros - span};
  if (to < from) return Status::BadRequestData("end_date is before start_date");
  if (limit_span && to.micros - from.micros > span) {
    return Status::BadRequestData("start_date and end_date span more than " + std::to_string(options_.default_days) +
                                  " days");
  }
  return std::pair{from, to};
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

Status Open311Reports::Write(const RequestContext& ctx, const ServiceRequest& r) {
  DOTHI_RETURN_IF_ERROR(entities_.Replace(ctx, r.ToEntity()));
  std::unique_lock lock(mu_);
  IndexPut(TenantFor(ctx.tenant), r);
  return Status::OK();
}

Result<domain::open311::RequestUpdate> Open311Reports::Update(const RequestContext& ctx, StaffUpdate u,
                                                             Timestamp now) {
  DOTHI_RETURN_IF_ERROR(CheckText("description", u.description, options_.max_description_bytes));
  DOTHI_RETURN_IF_ERROR(CheckText("by", u.by, options_.max_field_bytes));
  DOTHI_RETURN_IF_ERROR(CheckUrl(u.media_url, options_.max_url_bytes));
  if (u.photo && media_ == nullptr) return Status::BadRequestData("photo uploads are off");
  if (!u.status && u.description.empty() && u.media_url.empty() && !u.photo) {
    return Status::BadRequestData("an update needs a status, a description or a media_url");
  }
  if (u.duplicate_of && u.status != RequestStatus::kDuplicate) {
    return Status::BadRequestData("duplicate_of goes with status duplicate");
  }
  if (u.status == RequestStatus::kDuplicate && !u.duplicate_of) {
    return Status::BadRequestData("status duplicate needs duplicate_of (the original report)");
  }
  std::lock_guard write(WriteLock(u.number));
  Result<ServiceRequest> r = Get(ctx, u.number);
  if (!r.ok()) return r.status();
  if (u.duplicate_of) {
    if (*u.duplicate_of == u.number) return Status::Conflict("a report cannot duplicate itself");
    Result<ServiceRequest> original = Get(ctx, *u.duplicate_of);
    if (!original.ok()) return Status::Conflict("duplicate_of names no report", std::to_string(*u.duplicate_of));
    if (original->duplicate_of) {
      return Status::Conflict("duplicate_of names a duplicate; merge into its original",
                              std::to_string(*original->duplicate_of));
    }
  }
  const std::string by = u.by.empty() ? std::string("staff") : u.by;
  if (u.status) {
    DOTHI_RETURN_IF_ERROR(domain::open311::ApplyTransition(*r, *u.status, now, by, u.description));
    if (u.duplicate_of) r->duplicate_of = u.duplicate_of;
  }
  domain::open311::RequestUpdate update;
  {
    std::unique_lock lock(mu_);
    update.id = TenantFor(ctx.tenant).next_update++;
  }
  update.at = now;
  update.by = by;
  update.status = r->status;
  update.description = u.description;
  update.media_url = u.media_url;
  if (u.photo) {
    Result<std::string> url = StorePhoto(*u.photo);
    if (!url.ok()) return url.status();
    update.media_url = *url;
  }
  r->updates.push_back(update);
  r->updated = now;
  if (!u.description.empty()) r->status_notes = u.description;
  DOTHI_RETURN_IF_ERROR(Write(ctx, *r));
  std::unique_lock lock(mu_);
  Tenant& t = TenantFor(ctx.tenant);
  const std::pair<std::int64_t, std::uint64_t> entry{now.micros, u.number};
  t.updates.insert(std::upper_bound(t.updates.begin(), t.updates.end(), entry), entry);  // near the end
  return update;
}

Result<ServiceRequest> Open311Reports::GiveFeedback(const RequestContext& ctx, Feedback f, Timestamp now) {
  if (!f.rating && !f.reopen) return Status::BadRequestData("feedback needs a rating or reopen");
  if (f.rating && (*f.rating < 1 || *f.rating > 5)) return Status::BadRequestData("rating is 1 to 5");
  DOTHI_RETURN_IF_ERROR(CheckText("comment", f.comment, options_.max_description_bytes));
  {
    Result<std::uint64_t> owner = ByToken(ctx, f.token);
    if (!owner.ok() || *owner != f.number) return Status::NotFound("token not found for this report");
  }
  std::lock_guard write(WriteLock(f.number));
  Result<ServiceRequest> r = Get(ctx, f.number);
  if (!r.ok()) return r.status();
  if (r->status != RequestStatus::kResolved && r->status != RequestStatus::kClosed) {
    return Status::Conflict("only a resolved report can be rated or reopened");
  }
  const Timestamp resolved = r->resolved_at.value_or(r->updated);
  if (now.micros - resolved.micros > options_.feedback_days * kMicrosPerDay) {
    return Status::Conflict("the " + std::to_string(options_.feedback_days) + " days to rate or reopen have passed");
  }
  if (f.rating) r->rating = f.rating;
  if (f.reopen) {
    DOTHI_RETURN_IF_ERROR(domain::open311::ApplyTransition(*r, RequestStatus::kReopened, now, "citizen", f.comment));
    Result<domain::open311::ServiceDefinition> service = catalogues_.Service(ctx, r->service_code);
    const int days = service.ok() ? service->resolve_days : 5;
    r->expected = catalogues_.Calendar(ctx.tenant)->AddWorkingDays(now, days);
    r->escalation = 0;  // late again only past the new deadline
  }
  r->updated = now;
  DOTHI_RETURN_IF_ERROR(Write(ctx, *r));
  return r;
}

Status Open311Reports::ErasePersonalData(const RequestContext& ctx, std::uint64_t number, std::string_view token) {
  std::lock_guard write(WriteLock(number));
  std::string kept_token;
  {
    std::shared_lock lock(mu_);
    const Tenant* t = FindTenant(ctx.tenant);
    auto it = t != nullptr ? t->privates.find(number) : decltype(t->privates.end()){};
    if (t == nullptr || it == t->privates.end() || (!token.empty() && it->second.token != token)) {
      return Status::NotFound("service_request_id or token not found");
    }
    kept_token = it->second.token;
  }
  Private erased;
  erased.token = kept_token;  // the reporter can still follow and rate the report
  DOTHI_RETURN_IF_ERROR(store_.PutDocument(kPrivateKind, PrivateKey(ctx.tenant, number), EncodePrivate(erased)));
  std::unique_lock lock(mu_);
  TenantFor(ctx.tenant).privates[number] = std::move(erased);
  return Status::OK();
}

Result<std::size_t> Open311Reports::RecordEscalations(Timestamp now, std::size_t limit) {
  // Which reports went up: rows only, under the read lock.
  std::vector<std::pair<std::string, std::uint64_t>> due;
  {
    std::shared_lock lock(mu_);
    for (const auto& [tenant, t] : tenants_) {
      for (const Row& row : t.rows) {
        if (row.duplicate_of != 0 || !t.Open(row)) continue;
        const bool waiting = row.status == RequestStatus::kReceived;
        const std::int64_t deadline = waiting ? row.acknowledge_by : row.expected;
        if (now.micros <= deadline) continue;
        const int level = now.micros - deadline > deadline - row.requested ? 2 : 1;
        if (level > row.escalation && due.size() < limit) due.emplace_back(tenant, row.number);
      }
    }
  }
  std::size_t raised = 0;
  for (const auto& [tenant, number] : due) {
    RequestContext ctx;
    ctx.tenant = tenant;
    std::lock_guard write(WriteLock(number));
    Result<ServiceRequest> r = Get(ctx, number);
    if (!r.ok()) continue;  // deleted meanwhile
    const int level = domain::open311::EscalationLevel(*r, now);
    if (level <= r->escalation) continue;  // answered meanwhile
    const bool waiting = r->status == RequestStatus::kReceived;
    domain::open311::RequestUpdate update;
    {
      std::unique_lock lock(mu_);
      update.id = TenantFor(tenant).next_update++;
    }
    update.at = now;
    update.by = "system";
    update.status = r->status;
    update.description =
        std::string(waiting ? "Quá hạn xác nhận" : "Quá hạn xử lý") +
        (level == 1 ? ", chuyển lãnh đạo " + r->department : ", chuyển Ủy ban nhân dân") + " / " +
        (waiting ? "Not acknowledged in time" : "Not resolved in time") +
        (level == 1 ? ", escalated to the head of " + r->department : ", escalated to the People's Committee");
    r->escalation = level;
    r->updates.push_back(update);
    r->updated = now;
    DOTHI_RETURN_IF_ERROR(Write(ctx, *r));
    std::unique_lock lock(mu_);
    Tenant& t = TenantFor(tenant);
    const std::pair<std::int64_t, std::uint64_t> entry{now.micros, number};
    t.updates.insert(std::upper_bound(t.updates.begin(), t.updates.end(), entry), entry);
    ++raised;
  }
  return raised;
}

Result<std::vector<ReportUpdateRow>> Open311Reports::Updates(const RequestContext& ctx, std::optional<Timestamp> start,
                                                             std::optional<Timestamp> end,
                                                             const std::vector<std::uint64_t>& numbers,
                                                             Timestamp now) const {
  auto catalogue = catalogues_.For(ctx);
  if (!catalogue.ok()) return catalogue.status();
  auto window = Window(start, end, now, numbers.empty());
  if (!window.ok()) return window.status();
  const auto [from, to] = *window;
  std::vector<std::uint64_t> reports;
  if (!numbers.empty()) {
    if (numbers.size() > options_.max_results) return Status::BadRequestData("too many service_request_id");
    reports = numbers;
  } else {
    std::shared_lock lock(mu_);
    const Tenant* t = FindTenant(ctx.tenant);
    if (t == nullptr) return std::vector<ReportUpdateRow>{};
    auto first = std::lower_bound(t->updates.begin(), t->updates.end(), std::pair{from.micros, std::uint64_t{0}});
    for (auto it = first; it != t->updates.end() && it->first <= to.micros; ++it) {
      if (reports.empty() || reports.back() != it->second) reports.push_back(it->second);
    }
    std::sort(reports.begin(), reports.end());
    reports.erase(std::unique(reports.begin(), reports.end()), reports.end());
  }
  std::vector<ReportUpdateRow> out;
  for (std::uint64_t n : reports) {
    Result<ServiceRequest> r = Get(ctx, n);
    if (!r.ok()) continue;
    for (const auto& u : r->updates) {
      if (numbers.empty() && (u.at < from || u.at > to)) continue;
      out.push_back({n, u});
    }
  }
  std::sort(out.begin(), out.end(), [](const ReportUpdateRow& a, const ReportUpdateRow& b) {
    return a.update.at != b.update.at ? a.update.at < b.update.at : a.update.id < b.update.id;
  });
  if (out.size() > options_.max_results) out.resize(options_.max_results);
  return out;
}

namespace {

// The p-quantile (0..1) of values, by nearest rank; reorders them (nth_element).
double Quantile(std::vector<double>& values, double p) {
  const std::size_t rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  auto nth = values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size() - 1, rank == 0 ? 0 : rank - 1));
  std::nth_element(values.begin(), nth, values.end());
  return *nth;
}

}  // namespace

Result<std::vector<ReportStats>> Open311Reports::Statistics(const RequestContext& ctx, std::optional<Timestamp> start,
                                                            std::optional<Timestamp> end,
                                                            const std::vector<std::string>& services,
                                                            StatsGroup group, Timestamp now) const {
  auto catalogue = catalogues_.For(ctx);
  if (!catalogue.ok()) return catalogue.status();
  const std::int64_t span = options_.default_days * kMicrosPerDay;
  const Timestamp to = end ? *end : now;
  const Timestamp from = start ? *start : Timestamp{to.micros - span};
  if (to < from) return Status::BadRequestData("end_date is before start_date");

  struct Acc {
    ReportStats stats;
    std::array<std::size_t, 8> by_status{};  // by RequestStatus
    std::vector<double> ack_hours, resolve_hours;
    double rating_sum = 0;
  };
  std::vector<std::string> group_names;             // by group id
  std::unordered_map<std::uint32_t, Acc> groups;    // by group id
  Acc all;
  std::shared_lock lock(mu_);
  const Tenant* t = FindTenant(ctx.tenant);
  if (t != nullptr) {
    std::vector<char> service_ok(t->names.size(), services.empty());
    for (const std::string& code : services) {
      auto it = t->name_ids.find(code);
      if (it != t->name_ids.end()) service_ok[it->second] = 1;
    }
    // The group of each name id: the service or ward itself, or the service's department.
    std::vector<std::uint32_t> group_of(t->names.size());
    std::unordered_map<std::string, std::uint32_t> group_ids;
    for (std::uint32_t id = 0; id < t->names.size(); ++id) {
      std::string name = t->names[id];
      if (group == StatsGroup::kDepartment) {
        std::string department;
        for (const auto& d : **catalogue) department = d.code == name ? d.department : department;
        name = std::move(department);
      }
      auto [it, inserted] = group_ids.emplace(name, static_cast<std::uint32_t>(group_names.size()));
      if (inserted) group_names.push_back(name);
      group_of[id] = it->second;
    }
    auto first = std::lower_bound(t->rows.begin(), t->rows.end(), from.micros,
                                  [](const Row& r, std::int64_t v) { return r.requested < v; });
    for (auto it = first; it != t->rows.end() && it->requested <= to.micros; ++it) {
      const Row& row = *it;
      if (!service_ok[row.service]) continue;
      auto add = [&](Acc& a) {
        ReportStats& s = a.stats;
        ++s.total;
        ++a.by_status[static_cast<std::size_t>(row.status)];
        if (row.acknowledged != 0) {
          ++s.acknowledged;
          if (row.acknowledged <= row.acknowledge_by) ++s.acknowledged_on_time;
          a.ack_hours.push_back(static_cast<double>(row.acknowledged - row.requested) / 3.6e9);
        }
        if (row.resolved != 0) {
          ++s.resolved;
          if (row.resolved <= row.expected) ++s.resolved_on_time;
          a.resolve_hours.push_back(static_cast<double>(row.resolved - row.requested) / 3.6e9);
        }
        if (row.duplicate_of == 0 && t->Open(row) &&
            now.micros > (row.status == RequestStatus::kReceived ? row.acknowledge_by : row.expected)) {
          ++s.overdue;
        }
        if (row.rating != 0) {
          ++s.ratings;
          a.rating_sum += row.rating;
        }
      };
      add(all);
      if (group == StatsGroup::kNone) continue;
      add(groups[group_of[group == StatsGroup::kWard ? row.ward : row.service]]);
    }
  }
  std::vector<ReportStats> out;
  auto finish = [&](Acc& a, std::string key) {
    ReportStats s = std::move(a.stats);
    s.key = std::move(key);
    for (std::size_t i = 0; i < a.by_status.size(); ++i) {
      if (a.by_status[i] != 0) {
        s.by_status[std::string(domain::open311::StatusName(static_cast<RequestStatus>(i)))] = a.by_status[i];
      }
    }
    if (!a.ack_hours.empty()) {
      s.acknowledge_hours_median = Quantile(a.ack_hours, 0.5);
      s.acknowledge_hours_p90 = Quantile(a.ack_hours, 0.9);
    }
    if (!a.resolve_hours.empty()) {
      s.resolve_hours_median = Quantile(a.resolve_hours, 0.5);
      s.resolve_hours_p90 = Quantile(a.resolve_hours, 0.9);
    }
    if (s.ratings > 0) s.satisfaction_mean = a.rating_sum / static_cast<double>(s.ratings);
    out.push_back(std::move(s));
  };
  finish(all, "");
  std::vector<std::pair<std::string, Acc*>> named;
  for (auto& [id, acc] : groups) named.emplace_back(group_names[id], &acc);
  std::sort(named.begin(), named.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [name, acc] : named) finish(*acc, name);
  return out;
}

}  // namespace dothi::service
