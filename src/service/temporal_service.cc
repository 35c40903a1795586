#include "service/temporal_service.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "domain/entity.h"
#include "domain/query/safe_regex.h"
#include "service/history_recorder.h"

namespace dothi::service {

namespace attr = domain::attr;
using domain::temporal::AggrMethod;

namespace {

constexpr std::string_view kInstancePrefix = "urn:ngsi-ld:Instance:";
constexpr std::string_view kDeletedAt = "deletedAt";
constexpr std::size_t kMaxIdLength = 256;

bool IsDeletion(const Json& body) { return body.Contains(kDeletedAt); }

std::string_view TimeMemberName(TimeProperty p) {
  switch (p) {
    case TimeProperty::kCreatedAt: return attr::kCreatedAt;
    case TimeProperty::kModifiedAt: return attr::kModifiedAt;
    case TimeProperty::kDeletedAt: return kDeletedAt;
    default: return attr::kObservedAt;
  }
}

// The window as [from, to) in microseconds.
std::pair<std::int64_t, std::int64_t> Window(const TemporalQuery& q) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  switch (q.timerel) {
    case TimeRel::kBefore: return {kMin, q.time_at.micros};
    case TimeRel::kAfter: return {q.time_at.micros, kMax};
    case TimeRel::kBetween: return {q.time_at.micros, q.end_time_at.micros};
    default: return {kMin, kMax};
  }
}

std::vector<std::string> DecodeTypes(std::string_view bytes) {
  std::vector<std::string> out;
  Result<Json> j = Json::DecodeBinary(bytes);
  if (!j.ok() || !j->is_array()) return out;
  for (const Json& t : j->AsArray()) {
    if (t.is_string()) out.push_back(t.AsString());
  }
  return out;
}

// The value a distinctCount compares: the instance's value member as JSON text.
std::string ValueText(const Json& body) {
  const Json* type = body.Find(attr::kType);
  const std::string_view kind =
      type != nullptr && type->is_string() ? std::string_view(type->AsString()) : attr::kProperty;
  const Json* v = body.Find(attr::ValueMemberFor(kind));
  return v != nullptr ? v->Dump() : std::string();
}

bool Wanted(const std::vector<std::string>& attrs, std::string_view a) {
  return attrs.empty() || std::find(attrs.begin(), attrs.end(), a) != attrs.end();
}

// The time of a temporal API write: when the request arrived.
Timestamp WriteTime(const RequestContext& ctx) {
  return ctx.received_at.micros != 0 ? ctx.received_at : Now();
}

// A history edit of kind for the request's tenant and entity id.
storage::HistoryEdit MakeEdit(storage::HistoryEdit::Kind kind, const RequestContext& ctx,
                              std::string_view id) {
  storage::HistoryEdit edit;
  edit.kind = kind;
  edit.tenant = ctx.tenant;
  edit.entity = std::string(id);
  return edit;
}

// Every instance of an attributes object (iri -> array of instances) as stored history.
std::vector<storage::HistoryInstance> InstancesOf(const Json& attrs, Timestamp now) {
  std::vector<storage::HistoryInstance> out;
  for (const auto& [iri, instances] : attrs.AsObject()) {
    for (const Json& inst : instances.AsArray()) out.push_back(history::MakeInstance(iri, inst, now));
  }
  return out;
}

}  // namespace

std::string InstanceIdUri(std::int64_t id) {
  return std::string(kInstancePrefix) + std::to_string(id);
}

std::optional<std::int64_t> ParseInstanceIdUri(std::string_view uri) {
  if (uri.substr(0, kInstancePrefix.size()) != kInstancePrefix) return std::nullopt;
  std::string_view digits = uri.substr(kInstancePrefix.size());
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  std::int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

TemporalService::TemporalService(storage::HistoryStore& store, TemporalServiceOptions options)
    : store_(store), options_(std::move(options)) {}

TemporalService::~TemporalService() { Stop(); }

void TemporalService::StartRetention(std::chrono::seconds interval) {
  bool any = options_.default_retention_days > 0;
  for (const auto& [tenant, days] : options_.retention_days) any |= days > 0;
  if (!any || sweeper_.joinable()) return;
  sweeper_ = std::thread([this, interval] {
    std::unique_lock lock(sweep_mu_);
    while (!stopping_) {
      lock.unlock();
      Result<std::size_t> n = SweepRetention(Now());
      if (!n.ok()) {
        spdlog::warn("history retention sweep failed: {}", n.status().message());
      } else if (*n > 0) {
        spdlog::info("history retention sweep deleted {} instances", *n);
      }
      lock.lock();
      sweep_cv_.wait_for(lock, interval, [this] { return stopping_; });
    }
  });
}

void TemporalService::Stop() {
  {
    std::lock_guard lock(sweep_mu_);
    stopping_ = true;
  }
  stop_sweep_ = true;
  sweep_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

Result<std::optional<TemporalEntity>> TemporalService::Evolution(
    const RequestContext& ctx, const storage::HistoryEntity& entity, const TemporalQuery& query,
    bool* truncated_any, std::size_t* read_budget) {
  Result<std::vector<storage::HistorySeries>> series = store_.ListSeries(ctx.tenant, entity.id);
  if (!series.ok()) return series.status();
  // Plain variables, not a structured binding: lambdas capture them (clang 14).
  const std::pair<std::int64_t, std::int64_t> window = Window(query);
  const std::int64_t from = window.first, to = window.second;
  const bool by_t = query.time_property == TimeProperty::kObservedAt;
  const bool filters = query.q || query.geo;
  const bool aggregate = !query.aggr_methods.empty();
  bool numeric_only = aggregate;
  for (AggrMethod m : query.aggr_methods) numeric_only &= domain::temporal::IsNumeric(m);
  const std::string_view time_member = TimeMemberName(query.time_property);
  const std::size_t cap = options_.max_instances;

  TemporalEntity out;
  out.id = entity.id;
  out.types = DecodeTypes(entity.types);
  // Instances in the window of every attribute the filters need, for q and geoQ.
  domain::Entity window_entity;
  window_entity.id = entity.id;
  window_entity.types = out.types;

  for (const storage::HistorySeries& s : *series) {
    const bool wanted = Wanted(query.attrs, s.attr) &&
                        (!query.dataset_ids ||
                         std::find(query.dataset_ids->begin(), query.dataset_ids->end(),
                                   s.dataset_id) != query.dataset_ids->end());
    if (!wanted && !filters) continue;
    TemporalAttribute a;
    a.attr = s.attr;
    a.dataset_id = s.dataset_id;
    storage::HistoryRange range;
    if (by_t) {
      range.from = from;
      range.to = to;
    }
    range.need_bytes = !(wanted && numeric_only && !filters && by_t);
    // lastN and the cap are applied by the store when the window is on its time column.
    const bool store_limits = by_t && !aggregate && wanted && !filters;
    bool truncated = false;
    if (store_limits && query.last_n > 0) range.last_n = std::min(query.last_n, cap + 1);
    std::vector<domain::temporal::Sample> samples;
    std::size_t rows = 0;
    bool over_budget = false;
    Status read = store_.ReadSeries(ctx.tenant, s.id, range, [&](const storage::HistoryRow& row) {
      if (*read_budget == 0) {
        over_budget = true;
        return false;
      }
      --*read_budget;
      TemporalInstance inst;
      inst.id = row.instance;
      inst.t = Timestamp{row.time};
      if (range.need_bytes) {
        Result<Json> body = Json::DecodeBinary(row.bytes);
        if (!body.ok()) return true;  // unreadable row: skip rather than fail the query
        const bool deletion = IsDeletion(*body);
        if (query.time_property == TimeProperty::kDeletedAt ? !deletion : deletion) return true;
        if (!by_t) {
          const Json* t = body->Find(time_member);
          std::optional<Timestamp> when =
              t != nullptr && t->is_string() ? ParseIso8601(t->AsString()) : std::nullopt;
          if (!when || when->micros < from || when->micros >= to) return true;
          inst.t = *when;
        }
        inst.body = std::move(*body);
      }
      if (aggregate && wanted) {
        if (range.need_bytes) {
          const Json* type = inst.body.Find(attr::kType);
          if (type != nullptr && type->is_string()) a.kind = type->AsString();
        }
        // Numeric methods only see numbers (a deletion instance or a text has none).
        if (!numeric_only || row.number) {
          domain::temporal::Sample sample{inst.t, row.number, {}};
          if (!numeric_only) sample.value = ValueText(inst.body);
          samples.push_back(std::move(sample));
        }
        if (!filters) return true;
      }
      a.instances.push_back(std::move(inst));
      ++rows;
      // Without lastN the oldest cap + 1 tell whether the cap cut the series.
      return !(store_limits && query.last_n == 0 && rows > cap);
    });
    if (!read.ok()) return read;
    if (over_budget) {
      return Status::TooManyResults(
          "the query reads more instances than allowed (--max-temporal-read); narrow the window, "
          "the entities or the attributes",
          std::to_string(options_.max_read_instances));
    }
    if (!by_t) std::stable_sort(a.instances.begin(), a.instances.end(),
                                [](const TemporalInstance& x, const TemporalInstance& y) {
                                  return x.t < y.t;
                                });
    if (filters) {
      Json arr = Json::MakeArray();
      for (const TemporalInstance& inst : a.instances) arr.Push(inst.body);
      if (arr.size() > 0) {
        Json* existing = window_entity.attrs.Find(s.attr);
        if (existing == nullptr) {
          window_entity.attrs.Set(s.attr, std::move(arr));
        } else {
          for (Json& j : arr.AsArray()) existing->Push(std::move(j));
        }
      }
      if (!wanted) continue;
    }
    if (aggregate) {
      if (samples.empty()) continue;
      // The store hands instances over in time order; other time properties come unsorted.
      if (!by_t) {
        std::stable_sort(samples.begin(), samples.end(),
                         [](const auto& x, const auto& y) { return x.t < y.t; });
      }
      const Timestamp origin =
          query.timerel == TimeRel::kAfter || query.timerel == TimeRel::kBetween
              ? query.time_at
              : samples.front().t;
      const Timestamp single_end = query.timerel == TimeRel::kBetween ? query.end_time_at
                                   : query.timerel == TimeRel::kBefore
                                       ? query.time_at
                                       : Timestamp{samples.back().t.micros};
      a.buckets = domain::temporal::Aggregate(samples, query.aggr_methods, query.aggr_period,
                                              origin, single_end);
      a.instances.clear();
      // Only numbers have a number: without bodies, the attribute is a Property.
      if (a.kind.empty()) a.kind = std::string(attr::kProperty);
      // An attribute none of whose methods has a value (avg of a Relationship) is left out.
      bool any_value = false;
      for (const auto& b : a.buckets) {
        for (const auto& v : b.values) any_value |= v.has_value();
      }
      if (any_value) out.attrs.push_back(std::move(a));
      continue;
    }
    // lastN and the cap over what was read.
    std::vector<TemporalInstance>& v = a.instances;
    if (query.last_n > 0) {
      const std::size_t keep = std::min(query.last_n, cap);
      if (v.size() > keep) {
        truncated = query.last_n > cap;
        v.erase(v.begin(), v.end() - static_cast<std::ptrdiff_t>(keep));
      }
    } else if (v.size() > cap) {
      truncated = true;
      v.resize(cap);
    }
    if (v.empty()) continue;
    const Json* type = v.back().body.Find(attr::kType);
    a.kind = type != nullptr && type->is_string() ? type->AsString() : std::string(attr::kProperty);
    if (truncated) *truncated_any = true;
    out.attrs.push_back(std::move(a));
  }
  if (query.q && !query.q->Matches(window_entity)) return std::optional<TemporalEntity>();
  if (query.geo && !query.geo->Matches(window_entity)) return std::optional<TemporalEntity>();
  // Attributes the filters read but the projection did not ask for are gone already.
  return std::optional<TemporalEntity>(std::move(out));
}

namespace {

// The cap cut some attribute: cut every attribute of every entity to one range, so that
// the Content-Range describes the whole answer. Returns the range.
std::pair<Timestamp, Timestamp> CutToCommonRange(std::vector<TemporalEntity>& entities,
                                                 const TemporalQuery& q, std::size_t cap) {
  const bool descending = q.last_n > 0;
  std::optional<Timestamp> bound;  // ascending: min of truncated last; descending: max of first
  std::optional<Timestamp> first_seen, last_seen;
  for (const TemporalEntity& e : entities) {
    for (const TemporalAttribute& a : e.attrs) {
      if (a.instances.empty()) continue;
      const Timestamp lo = a.instances.front().t, hi = a.instances.back().t;
      if (!first_seen || lo < *first_seen) first_seen = lo;
      if (!last_seen || hi > *last_seen) last_seen = hi;
      if (a.instances.size() < cap) continue;
      if (!descending) bound = !bound || hi < *bound ? hi : *bound;
      else bound = !bound || lo > *bound ? lo : *bound;
    }
  }
  for (TemporalEntity& e : entities) {
    for (TemporalAttribute& a : e.attrs) {
      auto& v = a.instances;
      v.erase(std::remove_if(v.begin(), v.end(),
                             [&](const TemporalInstance& i) {
                               return descending ? i.t < *bound : i.t > *bound;
                             }),
              v.end());
    }
  }
  Timestamp start;
  if (!descending) {
    start = q.timerel == TimeRel::kAfter || q.timerel == TimeRel::kBetween ? q.time_at
                                                                           : *first_seen;
  } else {
    start = q.timerel == TimeRel::kBefore    ? q.time_at
            : q.timerel == TimeRel::kBetween ? q.end_time_at
                                             : *last_seen;
  }
  return {start, *bound};
}

}  // namespace

Result<TemporalResult> TemporalService::Retrieve(const RequestContext& ctx, std::string_view id,
                                                 const TemporalQuery& query) {
  Result<std::optional<storage::HistoryEntity>> e = store_.GetHistoryEntity(ctx.tenant, id);
  if (!e.ok()) return e.status();
  if (!e->has_value()) return Status::NotFound("entity not found", id);
  bool truncated = false;
  std::size_t budget = options_.max_read_instances;
  Result<std::optional<TemporalEntity>> evo = Evolution(ctx, **e, query, &truncated, &budget);
  if (!evo.ok()) return evo.status();
  if (!evo->has_value()) return Status::NotFound("entity not found", id);
  if (!query.attrs.empty() && (*evo)->attrs.empty()) {
    // Named attributes that the entity never had are a 404; ones with no instance in the
    // window are just empty.
    Result<std::vector<storage::HistorySeries>> series = store_.ListSeries(ctx.tenant, id);
    if (!series.ok()) return series.status();
    bool any = false;
    for (const auto& s : *series) any |= Wanted(query.attrs, s.attr);
    if (!any) return Status::NotFound("attribute not found", query.attrs.front());
  }
  TemporalResult result;
  result.entities.push_back(std::move(**evo));
  result.total = 1;
  if (truncated) {
    result.partial = true;
    auto [start, end] = CutToCommonRange(result.entities, query, options_.max_instances);
    result.range_start = start;
    result.range_end = end;
  }
  return result;
}

Result<TemporalResult> TemporalService::Query(const RequestContext& ctx,
                                              const TemporalQuery& query) {
  std::optional<domain::SafeRegex> pattern;
  if (query.id_pattern) {
    Result<domain::SafeRegex> re = domain::SafeRegex::Compile(*query.id_pattern);
    if (!re.ok()) return re.status();
    pattern = std::move(*re);
  }
  std::vector<storage::HistoryEntity> candidates;
  if (!query.ids.empty()) {
    std::set<std::string> ids(query.ids.begin(), query.ids.end());
    for (const std::string& id : ids) {
      Result<std::optional<storage::HistoryEntity>> e = store_.GetHistoryEntity(ctx.tenant, id);
      if (!e.ok()) return e.status();
      if (e->has_value()) candidates.push_back(std::move(**e));
    }
  } else {
    // Only the entities the id pattern and type expression let through are kept.
    Status s = store_.ScanHistoryEntities(ctx.tenant, [&](const storage::HistoryEntity& e) {
      if (pattern && !pattern->Search(e.id, kMaxIdLength)) return;
      if (query.types && !query.types->Matches(DecodeTypes(e.types))) return;
      candidates.push_back(e);
    });
    if (!s.ok()) return s;
  }
  TemporalResult result;
  bool truncated = false;
  std::size_t matched = 0;
  std::size_t budget = options_.max_read_instances;
  for (const storage::HistoryEntity& e : candidates) {
    if (pattern && !pattern->Search(e.id, kMaxIdLength)) continue;
    if (query.types && !query.types->Matches(DecodeTypes(e.types))) continue;
    if (!query.count && matched > query.offset + query.limit) break;  // one past: "more"
    bool t = false;
    Result<std::optional<TemporalEntity>> evo = Evolution(ctx, e, query, &t, &budget);
    if (!evo.ok()) return evo.status();
    if (!evo->has_value() || (*evo)->attrs.empty()) continue;
    if (matched >= query.offset && matched < query.offset + query.limit) {
      result.entities.push_back(std::move(**evo));
      truncated |= t;
    }
    ++matched;
  }
  result.total = matched;
  result.more = matched > query.offset + query.limit;
  if (truncated) {
    result.partial = true;
    auto [start, end] = CutToCommonRange(result.entities, query, options_.max_instances);
    result.range_start = start;
    result.range_end = end;
  }
  return result;
}

Status TemporalService::RequireEntity(const RequestContext& ctx, std::string_view id) {
  Result<std::optional<storage::HistoryEntity>> e = store_.GetHistoryEntity(ctx.tenant, id);
  if (!e.ok()) return e.status();
  if (!e->has_value()) return Status::NotFound("entity not found", id);
  return Status::OK();
}

Result<std::size_t> TemporalService::EditOne(storage::HistoryEdit edit) {
  std::vector<storage::HistoryEdit> edits;
  edits.push_back(std::move(edit));
  Result<std::vector<std::size_t>> done = store_.EditHistory(std::move(edits));
  if (!done.ok()) return done.status();
  return done->front();
}

Result<bool> TemporalService::CreateOrUpdate(const RequestContext& ctx, std::string_view id,
                                             const std::vector<std::string>& types,
                                             const Json& attrs) {
  Result<std::optional<storage::HistoryEntity>> existing = store_.GetHistoryEntity(ctx.tenant, id);
  if (!existing.ok()) return existing.status();
  std::vector<std::string> all;
  if (existing->has_value()) all = DecodeTypes((*existing)->types);
  for (const std::string& t : types) {
    if (std::find(all.begin(), all.end(), t) == all.end()) all.push_back(t);
  }
  storage::HistoryEdit edit = MakeEdit(storage::HistoryEdit::Kind::kAppend, ctx, id);
  edit.types = history::EncodeTypes(all);
  edit.instances = InstancesOf(attrs, WriteTime(ctx));
  // The same attribute, datasetId and observedAt replaces: delete those first. One read
  // per series over the span of the new times.
  std::vector<storage::HistoryEdit> edits;
  if (existing->has_value()) {
    Result<std::vector<storage::HistorySeries>> series = store_.ListSeries(ctx.tenant, id);
    if (!series.ok()) return series.status();
    for (const auto& s : *series) {
      std::set<std::int64_t> times;
      for (const storage::HistoryInstance& inst : edit.instances) {
        if (inst.attr == s.attr && inst.dataset_id == s.dataset_id) times.insert(inst.time);
      }
      if (times.empty()) continue;
      storage::HistoryRange r;
      r.from = *times.begin();
      r.to = *times.rbegin() + 1;
      r.need_bytes = false;
      Status read = store_.ReadSeries(ctx.tenant, s.id, r, [&](const storage::HistoryRow& row) {
        if (!times.count(row.time)) return true;
        storage::HistoryEdit del = MakeEdit(storage::HistoryEdit::Kind::kDeleteInstance, ctx, id);
        del.attr = s.attr;
        del.instance = row.instance;
        edits.push_back(std::move(del));
        return true;
      });
      if (!read.ok()) return read;
    }
  }
  edits.push_back(std::move(edit));
  Result<std::vector<std::size_t>> done = store_.EditHistory(std::move(edits));
  if (!done.ok()) return done.status();
  return !existing->has_value();
}

Status TemporalService::Append(const RequestContext& ctx, std::string_view id, const Json& attrs) {
  DOTHI_RETURN_IF_ERROR(RequireEntity(ctx, id));
  storage::HistoryEdit edit = MakeEdit(storage::HistoryEdit::Kind::kAppend, ctx, id);
  edit.instances = InstancesOf(attrs, WriteTime(ctx));
  return EditOne(std::move(edit)).status();
}

Status TemporalService::DeleteEntity(const RequestContext& ctx, std::string_view id) {
  Result<std::size_t> found = EditOne(MakeEdit(storage::HistoryEdit::Kind::kDeleteEntity, ctx, id));
  if (!found.ok()) return found.status();
  if (*found == 0) return Status::NotFound("entity not found", id);
  return Status::OK();
}

Status TemporalService::DeleteAttribute(const RequestContext& ctx, std::string_view id,
                                        std::string_view attr_iri,
                                        std::optional<std::string> dataset_id, bool delete_all) {
  DOTHI_RETURN_IF_ERROR(RequireEntity(ctx, id));
  storage::HistoryEdit edit = MakeEdit(storage::HistoryEdit::Kind::kDeleteAttr, ctx, id);
  edit.attr = std::string(attr_iri);
  edit.dataset_id = dataset_id.value_or("");
  edit.all_datasets = delete_all;
  Result<std::size_t> found = EditOne(std::move(edit));
  if (!found.ok()) return found.status();
  if (*found == 0) return Status::NotFound("attribute not found", attr_iri);
  return Status::OK();
}

Status TemporalService::ModifyInstance(const RequestContext& ctx, std::string_view id,
                                       std::string_view attr_iri, std::int64_t instance,
                                       const Json& fragment) {
  DOTHI_RETURN_IF_ERROR(RequireEntity(ctx, id));
  Result<std::vector<storage::HistorySeries>> series = store_.ListSeries(ctx.tenant, id);
  if (!series.ok()) return series.status();
  // Find the instance, merge the fragment into it, write it back under the same id.
  std::optional<Json> current;
  for (const auto& s : *series) {
    if (s.attr != attr_iri) continue;
    Status read = store_.ReadSeries(ctx.tenant, s.id, storage::HistoryRange{},
                                    [&](const storage::HistoryRow& row) {
                                      if (row.instance != instance) return true;
                                      Result<Json> body = Json::DecodeBinary(row.bytes);
                                      if (body.ok()) current = std::move(*body);
                                      return false;
                                    });
    if (!read.ok()) return read;
    if (current) break;
  }
  if (!current) {
    bool attr_known = false;
    for (const auto& s : *series) attr_known |= s.attr == attr_iri;
    return Status::NotFound(attr_known ? "attribute instance not found" : "attribute not found",
                            attr_known ? InstanceIdUri(instance) : std::string(attr_iri));
  }
  for (const auto& [k, v] : fragment.AsObject()) {
    if (k == attr::kType || k == attr::kDatasetId) continue;  // neither changes here
    current->Set(k, v);
  }
  const Timestamp now = WriteTime(ctx);
  current->Set(attr::kModifiedAt, Json(FormatIso8601(now)));
  storage::HistoryEdit edit = MakeEdit(storage::HistoryEdit::Kind::kReplaceInstance, ctx, id);
  edit.attr = std::string(attr_iri);
  edit.instance = instance;
  edit.instances.push_back(history::MakeInstance(attr_iri, *current, now));
  Result<std::size_t> found = EditOne(std::move(edit));
  if (!found.ok()) return found.status();
  if (*found == 0) return Status::NotFound("attribute instance not found", InstanceIdUri(instance));
  return Status::OK();
}

Status TemporalService::DeleteInstance(const RequestContext& ctx, std::string_view id,
                                       std::string_view attr_iri, std::int64_t instance) {
  DOTHI_RETURN_IF_ERROR(RequireEntity(ctx, id));
  storage::HistoryEdit edit = MakeEdit(storage::HistoryEdit::Kind::kDeleteInstance, ctx, id);
  edit.attr = std::string(attr_iri);
  edit.instance = instance;
  Result<std::size_t> found = EditOne(std::move(edit));
  if (!found.ok()) return found.status();
  if (*found == 0) return Status::NotFound("attribute instance not found", InstanceIdUri(instance));
  return Status::OK();
}

Status TemporalService::Backfill(storage::EntityStore& entities) {
  Result<bool> needed = store_.NeedsBackfill();
  if (!needed.ok()) return needed.status();
  if (!*needed) return Status::OK();
  constexpr std::size_t kBatch = 1000;
  std::vector<storage::HistoryEdit> edits;
  Status failed;
  std::size_t count = 0;
  const Timestamp now = Now();
  auto flush = [&] {
    if (edits.empty() || !failed.ok()) return;
    Result<std::vector<std::size_t>> done = store_.EditHistory(std::move(edits));
    if (!done.ok()) failed = done.status();
    edits.clear();
  };
  Status scanned = entities.ScanAll([&](std::string_view tenant, std::string_view id,
                                        std::string_view bytes) {
    Result<domain::Entity> e = domain::Entity::Decode(bytes);
    if (!e.ok()) return;
    storage::EntityWrite w;
    history::RecordChange(nullptr, &*e, e->modified_at.micros != 0 ? e->modified_at : now, w);
    storage::HistoryEdit edit;
    edit.kind = storage::HistoryEdit::Kind::kAppend;
    edit.tenant = std::string(tenant);
    edit.entity = std::string(id);
    edit.types = std::move(w.history_types);
    edit.instances = std::move(w.history);
    edits.push_back(std::move(edit));
    ++count;
    if (edits.size() >= kBatch) flush();
  });
  flush();
  DOTHI_RETURN_IF_ERROR(scanned);
  DOTHI_RETURN_IF_ERROR(failed);
  spdlog::info("history: recorded the current state of {} entities (first start with history on)",
               count);
  return store_.MarkBackfilled();
}

std::int64_t TemporalService::RetentionDays(std::string_view tenant) const {
  for (const auto& [t, days] : options_.retention_days) {
    if (t == tenant) return days;
  }
  return options_.default_retention_days;
}

Result<std::size_t> TemporalService::SweepRetention(Timestamp now, std::size_t max_series) {
  Result<std::vector<std::string>> tenants = store_.HistoryTenants();
  if (!tenants.ok()) return tenants.status();
  std::size_t deleted = 0;
  for (const std::string& tenant : *tenants) {
    if (stop_sweep_) break;
    const std::int64_t days = RetentionDays(tenant);
    if (days <= 0) continue;
    const std::int64_t cutoff = now.micros - days * 86'400'000'000;
    std::int64_t after = 0;
    for (;;) {
      Result<storage::PruneStep> step = store_.PruneHistory(tenant, cutoff, after, max_series);
      if (!step.ok()) return step.status();
      deleted += step->rows_deleted;
      after = step->next_series;
      if (step->done || stop_sweep_) break;
    }
  }
  return deleted;
}

}  // namespace dothi::service
