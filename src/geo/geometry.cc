#include "geo/geometry.h"

#include <geos_c.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <utility>

namespace dothi::geo {

namespace {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;
constexpr std::size_t kMaxPoolSlots = 16;  // GEOS contexts kept per pool

std::string NumberText(double d) { return ShortestNumberText(d); }

// ---------------------------------------------------------------------------------------
// Robust orientation (sign of the cross product), as GEOS computes it: a fast filter, then
// double-double arithmetic when the filter cannot decide.

struct DD {
  double hi;
  double lo;
};

DD TwoDiff(double a, double b) {
  double s = a - b;
  double bb = s - a;
  double err = (a - (s - bb)) - (b + bb);
  return {s, err};
}

DD Normalize(double hi, double lo) {
  double s = hi + lo;
  return {s, lo - (s - hi)};
}

DD Mul(DD a, DD b) {
  double p = a.hi * b.hi;
  double e = std::fma(a.hi, b.hi, -p);
  e += a.hi * b.lo + a.lo * b.hi;
  return Normalize(p, e);
}

DD Sub(DD a, DD b) {
  DD s = TwoDiff(a.hi, b.hi);
  s.lo += a.lo - b.lo;
  return Normalize(s.hi, s.lo);
}

int SignOf(double d) { return d > 0 ? 1 : (d < 0 ? -1 : 0); }

// 1 when q is left of p1->p2, -1 when right, 0 when collinear.
int OrientationIndex(Position p1, Position p2, Position q) {
  constexpr double kSafeEpsilon = 1e-15;
  double detleft = (p1.x - q.x) * (p2.y - q.y);
  double detright = (p1.y - q.y) * (p2.x - q.x);
  double det = detleft - detright;
  double detsum;
  if (detleft > 0) {
    if (detright <= 0) return SignOf(det);
    detsum = detleft + detright;
  } else if (detleft < 0) {
    if (detright >= 0) return SignOf(det);
    detsum = -detleft - detright;
  } else {
    return SignOf(det);
  }
  double errbound = kSafeEpsilon * detsum;
  if (det >= errbound || -det >= errbound) return SignOf(det);
  DD dx1 = TwoDiff(p2.x, p1.x);
  DD dy1 = TwoDiff(p2.y, p1.y);
  DD dx2 = TwoDiff(q.x, p2.x);
  DD dy2 = TwoDiff(q.y, p2.y);
  DD d = Sub(Mul(dx1, dy2), Mul(dy1, dx2));
  return d.hi != 0 ? SignOf(d.hi) : SignOf(d.lo);
}

bool OnSegment(Position a, Position b, Position p) {
  if (p.x < std::min(a.x, b.x) || p.x > std::max(a.x, b.x) || p.y < std::min(a.y, b.y) ||
      p.y > std::max(a.y, b.y)) {
    return false;
  }
  return OrientationIndex(a, b, p) == 0;
}

// ---------------------------------------------------------------------------------------
// Strip index: segments bucketed by horizontal strips of their y-range, so a point test
// looks only at the segments whose y-range may contain the point's y.

struct SegmentIndex {
  double y0 = 0;
  double inv_height = 0;
  std::uint32_t strips = 0;                // 0: no index, scan every segment
  std::vector<std::uint32_t> strip_start;  // strips + 1 offsets into segments
  std::vector<std::uint32_t> segments;     // first position index of each segment

  std::uint32_t StripOf(double y) const {
    double s = std::floor((y - y0) * inv_height);
    if (!(s > 0)) return 0;  // also NaN
    if (s >= strips) return strips - 1;
    return static_cast<std::uint32_t>(s);
  }
};

template <typename Fn>
void ForEachLine(const Geometry& g, Fn&& fn) {
  std::uint32_t start = 0;
  for (std::uint32_t end : g.line_ends()) {
    fn(start, end);
    start = end;
  }
}

SegmentIndex BuildSegmentIndex(const Geometry& g) {
  constexpr std::size_t kSegmentsPerStrip = 4;  // target density of the index
  constexpr std::size_t kMaxStrips = 1 << 16;
  constexpr std::size_t kMaxEntryFactor = 8;  // cap on index entries per segment
  SegmentIndex idx;
  std::size_t nseg = g.num_vertices() - g.line_ends().size();
  if (g.is_puntal() || nseg < 2 * kSegmentsPerStrip) return idx;
  const BBox& box = g.bbox();
  double height = box.max_y - box.min_y;
  if (!(height > 0)) return idx;
  std::size_t strips = std::clamp<std::size_t>(nseg / kSegmentsPerStrip, 1, kMaxStrips);
  const auto& pos = g.positions();
  for (;;) {
    idx.strips = static_cast<std::uint32_t>(strips);
    idx.y0 = box.min_y;
    idx.inv_height = static_cast<double>(strips) / height;
    std::size_t entries = 0;
    ForEachLine(g, [&](std::uint32_t s, std::uint32_t e) {
      for (std::uint32_t i = s; i + 1 < e; ++i) {
        entries += idx.StripOf(std::max(pos[i].y, pos[i + 1].y)) -
                   idx.StripOf(std::min(pos[i].y, pos[i + 1].y)) + 1;
      }
    });
    if (entries <= kMaxEntryFactor * nseg || strips == 1) break;
    strips /= 2;
  }
  idx.strip_start.assign(idx.strips + 1, 0);
  ForEachLine(g, [&](std::uint32_t s, std::uint32_t e) {
    for (std::uint32_t i = s; i + 1 < e; ++i) {
      std::uint32_t a = idx.StripOf(std::min(pos[i].y, pos[i + 1].y));
      std::uint32_t b = idx.StripOf(std::max(pos[i].y, pos[i + 1].y));
      for (std::uint32_t k = a; k <= b; ++k) ++idx.strip_start[k + 1];
    }
  });
  for (std::uint32_t k = 0; k < idx.strips; ++k) idx.strip_start[k + 1] += idx.strip_start[k];
  idx.segments.resize(idx.strip_start.back());
  std::vector<std::uint32_t> fill(idx.strip_start.begin(), idx.strip_start.end() - 1);
  ForEachLine(g, [&](std::uint32_t s, std::uint32_t e) {
    for (std::uint32_t i = s; i + 1 < e; ++i) {
      std::uint32_t a = idx.StripOf(std::min(pos[i].y, pos[i + 1].y));
      std::uint32_t b = idx.StripOf(std::max(pos[i].y, pos[i + 1].y));
      for (std::uint32_t k = a; k <= b; ++k) idx.segments[fill[k]++] = i;
    }
  });
  return idx;
}

// Calls fn(i) for each segment (positions i, i+1) whose y-range may contain y.
template <typename Fn>
void ForEachCandidateSegment(const Geometry& g, const SegmentIndex* idx, double y, Fn&& fn) {
  if (idx != nullptr && idx->strips > 0) {
    std::uint32_t s = idx->StripOf(y);
    for (std::uint32_t k = idx->strip_start[s]; k < idx->strip_start[s + 1]; ++k) {
      fn(idx->segments[k]);
    }
    return;
  }
  ForEachLine(g, [&](std::uint32_t s, std::uint32_t e) {
    for (std::uint32_t i = s; i + 1 < e; ++i) fn(i);
  });
}

// ---------------------------------------------------------------------------------------
// Point location (DE-9IM: interior, boundary or exterior of g).

enum class Location { kInterior, kBoundary, kExterior };

Location LocatePoint(const Geometry& g, const SegmentIndex* idx, Position p) {
  if (!g.bbox().ContainsPoint(p.x, p.y)) return Location::kExterior;
  const auto& pos = g.positions();
  if (g.is_puntal()) {
    for (const Position& q : pos) {
      if (q == p) return Location::kInterior;
    }
    return Location::kExterior;
  }
  if (g.is_lineal()) {
    bool on = false;
    ForEachCandidateSegment(g, idx, p.y, [&](std::uint32_t i) {
      if (!on && OnSegment(pos[i], pos[i + 1], p)) on = true;
    });
    if (!on) return Location::kExterior;
    // Mod-2 rule: the boundary is the endpoints of an odd number of non-closed lines.
    int endpoint_count = 0;
    ForEachLine(g, [&](std::uint32_t s, std::uint32_t e) {
      if (pos[s] == pos[e - 1]) return;
      endpoint_count += (pos[s] == p) + (pos[e - 1] == p);
    });
    return endpoint_count % 2 == 1 ? Location::kBoundary : Location::kInterior;
  }
  // Polygonal: ray crossing over every ring (GEOS RayCrossingCounter rules).
  bool on_boundary = false;
  std::uint32_t crossings = 0;
  ForEachCandidateSegment(g, idx, p.y, [&](std::uint32_t i) {
    if (on_boundary) return;
    Position p1 = pos[i];
    Position p2 = pos[i + 1];
    if (p1.x < p.x && p2.x < p.x) return;
    if (p == p2 || p == p1) {
      on_boundary = true;
      return;
    }
    if (p1.y == p.y && p2.y == p.y) {
      if (p.x >= std::min(p1.x, p2.x) && p.x <= std::max(p1.x, p2.x)) on_boundary = true;
      return;
    }
    if ((p1.y > p.y && p2.y <= p.y) || (p2.y > p.y && p1.y <= p.y)) {
      int orient = OrientationIndex(p1, p2, p);
      if (orient == 0) {
        on_boundary = true;
        return;
      }
      if (p2.y < p1.y) orient = -orient;
      if (orient > 0) ++crossings;
    }
  });
  if (on_boundary) return Location::kBoundary;
  return crossings % 2 == 1 ? Location::kInterior : Location::kExterior;
}

SpatialRelation Converse(SpatialRelation rel) {
  if (rel == SpatialRelation::kWithin) return SpatialRelation::kContains;
  if (rel == SpatialRelation::kContains) return SpatialRelation::kWithin;
  return rel;  // the others are symmetric
}

bool AllPositionsEqual(const Geometry& g, Position p) {
  if (!g.is_puntal()) return false;
  for (const Position& q : g.positions()) {
    if (!(q == p)) return false;
  }
  return true;
}

// "point rel g", given the point's location in g.
bool PointRelation(const Geometry& g, const SegmentIndex* idx, Position p, SpatialRelation rel) {
  switch (rel) {
    case SpatialRelation::kWithin:
      return LocatePoint(g, idx, p) == Location::kInterior;
    case SpatialRelation::kIntersects:
      return LocatePoint(g, idx, p) != Location::kExterior;
    case SpatialRelation::kDisjoint:
      return LocatePoint(g, idx, p) == Location::kExterior;
    case SpatialRelation::kOverlaps:
    case SpatialRelation::kCrosses:
      return false;  // a point is inside or outside, never partly both
    case SpatialRelation::kTouches:
      // Interiors disjoint, boundaries meeting; a puntal g has no boundary.
      return LocatePoint(g, idx, p) == Location::kBoundary;
    case SpatialRelation::kContains:
    case SpatialRelation::kEquals:
      return AllPositionsEqual(g, p);
  }
  return false;
}

Position PointOf(const Geometry& g) { return g.positions().front(); }

// ---------------------------------------------------------------------------------------
// GEOS plumbing: contexts that record their last error, a lock-free pool of them, RAII
// geometries and conversion from our layout.

class GeosContext {
 public:
  GeosContext() : handle_(GEOS_init_r()) {
    GEOSContext_setErrorMessageHandler_r(handle_, &GeosContext::OnError, this);
    GEOSContext_setNoticeMessageHandler_r(handle_, &GeosContext::OnNotice, nullptr);
  }
  ~GeosContext() { GEOS_finish_r(handle_); }
  GeosContext(const GeosContext&) = delete;
  GeosContext& operator=(const GeosContext&) = delete;

  GEOSContextHandle_t get() const { return handle_; }
  const std::string& last_error() const { return last_error_; }

 private:
  static void OnError(const char* message, void* self) {
    static_cast<GeosContext*>(self)->last_error_ = message != nullptr ? message : "";
  }
  static void OnNotice(const char*, void*) {}

  GEOSContextHandle_t handle_;
  std::string last_error_;
};

struct GeosGeom {
  GEOSContextHandle_t h = nullptr;
  GEOSGeometry* g = nullptr;
  GeosGeom(GEOSContextHandle_t handle, GEOSGeometry* geom) : h(handle), g(geom) {}
  ~GeosGeom() {
    if (g != nullptr) GEOSGeom_destroy_r(h, g);
  }
  GeosGeom(const GeosGeom&) = delete;
  GeosGeom& operator=(const GeosGeom&) = delete;
  GEOSGeometry* release() { return std::exchange(g, nullptr); }
  explicit operator bool() const { return g != nullptr; }
};

GEOSCoordSequence* MakeSeq(GEOSContextHandle_t h, const std::vector<Position>& pos,
                           std::uint32_t start, std::uint32_t end, double x_scale) {
  GEOSCoordSequence* seq = GEOSCoordSeq_create_r(h, end - start, 2);
  if (seq == nullptr) return nullptr;
  for (std::uint32_t i = start; i < end; ++i) {
    if (GEOSCoordSeq_setXY_r(h, seq, i - start, pos[i].x * x_scale, pos[i].y) == 0) {
      GEOSCoordSeq_destroy_r(h, seq);
      return nullptr;
    }
  }
  return seq;
}

GEOSGeometry* MakeCollection(GEOSContextHandle_t h, int type, std::vector<GEOSGeometry*>& parts) {
  GEOSGeometry* c =
      GEOSGeom_createCollection_r(h, type, parts.data(), static_cast<unsigned>(parts.size()));
  if (c == nullptr) {
    for (GEOSGeometry* p : parts) GEOSGeom_destroy_r(h, p);
  }
  return c;
}

void DestroyAll(GEOSContextHandle_t h, std::vector<GEOSGeometry*>& parts) {
  for (GEOSGeometry* p : parts) GEOSGeom_destroy_r(h, p);
  parts.clear();
}

// Polygon made of rings [ring_begin, ring_end) of g; nullptr on failure.
GEOSGeometry* MakePolygon(GEOSContextHandle_t h, const Geometry& g, std::size_t ring_begin,
                          std::size_t ring_end, double x_scale) {
  const auto& ends = g.line_ends();
  std::vector<GEOSGeometry*> rings;
  for (std::size_t r = ring_begin; r < ring_end; ++r) {
    std::uint32_t s = r == 0 ? 0 : ends[r - 1];
    GEOSCoordSequence* seq = MakeSeq(h, g.positions(), s, ends[r], x_scale);
    GEOSGeometry* ring = seq != nullptr ? GEOSGeom_createLinearRing_r(h, seq) : nullptr;
    if (ring == nullptr) {
      DestroyAll(h, rings);
      return nullptr;
    }
    rings.push_back(ring);
  }
  GEOSGeometry* poly = GEOSGeom_createPolygon_r(h, rings[0], rings.data() + 1,
                                                static_cast<unsigned>(rings.size() - 1));
  if (poly == nullptr) DestroyAll(h, rings);
  return poly;
}

// g as a GEOS geometry with x multiplied by x_scale; nullptr on failure.
GEOSGeometry* ToGeos(GEOSContextHandle_t h, const Geometry& g, double x_scale = 1.0) {
  const auto& pos = g.positions();
  const auto& ends = g.line_ends();
  std::vector<GEOSGeometry*> parts;
  switch (g.type()) {
    case GeometryType::kPoint:
      return GEOSGeom_createPointFromXY_r(h, pos[0].x * x_scale, pos[0].y);
    case GeometryType::kMultiPoint:
      for (const Position& p : pos) {
        GEOSGeometry* pt = GEOSGeom_createPointFromXY_r(h, p.x * x_scale, p.y);
        if (pt == nullptr) {
          DestroyAll(h, parts);
          return nullptr;
        }
        parts.push_back(pt);
      }
      return MakeCollection(h, GEOS_MULTIPOINT, parts);
    case GeometryType::kLineString:
    case GeometryType::kMultiLineString: {
      std::uint32_t s = 0;
      for (std::uint32_t e : ends) {
        GEOSCoordSequence* seq = MakeSeq(h, pos, s, e, x_scale);
        GEOSGeometry* line = seq != nullptr ? GEOSGeom_createLineString_r(h, seq) : nullptr;
        if (line == nullptr) {
          DestroyAll(h, parts);
          return nullptr;
        }
        parts.push_back(line);
        s = e;
      }
      if (g.type() == GeometryType::kLineString) return parts[0];
      return MakeCollection(h, GEOS_MULTILINESTRING, parts);
    }
    case GeometryType::kPolygon:
    case GeometryType::kMultiPolygon: {
      std::size_t r = 0;
      for (std::uint32_t pe : g.polygon_ends()) {
        GEOSGeometry* poly = MakePolygon(h, g, r, pe, x_scale);
        if (poly == nullptr) {
          DestroyAll(h, parts);
          return nullptr;
        }
        parts.push_back(poly);
        r = pe;
      }
      if (g.type() == GeometryType::kPolygon) return parts[0];
      return MakeCollection(h, GEOS_MULTIPOLYGON, parts);
    }
  }
  return nullptr;
}

// A fixed set of lazily created slots; a caller claims a free one with an atomic exchange,
// starting at a slot picked from its thread id so threads rarely collide.
template <typename Slot>
class SlotPool {
 public:
  SlotPool()
      : size_(std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, kMaxPoolSlots)),
        slots_(new Slot[size_]) {}

  // A claimed slot, or nullptr when all are busy.
  Slot* TryAcquire() {
    std::size_t start = std::hash<std::thread::id>{}(std::this_thread::get_id()) % size_;
    for (std::size_t k = 0; k < size_; ++k) {
      Slot& s = slots_[(start + k) % size_];
      if (!s.busy.exchange(true, std::memory_order_acquire)) return &s;
    }
    return nullptr;
  }
  static void Release(Slot* s) { s->busy.store(false, std::memory_order_release); }

 private:
  std::size_t size_;
  std::unique_ptr<Slot[]> slots_;
};

struct ContextSlot {
  std::atomic<bool> busy{false};
  std::unique_ptr<GeosContext> ctx;  // touched only by the slot's holder
};

SlotPool<ContextSlot>& GlobalContextPool() {
  static SlotPool<ContextSlot> pool;
  return pool;
}

// Runs fn(GeosContext&) with a pooled context, or a temporary one when the pool is busy.
template <typename Fn>
auto WithContext(Fn&& fn) {
  ContextSlot* slot = GlobalContextPool().TryAcquire();
  if (slot == nullptr) {
    GeosContext temp;
    return fn(temp);
  }
  if (!slot->ctx) slot->ctx = std::make_unique<GeosContext>();
  struct Releaser {
    ContextSlot* s;
    ~Releaser() { SlotPool<ContextSlot>::Release(s); }
  } releaser{slot};
  return fn(*slot->ctx);
}

// "a rel b" by GEOS; a GEOS failure counts as false.
bool GeosRelate(const GeosContext& ctx, const GEOSGeometry* a, SpatialRelation rel,
                const GEOSGeometry* b) {
  GEOSContextHandle_t h = ctx.get();
  char r = 2;
  switch (rel) {
    case SpatialRelation::kWithin:
      r = GEOSWithin_r(h, a, b);
      break;
    case SpatialRelation::kContains:
      r = GEOSContains_r(h, a, b);
      break;
    case SpatialRelation::kIntersects:
      r = GEOSIntersects_r(h, a, b);
      break;
    case SpatialRelation::kDisjoint:
      r = GEOSDisjoint_r(h, a, b);
      break;
    case SpatialRelation::kOverlaps:
      r = GEOSOverlaps_r(h, a, b);
      break;
    case SpatialRelation::kTouches:
      r = GEOSTouches_r(h, a, b);
      break;
    case SpatialRelation::kCrosses:
      r = GEOSCrosses_r(h, a, b);
      break;
    case SpatialRelation::kEquals:
      // Identical coordinates are equal even when GEOS cannot build the topology of an
      // invalid (self-intersecting) polygon.
      r = GEOSEqualsExact_r(h, a, b, 0.0);
      if (r != 1) r = GEOSEquals_r(h, a, b);
      break;
  }
  return r == 1;
}

// ---------------------------------------------------------------------------------------
// Distances.

// Haversine distance from p to the closest point of g. The closest point is chosen in an
// equirectangular frame centred on p (x scaled by cos(p.lat)).
double PointToGeometryMeters(Position p, const Geometry& g, const SegmentIndex* idx) {
  const auto& pos = g.positions();
  if (g.is_puntal()) {
    double best = std::numeric_limits<double>::infinity();
    for (const Position& q : pos) best = std::min(best, HaversineMeters(p.x, p.y, q.x, q.y));
    return best;
  }
  if (g.is_polygonal() && LocatePoint(g, idx, p) != Location::kExterior) return 0.0;
  double k = std::cos(p.y * kDegToRad);
  double best_d2 = std::numeric_limits<double>::infinity();
  Position best = pos[0];
  ForEachLine(g, [&](std::uint32_t s, std::uint32_t e) {
    for (std::uint32_t i = s; i + 1 < e; ++i) {
      double ax = (pos[i].x - p.x) * k;
      double ay = pos[i].y - p.y;
      double dx = (pos[i + 1].x - pos[i].x) * k;
      double dy = pos[i + 1].y - pos[i].y;
      double len2 = dx * dx + dy * dy;
      double t = len2 > 0 ? std::clamp(-(ax * dx + ay * dy) / len2, 0.0, 1.0) : 0.0;
      double qx = ax + t * dx;
      double qy = ay + t * dy;
      double d2 = qx * qx + qy * qy;
      if (d2 < best_d2) {
        best_d2 = d2;
        best = {pos[i].x + t * (pos[i + 1].x - pos[i].x), pos[i].y + t * (pos[i + 1].y - pos[i].y)};
      }
    }
  });
  return HaversineMeters(p.x, p.y, best.x, best.y);
}

double PuntalToGeometryMeters(const Geometry& points, const Geometry& g, const SegmentIndex* idx) {
  double best = std::numeric_limits<double>::infinity();
  for (const Position& p : points.positions()) {
    best = std::min(best, PointToGeometryMeters(p, g, idx));
    if (best == 0) break;
  }
  return best;
}

// Both a and b are lineal or polygonal: GEOS picks the closest pair in a frame where x is
// scaled by cos of the middle latitude of both shapes.
double GeosDistanceMeters(const Geometry& a, const Geometry& b) {
  BBox all = a.bbox();
  all.Extend(b.bbox());
  double k = std::cos(0.5 * (all.min_y + all.max_y) * kDegToRad);
  if (!(k > 1e-9)) k = 1e-9;  // a shape touching a pole; keep the frame invertible
  return WithContext([&](GeosContext& ctx) {
    GEOSContextHandle_t h = ctx.get();
    GeosGeom ga(h, ToGeos(h, a, k));
    GeosGeom gb(h, ToGeos(h, b, k));
    if (!ga || !gb) return std::numeric_limits<double>::infinity();
    GEOSCoordSequence* seq = GEOSNearestPoints_r(h, ga.g, gb.g);
    if (seq == nullptr) return std::numeric_limits<double>::infinity();
    double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    int ok = GEOSCoordSeq_getXY_r(h, seq, 0, &x1, &y1) & GEOSCoordSeq_getXY_r(h, seq, 1, &x2, &y2);
    GEOSCoordSeq_destroy_r(h, seq);
    if (ok == 0) return std::numeric_limits<double>::infinity();
    if (x1 == x2 && y1 == y2) return 0.0;
    return HaversineMeters(x1 / k, y1, x2 / k, y2);
  });
}

}  // namespace

// -----------------------------------------------------------------------------------------
// BBox

void BBox::Extend(double x, double y) {
  min_x = std::min(min_x, x);
  min_y = std::min(min_y, y);
  max_x = std::max(max_x, x);
  max_y = std::max(max_y, y);
}

void BBox::Extend(const BBox& o) {
  if (o.empty()) return;
  Extend(o.min_x, o.min_y);
  Extend(o.max_x, o.max_y);
}

// -----------------------------------------------------------------------------------------
// Reading GeoJSON

// Builds a Geometry from GeoJSON coordinates, checking shape, ranges and limits.
class GeometryReader {
 public:
  explicit GeometryReader(const GeometryLimits& limits) : limits_(limits) {}

  Result<Geometry> Read(std::string_view type, const Json& coordinates) {
    g_.positions_.clear();  // drop the default Point's position
    if (type == "Point") {
      g_.type_ = GeometryType::kPoint;
      DOTHI_RETURN_IF_ERROR(ReadPosition(coordinates));
    } else if (type == "MultiPoint") {
      g_.type_ = GeometryType::kMultiPoint;
      DOTHI_RETURN_IF_ERROR(ReadArray(coordinates, "MultiPoint", "an array of positions"));
      for (const Json& p : coordinates.AsArray()) DOTHI_RETURN_IF_ERROR(ReadPosition(p));
    } else if (type == "LineString") {
      g_.type_ = GeometryType::kLineString;
      DOTHI_RETURN_IF_ERROR(ReadLine(coordinates, false));
    } else if (type == "MultiLineString") {
      g_.type_ = GeometryType::kMultiLineString;
      DOTHI_RETURN_IF_ERROR(
          ReadArray(coordinates, "MultiLineString", "an array of position arrays"));
      for (const Json& l : coordinates.AsArray()) DOTHI_RETURN_IF_ERROR(ReadLine(l, false));
    } else if (type == "Polygon") {
      g_.type_ = GeometryType::kPolygon;
      DOTHI_RETURN_IF_ERROR(ReadPolygon(coordinates));
    } else if (type == "MultiPolygon") {
      g_.type_ = GeometryType::kMultiPolygon;
      DOTHI_RETURN_IF_ERROR(ReadArray(coordinates, "MultiPolygon", "an array of polygons"));
      for (const Json& p : coordinates.AsArray()) DOTHI_RETURN_IF_ERROR(ReadPolygon(p));
    } else if (type == "GeometryCollection") {
      return Status::BadRequestData("unsupported geometry type", type);
    } else {
      return Status::BadRequestData("unknown geometry type", type);
    }
    g_.bbox_ = BBox::Empty();
    for (const Position& p : g_.positions_) g_.bbox_.Extend(p.x, p.y);
    return std::move(g_);
  }

 private:
  Status ReadArray(const Json& j, std::string_view type, std::string_view expected) {
    if (!j.is_array()) {
      return Status::BadRequestData("invalid coordinates",
                                    std::string(type) + " expects " + std::string(expected));
    }
    if (j.AsArray().empty()) return Status::BadRequestData("empty coordinates", type);
    return Status::OK();
  }

  Status ReadPosition(const Json& j) {
    if (!j.is_array() || j.size() < 2) {
      return Status::BadRequestData(
          "invalid position", "expected an array of at least 2 numbers, got " + Abbreviate(j));
    }
    const Json::Array& a = j.AsArray();
    for (const Json& n : a) {
      if (!n.is_number()) {
        return Status::BadRequestData("coordinate is not a number", Abbreviate(n));
      }
      if (!std::isfinite(n.AsDouble())) {
        double d = n.AsDouble();
        return Status::BadRequestData("coordinate is not finite",
                                      std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"));
      }
    }
    double lon = a[0].AsDouble();
    double lat = a[1].AsDouble();
    if (lon < -180.0 || lon > 180.0) {
      return Status::BadRequestData("longitude out of range [-180, 180]", NumberText(lon));
    }
    if (lat < -90.0 || lat > 90.0) {
      return Status::BadRequestData("latitude out of range [-90, 90]", NumberText(lat));
    }
    if (g_.positions_.size() >= limits_.max_vertices) {
      return Status::BadRequestData("geometry has more vertices than allowed",
                                    std::to_string(limits_.max_vertices));
    }
    g_.positions_.push_back({lon, lat});
    return Status::OK();
  }

  Status ReadLine(const Json& j, bool ring) {
    if (!j.is_array() || (!j.AsArray().empty() && !j.AsArray()[0].is_array())) {
      return Status::BadRequestData(ring ? "invalid polygon ring" : "invalid linestring",
                                    "expected an array of positions, got " + Abbreviate(j));
    }
    std::size_t start = g_.positions_.size();
    for (const Json& p : j.AsArray()) DOTHI_RETURN_IF_ERROR(ReadPosition(p));
    std::size_t n = g_.positions_.size() - start;
    if (!ring && n < 2) {
      return Status::BadRequestData("linestring needs at least 2 positions",
                                    std::to_string(n) + " given");
    }
    if (ring && n < 4) {
      return Status::BadRequestData("polygon ring needs at least 4 positions",
                                    std::to_string(n) + " given");
    }
    if (ring && !(g_.positions_[start] == g_.positions_.back())) {
      return Status::BadRequestData("polygon ring is not closed",
                                    "first and last positions differ");
    }
    g_.line_ends_.push_back(static_cast<std::uint32_t>(g_.positions_.size()));
    return Status::OK();
  }

  Status ReadPolygon(const Json& j) {
    if (!j.is_array() || j.AsArray().empty() || !j.AsArray()[0].is_array() ||
        (!j.AsArray()[0].AsArray().empty() && !j.AsArray()[0].AsArray()[0].is_array())) {
      return Status::BadRequestData(
          "invalid polygon", "expected a non-empty array of linear rings, got " + Abbreviate(j));
    }
    for (const Json& r : j.AsArray()) DOTHI_RETURN_IF_ERROR(ReadLine(r, true));
    g_.polygon_ends_.push_back(static_cast<std::uint32_t>(g_.line_ends_.size()));
    return Status::OK();
  }

  // A short rendering of an offending value for messages.
  static std::string Abbreviate(const Json& j) {
    constexpr std::size_t kMaxShown = 40;  // characters of the value echoed back
    std::string s = j.Dump();
    if (s.size() > kMaxShown) s = s.substr(0, kMaxShown) + "...";
    return s;
  }

  const GeometryLimits& limits_;
  Geometry g_;
};

// -----------------------------------------------------------------------------------------
// Geometry

Geometry::Geometry() : positions_{{0.0, 0.0}} {}

Result<Geometry> Geometry::FromGeoJson(const Json& j, const GeometryLimits& limits) {
  if (!j.is_object()) return Status::BadRequestData("geometry must be a json object");
  const Json* type = j.Find("type");
  if (type == nullptr || !type->is_string()) {
    return Status::BadRequestData("geometry has no type string");
  }
  const Json* coords = j.Find("coordinates");
  if (coords == nullptr) {
    if (type->AsString() == "GeometryCollection") {
      return Status::BadRequestData("unsupported geometry type", type->AsString());
    }
    return Status::BadRequestData("geometry has no coordinates", type->AsString());
  }
  return FromTypeAndCoordinates(type->AsString(), *coords, limits);
}

Result<Geometry> Geometry::FromTypeAndCoordinates(std::string_view type, const Json& coordinates,
                                                  const GeometryLimits& limits) {
  GeometryReader reader(limits);
  Result<Geometry> g = reader.Read(type, coordinates);
  return g;
}

Result<Geometry> Geometry::MakePoint(double lon, double lat) {
  Json coords = Json::Array{Json(lon), Json(lat)};
  return FromTypeAndCoordinates("Point", coords);
}

std::string_view Geometry::type_name() const {
  switch (type_) {
    case GeometryType::kPoint:
      return "Point";
    case GeometryType::kMultiPoint:
      return "MultiPoint";
    case GeometryType::kLineString:
      return "LineString";
    case GeometryType::kMultiLineString:
      return "MultiLineString";
    case GeometryType::kPolygon:
      return "Polygon";
    case GeometryType::kMultiPolygon:
      return "MultiPolygon";
  }
  return "Point";
}

double Geometry::lon() const {
  DOTHI_DCHECK(is_point());  // caller checks the type
  return positions_[0].x;
}

double Geometry::lat() const {
  DOTHI_DCHECK(is_point());  // caller checks the type
  return positions_[0].y;
}

Json Geometry::ToGeoJson() const {
  auto position = [&](std::uint32_t i) {
    return Json(Json::Array{Json(positions_[i].x), Json(positions_[i].y)});
  };
  auto line = [&](std::uint32_t s, std::uint32_t e) {
    Json::Array a;
    a.reserve(e - s);
    for (std::uint32_t i = s; i < e; ++i) a.push_back(position(i));
    return Json(std::move(a));
  };
  auto lines = [&](std::size_t r0, std::size_t r1) {
    Json::Array a;
    for (std::size_t r = r0; r < r1; ++r) {
      a.push_back(line(r == 0 ? 0 : line_ends_[r - 1], line_ends_[r]));
    }
    return Json(std::move(a));
  };
  Json coords;
  switch (type_) {
    case GeometryType::kPoint:
      coords = position(0);
      break;
    case GeometryType::kMultiPoint:
      coords = line(0, static_cast<std::uint32_t>(positions_.size()));
      break;
    case GeometryType::kLineString:
      coords = line(0, line_ends_[0]);
      break;
    case GeometryType::kMultiLineString:
    case GeometryType::kPolygon:
      coords = lines(0, line_ends_.size());
      break;
    case GeometryType::kMultiPolygon: {
      Json::Array polys;
      std::size_t r = 0;
      for (std::uint32_t pe : polygon_ends_) {
        polys.push_back(lines(r, pe));
        r = pe;
      }
      coords = Json(std::move(polys));
      break;
    }
  }
  return Json::MakeObject({{"type", Json(type_name())}, {"coordinates", std::move(coords)}});
}

bool operator==(const Geometry& a, const Geometry& b) {
  return a.type_ == b.type_ && a.positions_ == b.positions_ && a.line_ends_ == b.line_ends_ &&
         a.polygon_ends_ == b.polygon_ends_;
}

// -----------------------------------------------------------------------------------------
// Free functions

bool Relate(const Geometry& a, SpatialRelation rel, const Geometry& b) {
  if (a.is_point()) return PointRelation(b, nullptr, PointOf(a), rel);
  if (b.is_point()) return PointRelation(a, nullptr, PointOf(b), Converse(rel));
  if (!a.bbox().Intersects(b.bbox())) {
    return rel == SpatialRelation::kDisjoint;  // every other relation needs a shared point
  }
  return WithContext([&](GeosContext& ctx) {
    GEOSContextHandle_t h = ctx.get();
    GeosGeom ga(h, ToGeos(h, a));
    GeosGeom gb(h, ToGeos(h, b));
    if (!ga || !gb) return false;
    return GeosRelate(ctx, ga.g, rel, gb.g);
  });
}

double HaversineMeters(double lon1, double lat1, double lon2, double lat2) {
  double dlat = (lat2 - lat1) * kDegToRad;
  double dlon = (lon2 - lon1) * kDegToRad;
  double s1 = std::sin(dlat / 2);
  double s2 = std::sin(dlon / 2);
  double h = s1 * s1 + std::cos(lat1 * kDegToRad) * std::cos(lat2 * kDegToRad) * s2 * s2;
  return 2.0 * kEarthRadiusMeters * std::asin(std::min(1.0, std::sqrt(h)));
}

double DistanceMeters(const Geometry& a, const Geometry& b) {
  if (a.is_puntal()) return PuntalToGeometryMeters(a, b, nullptr);
  if (b.is_puntal()) return PuntalToGeometryMeters(b, a, nullptr);
  return GeosDistanceMeters(a, b);
}

// -----------------------------------------------------------------------------------------
// PreparedGeometry

namespace {

struct PreparedSlot {
  std::atomic<bool> busy{false};
  // Built on first use by the slot's holder; only the holder touches these.
  std::unique_ptr<GeosContext> ctx;
  GEOSGeometry* geom = nullptr;
  const GEOSPreparedGeometry* prepared = nullptr;

  PreparedSlot() = default;
  PreparedSlot(const PreparedSlot&) = delete;
  PreparedSlot& operator=(const PreparedSlot&) = delete;
  ~PreparedSlot() { Clear(); }

  void Clear() {
    if (ctx == nullptr) return;
    if (prepared != nullptr) GEOSPreparedGeom_destroy_r(ctx->get(), prepared);
    if (geom != nullptr) GEOSGeom_destroy_r(ctx->get(), geom);
    prepared = nullptr;
    geom = nullptr;
  }

  bool Build(const Geometry& g) {
    if (prepared != nullptr) return true;
    if (ctx == nullptr) ctx = std::make_unique<GeosContext>();
    geom = ToGeos(ctx->get(), g);
    if (geom == nullptr) return false;
    prepared = GEOSPrepare_r(ctx->get(), geom);
    return prepared != nullptr;
  }
};

// "other rel this" where the slot holds this, prepared.
bool PreparedRelate(PreparedSlot& slot, const Geometry& other, SpatialRelation rel) {
  GEOSContextHandle_t h = slot.ctx->get();
  GeosGeom o(h, ToGeos(h, other));
  if (!o) return false;
  const GEOSPreparedGeometry* p = slot.prepared;
  char r = 2;
  switch (rel) {
    case SpatialRelation::kWithin:
      r = GEOSPreparedContains_r(h, p, o.g);
      break;
    case SpatialRelation::kContains:
      r = GEOSPreparedWithin_r(h, p, o.g);
      break;
    case SpatialRelation::kIntersects:
      r = GEOSPreparedIntersects_r(h, p, o.g);
      break;
    case SpatialRelation::kDisjoint:
      r = GEOSPreparedDisjoint_r(h, p, o.g);
      break;
    case SpatialRelation::kOverlaps:
      r = GEOSPreparedOverlaps_r(h, p, o.g);
      break;
    case SpatialRelation::kTouches:
      r = GEOSPreparedTouches_r(h, p, o.g);
      break;
    case SpatialRelation::kCrosses:
      r = GEOSPreparedCrosses_r(h, p, o.g);
      break;
    case SpatialRelation::kEquals:
      r = GEOSEqualsExact_r(h, o.g, slot.geom, 0.0);
      if (r != 1) r = GEOSEquals_r(h, o.g, slot.geom);
      break;
  }
  return r == 1;
}

}  // namespace

struct PreparedGeometry::Impl {
  explicit Impl(Geometry g) : geometry(std::move(g)), index(BuildSegmentIndex(geometry)) {}
  Geometry geometry;
  SegmentIndex index;
  SlotPool<PreparedSlot> slots;
};

PreparedGeometry::PreparedGeometry(Geometry geometry)
    : impl_(std::make_unique<Impl>(std::move(geometry))) {}
PreparedGeometry::~PreparedGeometry() = default;
PreparedGeometry::PreparedGeometry(PreparedGeometry&&) noexcept = default;
PreparedGeometry& PreparedGeometry::operator=(PreparedGeometry&&) noexcept = default;

const Geometry& PreparedGeometry::geometry() const { return impl_->geometry; }

bool PreparedGeometry::RelatePoint(double lon, double lat, SpatialRelation rel) const {
  return PointRelation(impl_->geometry, &impl_->index, Position{lon, lat}, rel);
}

bool PreparedGeometry::Relate(const Geometry& other, SpatialRelation rel) const {
  const Geometry& self = impl_->geometry;
  if (other.is_point()) return RelatePoint(other.lon(), other.lat(), rel);
  if (self.is_point()) return PointRelation(other, nullptr, PointOf(self), Converse(rel));
  if (!self.bbox().Intersects(other.bbox())) return rel == SpatialRelation::kDisjoint;
  PreparedSlot* slot = impl_->slots.TryAcquire();
  if (slot == nullptr) {
    PreparedSlot temp;
    return temp.Build(self) && PreparedRelate(temp, other, rel);
  }
  bool result = slot->Build(self) && PreparedRelate(*slot, other, rel);
  SlotPool<PreparedSlot>::Release(slot);
  return result;
}

double PreparedGeometry::DistanceMeters(const Geometry& other) const {
  const Geometry& self = impl_->geometry;
  if (other.is_puntal()) return PuntalToGeometryMeters(other, self, &impl_->index);
  if (self.is_puntal()) return PuntalToGeometryMeters(self, other, nullptr);
  return GeosDistanceMeters(other, self);
}

double PreparedGeometry::DistanceMetersToPoint(double lon, double lat) const {
  return PointToGeometryMeters(Position{lon, lat}, impl_->geometry, &impl_->index);
}

namespace {

Json CoordsOf(GEOSContextHandle_t h, const GEOSGeometry* g) {
  Json out = Json::MakeArray();
  const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(h, g);
  unsigned n = 0;
  if (seq == nullptr || GEOSCoordSeq_getSize_r(h, seq, &n) == 0) return out;
  for (unsigned i = 0; i < n; ++i) {
    double x = 0, y = 0;
    GEOSCoordSeq_getXY_r(h, seq, i, &x, &y);
    out.Push(Json(Json::Array{Json(x), Json(y)}));
  }
  return out;
}

// Appends g's parts of dimension dim (0 points, 1 lines, 2 polygons) as GeoJSON coordinates.
void CollectParts(GEOSContextHandle_t h, const GEOSGeometry* g, int dim, Json& parts) {
  const int type = GEOSGeomTypeId_r(h, g);
  switch (type) {
    case GEOS_POINT:
      if (dim == 0 && GEOSisEmpty_r(h, g) == 0) parts.Push(CoordsOf(h, g).AsArray()[0]);
      return;
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
      if (dim == 1 && GEOSisEmpty_r(h, g) == 0) parts.Push(CoordsOf(h, g));
      return;
    case GEOS_POLYGON: {
      if (dim != 2 || GEOSisEmpty_r(h, g) != 0) return;
      Json rings = Json::MakeArray();
      rings.Push(CoordsOf(h, GEOSGetExteriorRing_r(h, g)));
      const int holes = GEOSGetNumInteriorRings_r(h, g);
      for (int i = 0; i < holes; ++i) rings.Push(CoordsOf(h, GEOSGetInteriorRingN_r(h, g, i)));
      parts.Push(std::move(rings));
      return;
    }
    default: {
      const int n = GEOSGetNumGeometries_r(h, g);
      for (int i = 0; i < n; ++i) CollectParts(h, GEOSGetGeometryN_r(h, g, i), dim, parts);
    }
  }
}

int DimensionOf(const Geometry& g) { return g.is_puntal() ? 0 : g.is_lineal() ? 1 : 2; }

}  // namespace

Status CheckValid(const Geometry& g) {
  if (g.is_puntal()) return Status::OK();
  return WithContext([&](GeosContext& ctx) -> Status {
    GEOSContextHandle_t h = ctx.get();
    GeosGeom gg(h, ToGeos(h, g));
    if (!gg) return Status::BadRequestData("invalid geometry", ctx.last_error());
    if (GEOSisValid_r(h, gg.g) == 1) return Status::OK();
    char* reason = GEOSisValidReason_r(h, gg.g);
    std::string text = reason != nullptr ? reason : "invalid";
    GEOSFree_r(h, reason);
    return Status::BadRequestData("invalid geometry", text);
  });
}

Result<Geometry> MakeValid(const Geometry& g) {
  if (CheckValid(g).ok()) return g;
  const int dim = DimensionOf(g);
  Result<Json> parts = WithContext([&](GeosContext& ctx) -> Result<Json> {
    GEOSContextHandle_t h = ctx.get();
    GeosGeom gg(h, ToGeos(h, g));
    if (!gg) return Status::BadRequestData("invalid geometry", ctx.last_error());
    GEOSMakeValidParams* params = GEOSMakeValidParams_create_r(h);
    GEOSMakeValidParams_setMethod_r(h, params, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(h, params, 0);
    GeosGeom fixed(h, GEOSMakeValidWithParams_r(h, gg.g, params));
    GEOSMakeValidParams_destroy_r(h, params);
    if (!fixed) return Status::BadRequestData("cannot repair geometry", ctx.last_error());
    Json out = Json::MakeArray();
    CollectParts(h, fixed.g, dim, out);
    return out;
  });
  if (!parts.ok()) return parts.status();
  if (parts->size() == 0) {
    return Status::BadRequestData("nothing is left of the geometry once repaired",
                                  "it has no area or length");
  }
  static constexpr std::string_view kSingle[] = {"Point", "LineString", "Polygon"};
  static constexpr std::string_view kMulti[] = {"MultiPoint", "MultiLineString", "MultiPolygon"};
  GeometryLimits limits;
  limits.max_vertices = std::max<std::size_t>(limits.max_vertices, g.num_vertices() * 2 + 64);
  if (parts->size() == 1) {
    return Geometry::FromTypeAndCoordinates(kSingle[dim], parts->AsArray()[0], limits);
  }
  return Geometry::FromTypeAndCoordinates(kMulti[dim], *parts, limits);
}

namespace {
constexpr double kMetersPerDegree = kEarthRadiusMeters * 3.14159265358979323846 / 180.0;

double MidLatitudeScale(const Geometry& g) {
  const double mid = (g.bbox().min_y + g.bbox().max_y) / 2.0 * 3.14159265358979323846 / 180.0;
  return std::cos(mid);
}
}  // namespace

Result<Geometry> UnionPolygons(const std::vector<const Geometry*>& parts) {
  Result<Json> coords = WithContext([&](GeosContext& ctx) -> Result<Json> {
    GEOSContextHandle_t h = ctx.get();
    std::vector<GEOSGeometry*> geoms;
    for (const Geometry* g : parts) {
      if (g == nullptr || !g->is_polygonal()) continue;
      GEOSGeometry* gg = ToGeos(h, *g);
      if (gg == nullptr) {
        DestroyAll(h, geoms);
        return Status::BadRequestData("invalid geometry", ctx.last_error());
      }
      geoms.push_back(gg);
    }
    if (geoms.empty()) return Status::BadRequestData("nothing polygonal to join");
    GeosGeom all(h, MakeCollection(h, GEOS_GEOMETRYCOLLECTION, geoms));
    if (!all) return Status::BadRequestData("cannot join geometries", ctx.last_error());
    GeosGeom joined(h, GEOSUnaryUnion_r(h, all.g));
    if (!joined) return Status::BadRequestData("cannot join geometries", ctx.last_error());
    Json out = Json::MakeArray();
    CollectParts(h, joined.g, 2, out);
    return out;
  });
  if (!coords.ok()) return coords.status();
  if (coords->size() == 0) return Status::BadRequestData("the union has no area");
  GeometryLimits limits;
  limits.max_vertices = std::size_t{1} << 28;
  if (coords->size() == 1) return Geometry::FromTypeAndCoordinates("Polygon", coords->AsArray()[0], limits);
  return Geometry::FromTypeAndCoordinates("MultiPolygon", *coords, limits);
}

double AreaSquareMeters(const Geometry& g) {
  if (!g.is_polygonal()) return 0.0;
  const double k = MidLatitudeScale(g);
  return WithContext([&](GeosContext& ctx) {
    GEOSContextHandle_t h = ctx.get();
    GeosGeom gg(h, ToGeos(h, g, k));
    double area = 0;
    if (!gg || GEOSArea_r(h, gg.g, &area) == 0) return 0.0;
    return area * kMetersPerDegree * kMetersPerDegree;
  });
}

double AreaShareInside(const Geometry& a, const Geometry& b) {
  if (!a.is_polygonal() || !b.is_polygonal() || !a.bbox().Intersects(b.bbox())) return 0.0;
  return WithContext([&](GeosContext& ctx) {
    GEOSContextHandle_t h = ctx.get();
    GeosGeom ga(h, ToGeos(h, a)), gb(h, ToGeos(h, b));
    if (!ga || !gb) return 0.0;
    double whole = 0, part = 0;
    if (GEOSArea_r(h, ga.g, &whole) == 0 || whole <= 0) return 0.0;
    GeosGeom inter(h, GEOSIntersection_r(h, ga.g, gb.g));
    if (!inter || GEOSArea_r(h, inter.g, &part) == 0) return 0.0;
    return std::clamp(part / whole, 0.0, 1.0);
  });
}

}  // namespace dothi::geo
