#include "storage/sqlite/sqlite_layer_store.h"

#include "storage/sqlite/sqlite_internal.h"

namespace dothi::storage::sqlite {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS layers("
    "  tenant TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, info BLOB NOT NULL,"
    "  PRIMARY KEY (tenant, name)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS layer_features("
    "  tenant TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  id TEXT NOT NULL, geometry BLOB, properties BLOB NOT NULL,"
    "  PRIMARY KEY (tenant, name, version, seq));";

Json InfoToJson(const domain::LayerInfo& info) {
  Json props = Json::MakeArray();
  for (const auto& p : info.properties) props.Push(Json(Json::Array{Json(p.name), Json(p.type)}));
  Json fields = Json::MakeArray();
  for (const auto& [f, p] : info.fields) fields.Push(Json(Json::Array{Json(f), Json(p)}));
  Json extent;
  if (!info.extent.empty()) {
    extent = Json(Json::Array{Json(info.extent.min_x), Json(info.extent.min_y),
                              Json(info.extent.max_x), Json(info.extent.max_y)});
  }
  return Json::MakeObject({{"title", info.title},
                           {"imported_at", info.imported_at.micros},
                           {"source", info.source},
                           {"source_crs", info.source_crs},
                           {"feature_count", static_cast<std::int64_t>(info.feature_count)},
                           {"extent", std::move(extent)},
                           {"properties", std::move(props)},
                           {"role", std::string(domain::LayerRoleName(info.role))},
                           {"fields", std::move(fields)}});
}

std::string StringAt(const Json& j, std::string_view key) {
  const Json* v = j.Find(key);
  return v != nullptr && v->is_string() ? v->AsString() : std::string();
}

Result<domain::LayerInfo> InfoFromRow(sqlite3_stmt* stmt) {
  domain::LayerInfo info;
  info.tenant = std::string(ColumnView(stmt, 0));
  info.name = std::string(ColumnView(stmt, 1));
  info.version = sqlite3_column_int64(stmt, 2);
  Result<Json> j = Json::DecodeBinary(ColumnView(stmt, 3));
  if (!j.ok()) return Status::Internal("corrupt layer description", info.tenant + "/" + info.name);
  info.title = StringAt(*j, "title");
  if (const Json* t = j->Find("imported_at"); t != nullptr && t->is_int()) {
    info.imported_at.micros = t->AsInt();
  }
  info.source = StringAt(*j, "source");
  info.source_crs = StringAt(*j, "source_crs");
  if (const Json* n = j->Find("feature_count"); n != nullptr && n->is_int()) {
    info.feature_count = static_cast<std::size_t>(n->AsInt());
  }
  if (const Json* e = j->Find("extent"); e != nullptr && e->is_array() && e->size() == 4) {
    const auto& a = e->AsArray();
    info.extent = geo::BBox{a[0].AsDouble(), a[1].AsDouble(), a[2].AsDouble(), a[3].AsDouble()};
  }
  if (const Json* ps = j->Find("properties"); ps != nullptr && ps->is_array()) {
    for (const Json& p : ps->AsArray()) {
      if (p.is_array() && p.size() == 2) {
        info.properties.push_back({p.AsArray()[0].AsString(), p.AsArray()[1].AsString()});
      }
    }
  }
  info.role = domain::ParseLayerRole(StringAt(*j, "role")).value_or(domain::LayerRole::kGeneral);
  if (const Json* fs = j->Find("fields"); fs != nullptr && fs->is_array()) {
    for (const Json& f : fs->AsArray()) {
      if (f.is_array() && f.size() == 2) {
        info.fields.emplace_back(f.AsArray()[0].AsString(), f.AsArray()[1].AsString());
      }
    }
  }
  return info;
}

}  // namespace

struct SqliteLayerStore::Impl {
  std::mutex mu;
  sqlite3* db = nullptr;
  StmtPtr list, version_of, insert_feature, upsert_layer, delete_version, delete_layer, load,
      data_version, update_info;
  ~Impl() {
    list.reset(); version_of.reset(); insert_feature.reset(); upsert_layer.reset();
    delete_version.reset(); delete_layer.reset(); load.reset(); data_version.reset();
    update_info.reset();
    if (db != nullptr) sqlite3_close(db);
  }

  // The stored version of a layer, 0 when absent.
  Result<std::int64_t> VersionOf(const std::string& tenant, const std::string& name) {
    ResetOnExit reset(version_of.get());
    DOTHI_RETURN_IF_ERROR(BindText(db, version_of.get(), 1, tenant));
    DOTHI_RETURN_IF_ERROR(BindText(db, version_of.get(), 2, name));
    int rc = sqlite3_step(version_of.get());
    if (rc == SQLITE_ROW) return sqlite3_column_int64(version_of.get(), 0);
    if (rc == SQLITE_DONE) return std::int64_t{0};
    return SqliteError(db, "cannot read layer version");
  }

  // Runs body in a write transaction: committed when it returns OK, rolled back otherwise.
  Status InWriteTransaction(const std::function<Status()>& body) {
    DOTHI_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", "cannot begin layer transaction"));
    Status s = body();
    if (s.ok()) s = Exec(db, "COMMIT", "cannot commit layer transaction");
    if (!s.ok()) (void)Exec(db, "ROLLBACK", "cannot roll back layer transaction");
    return s;
  }

  Status WriteLayerRow(const domain::LayerInfo& info) {
    std::string bytes;
    InfoToJson(info).EncodeBinary(bytes);
    DOTHI_RETURN_IF_ERROR(BindText(db, upsert_layer.get(), 1, info.tenant));
    DOTHI_RETURN_IF_ERROR(BindText(db, upsert_layer.get(), 2, info.name));
    sqlite3_bind_int64(upsert_layer.get(), 3, info.version);
    DOTHI_RETURN_IF_ERROR(BindBlob(db, upsert_layer.get(), 4, bytes));
    return StepDone(db, upsert_layer.get(), "cannot write layer", info.name);
  }

  Status DeleteVersion(const std::string& tenant, const std::string& name, std::int64_t version) {
    DOTHI_RETURN_IF_ERROR(BindText(db, delete_version.get(), 1, tenant));
    DOTHI_RETURN_IF_ERROR(BindText(db, delete_version.get(), 2, name));
    sqlite3_bind_int64(delete_version.get(), 3, version);
    return StepDone(db, delete_version.get(), "cannot delete layer features", name);
  }
};

SqliteLayerStore::SqliteLayerStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteLayerStore::~SqliteLayerStore() = default;

Result<std::unique_ptr<SqliteLayerStore>> SqliteLayerStore::Open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  DOTHI_RETURN_IF_ERROR(OpenDatabase(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 30000,
                                     &impl->db));
  sqlite3* db = impl->db;
  {
    StmtPtr wal;
    DOTHI_RETURN_IF_ERROR(Prepare(db, "PRAGMA journal_mode=WAL", &wal));
    if (sqlite3_step(wal.get()) != SQLITE_ROW) return SqliteError(db, "cannot set WAL mode");
  }
  DOTHI_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=FULL", "cannot set synchronous"));
  DOTHI_RETURN_IF_ERROR(Exec(db, kSchema, "cannot create layer tables"));
  DOTHI_RETURN_IF_ERROR(Prepare(db,
                                "SELECT tenant, name, version, info FROM layers "
                                "ORDER BY tenant, name",
                                &impl->list));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "SELECT version FROM layers WHERE tenant=?1 AND name=?2",
                                &impl->version_of));
  DOTHI_RETURN_IF_ERROR(Prepare(db,
                                "INSERT INTO layer_features(tenant, name, version, seq, id, "
                                "geometry, properties) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                &impl->insert_feature));
  DOTHI_RETURN_IF_ERROR(Prepare(db,
                                "INSERT OR REPLACE INTO layers(tenant, name, version, info) "
                                "VALUES (?1, ?2, ?3, ?4)",
                                &impl->upsert_layer));
  DOTHI_RETURN_IF_ERROR(Prepare(db,
                                "DELETE FROM layer_features WHERE tenant=?1 AND name=?2 AND "
                                "version=?3",
                                &impl->delete_version));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "DELETE FROM layers WHERE tenant=?1 AND name=?2",
                                &impl->delete_layer));
  DOTHI_RETURN_IF_ERROR(Prepare(db,
                                "SELECT id, geometry, properties FROM layer_features WHERE "
                                "tenant=?1 AND name=?2 AND version=?3 ORDER BY seq",
                                &impl->load));
  DOTHI_RETURN_IF_ERROR(Prepare(db, "PRAGMA data_version", &impl->data_version));
  return std::unique_ptr<SqliteLayerStore>(new SqliteLayerStore(std::move(impl)));
}

Result<std::vector<domain::LayerInfo>> SqliteLayerStore::List() {
  std::lock_guard lock(impl_->mu);
  sqlite3_stmt* stmt = impl_->list.get();
  ResetOnExit reset(stmt);
  std::vector<domain::LayerInfo> out;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Result<domain::LayerInfo> info = InfoFromRow(stmt);
    if (!info.ok()) return info.status();
    out.push_back(std::move(*info));
  }
  if (rc != SQLITE_DONE) return SqliteError(impl_->db, "cannot list layers");
  return out;
}

Result<std::int64_t> SqliteLayerStore::Replace(domain::LayerInfo& info,
                                               const std::vector<domain::LayerFeature>& features,
                                               std::optional<std::int64_t> expected_version) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  std::int64_t new_version = 0;
  Status s = m.InWriteTransaction([&]() -> Status {
    Result<std::int64_t> current = m.VersionOf(info.tenant, info.name);
    if (!current.ok()) return current.status();
    if (expected_version && *expected_version != *current) {
      return Status::Conflict("the layer changed meanwhile",
                              info.name + " is at version " + std::to_string(*current) +
                                  ", not " + std::to_string(*expected_version));
    }
    new_version = *current + 1;
    sqlite3_stmt* ins = m.insert_feature.get();
    std::string geometry, properties;
    std::int64_t seq = 0;
    for (const domain::LayerFeature& f : features) {
      DOTHI_RETURN_IF_ERROR(BindText(m.db, ins, 1, info.tenant));
      DOTHI_RETURN_IF_ERROR(BindText(m.db, ins, 2, info.name));
      sqlite3_bind_int64(ins, 3, new_version);
      sqlite3_bind_int64(ins, 4, seq++);
      DOTHI_RETURN_IF_ERROR(BindText(m.db, ins, 5, f.id));
      geometry.clear();
      if (f.geometry) {
        f.geometry->ToGeoJson().EncodeBinary(geometry);
        DOTHI_RETURN_IF_ERROR(BindBlob(m.db, ins, 6, geometry));
      } else {
        sqlite3_bind_null(ins, 6);
      }
      properties.clear();
      f.properties.EncodeBinary(properties);
      DOTHI_RETURN_IF_ERROR(BindBlob(m.db, ins, 7, properties));
      DOTHI_RETURN_IF_ERROR(StepDone(m.db, ins, "cannot write layer feature", f.id));
    }
    domain::LayerInfo stored = info;
    stored.version = new_version;
    DOTHI_RETURN_IF_ERROR(m.WriteLayerRow(stored));
    if (*current > 0) DOTHI_RETURN_IF_ERROR(m.DeleteVersion(info.tenant, info.name, *current));
    return Status::OK();
  });
  if (!s.ok()) return s;
  info.version = new_version;
  return new_version;
}

Status SqliteLayerStore::UpdateInfo(const domain::LayerInfo& info) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  return m.InWriteTransaction([&]() -> Status {
    Result<std::int64_t> current = m.VersionOf(info.tenant, info.name);
    if (!current.ok()) return current.status();
    if (*current == 0) return Status::NotFound("no such layer", info.name);
    if (*current != info.version) {
      return Status::Conflict("the layer changed meanwhile",
                              info.name + " is at version " + std::to_string(*current));
    }
    return m.WriteLayerRow(info);
  });
}

Status SqliteLayerStore::Load(const std::string& tenant, const std::string& name,
                              std::int64_t version,
                              const std::function<Status(domain::LayerFeature&&)>& fn) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  // One read transaction, so the version cannot be replaced half way.
  DOTHI_RETURN_IF_ERROR(Exec(m.db, "BEGIN", "cannot begin layer read"));
  struct EndRead {
    sqlite3* db;
    ~EndRead() { (void)Exec(db, "COMMIT", "cannot end layer read"); }
  } end{m.db};
  Result<std::int64_t> current = m.VersionOf(tenant, name);
  if (!current.ok()) return current.status();
  if (*current != version || version == 0) {
    return Status::NotFound("no such layer version", name + " v" + std::to_string(version));
  }
  sqlite3_stmt* stmt = m.load.get();
  ResetOnExit reset(stmt);
  DOTHI_RETURN_IF_ERROR(BindText(m.db, stmt, 1, tenant));
  DOTHI_RETURN_IF_ERROR(BindText(m.db, stmt, 2, name));
  sqlite3_bind_int64(stmt, 3, version);
  int rc;
  geo::GeometryLimits limits;
  limits.max_vertices = std::size_t{1} << 30;  // already validated at import
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    domain::LayerFeature f;
    f.id = std::string(ColumnView(stmt, 0));
    if (sqlite3_column_type(stmt, 1) != SQLITE_NULL) {
      Result<Json> g = Json::DecodeBinary(ColumnView(stmt, 1));
      if (!g.ok()) return Status::Internal("corrupt layer geometry", name + " " + f.id);
      Result<geo::Geometry> geometry = geo::Geometry::FromGeoJson(*g, limits);
      if (!geometry.ok()) return Status::Internal("corrupt layer geometry", name + " " + f.id);
      f.geometry = std::move(*geometry);
    }
    Result<Json> p = Json::DecodeBinary(ColumnView(stmt, 2));
    if (!p.ok()) return Status::Internal("corrupt layer properties", name + " " + f.id);
    f.properties = std::move(*p);
    DOTHI_RETURN_IF_ERROR(fn(std::move(f)));
  }
  if (rc != SQLITE_DONE) return SqliteError(m.db, "cannot read layer features");
  return Status::OK();
}

Status SqliteLayerStore::Delete(const std::string& tenant, const std::string& name,
                                std::optional<std::int64_t> expected_version) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  return m.InWriteTransaction([&]() -> Status {
    Result<std::int64_t> current = m.VersionOf(tenant, name);
    if (!current.ok()) return current.status();
    if (*current == 0) return Status::NotFound("no such layer", name);
    if (expected_version && *expected_version != *current) {
      return Status::Conflict("the layer changed meanwhile",
                              name + " is at version " + std::to_string(*current));
    }
    DOTHI_RETURN_IF_ERROR(m.DeleteVersion(tenant, name, *current));
    DOTHI_RETURN_IF_ERROR(BindText(m.db, m.delete_layer.get(), 1, tenant));
    DOTHI_RETURN_IF_ERROR(BindText(m.db, m.delete_layer.get(), 2, name));
    return StepDone(m.db, m.delete_layer.get(), "cannot delete layer", name);
  });
}

Result<std::uint64_t> SqliteLayerStore::ChangeCounter() {
  std::lock_guard lock(impl_->mu);
  sqlite3_stmt* stmt = impl_->data_version.get();
  ResetOnExit reset(stmt);
  if (sqlite3_step(stmt) != SQLITE_ROW) return SqliteError(impl_->db, "cannot read data_version");
  // data_version changes on other connections' commits; this connection's own commits are
  // counted by total_changes.
  return (static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 0)) << 32) ^
         static_cast<std::uint64_t>(sqlite3_total_changes64(impl_->db));
}

}  // namespace dothi::storage::sqlite
