#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/request_context.h"
#include "core/result.h"
#include "service/layer_service.h"

// PlanningService answers "tra cứu thông tin quy hoạch" over ctx.tenant's layers by role:
// what the zoning plans say at a point, the parcel there, and for a parcel (ward, map sheet,
// parcel number) the zones it overlaps with the share of its area in each. Stateless over
// LayerService snapshots; safe from any thread.
namespace dothi::service {

// One feature of one layer.
struct LayerHit {
  std::shared_ptr<const LayerData> layer;
  std::size_t index = 0;
  double share = 1.0;  // of the parcel's area inside this zone (parcel lookups only)

  const domain::LayerFeature& feature() const { return layer->features()[index]; }
  // The feature's value of a planning field, or nullptr when unmapped or absent.
  const Json* Field(std::string_view field) const;
};

struct PointLookup {
  double lon = 0, lat = 0;
  std::vector<LayerHit> zones;           // planning layers' features containing the point
  std::optional<LayerHit> parcel;        // the first parcel layer's parcel there
  std::vector<LayerHit> administrative;  // administrative units containing the point
};

struct ParcelLookup {
  LayerHit parcel;
  double area_m2 = 0;           // computed from the geometry
  std::vector<LayerHit> zones;  // overlapping zones, largest share first
};

struct SearchHit {
  LayerHit hit;
  std::string text;  // the matched value
};

class PlanningService {
 public:
  explicit PlanningService(LayerService& layers) : layers_(layers) {}

  // Errors: BadRequestData for a point outside Vietnam (with its islands) or outside the
  // tenant's area (its administrative units, else its planning and parcel layers' extent);
  // NotFound when the tenant has no planning, parcel or administrative layer.
  Result<PointLookup> AtPoint(const RequestContext& ctx, double lon, double lat) const;

  // The parcel by ward/commune (as written in the parcel layer; case, accents and a
  // leading "Phường"/"Xã" ignored), map sheet and parcel number.
  // Errors: NotFound (no such parcel, or no parcel layer), InvalidRequest (empty values).
  Result<ParcelLookup> Parcel(const RequestContext& ctx, std::string_view commune,
                              std::string_view sheet, std::string_view number) const;

  // Features of planning, parcel and administrative layers whose name-like fields (name,
  // plan_name, zone_code, commune, address) contain every word of text, accents and case
  // ignored ("quang ninh" finds "Quảng Ninh"). At most limit hits, layer by layer.
  Result<std::vector<SearchHit>> Search(const RequestContext& ctx, std::string_view text,
                                        std::size_t limit) const;

 private:
  LayerService& layers_;
};

// Vietnam's territory for lookups: mainland and islands (Hoàng Sa, Trường Sa) in a box.
bool InsideVietnam(double lon, double lat);

}  // namespace dothi::service
