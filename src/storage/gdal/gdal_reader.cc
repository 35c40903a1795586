#include "storage/gdal/gdal_reader.h"

#include <cpl_error.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <cmath>
#include <memory>
#include <mutex>
#include <unordered_set>

namespace dothi::storage::gdal {
namespace {

void RegisterOnce() {
  static std::once_flag once;
  std::call_once(once, [] { GDALAllRegister(); });
}

// Collects GDAL's errors of this thread instead of printing them.
class ErrorCapture {
 public:
  ErrorCapture() { CPLPushErrorHandlerEx(&ErrorCapture::Handler, this); }
  ~ErrorCapture() { CPLPopErrorHandler(); }
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;
  const std::string& last() const { return last_; }
  void Reset() {
    last_.clear();
    CPLErrorReset();
  }

 private:
  static void Handler(CPLErr cls, CPLErrorNum, const char* msg) {
    auto* self = static_cast<ErrorCapture*>(CPLGetErrorHandlerUserData());
    if (self != nullptr && cls >= CE_Failure && msg != nullptr) self->last_ = msg;
  }
  std::string last_;
};

struct DatasetCloser {
  void operator()(GDALDataset* ds) const { GDALClose(ds); }
};

Json Position(double x, double y) { return Json(Json::Array{Json(x), Json(y)}); }

Json LineCoords(const OGRSimpleCurve& line) {
  Json out = Json::MakeArray();
  for (int i = 0; i < line.getNumPoints(); ++i) out.Push(Position(line.getX(i), line.getY(i)));
  return out;
}

Json PolygonCoords(const OGRPolygon& poly) {
  Json rings = Json::MakeArray();
  if (const OGRLinearRing* ext = poly.getExteriorRing()) rings.Push(LineCoords(*ext));
  for (int i = 0; i < poly.getNumInteriorRings(); ++i) {
    rings.Push(LineCoords(*poly.getInteriorRing(i)));
  }
  return rings;
}

// Appends the parts of g of dimension dim (0, 1, 2) as GeoJSON coordinates; returns false
// when g has parts of another dimension.
bool CollectParts(const OGRGeometry& g, int dim, Json& parts) {
  const OGRwkbGeometryType t = wkbFlatten(g.getGeometryType());
  if (g.IsEmpty()) return true;
  switch (t) {
    case wkbPoint: {
      if (dim != 0) return false;
      const auto& p = *g.toPoint();
      parts.Push(Position(p.getX(), p.getY()));
      return true;
    }
    case wkbLineString:
    case wkbLinearRing:
      if (dim != 1) return false;
      parts.Push(LineCoords(*g.toSimpleCurve()));
      return true;
    case wkbPolygon:
      if (dim != 2) return false;
      parts.Push(PolygonCoords(*g.toPolygon()));
      return true;
    default:
      if (OGR_GT_IsSubClassOf(t, wkbGeometryCollection)) {
        for (const OGRGeometry* part : *g.toGeometryCollection()) {
          if (!CollectParts(*part, dim, parts)) return false;
        }
        return true;
      }
      return false;
  }
}

// The dimension of g's first non-empty part (-1 when empty).
int FirstDimension(const OGRGeometry& g) {
  if (g.IsEmpty()) return -1;
  const OGRwkbGeometryType t = wkbFlatten(g.getGeometryType());
  if (OGR_GT_IsSubClassOf(t, wkbGeometryCollection)) {
    for (const OGRGeometry* part : *g.toGeometryCollection()) {
      int d = FirstDimension(*part);
      if (d >= 0) return d;
    }
    return -1;
  }
  return g.getDimension();
}

// A GeoJSON-shaped geometry in source coordinates; null for an empty one; an error text for
// one we cannot keep.
Result<Json> ToJson(const OGRGeometry* in) {
  if (in == nullptr || in->IsEmpty()) return Json();
  std::unique_ptr<OGRGeometry> linear;
  const OGRGeometry* g = in;
  if (g->hasCurveGeometry(TRUE)) {
    linear.reset(g->getLinearGeometry());
    if (!linear) return Status::InvalidRequest("cannot linearise a curve");
    g = linear.get();
  }
  const int dim = FirstDimension(*g);
  if (dim < 0) return Json();
  Json parts = Json::MakeArray();
  if (!CollectParts(*g, dim, parts)) {
    return Status::InvalidRequest("a geometry collection mixing points, lines and polygons");
  }
  if (parts.size() == 0) return Json();
  const OGRwkbGeometryType t = wkbFlatten(g->getGeometryType());
  const bool multi = parts.size() > 1 || OGR_GT_IsSubClassOf(t, wkbGeometryCollection);
  static constexpr const char* kSingle[] = {"Point", "LineString", "Polygon"};
  static constexpr const char* kMulti[] = {"MultiPoint", "MultiLineString", "MultiPolygon"};
  if (!multi) {
    return Json::MakeObject({{"type", kSingle[dim]}, {"coordinates", parts.AsArray()[0]}});
  }
  return Json::MakeObject({{"type", kMulti[dim]}, {"coordinates", std::move(parts)}});
}

Json FieldValue(OGRFeature& f, int i) {
  if (!f.IsFieldSetAndNotNull(i)) return Json();
  const OGRFieldDefn* defn = f.GetFieldDefnRef(i);
  switch (defn->GetType()) {
    case OFTInteger:
      if (defn->GetSubType() == OFSTBoolean) return Json(f.GetFieldAsInteger(i) != 0);
      return Json(static_cast<std::int64_t>(f.GetFieldAsInteger(i)));
    case OFTInteger64: return Json(static_cast<std::int64_t>(f.GetFieldAsInteger64(i)));
    case OFTReal: {
      double d = f.GetFieldAsDouble(i);
      return std::isfinite(d) ? Json(d) : Json();
    }
    case OFTDate:
    case OFTDateTime:
    case OFTTime: {
      int y, mo, d, h, mi, tz;
      float s;
      if (!f.GetFieldAsDateTime(i, &y, &mo, &d, &h, &mi, &s, &tz)) return Json();
      char buf[64];
      if (defn->GetType() == OFTDate) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, mo, d);
      } else if (defn->GetType() == OFTTime) {
        std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", h, mi, static_cast<int>(s));
      } else {
        // tz: 0 unknown, 1 local, 100 UTC, 100 +/- 4 per hour.
        std::string zone;
        if (tz == 100) {
          zone = "Z";
        } else if (tz > 1) {
          int minutes = (tz - 100) * 15;
          char z[16];
          std::snprintf(z, sizeof z, "%c%02d:%02d", minutes < 0 ? '-' : '+', std::abs(minutes) / 60,
                        std::abs(minutes) % 60);
          zone = z;
        }
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d, h, mi,
                      static_cast<int>(s), zone.c_str());
      }
      return Json(std::string(buf));
    }
    default: return Json(std::string(f.GetFieldAsString(i)));
  }
}

SourceCrs DescribeCrs(const OGRSpatialReference* srs) {
  SourceCrs c;
  if (srs == nullptr) return c;
  c.present = true;
  OGRSpatialReference s(*srs);
  char* wkt = nullptr;
  const char* wkt_options[] = {"FORMAT=WKT2_2019", nullptr};
  if (s.exportToWkt(&wkt, wkt_options) == OGRERR_NONE && wkt != nullptr) c.wkt = wkt;
  CPLFree(wkt);
  const char* auth = s.GetAuthorityName(nullptr);
  if (auth == nullptr || std::string_view(auth) != "EPSG") {
    if (s.AutoIdentifyEPSG() == OGRERR_NONE) auth = s.GetAuthorityName(nullptr);
  }
  if (auth != nullptr && std::string_view(auth) == "EPSG") {
    if (const char* code = s.GetAuthorityCode(nullptr)) c.epsg = std::atoi(code);
  }
  c.geographic = s.IsGeographic() != 0;
  std::string datum;
  if (const char* d = s.GetAttrValue("DATUM")) datum = d;
  for (char& ch : datum) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  c.vn2000 = (datum.find("2000") != std::string::npos &&
              (datum.find("vietnam") != std::string::npos || datum.find("vn") != std::string::npos)) ||
             c.epsg == 4756 || (c.epsg >= 5896 && c.epsg <= 5899) ||
             (c.epsg >= 9205 && c.epsg <= 9218) || c.epsg == 3405 || c.epsg == 3406;
  const char* proj = s.GetAttrValue("PROJECTION");
  if (s.IsProjected() && proj != nullptr &&
      std::string_view(proj) == SRS_PT_TRANSVERSE_MERCATOR && s.GetLinearUnits() == 1.0) {
    c.transverse_mercator = true;
    c.lon_0 = s.GetNormProjParm(SRS_PP_CENTRAL_MERIDIAN, 0.0);
    c.k_0 = s.GetNormProjParm(SRS_PP_SCALE_FACTOR, 1.0);
    c.x_0 = s.GetNormProjParm(SRS_PP_FALSE_EASTING, 0.0);
    c.y_0 = s.GetNormProjParm(SRS_PP_FALSE_NORTHING, 0.0);
  }
  return c;
}

}  // namespace

Result<SourceLayer> ReadGisFile(const std::string& path, const SourceReadOptions& options) {
  RegisterOnce();
  ErrorCapture errors;
  CPLStringList open_options;
  // CSV: a WKT column or lon/lat columns; other drivers ignore these.
  open_options.SetNameValue("GEOM_POSSIBLE_NAMES", "wkt,WKT,geometry,geom,the_geom");
  open_options.SetNameValue("X_POSSIBLE_NAMES", "lon,lng,long,longitude,x,kinh_do");
  open_options.SetNameValue("Y_POSSIBLE_NAMES", "lat,latitude,y,vi_do");
  open_options.SetNameValue("KEEP_GEOM_COLUMNS", "NO");
  if (!options.encoding.empty()) open_options.SetNameValue("ENCODING", options.encoding.c_str());
  std::unique_ptr<GDALDataset, DatasetCloser> ds(GDALDataset::Open(
      path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, open_options.List(), nullptr));
  if (!ds) {
    return Status::InvalidRequest("cannot open the file as GIS data",
                                  path + (errors.last().empty() ? "" : ": " + errors.last()));
  }
  errors.Reset();  // what the drivers that declined the file said
  SourceLayer out;
  out.driver = ds->GetDriver() != nullptr ? ds->GetDriver()->GetDescription() : "";
  OGRLayer* layer = nullptr;
  std::string names;
  for (OGRLayer* l : ds->GetLayers()) names += (names.empty() ? "" : ", ") + std::string(l->GetName());
  if (!options.layer.empty()) {
    layer = ds->GetLayerByName(options.layer.c_str());
    if (layer == nullptr) return Status::InvalidRequest("no such layer in the file", "it has: " + names);
  } else if (ds->GetLayerCount() == 1) {
    layer = ds->GetLayer(0);
  } else {
    return Status::InvalidRequest(
        ds->GetLayerCount() == 0 ? "the file has no layer" : "the file has several layers: name one",
        names);
  }
  out.layer_name = layer->GetName();
  out.crs = DescribeCrs(layer->GetSpatialRef());

  OGRFeatureDefn* defn = layer->GetLayerDefn();
  int id_index = -1;
  if (!options.id_field.empty()) {
    id_index = defn->GetFieldIndex(options.id_field.c_str());
    if (id_index < 0) return Status::InvalidRequest("the layer has no such field", options.id_field);
  }
  const GIntBig count = layer->GetFeatureCount(TRUE);
  const std::size_t total = count > 0 ? static_cast<std::size_t>(count) : 0;
  out.features.reserve(total);
  std::unordered_set<std::string> ids;
  std::size_t seq = 0;
  layer->ResetReading();
  for (auto& feature : *layer) {
    ++seq;
    SourceFeature f;
    if (id_index >= 0) {
      if (!feature->IsFieldSetAndNotNull(id_index)) {
        return Status::InvalidRequest("a feature has no id in " + options.id_field,
                                      "feature number " + std::to_string(seq));
      }
      f.id = feature->GetFieldAsString(id_index);
    } else {
      GIntBig fid = feature->GetFID();
      f.id = std::to_string(fid != OGRNullFID ? fid : static_cast<GIntBig>(seq));
    }
    if (f.id.empty() || !ids.insert(f.id).second) {
      return Status::InvalidRequest("feature ids must be unique and not empty",
                                    "'" + f.id + "' (feature number " + std::to_string(seq) + ")");
    }
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
      f.properties.Set(defn->GetFieldDefn(i)->GetNameRef(), FieldValue(*feature, i));
    }
    Result<Json> g = ToJson(feature->GetGeometryRef());
    if (!g.ok()) {
      out.unreadable.emplace_back(f.id, g.status().message());
      continue;
    }
    f.geometry = std::move(*g);
    out.features.push_back(std::move(f));
    if (options.progress && seq % 1000 == 0) options.progress(seq, total);
  }
  if (!errors.last().empty()) {
    return Status::InvalidRequest("cannot read the file", path + ": " + errors.last());
  }
  if (options.progress) options.progress(seq, total);
  return out;
}

}  // namespace dothi::storage::gdal
