#include "service/entity_service.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>
#include <set>

#include "core/flat_hash.h"
#include "core/hash.h"
#include "domain/query/safe_regex.h"
#include "geo/geometry.h"
#include "geo/spatial_index.h"
#include "service/history_recorder.h"

namespace dothi::service {

using domain::Entity;
namespace attr = domain::attr;

namespace {

constexpr std::size_t kMaxIdPatternLength = 256;    // characters; longer idPattern is refused
constexpr std::size_t kMaxIdPatternSubject = 4096;  // bytes; longer ids never match idPattern
constexpr std::string_view kNullValue = "urn:ngsi-ld:null";  // NGSI-LD's "delete this" value
constexpr std::string_view kScopeIri = "https://uri.etsi.org/ngsi-ld/scope";  // "scope" expanded

std::size_t StripeOf(std::string_view tenant, std::string_view id, std::size_t stripes) {
  const std::size_t h = std::hash<std::string_view>{}(id) * 31 + std::hash<std::string_view>{}(tenant);
  return h % stripes;
}

// The bounding box of a GeoJSON value; Points are read directly (the common case).
std::optional<geo::BBox> GeometryBox(const Json& v) {
  const Json* type = v.Find("type");
  const Json* coords = v.Find("coordinates");
  if (type != nullptr && type->is_string() && type->AsString() == "Point" && coords != nullptr &&
      coords->is_array() && coords->size() >= 2 && coords->AsArray()[0].is_number() &&
      coords->AsArray()[1].is_number()) {
    return geo::BBox::OfPoint(coords->AsArray()[0].AsDouble(), coords->AsArray()[1].AsDouble());
  }
  Result<geo::Geometry> g = geo::Geometry::FromGeoJson(v);
  if (!g.ok()) return std::nullopt;
  return g->bbox();
}

std::optional<geo::BBox> LocationBox(const Entity& e) {
  const Json::Array* insts = e.FindAttr(domain::kLocationIri);
  if (insts == nullptr) return std::nullopt;
  geo::BBox box;  // empty
  for (const Json& inst : *insts) {
    const Json* v = inst.Find(attr::kValue);
    if (v == nullptr) continue;
    if (std::optional<geo::BBox> g = GeometryBox(*v)) box.Extend(*g);
  }
  if (box.empty()) return std::nullopt;
  return box;
}

std::string NowIso(const RequestContext& ctx) {
  return FormatIso8601(ctx.received_at.micros != 0 ? ctx.received_at : Now());
}

// A member of an instance that is a sub-attribute (an object under a name that is not one
// of the instance's own members).
bool IsSubAttribute(std::string_view key, const Json& value) {
  return !attr::IsReservedMember(key) && value.is_object();
}

// Stamps createdAt/modifiedAt on an instance and its sub-attributes; keeps createdAt from
// the previous version of the instance when there is one.
void StampInstance(Json& inst, const std::string& now, const Json* previous) {
  const Json* prev_created = previous ? previous->Find(attr::kCreatedAt) : nullptr;
  inst.Set(attr::kCreatedAt, prev_created ? *prev_created : Json(now));
  inst.Set(attr::kModifiedAt, now);
  if (!inst.is_object()) return;
  for (auto& [k, v] : inst.AsObject()) {
    if (!IsSubAttribute(k, v)) continue;
    const Json* prev_sub = previous ? previous->Find(k) : nullptr;
    StampInstance(v, now, prev_sub);
  }
}

std::string DatasetOf(const Json& inst) {
  const Json* ds = inst.Find(attr::kDatasetId);
  return ds && ds->is_string() ? ds->AsString() : std::string();
}

// Index of the instance with the same datasetId in arr, or -1.
int FindSameDataset(const Json::Array& arr, const std::string& ds) {
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (DatasetOf(arr[i]) == ds) return static_cast<int>(i);
  }
  return -1;
}

// True when the instance's value is NGSI-LD Null ("urn:ngsi-ld:null"; for a LanguageProperty
// {"@none": null}; for a list, [null]): in merge and update it deletes the instance.
bool IsNullValue(const Json& inst) {
  const Json* t = inst.Find(attr::kType);
  const std::string_view member = attr::ValueMemberFor(t && t->is_string() ? t->AsString() : "");
  const Json* v = inst.Find(member);
  if (v == nullptr) return false;
  const auto is_null = [](const Json& x) { return x.is_string() && x.AsString() == kNullValue; };
  if (v->is_object()) {
    const Json* none = v->Find("@none");
    return v->size() == 1 && none != nullptr && is_null(*none);
  }
  if (v->is_array()) return v->size() == 1 && is_null(v->AsArray().front());
  return is_null(*v);
}

// Removes the instance with inst's datasetId from attribute iri; false when there is none.
bool RemoveInstance(Entity& e, const std::string& iri, const Json& inst) {
  Json* existing = e.attrs.Find(iri);
  if (existing == nullptr) return false;
  const int at = FindSameDataset(existing->AsArray(), DatasetOf(inst));
  if (at < 0) return false;
  existing->AsArray().erase(existing->AsArray().begin() + at);
  if (existing->AsArray().empty()) e.attrs.Erase(iri);
  return true;
}

// Writes instances into an attribute's instance array, replacing instances with the same
// datasetId. Stamps times.
void PutInstancesInto(Json& existing, const Json& instances, const std::string& now) {
  for (const Json& inst : instances.AsArray()) {
    Json copy = inst;
    const std::string ds = DatasetOf(inst);
    const int at = FindSameDataset(existing.AsArray(), ds);
    if (at >= 0) {
      StampInstance(copy, now, &existing.AsArray()[at]);
      existing.AsArray()[at] = std::move(copy);
    } else {
      StampInstance(copy, now, nullptr);
      existing.Push(std::move(copy));
    }
  }
}

// Writes the instances of one attribute into e (see PutInstancesInto).
void PutInstances(Entity& e, const std::string& iri, const Json& instances, const std::string& now) {
  Json* existing = e.attrs.Find(iri);
  if (existing == nullptr) existing = &e.attrs.Set(iri, Json::MakeArray());
  PutInstancesInto(*existing, instances, now);
}

// True when every instance of `instances` has one with the same datasetId in `existing`
// (what noOverwrite keeps).
bool AllInstancesExist(const Json::Array& existing, const Json& instances) {
  for (const Json& inst : instances.AsArray()) {
    if (FindSameDataset(existing, DatasetOf(inst)) < 0) return false;
  }
  return true;
}

// An instance's kind ("Property", ...): its "type", "" when absent.
std::string_view KindOf(const Json& inst) {
  const Json* k = inst.Find(attr::kType);
  return k != nullptr && k->is_string() ? std::string_view(k->AsString()) : std::string_view();
}

// The kinds of an attribute's instances, in order: part of an entity's shape.
std::vector<std::string> KindsOf(const Json& instances) {
  std::vector<std::string> kinds;
  for (const Json& inst : instances.AsArray()) kinds.emplace_back(KindOf(inst));
  return kinds;
}

// Merges src into dst (JSON merge patch semantics for one instance): members replace,
// sub-attributes merge recursively, "urn:ngsi-ld:null" removes a sub-attribute.
void MergeInstance(Json& dst, const Json& src, const std::string& now) {
  for (const auto& [k, v] : src.AsObject()) {
    if (k == attr::kCreatedAt || k == attr::kModifiedAt) continue;
    if (IsSubAttribute(k, v)) {
      if (IsNullValue(v)) {
        dst.Erase(k);
        continue;
      }
      Json* sub = dst.Find(k);
      if (sub != nullptr && sub->is_object()) {
        MergeInstance(*sub, v, now);
      } else {
        Json copy = v;
        StampInstance(copy, now, nullptr);
        dst.Set(k, std::move(copy));
      }
      continue;
    }
    dst.Set(k, v);
  }
  dst.Set(attr::kModifiedAt, now);
}

void StampEntity(Entity& e, const std::string& now_iso, Timestamp now, const Entity* previous) {
  e.created_at = previous ? previous->created_at : now;
  e.modified_at = now;
  for (auto& [iri, arr] : e.attrs.AsObject()) {
    const Json* prev = previous ? previous->attrs.Find(iri) : nullptr;
    for (Json& inst : arr.AsArray()) {
      const Json* prev_inst = nullptr;
      if (prev != nullptr) {
        const int at = FindSameDataset(prev->AsArray(), DatasetOf(inst));
        if (at >= 0) prev_inst = &prev->AsArray()[at];
      }
      StampInstance(inst, now_iso, prev_inst);
    }
  }
}

// Adds types the entity does not have yet; true when any was added.
bool AddTypes(Entity& e, const std::vector<std::string>& types) {
  bool added = false;
  for (const auto& t : types) {
    if (!e.HasType(t)) {
      e.types.push_back(t);
      added = true;
    }
  }
  return added;
}

// Scopes of b not in a, appended to a (both arrays of strings).
Json JoinScopes(Json a, const Json& b) {
  for (const Json& s : b.AsArray()) {
    bool have = false;
    for (const Json& x : a.AsArray()) have = have || x == s;
    if (!have) a.Push(s);
  }
  return a;
}

Timestamp WriteTime(const RequestContext& ctx) {
  return ctx.received_at.micros != 0 ? ctx.received_at : Now();
}

}  // namespace

// One tenant's entities and indexes. Slots live in a deque so that their addresses stay put
// as the tenant grows.
//
// Entities of one kind look alike: the same types and the same attributes of the same
// kinds. That "shape" is interned once and counted, so discovery (/types, /attributes) and
// type filters work per shape, not per entity, and an update that keeps the shape touches
// no counter.
struct EntityService::TenantIndex {
  struct Slot {
    std::string id;
    std::string bytes;        // Entity::Encode
    std::uint32_t shape = 0;  // index into shapes
    bool live = false;
  };
  struct Shape {
    std::vector<std::string> types;
    std::vector<std::pair<std::string, std::vector<std::string>>> attrs;  // IRI, kinds
    std::size_t count = 0;  // live entities of this shape
  };

  std::deque<Slot> slots;
  std::vector<std::uint32_t> free_slots;
  FlatHash<std::uint32_t> by_id;  // HashBytes(id) -> slot; Slot::id tells equal hashes apart
  std::vector<Shape> shapes;
  std::unordered_map<std::string, std::uint32_t> shape_ids;  // ShapeKey -> index
  geo::SpatialIndex spatial;
  std::size_t live = 0;

  // The slot holding entity id, or nullptr.
  const std::uint32_t* SlotOf(std::string_view id) const {
    return by_id.Find(HashBytes(id), [&](std::uint32_t slot) { return slots[slot].id == id; });
  }

  // Types, then each attribute with the kinds of its instances, with separators that
  // cannot occur in IRIs.
  static std::string ShapeKey(const Entity& e) {
    std::string key;
    for (const auto& t : e.types) {
      key += t;
      key += '\x1f';
    }
    for (const auto& [iri, arr] : e.attrs.AsObject()) {
      key += '\x1e';
      key += iri;
      for (const Json& inst : arr.AsArray()) {
        key += '\x1f';
        if (const Json* k = inst.Find(attr::kType); k != nullptr && k->is_string()) key += k->AsString();
      }
    }
    return key;
  }

  std::uint32_t InternShape(const Entity& e) {
    std::string key = ShapeKey(e);
    auto it = shape_ids.find(key);
    if (it != shape_ids.end()) return it->second;
    Shape shape;
    shape.types = e.types;
    for (const auto& [iri, arr] : e.attrs.AsObject()) {
      std::vector<std::string> kinds;
      for (const Json& inst : arr.AsArray()) {
        const Json* k = inst.Find(attr::kType);
        if (k == nullptr || !k->is_string()) continue;
        if (std::find(kinds.begin(), kinds.end(), k->AsString()) == kinds.end()) {
          kinds.push_back(k->AsString());
        }
      }
      shape.attrs.emplace_back(iri, std::move(kinds));
    }
    const auto id = static_cast<std::uint32_t>(shapes.size());
    shapes.push_back(std::move(shape));
    shape_ids.emplace(std::move(key), id);
    return id;
  }
};

EntityService::EntityService(storage::EntityStore& store, EntityServiceOptions options)
    : store_(store), options_(options) {}

EntityService::~EntityService() = default;

EntityService::TenantIndex* EntityService::FindTenant(std::string_view tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? nullptr : it->second.get();
}

EntityService::TenantIndex& EntityService::TenantFor(std::string_view tenant) {
  auto it = tenants_.find(tenant);
  if (it != tenants_.end()) return *it->second;
  auto [ins, ok] = tenants_.emplace(std::string(tenant), std::make_unique<TenantIndex>());
  (void)ok;
  return *ins->second;
}

void EntityService::IndexRemove(TenantIndex& t, std::string_view id) {
  const std::uint32_t* found = t.SlotOf(id);
  if (found == nullptr) return;
  const std::uint32_t slot = *found;
  t.by_id.Erase(HashBytes(id), [&](std::uint32_t s) { return s == slot; });
  TenantIndex::Slot& s = t.slots[slot];
  --t.shapes[s.shape].count;
  t.spatial.Remove(slot);
  s = TenantIndex::Slot{};
  t.free_slots.push_back(slot);
  --t.live;
}

void EntityService::IndexReplaceBytes(TenantIndex& t, std::string_view id, std::string bytes) {
  const std::uint32_t* slot = t.SlotOf(id);
  if (slot == nullptr) return;  // cannot happen: the writer holds the entity's lock
  std::string& slot_bytes = t.slots[*slot].bytes;
  slot_bytes = std::move(bytes);
  slot_bytes.shrink_to_fit();
}

void EntityService::IndexPut(TenantIndex& t, const Entity& e, std::string bytes) {
  const std::uint32_t shape = t.InternShape(e);
  std::optional<geo::BBox> box = LocationBox(e);
  const std::uint32_t* found = t.SlotOf(e.id);
  std::uint32_t slot;
  if (found != nullptr) {
    // In place: the slot, its id and its by_id entry stay.
    slot = *found;
    --t.shapes[t.slots[slot].shape].count;
    if (!box) t.spatial.Remove(slot);
  } else {
    if (!t.free_slots.empty()) {
      slot = t.free_slots.back();
      t.free_slots.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(t.slots.size());
      t.slots.emplace_back();
    }
    TenantIndex::Slot& s = t.slots[slot];
    s.id = e.id;
    s.live = true;
    t.by_id.Insert(HashBytes(s.id), slot);
    ++t.live;
  }
  TenantIndex::Slot& s = t.slots[slot];
  s.bytes = std::move(bytes);
  s.bytes.shrink_to_fit();
  s.shape = shape;
  ++t.shapes[shape].count;
  if (box) t.spatial.Insert(slot, *box);
}

namespace {

// Rows handed from the scanning thread to the indexing thread during Load.
struct LoadedRow {
  std::string tenant;
  std::string bytes;
};

// A small bounded hand-off queue of row batches; Close() ends Pop() once it is drained.
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}
  void Push(std::vector<LoadedRow> batch) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_; });
    queue_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  std::optional<std::vector<LoadedRow>> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !queue_.empty() || closed_; });
    if (queue_.empty()) return std::nullopt;
    std::vector<LoadedRow> batch = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return batch;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::vector<LoadedRow>> queue_;
  std::size_t capacity_;
  bool closed_ = false;
};

constexpr std::size_t kLoadBatchRows = 1024;  // rows per hand-off during Load
constexpr std::size_t kLoadQueueBatches = 8;  // batches in flight during Load

}  // namespace

Status EntityService::Load() {
  std::unique_lock lock(mu_);
  tenants_.clear();
  // Two stages on two threads: this one scans the store, the other decodes and indexes
  // (decoded trees are made and freed on one thread). Only the indexer touches tenants_
  // until it is joined; the lock above keeps everyone else out.
  BatchQueue queue(kLoadQueueBatches);
  Status decode_error;
  std::thread indexer([&] {
    while (std::optional<std::vector<LoadedRow>> batch = queue.Pop()) {
      for (LoadedRow& row : *batch) {
        Result<Entity> e = Entity::Decode(row.bytes);
        if (!e.ok()) {
          decode_error = e.status();
          continue;
        }
        IndexPut(TenantFor(row.tenant), *e, std::move(row.bytes));
      }
    }
  });
  std::vector<LoadedRow> batch;
  Status s = store_.ScanAll([&](std::string_view tenant, std::string_view, std::string_view bytes) {
    batch.push_back({std::string(tenant), std::string(bytes)});
    if (batch.size() == kLoadBatchRows) {
      queue.Push(std::move(batch));
      batch.clear();
    }
  });
  if (!batch.empty()) queue.Push(std::move(batch));
  queue.Close();
  indexer.join();
  DOTHI_RETURN_IF_ERROR(s);
  return decode_error;
}

bool EntityService::TenantExists(std::string_view tenant) const {
  if (tenant.empty()) return true;
  std::shared_lock lock(mu_);
  return FindTenant(tenant) != nullptr;
}

std::vector<std::pair<std::string, std::size_t>> EntityService::EntityCounts() const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const auto& [name, t] : tenants_) out.emplace_back(name, t->live);
  return out;
}

void EntityService::ForEachOfType(const RequestContext& ctx, std::string_view type_iri,
                                  const std::function<void(const domain::Entity&)>& fn) const {
  std::shared_lock lock(mu_);
  const TenantIndex* t = FindTenant(ctx.tenant);
  if (t == nullptr) return;
  std::vector<char> typed(t->shapes.size(), 0);
  for (std::size_t i = 0; i < t->shapes.size(); ++i) {
    const auto& types = t->shapes[i].types;
    typed[i] = std::find(types.begin(), types.end(), type_iri) != types.end();
  }
  for (const TenantIndex::Slot& s : t->slots) {
    if (!s.live || !typed[s.shape]) continue;
    Result<Entity> e = Entity::Decode(s.bytes);
    if (e.ok()) fn(*e);
  }
}

Result<Entity> EntityService::Get(const RequestContext& ctx, std::string_view id) const {
  std::shared_lock lock(mu_);
  const TenantIndex* t = FindTenant(ctx.tenant);
  if (t == nullptr) {
    if (ctx.tenant.empty()) return Status::NotFound("entity not found", id);
    return Status::NonexistentTenant("tenant not found", ctx.tenant);
  }
  const std::uint32_t* slot = t->SlotOf(id);
  if (slot == nullptr) return Status::NotFound("entity not found", id);
  return Entity::Decode(t->slots[*slot].bytes);
}

Result<QueryResult> EntityService::Query(const RequestContext& ctx, const EntityQuery& query) const {
  if (query.limit > options_.max_page_size) {
    return Status::TooManyResults("limit exceeds the maximum page size",
                                  std::to_string(options_.max_page_size));
  }
  if (query.offset > options_.max_offset) {
    return Status::BadRequestData("offset exceeds the maximum", std::to_string(options_.max_offset));
  }
  std::optional<domain::SafeRegex> id_re;
  if (query.id_pattern) {
    if (query.id_pattern->size() > kMaxIdPatternLength) {
      return Status::BadRequestData("idPattern too long");
    }
    Result<domain::SafeRegex> re = domain::SafeRegex::Compile(*query.id_pattern);
    if (!re.ok()) return Status::BadRequestData("invalid idPattern", re.status().message());
    id_re = std::move(*re);
  }

  QueryResult result;
  std::shared_lock lock(mu_);
  const TenantIndex* t = FindTenant(ctx.tenant);
  if (t == nullptr) {
    if (ctx.tenant.empty()) return result;
    return Status::NonexistentTenant("tenant not found", ctx.tenant);
  }

  // Shapes without the geoproperty, when a geo query keeps such entities.
  const bool keep_unplaced = query.geo && query.geo_keeps_unplaced;
  std::vector<char> unplaced(keep_unplaced ? t->shapes.size() : 0, 1);
  for (std::size_t i = 0; i < unplaced.size(); ++i) {
    for (const auto& [iri, kinds] : t->shapes[i].attrs) {
      if (iri == query.geo->geoproperty_iri) unplaced[i] = 0;
    }
  }

  // Candidate slots from the most selective index that applies.
  std::vector<std::uint32_t> candidates;
  bool all = false;
  if (!query.ids.empty()) {
    for (const auto& id : query.ids) {
      if (const std::uint32_t* slot = t->SlotOf(id)) candidates.push_back(*slot);
    }
  } else if (query.geo && query.geo->geoproperty_iri == domain::kLocationIri &&
             query.geo->rel != domain::GeoQuery::Rel::kDisjoint && !query.geo->min_distance) {
    t->spatial.Query(query.geo->SearchBox(), [&](std::uint64_t slot) {
      candidates.push_back(static_cast<std::uint32_t>(slot));
      return true;
    });
    if (keep_unplaced) {  // the index holds placed entities only
      for (std::uint32_t i = 0; i < t->slots.size(); ++i) {
        if (t->slots[i].live && unplaced[t->slots[i].shape]) candidates.push_back(i);
      }
    }
  } else {
    all = true;
  }
  if (!all) {
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  }

  // Which interned type lists the type expression accepts, decided once per list.
  std::vector<char> type_ok(t->shapes.size(), 1);
  if (query.types) {
    for (std::size_t i = 0; i < t->shapes.size(); ++i) {
      type_ok[i] = query.types->Matches(t->shapes[i].types);
    }
  }
  const bool needs_entity = query.q || query.geo || query.scope || query.modified_from ||
                            query.modified_to || query.matches;
  const std::size_t end = query.offset + query.limit;
  std::size_t matched = 0;
  auto consider = [&](std::uint32_t slot) -> bool {
    const TenantIndex::Slot& s = t->slots[slot];
    if (!s.live) return true;
    if (!type_ok[s.shape]) return true;
    if (id_re && !id_re->Search(s.id, kMaxIdPatternSubject)) return true;
    std::optional<Entity> decoded;
    if (needs_entity || (matched >= query.offset && matched < end)) {
      Result<Entity> e = Entity::Decode(s.bytes);
      if (!e.ok()) return true;
      decoded = std::move(*e);
      if (query.q && !query.q->Matches(*decoded)) return true;
      if (query.geo && !(keep_unplaced && unplaced[s.shape]) && !query.geo->Matches(*decoded)) {
        return true;
      }
      if (query.scope && !query.scope->Matches(decoded->scope)) return true;
      if (query.modified_from && decoded->modified_at < *query.modified_from) return true;
      if (query.modified_to && decoded->modified_at > *query.modified_to) return true;
      if (query.matches && !query.matches(*decoded)) return true;
    }
    if (matched >= query.offset && matched < end) result.entities.push_back(std::move(*decoded));
    ++matched;
    if (matched > end && !query.count) {
      result.more = true;
      return false;
    }
    return true;
  };
  if (all) {
    for (std::uint32_t i = 0; i < t->slots.size(); ++i) {
      if (!consider(i)) break;
    }
  } else {
    for (std::uint32_t slot : candidates) {
      if (!consider(slot)) break;
    }
  }
  result.total = matched;
  if (matched > end) result.more = true;
  return result;
}

Result<std::vector<TypeInfo>> EntityService::Types(const RequestContext& ctx) const {
  std::shared_lock lock(mu_);
  const TenantIndex* t = FindTenant(ctx.tenant);
  std::vector<TypeInfo> out;
  if (t == nullptr) {
    if (ctx.tenant.empty()) return out;
    return Status::NonexistentTenant("tenant not found", ctx.tenant);
  }
  std::map<std::string, std::pair<std::size_t, std::set<std::string>>> by_type;
  for (const auto& shape : t->shapes) {
    if (shape.count == 0) continue;
    for (const auto& type : shape.types) {
      auto& [count, attrs] = by_type[type];
      count += shape.count;
      for (const auto& [iri, kinds] : shape.attrs) attrs.insert(iri);
    }
  }
  for (auto& [type, info] : by_type) {
    out.push_back({type, info.first, std::vector<std::string>(info.second.begin(), info.second.end())});
  }
  return out;
}

Result<std::vector<AttributeInfo>> EntityService::Attributes(const RequestContext& ctx) const {
  std::shared_lock lock(mu_);
  const TenantIndex* t = FindTenant(ctx.tenant);
  std::vector<AttributeInfo> out;
  if (t == nullptr) {
    if (ctx.tenant.empty()) return out;
    return Status::NonexistentTenant("tenant not found", ctx.tenant);
  }
  struct Acc {
    std::size_t count = 0;
    std::set<std::string> types, kinds;
  };
  std::map<std::string, Acc> by_attr;
  for (const auto& shape : t->shapes) {
    if (shape.count == 0) continue;
    for (const auto& [iri, kinds] : shape.attrs) {
      Acc& a = by_attr[iri];
      a.count += shape.count;
      a.types.insert(shape.types.begin(), shape.types.end());
      a.kinds.insert(kinds.begin(), kinds.end());
    }
  }
  for (auto& [iri, a] : by_attr) {
    out.push_back({iri, a.count, std::vector<std::string>(a.types.begin(), a.types.end()),
                   std::vector<std::string>(a.kinds.begin(), a.kinds.end())});
  }
  return out;
}

// One ApplyAsync call on its way: the writes, their entity locks, and what the mutations
// made, kept until the commit reports back.
struct EntityService::ApplyOp {
  std::string tenant;
  std::vector<PendingWrite> writes;
  std::vector<std::size_t> stripes;
  ApplyCallback done;
  std::vector<Status> statuses;
  std::map<std::string, std::optional<Entity>> working;  // id -> new state (nullopt: deleted)
  std::vector<std::pair<const Entity*, std::string>> puts;  // into working, encoded
  std::vector<std::string> deletes;
  // States before the mutations, kept only when a change listener watches the tenant.
  std::map<std::string, std::optional<Entity>> before;
  // RequestContext::finish_on of the caller: where the commit's outcome is handled.
  TaskRunner finish_on;
};

void EntityService::Commit(const std::shared_ptr<ApplyOp>& op,
                           std::vector<storage::EntityWrite> writes,
                           storage::EntityStore::CommitCallback done) {
  // With finish_on the outcome is handled on the caller's thread, which allocated most of
  // what it frees; the store hands it there from its writer.
  if (op->finish_on) {
    return store_.CommitAsyncFinishingOn(std::move(writes), op->finish_on, std::move(done));
  }
  store_.CommitAsync(std::move(writes), std::move(done));
}

void EntityService::Publish(std::string_view tenant, const Entity* before, const Entity* after) {
  if (before == nullptr && after == nullptr) return;
  listener_->OnEntityChange(tenant, before, after);
}

bool EntityService::RunPatch(const std::shared_ptr<ApplyOp>& op) {
  PendingWrite& w = op->writes.front();
  std::string current;
  {
    std::shared_lock lock(mu_);
    const TenantIndex* t = FindTenant(op->tenant);
    if (t == nullptr) return false;
    const std::uint32_t* slot = t->SlotOf(w.id);
    if (slot == nullptr) return false;
    current = t->slots[*slot].bytes;
  }
  std::optional<Result<EncodedChange>> change = w.patch(current);
  if (!change) return false;
  if (!change->ok()) {
    op->statuses.push_back(change->status());
    Finish(op, std::move(op->statuses));
    return true;
  }
  op->statuses.push_back(Status::OK());
  if (!(*change)->bytes) {
    Finish(op, std::move(op->statuses));
    return true;
  }
  std::string bytes = std::move(*(*change)->bytes);
  const bool same_shape = (*change)->same_shape;
  std::vector<storage::EntityWrite> store_writes(1);
  store_writes[0].kind = storage::EntityWrite::Kind::kPut;
  store_writes[0].tenant = op->tenant;
  store_writes[0].id = w.id;
  store_writes[0].bytes = bytes;
  if (options_.record_history) store_writes[0].history = std::move((*change)->history);
  std::optional<std::string> before;  // for the change listener
  if (Watched(op->tenant)) before = std::move(current);
  Commit(op, std::move(store_writes), [this, op, bytes = std::move(bytes), same_shape,
                                       before = std::move(before)](Status s) mutable {
    PatchCommitted(op, std::move(s), std::move(bytes), same_shape, std::move(before));
  });
  return true;
}

void EntityService::PatchCommitted(const std::shared_ptr<ApplyOp>& op, Status s,
                                   std::string bytes, bool same_shape,
                                   std::optional<std::string> before) {
  if (!s.ok()) return Finish(op, std::move(s));
  const std::string& id = op->writes.front().id;
  // Decoded for the listener before the bytes move into the index; told after it, so a
  // notification's receiver reading the entity sees this state.
  std::optional<Entity> was, now;
  if (before) {
    Result<Entity> w = Entity::Decode(*before);
    Result<Entity> n = Entity::Decode(bytes);
    if (w.ok() && n.ok()) {
      was = std::move(*w);
      now = std::move(*n);
    }
  }
  if (same_shape) {
    std::unique_lock lock(mu_);
    IndexReplaceBytes(TenantFor(op->tenant), id, std::move(bytes));
  } else {
    Result<Entity> e = Entity::Decode(bytes);
    if (!e.ok()) return Finish(op, e.status());  // cannot happen: we just encoded it
    std::unique_lock lock(mu_);
    IndexPut(TenantFor(op->tenant), *e, std::move(bytes));
  }
  if (was && now) Publish(op->tenant, &*was, &*now);
  Finish(op, std::move(op->statuses));
}

void EntityService::ApplyAsync(const RequestContext& ctx, std::vector<PendingWrite> writes,
                               ApplyCallback done) {
  auto op = std::make_shared<ApplyOp>();
  op->tenant = ctx.tenant;
  op->writes = std::move(writes);
  op->done = std::move(done);
  op->finish_on = ctx.finish_on;
  // Entity locks in ascending order, so two batches never wait on each other in a cycle.
  for (const auto& w : op->writes) op->stripes.push_back(StripeOf(ctx.tenant, w.id, kLockStripes));
  std::sort(op->stripes.begin(), op->stripes.end());
  op->stripes.erase(std::unique(op->stripes.begin(), op->stripes.end()), op->stripes.end());
  locks_.Acquire(op->stripes, [this, op] { RunLocked(op); });
}

void EntityService::RunLocked(const std::shared_ptr<ApplyOp>& op) {
  if (op->writes.size() == 1 && op->writes.front().patch && RunPatch(op)) return;
  // Current states, then each mutation in input order over a working copy.
  std::map<std::string, std::optional<Entity>>& working = op->working;
  {
    std::shared_lock lock(mu_);
    const TenantIndex* t = FindTenant(op->tenant);
    for (const auto& w : op->writes) {
      if (working.count(w.id)) continue;
      std::optional<Entity> cur;
      if (t != nullptr) {
        if (const std::uint32_t* slot = t->SlotOf(w.id)) {
          Result<Entity> e = Entity::Decode(t->slots[*slot].bytes);
          if (!e.ok()) {
            lock.unlock();
            return Finish(op, e.status());
          }
          cur = std::move(*e);
        }
      }
      working.emplace(w.id, std::move(cur));
    }
  }
  if (Watched(op->tenant) || options_.record_history) op->before = working;
  std::set<std::string> touched;
  for (auto& w : op->writes) {
    Result<std::optional<Entity>> next = w.mutate(working[w.id]);
    if (!next.ok()) {
      op->statuses.push_back(next.status());
      continue;
    }
    working[w.id] = std::move(*next);
    touched.insert(w.id);
    op->statuses.push_back(Status::OK());
  }
  if (touched.empty()) return Finish(op, std::move(op->statuses));

  std::vector<storage::EntityWrite> store_writes;
  for (const auto& id : touched) {
    const std::optional<Entity>& e = working[id];
    storage::EntityWrite w;
    w.tenant = op->tenant;
    w.id = id;
    if (e) {
      w.kind = storage::EntityWrite::Kind::kPut;
      w.bytes = e->Encode();
      op->puts.emplace_back(&*e, w.bytes);
    } else {
      w.kind = storage::EntityWrite::Kind::kDelete;
      op->deletes.push_back(id);
    }
    if (options_.record_history) {
      const std::optional<Entity>& was = op->before[id];
      history::RecordChange(was ? &*was : nullptr, e ? &*e : nullptr,
                            e ? e->modified_at : Now(), w);
    }
    store_writes.push_back(std::move(w));
  }
  Commit(op, std::move(store_writes), [this, op](Status s) { Committed(op, std::move(s)); });
}

void EntityService::Committed(const std::shared_ptr<ApplyOp>& op, Status s) {
  if (!s.ok()) return Finish(op, std::move(s));
  {
    std::unique_lock lock(mu_);
    TenantIndex& t = TenantFor(op->tenant);
    for (auto& [e, bytes] : op->puts) IndexPut(t, *e, std::move(bytes));
    for (const auto& id : op->deletes) IndexRemove(t, id);
  }
  if (listener_ != nullptr && !op->before.empty() && Watched(op->tenant)) {
    for (const auto& [e, bytes] : op->puts) {
      const std::optional<Entity>& was = op->before[e->id];
      Publish(op->tenant, was ? &*was : nullptr, e);
    }
    for (const auto& id : op->deletes) {
      const std::optional<Entity>& was = op->before[id];
      Publish(op->tenant, was ? &*was : nullptr, nullptr);
    }
  }
  Finish(op, std::move(op->statuses));
}

void EntityService::Finish(const std::shared_ptr<ApplyOp>& op, Result<std::vector<Status>> result) {
  // The next writer of these entities may start (on this thread) before done runs.
  locks_.Release(op->stripes);
  ApplyCallback done = std::move(op->done);
  done(std::move(result));
}

void EntityService::ApplyOneAsync(const RequestContext& ctx, std::string id, Mutation mutate,
                                  StatusCallback done, Patch patch) {
  std::vector<PendingWrite> writes;
  writes.push_back({std::move(id), std::move(mutate), std::move(patch)});
  ApplyAsync(ctx, std::move(writes), [done = std::move(done)](Result<std::vector<Status>> r) {
    done(r.ok() ? std::move(r->front()) : r.status());
  });
}

namespace {

// The mutations, shared by single and batch operations.

Result<std::optional<Entity>> DoCreate(const RequestContext& ctx, Entity entity,
                                       const std::optional<Entity>& cur) {
  if (cur) return Status::AlreadyExists("entity already exists", entity.id);
  StampEntity(entity, NowIso(ctx), WriteTime(ctx), nullptr);
  return std::optional<Entity>(std::move(entity));
}

Result<std::optional<Entity>> DoReplace(const RequestContext& ctx, Entity entity,
                                        const std::optional<Entity>& cur) {
  if (!cur) return Status::NotFound("entity not found", entity.id);
  if (entity.types.empty()) entity.types = cur->types;  // a replacement may omit the type
  StampEntity(entity, NowIso(ctx), WriteTime(ctx), nullptr);
  entity.created_at = cur->created_at;
  return std::optional<Entity>(std::move(entity));
}

Result<std::optional<Entity>> DoMerge(const RequestContext& ctx, const Entity& patch,
                                      std::optional<Entity> cur) {
  if (!cur) return Status::NotFound("entity not found", patch.id);
  const std::string now = NowIso(ctx);
  AddTypes(*cur, patch.types);
  if (!patch.scope.is_null()) cur->scope = patch.scope;
  for (const auto& [iri, arr] : patch.attrs.AsObject()) {
    for (const Json& inst : arr.AsArray()) {
      if (IsNullValue(inst)) {
        // Deletes the instance with that datasetId.
        Json* existing = cur->attrs.Find(iri);
        if (existing == nullptr) continue;
        const int at = FindSameDataset(existing->AsArray(), DatasetOf(inst));
        if (at >= 0) existing->AsArray().erase(existing->AsArray().begin() + at);
        if (existing->AsArray().empty()) cur->attrs.Erase(iri);
        continue;
      }
      Json* existing = cur->attrs.Find(iri);
      const int at = existing ? FindSameDataset(existing->AsArray(), DatasetOf(inst)) : -1;
      if (at >= 0) {
        MergeInstance(existing->AsArray()[at], inst, now);
      } else {
        Json one = Json::MakeArray();
        one.Push(inst);
        PutInstances(*cur, iri, one, now);
      }
    }
  }
  cur->modified_at = WriteTime(ctx);
  return std::optional<Entity>(std::move(*cur));
}

// The types and scope a batch entity brings to an append.
EntityMembers MembersOf(const Entity& e) {
  EntityMembers m;
  m.types = e.types;
  if (!e.scope.is_null()) m.scope = e.scope;
  return m;
}

Result<std::optional<Entity>> DoAppend(const RequestContext& ctx, std::string_view id,
                                       const Json& attrs, const EntityMembers& members,
                                       bool no_overwrite, AttrOutcome* outcome,
                                       std::optional<Entity> cur) {
  if (!cur) return Status::NotFound("entity not found", id);
  const std::string now = NowIso(ctx);
  AddTypes(*cur, members.types);
  if (members.scope) {
    cur->scope = no_overwrite && !cur->scope.is_null() ? JoinScopes(cur->scope, *members.scope)
                                                       : *members.scope;
  }
  for (const auto& [iri, arr] : attrs.AsObject()) {
    Json* existing = cur->attrs.Find(iri);
    if (no_overwrite && existing != nullptr) {
      if (AllInstancesExist(existing->AsArray(), arr)) {
        if (outcome) outcome->not_updated.emplace_back(iri, "attribute exists (noOverwrite)");
        continue;
      }
    }
    PutInstances(*cur, iri, arr, now);
    if (outcome) outcome->updated.push_back(iri);
  }
  cur->modified_at = WriteTime(ctx);
  return std::optional<Entity>(std::move(*cur));
}

Result<std::optional<Entity>> DoUpdate(const RequestContext& ctx, std::string_view id,
                                       const Json& attrs, const EntityMembers& members,
                                       AttrOutcome* outcome, std::optional<Entity> cur) {
  if (!cur) return Status::NotFound("entity not found", id);
  const std::string now = NowIso(ctx);
  bool any = AddTypes(*cur, members.types);
  if (members.scope) {
    if (cur->scope.is_null()) {
      outcome->not_updated.emplace_back("scope", "entity has no scope");
    } else {
      cur->scope = *members.scope;
      any = true;
    }
  }
  for (const auto& [iri, arr] : attrs.AsObject()) {
    bool missing = false;
    Json puts = Json::MakeArray();
    for (const Json& inst : arr.AsArray()) {
      if (IsNullValue(inst)) {
        missing = !RemoveInstance(*cur, iri, inst) || missing;
      } else {
        puts.Push(inst);
      }
    }
    if (puts.size() > 0) PutInstances(*cur, iri, puts, now);
    if (missing) {
      outcome->not_updated.emplace_back(iri, "attribute not found");
      if (puts.size() == 0) continue;
    }
    outcome->updated.push_back(iri);
    any = true;
  }
  if (any) cur->modified_at = WriteTime(ctx);
  return std::optional<Entity>(std::move(*cur));
}

}  // namespace

void EntityService::CreateAsync(const RequestContext& ctx, Entity entity, StatusCallback done) {
  std::string id = entity.id;
  ApplyOneAsync(ctx, std::move(id), [&ctx, e = std::move(entity)](std::optional<Entity> cur) {
    return DoCreate(ctx, e, cur);
  }, std::move(done));
}

void EntityService::ReplaceAsync(const RequestContext& ctx, Entity entity, StatusCallback done) {
  std::string id = entity.id;
  ApplyOneAsync(ctx, std::move(id), [&ctx, e = std::move(entity)](std::optional<Entity> cur) {
    return DoReplace(ctx, e, cur);
  }, std::move(done));
}

void EntityService::MergeAsync(const RequestContext& ctx, Entity patch, StatusCallback done) {
  std::string id = patch.id;
  ApplyOneAsync(ctx, std::move(id), [&ctx, p = std::move(patch)](std::optional<Entity> cur) {
    return DoMerge(ctx, p, std::move(cur));
  }, std::move(done));
}

void EntityService::DeleteAsync(const RequestContext& ctx, std::string id, StatusCallback done) {
  if (!TenantExists(ctx.tenant)) {
    return done(Status::NonexistentTenant("tenant not found", ctx.tenant));
  }
  std::string key = id;
  ApplyOneAsync(ctx, std::move(key),
                [id = std::move(id)](std::optional<Entity> cur) -> Result<std::optional<Entity>> {
                  if (!cur) return Status::NotFound("entity not found", id);
                  return std::optional<Entity>();
                },
                std::move(done));
}

namespace {

// The outcome a mutation fills in, reported once the write is durable.
EntityService::StatusCallback ReportOutcome(std::shared_ptr<AttrOutcome> outcome,
                                            EntityService::OutcomeCallback done) {
  return [outcome = std::move(outcome), done = std::move(done)](Status s) {
    if (!s.ok()) return done(std::move(s));
    done(std::move(*outcome));
  };
}

}  // namespace

namespace {

// What replacing a stored attribute's instances needs from them when they are one default
// instance (no datasetId) and so is the update, without sub-attributes: the stored
// instance's createdAt (StampInstance keeps it) and its kind (the entity's shape). Read from
// the encoding without decoding the instance. nullopt when the case is not that one (or the
// bytes are odd): the caller then decodes the attribute.
struct SoleInstance {
  Json stamp = Json::MakeObject();  // {"createdAt": ...} when the stored instance has one
  std::string kind;                 // its "type", "" when absent
};

bool IsSoleDefaultWithoutSubAttributes(const Json& instances) {
  if (!instances.is_array() || instances.size() != 1) return false;
  const Json& inst = instances.AsArray().front();
  if (!inst.is_object()) return false;
  for (const auto& [k, v] : inst.AsObject()) {
    if (k == attr::kDatasetId) return false;
    if (IsSubAttribute(k, v)) return false;
  }
  return true;
}

std::optional<SoleInstance> ReadSoleDefaultInstance(std::string_view encoding) {
  Result<std::size_t> n = Json::BinaryArraySize(encoding);
  if (!n.ok() || *n != 1) return std::nullopt;
  Result<std::string_view> element = Json::BinaryArrayElement(encoding, 0);
  if (!element.ok()) return std::nullopt;
  Result<Json::BinaryObjectCursor> members = Json::OpenBinaryObject(*element);
  if (!members.ok()) return std::nullopt;
  SoleInstance sole;
  while (members->walked < members->count) {
    Result<Json::BinaryMember> m = Json::NextBinaryMember(*members);
    if (!m.ok()) return std::nullopt;
    if (Json::BinaryKeyEquals(m->key, attr::kDatasetId)) return std::nullopt;
    const bool created = Json::BinaryKeyEquals(m->key, attr::kCreatedAt);
    if (!created && !Json::BinaryKeyEquals(m->key, attr::kType)) continue;
    Result<Json> v = Json::DecodeBinaryValue(m->value);
    if (!v.ok()) return std::nullopt;
    if (created) {
      sole.stamp.Set(attr::kCreatedAt, std::move(*v));
    } else if (v->is_string()) {
      sole.kind = v->AsString();
    }
  }
  return sole;
}

// DoAppend and DoUpdate on the encoded entity, decoding only the named attributes, for
// the common case: attributes only (no types, no scope) and no NGSI-LD Null. Both then
// replace or append every attribute (DoAppend skips existing ones under noOverwrite).
// nullopt when the case is not that one.
std::optional<Result<EncodedChange>> PatchAttrs(const RequestContext& ctx,
                                                std::string_view current, const Json& attrs,
                                                const EntityMembers& members, bool no_overwrite,
                                                AttrOutcome* outcome, bool record_history) {
  if (!members.types.empty() || members.scope) return std::nullopt;
  for (const auto& [iri, arr] : attrs.AsObject()) {
    for (const Json& inst : arr.AsArray()) {
      if (IsNullValue(inst)) return std::nullopt;
    }
  }
  Result<domain::EncodedEntity> e = domain::EncodedEntity::Open(current);
  if (!e.ok()) return Result<EncodedChange>(e.status());
  const std::string now = NowIso(ctx);
  EncodedChange change;
  change.same_shape = true;
  for (const auto& [iri, arr] : attrs.AsObject()) {
    Json instances;
    std::optional<SoleInstance> sole;
    if (!no_overwrite && IsSoleDefaultWithoutSubAttributes(arr)) {
      Result<std::optional<std::string_view>> stored = e->AttrEncoding(iri);
      if (!stored.ok()) return Result<EncodedChange>(stored.status());
      if (stored->has_value()) sole = ReadSoleDefaultInstance(**stored);
    }
    if (sole) {
      // The new instance replaces the stored one: what PutInstancesInto does, without
      // decoding the stored instance.
      instances = Json::MakeArray();
      Json copy = arr.AsArray().front();
      StampInstance(copy, now, &sole->stamp);
      if (KindOf(copy) != sole->kind || iri == domain::kLocationIri) change.same_shape = false;
      instances.Push(std::move(copy));
    } else {
      Result<std::optional<Json>> existing = e->Attr(iri);
      if (!existing.ok()) return Result<EncodedChange>(existing.status());
      if (no_overwrite && existing->has_value()) {
        if (AllInstancesExist((*existing)->AsArray(), arr)) {
          outcome->not_updated.emplace_back(iri, "attribute exists (noOverwrite)");
          continue;
        }
      }
      instances = existing->has_value() ? std::move(**existing) : Json::MakeArray();
      const std::vector<std::string> kinds_before = KindsOf(instances);
      PutInstancesInto(instances, arr, now);
      if (!existing->has_value() || KindsOf(instances) != kinds_before ||
          iri == domain::kLocationIri) {
        change.same_shape = false;
      }
    }
    Result<std::string_view> set = e->SetAttr(iri, instances);
    if (!set.ok()) return Result<EncodedChange>(set.status());
    const std::string_view encoded = *set;
    outcome->updated.push_back(iri);
    if (!record_history) continue;
    // History takes each written instance's bytes from the entity's new encoding.
    for (const Json& sent : arr.AsArray()) {
      const int at = FindSameDataset(instances.AsArray(), DatasetOf(sent));
      if (at < 0) continue;
      Result<std::string_view> inst =
          Json::BinaryArrayElement(encoded, static_cast<std::size_t>(at));
      if (!inst.ok()) return Result<EncodedChange>(inst.status());  // we just encoded it
      change.history.push_back(
          history::MakeInstance(iri, instances.AsArray()[at], *inst, WriteTime(ctx)));
    }
  }
  // DoUpdate leaves an entity where nothing applied alone; DoAppend always stamps it.
  if (outcome->updated.empty() && attrs.size() == 0) return Result<EncodedChange>(std::move(change));
  e->SetModifiedAt(WriteTime(ctx));
  change.bytes = e->Encode();
  return Result<EncodedChange>(std::move(change));
}

}  // namespace

void EntityService::AppendAttrsAsync(const RequestContext& ctx, std::string id, Json attrs,
                                     bool no_overwrite, EntityMembers members,
                                     OutcomeCallback done) {
  auto outcome = std::make_shared<AttrOutcome>();
  auto shared = std::make_shared<const std::pair<Json, EntityMembers>>(std::move(attrs),
                                                                       std::move(members));
  std::string key = id;
  ApplyOneAsync(ctx, std::move(key),
                [&ctx, id = std::move(id), shared, no_overwrite, outcome](std::optional<Entity> cur) {
                  return DoAppend(ctx, id, shared->first, shared->second, no_overwrite,
                                  outcome.get(), std::move(cur));
                },
                ReportOutcome(outcome, std::move(done)),
                [this, &ctx, shared, no_overwrite, outcome](std::string_view current) {
                  return PatchAttrs(ctx, current, shared->first, shared->second, no_overwrite,
                                    outcome.get(), options_.record_history);
                });
}

void EntityService::UpdateAttrsAsync(const RequestContext& ctx, std::string id, Json attrs,
                                     EntityMembers members, OutcomeCallback done) {
  auto outcome = std::make_shared<AttrOutcome>();
  auto shared = std::make_shared<const std::pair<Json, EntityMembers>>(std::move(attrs),
                                                                       std::move(members));
  std::string key = id;
  ApplyOneAsync(ctx, std::move(key),
                [&ctx, id = std::move(id), shared, outcome](std::optional<Entity> cur) {
                  return DoUpdate(ctx, id, shared->first, shared->second, outcome.get(),
                                  std::move(cur));
                },
                ReportOutcome(outcome, std::move(done)),
                [this, &ctx, shared, outcome](std::string_view current) {
                  return PatchAttrs(ctx, current, shared->first, shared->second, false,
                                    outcome.get(), options_.record_history);
                });
}

void EntityService::PartialAttrUpdateAsync(const RequestContext& ctx, std::string id,
                                           std::string attr_iri, Json instance,
                                           StatusCallback done) {
  std::string key = id;
  ApplyOneAsync(ctx, std::move(key), [&ctx, id = std::move(id), attr_iri = std::move(attr_iri),
                                      instance = std::move(instance)](std::optional<Entity> cur)
                                         -> Result<std::optional<Entity>> {
    if (!cur) return Status::NotFound("entity not found", id);
    Json* existing = cur->attrs.Find(attr_iri);
    if (existing == nullptr) return Status::NotFound("attribute not found", attr_iri);
    const int at = FindSameDataset(existing->AsArray(), DatasetOf(instance));
    if (at < 0) return Status::NotFound("attribute instance not found", DatasetOf(instance));
    Json& target = existing->AsArray()[at];
    if (IsNullValue(instance)) {
      // NGSI-LD Null deletes the instance (and the attribute with its last instance).
      RemoveInstance(*cur, attr_iri, instance);
      cur->modified_at = WriteTime(ctx);
      return std::optional<Entity>(std::move(*cur));
    }
    // A partial update keeps the attribute's type; naming another one is an error.
    const Json* new_type = instance.Find(attr::kType);
    const Json* old_type = target.Find(attr::kType);
    if (new_type != nullptr && old_type != nullptr && !(*new_type == *old_type)) {
      return Status::BadRequestData("a partial update cannot change the attribute type",
                                    new_type->is_string() ? new_type->AsString() : attr_iri);
    }
    MergeInstance(target, instance, NowIso(ctx));
    cur->modified_at = WriteTime(ctx);
    return std::optional<Entity>(std::move(*cur));
  }, std::move(done));
}

void EntityService::ReplaceAttrAsync(const RequestContext& ctx, std::string id,
                                     std::string attr_iri, Json instances, StatusCallback done) {
  std::string key = id;
  ApplyOneAsync(ctx, std::move(key), [&ctx, id = std::move(id), attr_iri = std::move(attr_iri),
                                      instances = std::move(instances)](std::optional<Entity> cur)
                                         -> Result<std::optional<Entity>> {
    if (!cur) return Status::NotFound("entity not found", id);
    Json* existing = cur->attrs.Find(attr_iri);
    if (existing == nullptr) return Status::NotFound("attribute not found", attr_iri);
    PutInstances(*cur, attr_iri, instances, NowIso(ctx));
    cur->modified_at = WriteTime(ctx);
    return std::optional<Entity>(std::move(*cur));
  }, std::move(done));
}

void EntityService::DeleteAttrAsync(const RequestContext& ctx, std::string id,
                                    std::string attr_iri, std::optional<std::string> dataset_id,
                                    bool delete_all, StatusCallback done) {
  std::string key = id;
  ApplyOneAsync(ctx, std::move(key), [id = std::move(id), attr_iri = std::move(attr_iri),
                                      dataset_id = std::move(dataset_id), delete_all,
                                      &ctx](std::optional<Entity> cur)
                                         -> Result<std::optional<Entity>> {
    if (!cur) return Status::NotFound("entity not found", id);
    if (attr_iri == kScopeIri) {
      // scope is deleted like an attribute (ETSI 013_04).
      if (cur->scope.is_null()) return Status::NotFound("entity has no scope", id);
      cur->scope = Json();
      cur->modified_at = WriteTime(ctx);
      return std::optional<Entity>(std::move(*cur));
    }
    Json* existing = cur->attrs.Find(attr_iri);
    if (existing == nullptr) return Status::NotFound("attribute not found", attr_iri);
    if (delete_all) {
      cur->attrs.Erase(attr_iri);
    } else {
      const int at = FindSameDataset(existing->AsArray(), dataset_id.value_or(""));
      if (at < 0) {
        return Status::NotFound("attribute instance not found",
                                dataset_id ? *dataset_id : std::string("default instance"));
      }
      existing->AsArray().erase(existing->AsArray().begin() + at);
      if (existing->AsArray().empty()) cur->attrs.Erase(attr_iri);
    }
    cur->modified_at = WriteTime(ctx);
    return std::optional<Entity>(std::move(*cur));
  }, std::move(done));
}

namespace {

Result<std::vector<BatchItemResult>> Collect(const std::vector<std::string>& ids,
                                             Result<std::vector<Status>> statuses) {
  if (!statuses.ok()) return statuses.status();
  std::vector<BatchItemResult> out;
  for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], (*statuses)[i]});
  return out;
}

}  // namespace

Result<std::vector<BatchItemResult>> EntityService::ApplyBatch(
    const RequestContext& ctx, std::vector<Entity> entities,
    const std::function<Mutation(Entity)>& make) {
  if (entities.size() > options_.max_batch_entities) {
    return Status::PayloadTooLarge("too many entities in batch",
                                   std::to_string(options_.max_batch_entities));
  }
  std::vector<std::string> ids;
  std::vector<PendingWrite> writes;
  for (auto& e : entities) {
    ids.push_back(e.id);
    std::string id = e.id;
    writes.push_back({std::move(id), make(std::move(e)), nullptr});
  }
  return Collect(ids, Apply(ctx, std::move(writes)));
}

Result<std::vector<BatchItemResult>> EntityService::BatchCreate(const RequestContext& ctx,
                                                                std::vector<Entity> entities) {
  return ApplyBatch(ctx, std::move(entities), [&ctx](Entity e) -> Mutation {
    return [&ctx, e = std::move(e)](std::optional<Entity> cur) { return DoCreate(ctx, e, cur); };
  });
}

Result<std::vector<BatchItemResult>> EntityService::BatchUpsert(const RequestContext& ctx,
                                                                std::vector<Entity> entities,
                                                                UpsertMode mode) {
  // Apply runs the mutations once each, in input order: created[i] belongs to entity i.
  std::vector<char> created;
  Result<std::vector<BatchItemResult>> results =
      ApplyBatch(ctx, std::move(entities), [&ctx, mode, &created](Entity e) -> Mutation {
        return [&ctx, mode, &created, e = std::move(e)](std::optional<Entity> cur)
                   -> Result<std::optional<Entity>> {
          created.push_back(!cur);
          if (!cur) return DoCreate(ctx, e, cur);
          if (mode == UpsertMode::kReplace) return DoReplace(ctx, e, cur);
          return DoAppend(ctx, e.id, e.attrs, MembersOf(e), false, nullptr, std::move(cur));
        };
      });
  if (results.ok() && created.size() == results->size()) {
    for (std::size_t i = 0; i < created.size(); ++i) (*results)[i].created = created[i];
  }
  return results;
}

Result<std::vector<BatchItemResult>> EntityService::BatchUpdate(const RequestContext& ctx,
                                                                std::vector<Entity> entities,
                                                                bool no_overwrite) {
  // Apply runs the mutations once each, in input order: outcomes[i] belongs to entity i.
  std::vector<AttrOutcome> outcomes;
  outcomes.reserve(entities.size());
  Result<std::vector<BatchItemResult>> results = ApplyBatch(
      ctx, std::move(entities), [&ctx, no_overwrite, &outcomes](Entity e) -> Mutation {
        return [&ctx, no_overwrite, &outcomes, e = std::move(e)](std::optional<Entity> cur) {
          outcomes.emplace_back();
          return DoAppend(ctx, e.id, e.attrs, MembersOf(e), no_overwrite, &outcomes.back(),
                          std::move(cur));
        };
      });
  if (!results.ok() || outcomes.size() != results->size()) return results;
  // Attributes kept under noOverwrite make the entity a partial success: a 207 names it
  // (ETSI 005_02_01), though what could be written was.
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (!(*results)[i].status.ok() || outcomes[i].not_updated.empty()) continue;
    std::string names;
    for (const auto& [iri, reason] : outcomes[i].not_updated) {
      if (!names.empty()) names += ", ";
      names += iri;
    }
    (*results)[i].status = Status::BadRequestData("attributes not updated (noOverwrite)", names);
  }
  return results;
}

Result<std::vector<BatchItemResult>> EntityService::BatchMerge(const RequestContext& ctx,
                                                               std::vector<Entity> entities) {
  return ApplyBatch(ctx, std::move(entities), [&ctx](Entity e) -> Mutation {
    return [&ctx, e = std::move(e)](std::optional<Entity> cur) {
      return DoMerge(ctx, e, std::move(cur));
    };
  });
}

Result<std::vector<BatchItemResult>> EntityService::BatchDelete(const RequestContext& ctx,
                                                                std::vector<std::string> ids) {
  if (ids.size() > options_.max_batch_entities) {
    return Status::PayloadTooLarge("too many entities in batch",
                                   std::to_string(options_.max_batch_entities));
  }
  std::vector<PendingWrite> writes;
  for (const auto& id : ids) {
    writes.push_back({id, [id](std::optional<Entity> cur) -> Result<std::optional<Entity>> {
                        if (!cur) return Status::NotFound("entity not found", id);
                        return std::optional<Entity>();
                      }, nullptr});
  }
  return Collect(ids, Apply(ctx, std::move(writes)));
}

}  // namespace dothi::service
