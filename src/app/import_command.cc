#include "app/import_command.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "geo/crs.h"
#include "service/layer_service.h"
#include "storage/gdal/gdal_reader.h"
#include "storage/sqlite/sqlite_layer_store.h"

namespace dothi::app {
namespace {

// "[#########           ] 45%  9000/20000" redrawn on stderr.
void DrawProgress(std::size_t done, std::size_t total) {
  constexpr int kWidth = 30;
  if (total == 0) {
    std::fprintf(stderr, "\r%zu features read", done);
  } else {
    const int filled = static_cast<int>(kWidth * done / total);
    std::fprintf(stderr, "\r[%.*s%*s] %3zu%%  %zu/%zu", filled,
                 "##############################", kWidth - filled, "", done * 100 / total, done,
                 total);
  }
  std::fflush(stderr);
}

}  // namespace

int RunImport(const ImportOptions& o, std::ostream& out, std::ostream& err) {
  auto fail = [&](const Status& s) {
    err << "dothi import: " << s.message() << "\n";
    return 1;
  };
  if (Status s = domain::ValidateLayerName(o.layer); !s.ok()) return fail(s);
  service::LayerImport request;
  request.name = o.layer;
  request.title = o.title;
  request.source_name = std::filesystem::path(o.file).filename().string();
  request.replace = o.replace || o.expected_version.has_value();
  request.expected_version = o.expected_version;
  request.dissolve_by = o.dissolve;
  if (o.invalid == "refuse") request.invalid = service::InvalidGeometryPolicy::kRefuse;
  else if (o.invalid != "repair") return fail(Status::InvalidRequest("--invalid is repair or refuse"));
  std::string srs_note;
  if (!o.srs.empty()) {
    Result<geo::Crs> crs = geo::ParseImportSrs(o.srs, &srs_note);
    if (!crs.ok()) return fail(crs.status());
    request.srs = *crs;
  }
  if (!o.role.empty()) {
    std::optional<domain::LayerRole> role = domain::ParseLayerRole(o.role);
    if (!role) {
      return fail(Status::InvalidRequest("--role is general, planning, parcel or administrative", o.role));
    }
    request.role = role;
  }
  if (!o.fields.empty()) {
    std::vector<std::pair<std::string, std::string>> fields;
    for (const std::string& f : o.fields) {
      std::size_t eq = f.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == f.size()) {
        return fail(Status::InvalidRequest("--field is FIELD=PROPERTY", f));
      }
      fields.emplace_back(f.substr(0, eq), f.substr(eq + 1));
    }
    request.fields = std::move(fields);
  }

  storage::SourceReadOptions read;
  read.layer = o.source_layer;
  read.id_field = o.id_field;
  read.encoding = o.encoding;
  const bool bar = o.progress && isatty(STDERR_FILENO) != 0;
  if (bar) read.progress = DrawProgress;
  Result<storage::SourceLayer> source = storage::gdal::ReadGisFile(o.file, read);
  if (bar) std::fprintf(stderr, "\n");
  if (!source.ok()) return fail(source.status());

  std::error_code ec;
  std::filesystem::create_directories(o.data_dir, ec);
  if (ec) return fail(Status::Unavailable("cannot create data directory", o.data_dir + ": " + ec.message()));
  auto store = storage::sqlite::SqliteLayerStore::Open(
      (std::filesystem::path(o.data_dir) / "layers.db").string());
  if (!store.ok()) return fail(store.status());
  service::LayerService layers(**store);
  if (Status s = layers.Refresh(); !s.ok()) return fail(s);
  RequestContext ctx;
  ctx.tenant = o.tenant == "_" ? std::string() : o.tenant;  // "_" is the default tenant, as for --ogc-tenant
  const std::size_t read_count = source->features.size();
  const std::string driver = source->driver;
  Result<service::LayerImportReport> report = layers.Import(ctx, request, std::move(*source));
  if (!report.ok()) return fail(report.status());
  const domain::LayerInfo& info = report->info;
  out << "imported " << info.feature_count << " features (" << read_count << " read, "
      << driver << ") into layer " << info.name << " of tenant " << info.tenant
      << ", version " << info.version << "\n";
  out << "coordinates read as " << report->crs << "\n";
  if (!info.extent.empty()) {
    out << "extent (CRS84): " << info.extent.min_x << " " << info.extent.min_y << " "
        << info.extent.max_x << " " << info.extent.max_y << "\n";
  }
  for (const std::string* note : {&srs_note, &report->note}) {
    if (!note->empty()) out << "note: " << *note << "\n";
  }
  if (!report->repaired.empty()) {
    out << report->repaired.size() << " invalid geometries repaired:\n";
    for (const auto& [id, reason] : report->repaired) out << "  " << id << ": " << reason << "\n";
  }
  return 0;
}

}  // namespace dothi::app
